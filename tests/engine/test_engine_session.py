"""Unit tests of the call engine: machine, recognition hook, grading, replies, exits, limits."""

from __future__ import annotations

import itertools
import random

import pytest
from engine_helpers import EN, ZH, FakeGrader

from trainer.engine import replies
from trainer.engine.events import EndingEvent, FindingEvent, MeterEvent, RecognitionEvent, TurnEvent
from trainer.engine.session import BEGIN, EngineError, Session, check_scenario, scenario_hash
from trainer.scenarios.loader import ContentSet
from trainer.scenarios.model import Line, Scenario

GOOD_ZH = [
    "您好,我是示例银行信用卡中心的小王,工号1024",
    "请问您是李明先生本人吗?",
    "您的信用卡已经逾期12天了,欠款3256.40元",
    "理解,工作忙难免会忘记",
    "您可以通过手机银行App还款",
    "请问具体哪天能还上?",
    "跟您确认一下,明天下午通过App还款3256.40元",
    "感谢您的配合,再见",
]


def _zh(content: ContentSet, **kw: object) -> Session:
    session = Session.new(content.scenarios[ZH], content, **kw)  # type: ignore[arg-type]
    session.start()
    return session


def _patch(scenario: Scenario, **changes: object) -> Scenario:
    data = scenario.model_dump(mode="json", warnings=False)
    for path, value in changes.items():
        target = data
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return Scenario.model_validate(data)


def test_machine_has_one_state_per_node_and_ending(content: ContentSet) -> None:
    session = Session.new(content.scenarios[ZH], content)
    scenario = content.scenarios[ZH]
    assert session.node == BEGIN
    assert set(session.machine.states) == {BEGIN, *scenario.nodes, *scenario.endings}
    assert (
        not session.machine.auto_transitions
        if hasattr(session.machine, "auto_transitions")
        else True
    )
    assert "to_opening" not in session.machine.events  # auto_transitions=False


def test_free_call_reaches_the_good_ending(content: ContentSet) -> None:
    session = _zh(content, seed=7)
    assert session.node == "opening"
    assert session.stage == "opening"
    events = []
    for line in GOOD_ZH:
        events = session.say(line)
    assert session.finished
    assert session.ending is not None and session.ending[0] == "ptp_secured"
    assert isinstance(events[-1], EndingEvent) and events[-1].good
    assert {
        "identifies_self",
        "verifies_identity",
        "secures_promise",
        "reads_back",
    } <= session.facts
    agents = [t for t in session.turns if t.speaker == "agent"]
    assert [t.intent for t in agents] == [
        "greet_identify",
        "confirm_identity",
        "state_purpose",
        "show_empathy",
        "give_channel",
        "ask_promise",
        "read_back_promise",
        "close_politely",
    ]
    assert session.stage == "close"
    with pytest.raises(EngineError):
        session.say("还有别的事吗")


def test_event_order_of_a_turn(content: ContentSet) -> None:
    session = _zh(content)
    events = session.say(GOOD_ZH[0])
    kinds = [type(e) for e in events]
    assert kinds == [TurnEvent, RecognitionEvent, MeterEvent, TurnEvent]
    assert events[0] == TurnEvent("agent", GOOD_ZH[0], "opening")
    assert events[2] == MeterEvent("trust", 50, 55)
    assert events[3].speaker == "customer" and events[3].node == "verify"  # type: ignore[union-attr]


def test_guided_call_and_options_order_is_seeded(content: ContentSet) -> None:
    session = _zh(content, seed=3, mode="guided")
    first = [o.text for o in session.options()]
    assert first == [o.text for o in _zh(content, seed=3, mode="guided").options()]
    orders = {
        tuple(o.intent for o in _zh(content, seed=s, mode="guided").options()) for s in range(12)
    }
    assert len(orders) == 2  # both orders of the two options occur across seeds
    assert "{" not in "".join(first)  # placeholders filled
    while not session.finished:
        options = session.options()
        best = next(i for i, o in enumerate(options) if o.quality == "best")
        session.choose(best)
    assert session.ending is not None and session.ending[0] == "ptp_secured"


def test_bad_choice_and_unstarted_calls_are_errors(content: ContentSet) -> None:
    session = Session.new(content.scenarios[ZH], content)
    with pytest.raises(EngineError, match="start"):
        session.say("hi")
    session.start()
    with pytest.raises(EngineError, match="between 1 and 2"):
        session.choose(5)
    with pytest.raises(EngineError, match="empty"):
        session.say("   ")
    with pytest.raises(EngineError, match="already started"):
        session.start()


def test_unrecognised_line_uses_fallback_once_lines_and_effects(content: ContentSet) -> None:
    session = _zh(content, seed=1)
    events = session.say("今天天气怎么样")
    recognition = next(e for e in events if isinstance(e, RecognitionEvent))
    assert recognition.intent is None
    assert session.node == "opening"
    assert session.meters["patience"] == 57  # a first miss costs at most 3 (MISS_COST)
    first = session.turns[-1].text
    texts = [first]
    for _ in range(4):
        session.say("今天天气怎么样")
        texts.append(session.turns[-1].text)
    assert texts.count("你到底是谁啊?") <= 1  # once-only line used at most once
    assert all(a != b for a, b in itertools.pairwise(texts))  # never twice in a row
    assert session.meters["patience"] == 17  # misses in a row cost the node's full fallback
    agent = [t for t in session.turns if t.speaker == "agent"][-1]
    assert (agent.intent is None and agent.heard is None) or isinstance(agent.heard, str)


def test_generic_confusion_line_without_fallback(content: ContentSet) -> None:
    session = _zh(content)
    session.say(GOOD_ZH[0])
    session.say("今天天气怎么样")
    assert session.node == "verify"
    assert session.turns[-1].text in {"不好意思,您的意思是?", "啊?您说什么?我没听明白。"}


def test_conditions_on_reply_lines(content: ContentSet) -> None:
    high = _zh(content)
    high.say(GOOD_ZH[0])  # trust 55 → the friendly line
    assert high.turns[-1].text == "哦,示例银行信用卡中心啊。有什么事吗?"
    low = _zh(content, meters={"trust": 30})
    low.say(GOOD_ZH[0])  # trust 35 → the suspicious line
    assert low.turns[-1].text == "银行?你们怎么有我电话?"


def test_pick_weights_and_once() -> None:
    lines = [Line(text="a", weight=9), Line(text="b", weight=1), Line(text="c", once=True)]
    rng = random.Random(5)
    used: set[str] = set()
    picks = [replies.pick(lines, "n", {}, set(), used, rng) for _ in range(2000)]
    counts = {t: sum(1 for p in picks if p is not None and p.text == t) for t in "abc"}
    assert counts["c"] == 1
    assert 7.0 < counts["a"] / counts["b"] < 12.0
    cond = [Line.model_validate({"text": "x", "when": "anger >= 50"})]
    assert replies.pick(cond, "k", {"anger": 10}, set(), set(), rng) is None
    assert replies.pick(cond, "k", {"anger": 60}, set(), set(), rng) is not None


def test_placeholders_filled_missing_left_visible() -> None:
    assert (
        replies.render("欠款{amount_owed}元,{{不变}}", {"amount_owed": "3,256.40"})
        == "欠款3,256.40元,{不变}"
    )
    assert replies.render("hello {nobody}", {}) == "hello {nobody}"
    assert replies.render("broken { brace", {}) == "broken { brace"


def test_deterministic_under_seed(content: ContentSet) -> None:
    def run(seed: int) -> list[str]:
        session = _zh(content, seed=seed)
        for line in GOOD_ZH[:3]:
            session.say(line)
        return [t.text for t in session.turns]

    assert run(11) == run(11)
    openings = {run(s)[0] for s in range(20)}
    assert openings == {"喂,你好,哪位?", "喂?"}


def test_grading_context_and_breach_consequences(content: ContentSet, grader: FakeGrader) -> None:
    session = _zh(content, grader=grader, call_time="21:30")
    session.say(GOOD_ZH[0])
    ctx = grader.contexts[-1]
    assert (ctx.party, ctx.verified, ctx.turn, ctx.speaker) == ("debtor", False, 1, "agent")
    assert ctx.time is not None and (ctx.time.hour, ctx.time.minute) == (21, 30)  # type: ignore[union-attr]
    session.say(GOOD_ZH[1])
    assert grader.contexts[-1].history == (GOOD_ZH[0],)
    session.say(GOOD_ZH[2])
    assert grader.contexts[-1].verified is True and grader.contexts[-1].turn == 3
    events = session.say("你这种人就是垃圾")
    found = [e.finding for e in events if isinstance(e, FindingEvent)]
    assert [f.category for f in found] == ["abuse"]
    assert {"breach_abuse", "breach_major"} <= session.facts
    assert session.meters["anger"] == 45  # 20 + major 25
    agent = [t for t in session.turns if t.speaker == "agent"][-1]
    assert agent.findings == tuple(found)


def test_a_minor_slip_is_no_category_breach(content: ContentSet, grader: FakeGrader) -> None:
    """A minor finding (a curt word) annoys the customer and sets ``breach_minor``, but
    not ``breach_abuse``: an ``exits:`` rule written for real abuse must not end the call."""
    session = _zh(content, grader=grader)
    session.say(GOOD_ZH[0])
    anger = session.meters["anger"]
    session.say("别装了")
    assert "breach_minor" in session.facts
    assert "breach_abuse" not in session.facts
    assert session.meters["anger"] > anger


def test_unverified_disclosure_is_graded_in_context(
    content: ContentSet, grader: FakeGrader
) -> None:
    session = _zh(content, grader=grader)
    session.say(GOOD_ZH[0])
    events = session.say("你的信用卡逾期了,欠款3256.40元")
    assert session.node == "disclosed_early"
    assert session.party == "unknown"
    assert any(
        isinstance(e, FindingEvent) and e.finding.category == "third_party_disclosure"
        for e in events
    )
    assert grader.contexts[-1].party == "debtor"  # graded before the node changed the party
    session.say("请问您是李明先生本人吗?")
    assert session.party == "debtor"


def test_exit_on_breach_fact_ends_the_call(content: ContentSet, grader: FakeGrader) -> None:
    session = _zh(content, grader=grader)
    events = session.say("我是公安局的,你欠钱了")
    assert session.finished and session.ending is not None
    assert session.ending[0] == "hung_up"
    assert events[-1] == EndingEvent("hung_up", "hung_up", False)
    assert session.turns[-1].text == "骗子吧你!(挂断)"


def test_exit_on_anger(content: ContentSet, grader: FakeGrader) -> None:
    session = _zh(content, grader=grader, meters={"anger": 60})
    session.say("你就是个垃圾")  # major: +25 → 85, no exit yet
    assert not session.finished
    session.say("垃圾")  # +25 → 100 (clamped) → complaint
    assert session.ending is not None and session.ending[0] == "complaint"
    assert session.meters["anger"] == 100


def test_turn_limit(content: ContentSet) -> None:
    session = _zh(content)
    for _ in range(12):
        if session.finished:
            break
        session.say("嗯")
    assert session.ending is not None and session.ending[0] == "timeout"
    assert session.agent_turns == 12


def test_from_node_and_meter_overrides(content: ContentSet) -> None:
    session = _zh(content, from_node="negotiate", meters={"anger": 70})
    assert session.node == "negotiate" and session.meters["anger"] == 70
    with pytest.raises(EngineError, match="does not exist"):
        Session.new(content.scenarios[ZH], content, from_node="nowhere")
    with pytest.raises(EngineError, match="unknown meter"):
        Session.new(content.scenarios[ZH], content, meters={"joy": 3})


def test_hint_prefers_best_option(content: ContentSet) -> None:
    session = _zh(content)
    hint = session.hint()
    assert hint is not None and hint.intent == "greet_identify" and "工号1024" in hint.text
    assert hint.why


def test_to_json_shape(content: ContentSet, grader: FakeGrader) -> None:
    session = _zh(content, grader=grader)
    session.say("我是公安局的")
    data = session.to_json()
    assert set(data) == {"scenario", "seed", "mode", "turns", "meters", "ending"}
    assert data["ending"] == {"id": "hung_up", "outcome": "hung_up"}
    assert set(data["turns"][1]) == {"speaker", "text", "node", "intent", "findings"}
    assert data["turns"][1]["findings"][0]["rule"] == "ZH-IMP-001"


def test_english_scenario(content: ContentSet) -> None:
    session = Session.new(content.scenarios[EN], content, seed=2)
    session.start()
    for line in [
        "Hi, this is Sam Lee from Example Bank card services",
        "Am I speaking with Alex Morgan?",
        "Your card is 20 days past due with a balance of $1,240.50",
        "You can pay in the Example Bank app",
        "When exactly will you be able to pay?",
        "Thank you for your time, have a great day",
    ]:
        session.say(line)
    assert session.ending is not None and session.ending[0] == "paid_friday"


def test_check_scenario_reports_dangling_references(content: ContentSet) -> None:
    scenario = content.scenarios[ZH]
    broken = _patch(scenario, limits__on_limit="nowhere")
    assert any("on_limit" in p for p in check_scenario(broken))
    with pytest.raises(EngineError, match="nowhere"):
        Session.new(broken, content)


def test_scenario_hash_is_stable_and_sensitive(content: ContentSet) -> None:
    scenario = content.scenarios[ZH]
    assert scenario_hash(scenario) == scenario_hash(scenario)
    assert scenario_hash(scenario) != scenario_hash(_patch(scenario, title="x"))
    assert len(scenario_hash(scenario)) == 64


def test_default_meters_work(content: ContentSet) -> None:
    data = content.scenarios[EN].model_dump(mode="json", warnings=False)
    data.pop("meters")
    scenario = Scenario.model_validate(data)
    session = Session.new(scenario, content)
    session.start()
    assert session.meters == {"trust": 50, "patience": 60, "anger": 20}
