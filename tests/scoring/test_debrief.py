"""Scoring finished calls: yes/no checks with the turn that proves them, hard fails,
penalties, the ending, missed moves and duration."""

from __future__ import annotations

from dataclasses import replace

import pytest
from scorecard_helpers import find, play, shipped

from trainer.engine.session import Session
from trainer.grading import load_rulebook
from trainer.records import SessionRecord, TurnRecord
from trainer.records.sqlite import Store
from trainer.scoring.render import render_text
from trainer.scoring.scorecard import Debrief, build_debrief, duration, score_session


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


def debrief_of(store: Store, scenario_id: str, name: str, **options: object) -> Debrief:
    sid = play(store, scenario_id, find(scenario_id, name))
    return build_debrief(store.load(sid), shipped().scenarios[scenario_id], shipped(), **options)  # type: ignore[arg-type]


def check(debrief: Debrief, check_id: str):  # type: ignore[no-untyped-def]
    return next(c for c in debrief.checks if c.id == check_id)


def test_best_path_passes_with_evidence(store: Store) -> None:
    d = debrief_of(store, "zh-first-forgetful", "规范的首次联系")
    assert (d.score, d.passed, d.hard_fail, d.pass_mark) == (100, True, False, 75)
    assert d.scorecard_id == "zh-first-contact" and d.exact
    first = check(d, "identify_first")
    assert first.met and first.turn == 1 and "华信银行" in first.evidence
    verify = check(d, "verify_before_debt")
    assert verify.turn == 7 and "身份证" in verify.evidence
    assert check(d, "amount_matches_briefing").evidence.count("6380") == 1
    assert d.findings == () and d.missed_moves == ()


def test_critical_finding_fails_despite_a_promise_to_pay(store: Store) -> None:
    d = debrief_of(store, "en-first-minimiranda", "amount before verification is flagged")
    assert d.outcome == "promise_to_pay" and d.good_ending
    assert d.hard_fail and not d.passed
    assert d.score >= d.pass_mark  # the score alone would pass: the breach fails the call
    breach = check(d, "no_critical_breach")
    assert not breach.met and breach.turn == d.findings[0].turn
    first = d.findings[0].finding
    assert first.severity == "critical" and first.suggestion


def test_major_findings_take_points_off(store: Store) -> None:
    d = debrief_of(store, "zh-first-forgetful-hard", "明天上黑名单")
    majors = [f for f in d.findings if f.finding.severity == "major"]
    assert majors and not d.hard_fail
    assert d.penalty == 10 * len(majors)
    met = sum(c.weight for c in d.checks if c.met)
    total = sum(c.weight for c in d.checks)
    assert d.score == max(0, round(100 * met / total - d.penalty))


def test_the_ending_counts(store: Store) -> None:
    good = debrief_of(store, "zh-first-forgetful", "规范的首次联系")
    bad = debrief_of(store, "zh-first-forgetful-hard", "不报家门")
    assert check(good, "good_outcome").met
    assert not check(bad, "good_outcome").met and bad.outcome == "hung_up"
    assert not bad.passed and not bad.hard_fail


def test_third_party_checks(store: Store) -> None:
    good = debrief_of(store, "zh-third-spouse", "只留姓氏和号码")
    assert check(good, "no_disclosure").met and check(good, "callback_requested").met
    assert good.passed
    bad = debrief_of(store, "zh-third-spouse", "自由输入中向妻子说出欠款")
    breach = check(bad, "no_disclosure")
    assert not breach.met and breach.turn is not None
    assert any(
        f.turn == breach.turn and f.finding.category == "third_party_disclosure"
        for f in bad.findings
    )


def test_only_if_checks_apply_only_when_their_condition_holds(store: Store) -> None:
    hardship = debrief_of(store, "zh-first-hardship", "个性化分期")
    forgetful = debrief_of(store, "zh-first-forgetful", "规范的首次联系")
    assert check(hardship, "option_in_hardship").met
    assert "option_in_hardship" not in {c.id for c in forgetful.checks}
    assert "dispute_logged" not in {c.id for c in forgetful.checks}


def test_missed_moves_compare_with_the_best_path(store: Store) -> None:
    d = debrief_of(store, "zh-first-forgetful-medium", "可接受的话术")
    # named in the trainee's language (the intent's description), never by its id
    assert any(m.startswith("告知本次通话会被录音") for m in d.missed_moves)
    assert not any(m.startswith("state_recording") for m in d.missed_moves)
    assert not check(d, "recording_announced").met


def test_a_move_made_in_words_the_recogniser_missed_is_not_missed(store: Store) -> None:
    # the recording notice said in passing, within a line whose first move is another one
    steps = [str(step.say) for step in find("zh-first-forgetful", "规范的首次联系").steps]
    steps[3] = "好的,那先核对一下身份,您身份证号码最后四位是?另外提醒您,本次通话全程录音。"
    del steps[4]
    d = _free_call(store, steps)
    assert check(d, "recording_announced").met
    assert not any(m.startswith("告知本次通话会被录音") for m in d.missed_moves)


def _free_call(store: Store, lines: list[str]) -> Debrief:
    content = shipped()
    scenario = content.scenarios["zh-first-forgetful"]
    session = Session.new(scenario, content, seed=7, grader=load_rulebook("zh-CN"), store=store)
    session.start()
    for line in lines:
        if not session.finished:
            session.say(line)
    assert session.id is not None
    return build_debrief(store.load(session.id), scenario, content)


def _with_purpose(line: str) -> list[str]:
    """The model free-text call of zh-first-forgetful with its amount line replaced."""
    steps = [step.say for step in find("zh-first-forgetful", "规范的首次联系").steps]
    assert steps[5] is not None and "6380" in steps[5]
    return [line if i == 5 else str(say) for i, say in enumerate(steps)]


@pytest.mark.parametrize("amount", ["六千三百八十元", "6,380.00元", "六千三百八"])
def test_amount_in_chinese_or_arabic_numerals(store: Store, amount: str) -> None:
    line = f"是这样的,您尾号3721的信用卡有{amount}到期没还,逾期15天了。"
    d = _free_call(store, _with_purpose(line))
    amount_check = check(d, "amount_matches_briefing")
    assert amount_check.met and amount in amount_check.evidence


def test_a_wrong_amount_is_named(store: Store) -> None:
    d = _free_call(store, _with_purpose("是这样的,您尾号3721的信用卡有6830元到期没还,逾期15天了。"))
    amount_check = check(d, "amount_matches_briefing")
    assert not amount_check.met and "6830" in amount_check.detail


def test_duration_from_turn_timestamps() -> None:
    turns = tuple(
        TurnRecord(i, "agent" if i % 2 else "customer", "x", at=at)
        for i, at in enumerate(
            ["2025-03-01T10:00:00+00:00", "2025-03-01T10:00:30+00:00", "2025-03-01T10:02:05+00:00"]
        )
    )
    record = SessionRecord("s", "", "x", "", "zh-CN", 0, "free", "2025-03-01T10:00:00", turns=turns)
    assert duration(record) == 125.0
    assert duration(replace(record, turns=turns[:1])) == 0.0


def test_pass_mark_from_scenario_then_scorecard(store: Store) -> None:
    content = shipped()
    sid = play(store, "zh-first-forgetful", find("zh-first-forgetful", "规范的首次联系"))
    scenario = content.scenarios["zh-first-forgetful"]
    data = scenario.model_dump(exclude_unset=True)
    data.pop("pass_mark")
    unset = type(scenario).model_validate(data)
    assert build_debrief(store.load(sid), scenario, content).pass_mark == 75
    assert build_debrief(store.load(sid), unset, content).pass_mark == 70  # the card's


def test_scenario_may_name_its_scorecard(store: Store) -> None:
    content = shipped()
    sid = play(store, "zh-first-forgetful", find("zh-first-forgetful", "规范的首次联系"))
    scenario = content.scenarios["zh-first-forgetful"]
    special = scenario.model_copy(update={"scorecard": "zh-special"})
    assert build_debrief(store.load(sid), special, content).scorecard_id == "zh-special"
    missing = scenario.model_copy(update={"scorecard": "no-such-card"})
    with pytest.raises(LookupError):
        build_debrief(store.load(sid), missing, content)


def test_changed_scenario_falls_back_to_rebuilt_contexts(store: Store) -> None:
    content = shipped()
    sid = play(store, "zh-first-forgetful", find("zh-first-forgetful", "规范的首次联系"))
    record = store.load(sid)
    scenario = content.scenarios["zh-first-forgetful"]
    exact = build_debrief(record, scenario, content)
    # a stored turn whose text the engine would now read differently: replay cannot follow
    turns = list(record.turns)
    turns[3] = replace(turns[3], intent="verify_identity")
    rebuilt = build_debrief(replace(record, turns=tuple(turns)), scenario, content)
    assert exact.exact and not rebuilt.exact
    assert rebuilt.score > 0 and len(rebuilt.checks) == len(exact.checks)


def test_score_session_is_build_debrief(store: Store) -> None:
    content = shipped()
    sid = play(store, "en-third-coworker", find("en-third-coworker", "Name and call-back"))
    record, scenario = store.load(sid), content.scenarios["en-third-coworker"]
    assert score_session(record, scenario, content) == build_debrief(record, scenario, content)


def test_to_json_round_trips_through_json(store: Store) -> None:
    import json

    d = debrief_of(store, "zh-first-forgetful", "确认本人之前就说出逾期和金额")
    data = json.loads(json.dumps(d.to_json(), ensure_ascii=False))
    assert data["passed"] is False and data["hard_fail"] is True
    assert {"id", "title", "weight", "met", "turn", "evidence", "why"} <= set(data["checks"][0])
    assert {
        "turn",
        "text",
        "rule",
        "category",
        "severity",
        "match",
        "message",
        "suggestion",
    } <= set(data["findings"][0])


def test_a_poor_guided_choice_costs_points_even_when_every_check_is_met(store: Store) -> None:
    d = debrief_of(store, "zh-first-evader", "一听")
    (poor,) = d.poor_choices
    assert poor.text == "不好意思打错了,打扰您了。" and poor.points == 5 and poor.why
    met = sum(c.weight for c in d.checks if c.met)
    total = sum(c.weight for c in d.checks)
    assert d.penalty == 5 and d.score == round(100 * met / total) - 5
    assert "较差的选择" in render_text(d) and "扣5分" in render_text(d)
    assert d.to_json()["poor_choices"][0]["turn"] == poor.turn


def test_a_poor_choice_that_broke_a_rule_is_not_counted_twice(store: Store) -> None:
    d = debrief_of(store, "zh-first-forgetful", "司法调查组")
    assert d.findings and d.poor_choices == ()


def test_a_missed_check_says_what_was_missing_in_the_trainees_language(store: Store) -> None:
    d = debrief_of(store, "zh-first-forgetful", "可接受的话术也能走通")
    opening = check(d, "identify_first")
    assert not opening.met and opening.turn == 1 and opening.note == "开头没有说出:部门"
    assert "→ 开头没有说出:部门" in render_text(d)
    assert all(c.note == "" for c in d.checks if c.met)
