"""Checks that say precisely what they require: the opening's elements, the read-back's
amount + date + channel, a real courteous close, and checks judged on what was said in a
call that reached no ending (issue #15, "Scores that can be trusted")."""

from __future__ import annotations

from collections.abc import Sequence

from scorecard_helpers import shipped

from trainer.grading.findings import Finding
from trainer.scoring.detectors import CallView, TurnView, Verdict, compile_detect
from trainer.scoring.scorecard import scorecard_for


def call_of(
    scenario_id: str,
    agent: Sequence[str | tuple[str, Sequence[str], Sequence[str]]],
    *,
    ending: str | None = None,
    findings: dict[int, tuple[Finding, ...]] | None = None,
    verified_from: int = 2,
) -> CallView:
    """A call of alternating customer / agent lines. Each agent line is its text, or
    ``(text, moves, facts it establishes)``; the debtor is verified from the agent's line
    ``verified_from`` on."""
    scenario = shipped().scenarios[scenario_id]
    turns: list[TurnView] = []
    facts: frozenset[str] = frozenset()
    for n, item in enumerate(agent, start=1):
        text, moves, new = (item, (), ()) if isinstance(item, str) else item
        facts = facts | frozenset(new)
        turns.append(
            TurnView(
                len(turns), "customer", "喂?", "n", None, (), "debtor", n > verified_from, facts
            )
        )
        turns.append(
            TurnView(
                len(turns),
                "agent",
                text,
                "n",
                moves[0] if moves else None,
                (findings or {}).get(n, ()),
                "debtor",
                n >= verified_from,
                facts,
                ordinal=n,
                moves=tuple(moves),
            )
        )
    outcome = scenario.endings[ending].outcome if ending else None
    good = scenario.endings[ending].good if ending else False
    return CallView(scenario, tuple(turns), ending, outcome, good)


def verdict(call: CallView, check_id: str) -> Verdict | None:
    """The verdict of one check of the scenario's own scorecard (None: not applicable)."""
    card = scorecard_for(call.scenario, shipped())
    check = next(c for c in card.checks if c.id == check_id)
    if check.only_if is not None:
        only, problems = compile_detect(check.only_if)
        assert only is not None and not problems
        if not only(call).met:
            return None
    detect, problems = compile_detect(check.detect)
    assert detect is not None and not problems
    return detect(call)


def ending_with(scenario_id: str, outcome: str) -> str:
    scenario = shipped().scenarios[scenario_id]
    return next(e for e, end in scenario.endings.items() if end.outcome == outcome)


# ---------------------------------------------------------------- the opening


def test_opening_without_department_does_not_pass_the_standard_opening() -> None:
    got = verdict(
        call_of("zh-first-forgetful", ["您好,我是华信银行信用卡中心的王丽。"]), "identify_first"
    )
    assert got is not None and not got.met
    assert "部门" in got.detail and "姓名" not in got.detail
    assert got.note == "开头没有说出:部门"  # told to the trainee in their language


def test_opening_with_institution_only_names_every_missing_element() -> None:
    got = verdict(call_of("zh-first-evader", ["喂,钱伟吗?华信银行的。"]), "identify_first")
    assert got is not None and not got.met
    assert "部门" in got.detail and "姓名或工号" in got.detail


def test_full_opening_cites_its_turn() -> None:
    for line in (
        "您好,我是华信银行信用卡中心客户服务部的王丽,工号1024。",
        "喂,您好,华信银行信用卡中心账户管理部,我姓刘,工号3306。",
        "您好,华信银行账户管理部,我姓刘。",
    ):
        got = verdict(call_of("zh-first-forgetful", [line]), "identify_first")
        assert got is not None and got.met and got.turn is not None, line
        assert got.turn.index == 1 and "部门" in got.detail


def test_opening_said_after_a_debt_detail_is_missed() -> None:
    call = call_of(
        "zh-first-forgetful",
        [("周建国吗?你欠了6380元。", ["state_purpose"], ["discloses_debt"])],
    )
    got = verdict(call, "identify_first")
    assert got is not None and not got.met


def test_english_opening_needs_a_name_and_the_company() -> None:
    met = verdict(
        call_of("en-first-minimiranda", ["Hi, this is Jordan from Lakeshore Recovery Services."]),
        "identify_first",
    )
    assert met is not None and met.met
    nameless = verdict(
        call_of("en-first-minimiranda", ["Hi, I'm calling from Lakeshore. Is Daniel there?"]),
        "identify_first",
    )
    assert nameless is not None and not nameless.met and "name" in nameless.detail


def test_special_accounts_need_no_department() -> None:
    got = verdict(
        call_of("zh-special-deceased", ["您好,打扰您了,我是华信银行的周敏,请问黄立新先生在吗?"]),
        "identify_early",
    )
    assert got is not None and got.met


# ---------------------------------------------------------------- the read-back

PROMISED = ("好的,那您哪天还?", ["ask_promise"], ["secures_promise"])


def test_a_goodbye_recognised_as_read_back_proves_nothing() -> None:
    call = call_of(
        "zh-first-staller",
        ["您好", "核实", PROMISED, ("好,那就这样,挂了。", ["read_back_promise"], ["reads_back"])],
        ending=ending_with("zh-first-staller", "promise_to_pay"),
    )
    got = verdict(call, "promise_read_back")
    assert got is not None and not got.met and got.turn is not None
    assert got.turn.text == "好,那就这样,挂了。"
    assert all(part in got.detail for part in ("amount", "date", "channel"))
    assert got.note == "复述承诺时没有说出:金额、日期、还款渠道"


def test_read_back_with_amount_date_and_channel_is_met() -> None:
    line = "我跟您核对下:今晚十点以前,App上还6380元,没错吧?"
    call = call_of(
        "zh-first-forgetful",
        ["您好", "核实", PROMISED, (line, ["read_back_promise"], ["reads_back"])],
        ending=ending_with("zh-first-forgetful", "promise_to_pay"),
    )
    got = verdict(call, "promise_read_back")
    assert got is not None and got.met and got.turn is not None and got.turn.text == line


def test_read_back_recognised_by_its_words_and_question() -> None:
    line = "好的,跟您确认一下:您本周五通过华信银行手机App还款945元,对吗?"
    call = call_of(
        "zh-first-staller",
        ["您好", "核实", PROMISED, line],
        ending=ending_with("zh-first-staller", "promise_to_pay"),
    )
    got = verdict(call, "promise_read_back")
    assert got is not None and got.met


def test_no_promise_is_a_missed_read_back_except_after_paying_on_the_spot() -> None:
    hung_up = call_of(
        "zh-first-forgetful", ["您好", "核实"], ending=ending_with("zh-first-forgetful", "hung_up")
    )
    got = verdict(hung_up, "promise_read_back")
    assert got is not None and not got.met and "no promise" in got.detail
    paid = call_of(
        "zh-first-forgetful", ["您好", "核实"], ending=ending_with("zh-first-forgetful", "paid")
    )
    assert verdict(paid, "promise_read_back") is None


# ---------------------------------------------------------------- the close


def test_a_bare_goodbye_is_not_a_courteous_close() -> None:
    got = verdict(call_of("zh-first-staller", ["您好", "核实", "嗯,再见。"]), "courteous_close")
    assert got is not None and not got.met and "without thanks" in got.detail
    english = verdict(call_of("en-third-coworker", ["Hi", "OK. Bye."]), "courteous_close")
    assert english is not None and not english.met


def test_a_mid_call_thanks_is_no_close() -> None:
    call = call_of(
        "zh-first-forgetful",
        ["您好", "谢谢。您尾号3721的信用卡有6380元已经逾期15天了。"],
        ending=ending_with("zh-first-forgetful", "hung_up"),
    )
    got = verdict(call, "courteous_close")
    assert got is not None and not got.met


def test_thanks_with_the_goodbye_is_a_courteous_close() -> None:
    for line in ("谢谢您的配合,祝您工作顺利,再见!", "好的,那就不占用您时间了,再见。"):
        got = verdict(call_of("zh-first-forgetful", ["您好", "核实", line]), "courteous_close")
        assert got is not None and got.met, line
    english = verdict(
        call_of("en-first-minimiranda", ["Hi", "Thanks for your time, have a good day."]),
        "courteous_close",
    )
    assert english is not None and english.met


def test_a_finding_that_only_needs_review_does_not_spoil_the_close() -> None:
    review = Finding(
        rule="EN-ABU-090",
        category="abuse",
        severity="review",
        start=7,
        end=29,
        match="what else did you need",
        message="needs review",
        suggestion="",
    )
    call = call_of(
        "en-first-minimiranda",
        ["Hi", "Sorry, what else did you need?", "Thanks for your time, have a good day."],
        findings={2: (review,)},
    )
    got = verdict(call, "courteous_close")
    assert got is not None and got.met


# ---------------------------------------------------------------- unfinished calls


def test_an_unfinished_call_is_judged_on_what_was_said() -> None:
    call = call_of("zh-first-forgetful", ["您好", "核实"])  # no ending: the call was cut off
    recording = verdict(call, "recording_announced")
    assert recording is not None and not recording.met
    assert verdict(call, "amount_matches_briefing") is not None
    good = verdict(call, "good_outcome")
    assert good is not None and not good.met


# ---------------------------------------------------------------- words the engine may miss


def test_a_reason_asked_in_plain_words_counts() -> None:
    line = "请问上次说核对完就还,后来没有还,主要是因为对金额有疑问吗,还是有别的困难?"
    got = verdict(call_of("zh-repeat-amount-dispute", ["您好", "核实", line]), "reason_asked")
    assert got is not None and got.met and got.turn is not None and got.turn.text == line


def test_hardship_options_are_not_required_when_the_money_talk_is_deferred() -> None:
    scenario = "zh-special-hospital"
    callback = ending_with(scenario, "callback_arranged")
    call = call_of(
        scenario, ["您好", "核实", "您好好养伤,我们下周四再联系您,再见。"], ending=callback
    )
    # the customer's own line says where they are
    turns = list(call.turns)
    turns[0] = TurnView(
        0, "customer", "我在医院呢,刚做完手术。", "n", None, (), "debtor", False, frozenset()
    )
    deferred = CallView(call.scenario, tuple(turns), call.ending_id, call.outcome, call.good_ending)
    assert verdict(deferred, "option_in_hardship") is None
    hung_up = CallView(
        call.scenario, tuple(turns), None, None, False
    )  # cut off: judged on what was said
    got = verdict(hung_up, "option_in_hardship")
    assert got is not None and not got.met


def test_declining_details_is_judged_only_when_the_question_was_put_to_the_agent() -> None:
    scenario = "zh-third-spouse"
    call = call_of(scenario, ["你好,请问陈志强在吗?", "是这样的,有点事想找他本人沟通。"])
    asked = list(call.turns)
    asked[2] = TurnView(
        2, "customer", "你找他什么事?", "n", None, (), "third_party", False, frozenset()
    )
    answered = CallView(call.scenario, tuple(asked), None, None, False)
    got = verdict(answered, "decline_details")
    assert got is not None and got.met
    # the question came only as the call ended: nothing to decline
    ended = CallView(call.scenario, tuple(asked[:3]), None, None, False)
    assert verdict(ended, "decline_details") is None
