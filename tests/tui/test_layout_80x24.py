"""Layout at 80×24 on the shipped content: Chinese lines break where a reader expects.

These tests read the terminal rows the trainee sees (or, for a scrolled page, every
folded widget at the width it is drawn) and check the line-breaking rules of
`trainer.tui.textfmt`: a number and its unit are never cut, no line starts with closing
punctuation, a label ("第 1 轮:", "客户:", "→ 建议说法:") never sits alone on its line,
and the spaces YAML folding leaves in Chinese text are gone.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from textual.widgets import OptionList
from tui_support import enter_home, screen_lines, shipped_app, start_call

from trainer.tui.screens.call import CallScreen
from trainer.tui.screens.debrief import DebriefScreen
from trainer.tui.widgets.folded import Folded, FoldedStatic, fold

SMALL = (80, 24)
CLOSING = tuple(",。!?;:)、》」”")
#: A label that must never end up alone on a line (the text it introduces moved down).
LONE_LABEL = re.compile(r"^(第\s*\d+\s*轮:?|→|→\s*\S+[::]|客户[::]|我[::]|\d+、)$")


def run(coro_fn):  # type: ignore[no-untyped-def]
    return asyncio.run(coro_fn())


def check_lines(lines: list[str], where: str) -> None:
    """The line-breaking rules, on lines already stripped of borders and bars."""
    for before, line in zip(["", *lines], lines, strict=False):
        assert not line.startswith(CLOSING), (where, before, line)
        assert not LONE_LABEL.match(line), (where, line)
        assert not (before[-1:].isdigit() and line[:1].isdigit()), (where, before, line)
        assert not (before[-1:].isdigit() and line[:1] and line[0] in "元块月日号天"), (
            where,
            before,
            line,
        )
        assert "元, " not in line and ", 已" not in line, (where, line)


def folded_rows(widget: FoldedStatic) -> list[str]:
    """The lines a folded widget shows at its current width."""
    visual = widget.visual
    width = widget.content_size.width
    assert width > 0, widget
    return [row.strip() for row in fold(visual, width).plain.split("\n")]  # type: ignore[arg-type]


def bare(row: str) -> str:
    """A screen row without box borders, transcript bars and padding."""
    return row.strip(" │▊▎█▌▐╭╮╰╯─▔▁").strip()


async def _guided_call(pilot: Any, scenario_id: str) -> CallScreen:
    await start_call(pilot, scenario_id, "guided")
    screen = pilot.app.screen
    assert isinstance(screen, CallScreen)
    return screen


def test_guided_options_break_chinese_lines_like_the_transcript(home: Path) -> None:
    async def scenario() -> None:
        app = shipped_app(home)
        async with app.run_test(size=SMALL) as pilot:
            call = await _guided_call(pilot, "zh-first-hardship")
            seen_wrapped = False
            for _ in range(6):  # a few exchanges: options change at every node
                choices = call.query_one("#choices", OptionList)
                width = choices.scrollable_content_region.width - 2  # the option's padding
                for index in range(choices.option_count):
                    prompt = choices.get_option_at_index(index).prompt
                    assert isinstance(prompt, Folded)
                    rows = prompt.at(width).plain.split("\n")
                    seen_wrapped |= len(rows) > 1
                    label = re.match(r"\d+、", rows[0])
                    assert label, rows
                    for row in rows[1:]:  # continuation lines hang under the text
                        assert row.startswith(" " * len(label.group()) * 1), rows
                    check_lines([row.strip() for row in rows], "options")
                left = [re.split(r"[│╭╰]", row)[0] for row in screen_lines(app)[2:-1]]
                check_lines([bare(row) for row in left], "call screen")
                await pilot.press("1")
                await pilot.pause()
                if call.ended:
                    break
            assert seen_wrapped, "no option was long enough to wrap at 80 columns"

    run(scenario)


def test_debrief_and_briefing_fold_chinese_text_without_stray_spaces(home: Path) -> None:
    async def scenario() -> None:
        app = shipped_app(home)
        async with app.run_test(size=SMALL) as pilot:
            await enter_home(pilot)
            app.open_briefing("zh-first-hardship")
            await pilot.pause()
            for widget in app.screen.query(FoldedStatic):
                check_lines(folded_rows(widget), "briefing")
            app.set_mode("guided")
            await pilot.press("enter")
            await pilot.pause()
            call = app.screen
            assert isinstance(call, CallScreen)
            for _ in range(30):
                if call.ended:
                    break
                await pilot.press("2")  # not always the best line: findings and missed checks
                await pilot.pause()
            assert call.ended
            await pilot.press("enter")
            await pilot.pause()
            debrief = app.screen
            assert isinstance(debrief, DebriefScreen)
            folded = list(debrief.query(FoldedStatic))
            assert len(folded) > 5
            rows = [row for widget in folded for row in folded_rows(widget)]
            check_lines(rows, "debrief")
            assert any(row.startswith("第") and "轮" in row for row in rows)
            check_lines([bare(r) for r in screen_lines(app)[:-1]], "debrief screen")

    run(scenario)
