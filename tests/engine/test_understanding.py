"""The debtor understands what trainees really say (the five failure kinds, new lines).

1. several moves in one line; 2. moves out of the tree's order (``anywhere`` moves,
nodes passed or skipped); 3. a yes to the persona's own proposal; 4. a read-back known
by its amount and date; 5. misses that do not spiral (cheap first miss, never the same
line twice, "not now" instead of "what do you mean?").
"""

from __future__ import annotations

import itertools

import pytest
from shipped import shipped_content

from trainer.engine import understand
from trainer.engine.session import ALREADY, MISS_COST, NOT_NOW, Session
from trainer.scenarios.loader import ContentSet


@pytest.fixture(scope="module")
def shipped() -> ContentSet:
    return shipped_content()[0]


def _call(content: ContentSet, scenario: str, **options: object) -> Session:
    session = Session.new(content.scenarios[scenario], content, seed=3, **options)  # type: ignore[arg-type]
    session.start()
    return session


def _agent(session: Session):  # type: ignore[no-untyped-def]
    return [t for t in session.turns if t.speaker == "agent"][-1]


def test_clauses_keep_numbers_whole_and_pieces_cover_runs() -> None:
    assert understand.clauses("欠款12,460.80元,逾期52天。请问您方便吗?") == [
        "欠款12,460.80元,",
        "逾期52天。",
        "请问您方便吗?",
    ]
    spans = {(p.first, p.last) for p in understand.pieces("甲乙丙丁,戊己庚辛。壬癸子丑,寅卯辰巳")}
    assert {(0, 0), (0, 1), (0, 2), (1, 3), (3, 3), (0, 3)} <= spans


def test_several_moves_in_one_line(shipped: ContentSet) -> None:
    call = _call(shipped, "zh-first-hardship")
    call.say("喂您好,这边是华信银行信用卡中心的小唐,工号6021,请问您是马先生本人吗?")
    assert _agent(call).moves[:1] == ("greet_identify",)
    assert "identifies_self" in call.facts
    en = _call(shipped, "en-first-minimiranda")
    en.say(
        "Hi, this is Jordan with First Harbor Bank's card services, calling on a recorded line."
        " Am I speaking with Daniel?"
    )
    assert {"greet_identify"} <= set(_agent(en).moves)


def test_recording_said_early_establishes_it_and_its_node_passes(shipped: ContentSet) -> None:
    call = _call(shipped, "zh-first-hardship")
    call.say("您好,我是华信银行信用卡中心的小唐。跟您说一下,咱们这通电话全程都有录音。")
    assert "states_recording" in call.facts
    assert "state_recording" in _agent(call).moves
    call.say("请您报一下身份证号最后四位,我核对一下。")
    assert call.node == "purpose"  # 'recording' asks for nothing already done: passed


def test_a_node_waiting_only_for_an_anywhere_move_does_not_block(shipped: ContentSet) -> None:
    call = _call(shipped, "zh-first-hardship", from_node="recording")
    call.say("谢谢马先生,对上了。您尾号3217的信用卡欠款8,640元,已经逾期38天了。")
    assert call.node not in {"recording", "purpose"}
    assert "state_purpose" in _agent(call).moves
    assert "states_recording" not in call.facts  # skipped, not made: the scorecard sees it


def test_a_yes_to_the_customers_own_proposal(shipped: ContentSet) -> None:
    call = _call(shipped, "zh-first-staller", from_node="vague_second")
    assert understand.asks(call.turns[-1].text)  # "……那就这周吧,这周内。"
    call.say("行,那就这周五。")
    assert _agent(call).intent == "ask_promise"
    assert understand.is_agreement("Sure, the 15th works.", "en-US")
    assert not understand.is_agreement("Sure, but can you pay the whole balance today?", "en-US")
    assert not understand.is_agreement("好的,请问您是周先生本人吗?", "zh-CN")


def test_a_read_back_is_known_by_its_amount_and_date(shipped: ContentSet) -> None:
    call = _call(shipped, "zh-first-forgetful", from_node="promise_given")
    call.say("好嘞,今晚十点以前,6380块,您自己在手机上弄,没错吧")
    assert _agent(call).intent == "read_back_promise"
    assert understand.promise_content("On the 15th, $1,284.50 through the app.", "en-US") == (
        True,
        True,
    )


def test_a_miss_costs_little_and_is_never_answered_twice_alike(shipped: ContentSet) -> None:
    call = _call(shipped, "zh-first-hardship")
    before = call.meters
    call.say("麻烦您稍等一下哈")
    after = call.meters
    assert all(abs(after[k] - before[k]) <= MISS_COST for k in before)
    replies = [call.turns[-1].text]
    for _ in range(3):
        call.say("麻烦您稍等一下哈")
        replies.append(call.turns[-1].text)
    assert all(a != b for a, b in itertools.pairwise(replies))


def test_understood_but_not_now_gets_a_not_now_reply(shipped: ContentSet) -> None:
    call = _call(shipped, "zh-first-hardship", from_node="verify")
    before = call.meters
    call.say("您这边可以先还一个最低还款864元,剩下的我们再商量分期。")
    assert call.node == "verify"
    reply = call.turns[-1].text
    assert reply.startswith(NOT_NOW["zh-CN"]), reply
    # and the customer says again what they are waiting for (the node's re-prompt)
    node = shipped.scenarios["zh-first-hardship"].nodes["verify"]
    assert node.fallback is not None
    assert any(reply.endswith(line.text) for line in node.fallback.say), reply
    assert call.meters == before


def test_a_move_made_again_gets_you_already_said_that(shipped: ContentSet) -> None:
    call = _call(shipped, "zh-first-forgetful")
    call.say("您好,我是华信银行信用卡中心的王丽,工号1024,请问是周建国先生本人吗?")
    call.say("本次通话会录音。为了确认是您本人,麻烦报一下身份证后四位。")
    node = call.node
    call.say("麻烦您再报一下身份证后四位,我核对一下。")
    assert call.node == node
    assert call.turns[-1].text.startswith(ALREADY["zh-CN"]), call.turns[-1].text


def test_a_move_said_first_is_taken_first_and_the_rest_is_recorded(shipped: ContentSet) -> None:
    # the whole line reads best as the question at its end; the greeting said first
    # moves the call, and the question is still recorded as said
    call = _call(shipped, "en-first-minimiranda")
    call.say(
        "Hi, this is Dana Ruiz with Crestline Recovery, calling for First Harbor."
        " Is this Mr. Brooks?"
    )
    moves = _agent(call).moves
    assert moves[0] == "greet_identify"
    assert "confirm_identity" in moves
    assert "identifies_self" in call.facts


def test_a_read_back_leaves_the_goodbye_after_it_its_own_move(shipped: ContentSet) -> None:
    call = _call(shipped, "zh-first-forgetful-medium", from_node="promise_given")
    call.say("对,就这样。今天之内App还6,380元,我记下了。谢谢周先生,不打扰您开会了,再见。")
    assert _agent(call).moves[:2] == ("read_back_promise", "close_politely")
    assert call.ending is not None and call.ending[1].good


def test_at_the_close_any_line_lets_the_customer_go_with_the_outcome(
    shipped: ContentSet,
) -> None:
    call = _call(shipped, "en-first-minimiranda", from_node="close_split")
    call.say("Yep, that's fine.")
    assert call.ending is not None
    assert call.ending[0] == "ptp_split" and call.ending[1].good
    # the close itself was not made: the scorecard still misses it
    assert "closes_politely" not in call.facts


def test_going_straight_to_the_payment_leaves_the_reason_step_behind(
    shipped: ContentSet,
) -> None:
    # the customer is waiting to be asked why (a reason-stage node); the agent offers
    # the minimum payment instead: the customer goes along, and the step stays missed
    call = _call(shipped, "zh-first-forgetful", from_node="purpose_heard")
    call.say("这个月账单最低还款是638元,您看先把最低还上行吗?")
    assert _agent(call).intent == "offer_minimum_payment"
    assert call.node != "purpose_heard"
    assert shipped.scenarios["zh-first-forgetful"].nodes[call.node].stage != "reason"
    assert "asks_reason" not in call.facts
    assert "shows_empathy" not in call.facts


def test_the_customer_answers_each_move_of_a_line(shipped: ContentSet) -> None:
    # the recording notice was given in the opening, so the recording node is passed
    # through; the customer still answers the verification (the ID digits) first
    call = _call(shipped, "zh-first-dispute")
    call.say("您好,我是华信银行信用卡中心的林,工号3156,本次通话会录音,请问是孙丽娟女士本人吗?")
    call.say("孙女士您先别着急,为了保护您的信息,麻烦您说一下身份证号码的后四位。")
    assert call.node == "purpose"
    reply = call.turns[-1].text
    assert "后四位" in reply and any(ch.isdigit() for ch in reply), reply


def test_the_answers_to_earlier_moves_keep_their_statements_not_questions() -> None:
    from trainer.engine.session import _statements

    assert _statements("后四位0317。那你说,到底怎么回事?", "zh-CN") == "后四位0317。"
    assert _statements("嗯,你找谁?", "zh-CN") == ""
    assert _statements("Yes, this is Mark. What's this about?", "en-US") == "Yes, this is Mark."


def test_a_goodbye_before_the_close_ends_the_call_with_nothing_more_agreed(
    shipped: ContentSet,
) -> None:
    scenario = shipped.scenarios["zh-third-wrong-number"]
    call = _call(shipped, "zh-third-wrong-number", from_node="suspicious")
    call.say("谢谢您的理解。")  # thanks alone is not a goodbye
    assert not call.finished
    call.say("好的,那就不占用您时间了,打扰您了,谢谢您,再见。")
    assert call.finished
    assert call.ending is not None and call.ending[0] == scenario.limits.on_limit
    assert "close_politely" in _agent(call).moves


def test_only_intents_marked_ends_call_end_a_call(shipped: ContentSet) -> None:
    call = _call(shipped, "zh-first-forgetful")
    assert call.closing == frozenset({"close_politely"})


def test_a_promise_said_back_for_confirmation_is_also_the_read_back(shipped: ContentSet) -> None:
    # the node waits for the agent to ask for the promise; the agent names it and asks
    # the customer to confirm: the customer states it and the read-back is made too
    call = _call(shipped, "zh-first-forgetful", from_node="channel_known")
    call.say("那我确认一下:您今天通过华信银行手机App全额还款6,380元,对吗?")
    assert list(_agent(call).moves)[:2] == ["ask_promise", "read_back_promise"]
    # a proposal that does not ask for confirmation only pins the promise
    call = _call(shipped, "zh-first-forgetful", from_node="channel_known")
    call.say("您看今天通过App还6,380元行吗?")
    assert "read_back_promise" not in _agent(call).moves


def test_stages_a_line_passes_through_count_as_done(shipped: ContentSet) -> None:
    """The amount said at the verified node with the reason asked in the same line: the
    progress bar ticks "purpose" (a stage of the move, not of the node it was said in),
    and the ticks survive a save and resume of the call's state."""
    call = _call(shipped, "zh-first-forgetful")
    call.say("您好,我是华信银行信用卡中心客户服务部的小吴,工号5521,请问是周建国先生吗?")
    call.say("为了保护您的信息,麻烦先报一下身份证后四位,核对一下身份。")
    assert "purpose" not in call.stages_done
    call.say("核对上了。您尾号3721的信用卡欠款6380元,已经逾期15天了,是最近太忙忘了吗?")
    assert {"opening", "verification", "purpose"} <= call.stages_done
    assert call._state()["stages_done"] == sorted(call.stages_done)


def test_a_promise_pinned_and_said_back_for_confirmation_is_its_read_back(
    shipped: ContentSet,
) -> None:
    """Amount, date and channel said back with "Correct?" where the promise is pinned: the
    line makes both moves, so the read-back is credited to the line that said it (not to
    whatever the agent says next)."""
    call = _call(shipped, "en-first-minimiranda", from_node="ask_full")
    call.say(
        "Yes, the 15th is fine. So: $1,284.50, on the 15th, through the First Harbor app. Correct?"
    )
    assert _agent(call).moves[:2] == ("ask_promise", "read_back_promise")
    plain = _call(shipped, "en-first-minimiranda", from_node="ask_full")
    plain.say("Great, so you'll pay the $1,284.50 on the 15th.")
    assert "read_back_promise" not in _agent(plain).moves


def test_thanks_followed_by_a_question_is_no_goodbye(shipped: ContentSet) -> None:
    """ "Thank you so much. Is there a time of day he's usually at his desk?" after the
    message is taken: the question is answered and the call goes on; a plain thanks and
    goodbye still ends it."""
    call = _call(shipped, "en-third-coworker", from_node="msg_taken")
    call.say(
        "Thank you so much, Linda, I really appreciate it. Just out of curiosity, is there"
        " a time of day he's usually at his desk, in case I miss him?"
    )
    assert _agent(call).moves == ("ask_contact_time",)
    assert not call.finished
    call.say("Thanks again, Linda. Have a great day.")
    assert call.finished and call.ending is not None and call.ending[0] == "message_left"
