"""The briefing's account card, shared by the app and ``trainer play``."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from shipped import shipped_content

from trainer.services.briefing import briefing_lines, fact_rows

RunCli = Callable[..., subprocess.CompletedProcess[str]]

SCENARIO = "zh-first-forgetful"


def test_fact_rows_label_in_the_language_asked_and_take_the_call_time() -> None:
    content, _ = shipped_content()
    scenario = content.scenarios[SCENARIO]
    b = scenario.briefing
    zh = dict(fact_rows("zh-CN", scenario))
    assert zh["持卡人"] == f"{b.debtor_name} ({b.honorific})"
    assert zh["欠款金额"] == f"{b.amount_owed:,.2f}"
    assert zh["逾期天数"].startswith(str(b.days_past_due))
    assert zh["通话时间"] == b.call_time
    en = dict(fact_rows("en-US", scenario, call_time="21:30"))
    assert en["Card ending"] == b.card_last4 and en["Call time"] == "21:30"
    lines = briefing_lines("zh-CN", scenario)
    assert lines[0] == "账户信息:" and any(o in lines[-1] for o in scenario.objectives)


def test_play_shows_the_briefing_before_the_first_line(run_cli: RunCli) -> None:
    content, _ = shipped_content()
    scenario = content.scenarios[SCENARIO]
    b = scenario.briefing
    result = run_cli("play", SCENARIO, "--no-save", "--rules", "none", "--time", "21:30")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    first_line = out.index("[opening]")
    for fact in (
        b.debtor_name,
        f"{b.amount_owed:,.2f}",
        f"{b.minimum_payment:,.2f}",
        f"{b.days_past_due} ({b.bucket})",
        b.card_last4,
        b.channel,
        "通话时间:21:30",
        "此前承诺:",
        scenario.objectives[0],
    ):
        assert 0 <= out.index(fact) < first_line, fact
