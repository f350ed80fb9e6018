"""The debrief screen says what a missed check lacked and lists the poor guided choices."""

from __future__ import annotations

from trainer.scoring.scorecard import CheckResult, PoorChoice
from trainer.services.debrief_view import DebriefView
from trainer.tui.screens.debrief import checks_block, poor_block


def _view(**changes: object) -> DebriefView:
    base: dict[str, object] = dict(
        session_id="s",
        scenario_id="x",
        title="t",
        trainee="王小明",
        status="finished",
        ending_id="ptp",
        outcome="promise_to_pay",
        good_ending=True,
        score=80,
        pass_mark=70,
        passed=True,
        hard_fail=False,
        checks=(),
        findings=(),
        missed_moves=(),
        duration_seconds=0.0,
        turns=(),
        scored=True,
    )
    base.update(changes)
    return DebriefView(**base)  # type: ignore[arg-type]


def test_a_missed_check_says_what_was_missing() -> None:
    check = CheckResult(
        id="identify_first",
        title="开口第一句就自报家门",
        weight=10,
        met=False,
        turn=None,
        evidence="",
        why="对方知道是谁打来的。",
        note="开头没有说出:部门、工号",
    )
    shown = checks_block("zh-CN", _view(checks=(check,))).plain
    assert "→ 开头没有说出:部门、工号" in shown
    met = CheckResult("c", "告知通话录音", 5, True, 1, "本次通话会录音。", "", note="x")
    assert "→" not in checks_block("zh-CN", _view(checks=(met,))).plain


def test_poor_choices_show_the_line_the_points_and_why() -> None:
    poor = PoorChoice(3, "逾期信息会报送征信,您还是抓紧吧。", "原因还没问就施压。", points=5)
    shown = poor_block("zh-CN", _view(poor_choices=(poor,))).plain
    assert "“逾期信息会报送征信,您还是抓紧吧。”" in shown
    assert "扣 5 分" in shown and "原因还没问就施压。" in shown
    english = poor_block("en", _view(poor_choices=(poor,))).plain
    assert "−5 points" in english
