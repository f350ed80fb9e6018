"""80 columns: footer, stage bar, titles and history fit; toasts keep off the options;
the palette speaks the interface language and its Screenshot saves a file."""

from __future__ import annotations

import asyncio
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, OptionList
from textual.widgets._footer import FooterKey, FooterLabel
from tui_support import build_app, open_call, say, screen_lines, shipped_app, start_call

from trainer.tui.screens.call import CallScreen
from trainer.tui.screens.debrief import DebriefScreen
from trainer.tui.screens.history import HistoryScreen
from trainer.tui.textfmt import cells
from trainer.tui.widgets.stages import stage_line
from trainer.vocab import CALL_STAGES

SMALL = (80, 24)


def run(coro_fn):  # type: ignore[no-untyped-def]
    return asyncio.run(coro_fn())


def footer_fits(app: Any, where: str) -> None:
    """Every footer key lies inside the row, none over another, F1 is there, and "…"
    says when keys were left out."""
    footer = app.screen.query_one("TrainerFooter")
    keys = list(footer.query(FooterKey))
    spans = sorted((k.region.x, k.region.right, k.key) for k in keys)
    assert spans and all(a >= 0 and b <= SMALL[0] for a, b, _ in spans), (where, spans)
    for (_, end, _), (start, _, _) in itertools.pairwise(spans):
        assert end <= start, (where, spans)
    assert "f1" in {k.key for k in keys}, where
    row = screen_lines(app)[-1]
    assert cells(row) <= SMALL[0], (where, row)
    shown = {k.action for k in keys}
    wanted = {b.action for _, b, _, _ in app.screen.active_bindings.values() if b.show}
    if wanted - shown:
        assert footer.query(FooterLabel), (where, wanted - shown)
        assert "…" in row, (where, row)


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_footer_fits_80_columns_on_every_screen(home: Path, language: str) -> None:
    async def scenario() -> None:
        app = build_app(home, language=language)
        async with app.run_test(size=SMALL) as pilot:
            await pilot.pause()
            footer_fits(app, "start")
            await open_call(pilot)
            footer_fits(app, "call")
            await say(pilot, "您好,我是华信银行信用卡中心的小王,工号1234。")
            await pilot.press("f10")  # hang up: the briefing again
            await pilot.pause()
            footer_fits(app, "briefing")
            await pilot.press("f6")
            await pilot.pause()
            assert isinstance(app.screen, HistoryScreen)
            footer_fits(app, "history")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, DebriefScreen)
            footer_fits(app, "debrief")
            app.open_home()
            await pilot.pause()
            footer_fits(app, "home")

    run(scenario)


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_stage_bar_fits_and_keeps_the_current_stage_whole(language: str) -> None:
    from trainer.tui.i18n import label

    for done in range(len(CALL_STAGES)):
        current = CALL_STAGES[done]
        line = stage_line(language, current, set(CALL_STAGES[:done]), 78).plain
        assert cells(line) <= 78, line
        assert f" {label(language, 'callstage', current)} " in line, line
    # a width too small for every name cuts the others with "…"
    narrow = stage_line(language, "close", set(CALL_STAGES), 40).plain
    assert cells(narrow) <= 40 and "…" in narrow, narrow


def test_a_long_call_title_ends_in_an_ellipsis_and_the_status_stays(home: Path) -> None:
    async def scenario() -> None:
        app = shipped_app(home, language="en")
        async with app.run_test(size=SMALL) as pilot:
            await start_call(pilot, "en-first-minimiranda")
            assert isinstance(app.screen, CallScreen)
            top, stages = screen_lines(app)[:2]
            assert "First contact: the autopay" in top and "…" in top, top
            assert "turn\u00a01" in top and "00:00" in top, top
            assert "opening" in stages and "close" in stages, stages

    run(scenario)


def test_history_fits_80_columns_and_cuts_titles_with_an_ellipsis(home: Path) -> None:
    async def scenario() -> None:
        app = shipped_app(home, language="en")
        async with app.run_test(size=SMALL) as pilot:
            await start_call(pilot, "en-first-minimiranda")
            await pilot.press("f10")
            await pilot.pause()
            app.open_history()
            await pilot.pause()
            await pilot.pause()
            table = app.screen.query_one("#sessions", DataTable)
            assert table.row_count == 1
            assert table.virtual_size.width <= table.size.width  # no sideways scrolling
            row = next(line for line in screen_lines(app) if re.search(r"\d{4}-\d\d-\d\d", line))
            assert "First contact" in row and "…" in row, row

    run(scenario)


def test_toasts_do_not_cover_the_guided_options(home: Path) -> None:
    async def scenario() -> None:
        app = build_app(home)
        async with app.run_test(size=SMALL, notifications=True) as pilot:
            await open_call(pilot)
            await pilot.press("f3")  # "now in guided mode" is a toast
            await pilot.pause(0.2)
            choices = app.screen.query_one("#choices", OptionList)
            assert choices.display
            toasts = list(app.screen.query("Toast"))
            assert toasts
            for toast in toasts:
                assert not toast.region.overlaps(choices.region), (toast.region, choices.region)

    run(scenario)


def test_the_palette_speaks_chinese_and_its_screenshot_saves_a_file(home: Path) -> None:
    async def scenario() -> None:
        from textual.command import CommandInput, CommandPalette

        app = build_app(home)
        async with app.run_test(size=SMALL) as pilot:
            await open_call(pilot)
            commands = list(app.get_system_commands(app.screen))
            names = [c.title for c in commands]
            assert "截图" in names and "退出" in names and "按键帮助" in names
            assert not any(re.search(r"[A-Za-z]", n) for n in names), names
            await pilot.press("ctrl+p")
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette)
            assert app.screen.query_one(CommandInput).placeholder == "搜索命令……"
            await pilot.press("escape")
            await pilot.pause()
            shot = next(c for c in commands if c.title == "截图")
            shot.callback()
            await pilot.pause(0.3)
            saved = list((home / "screenshots").glob("screenshot-*.svg"))
            assert len(saved) == 1
            assert saved[0].read_text(encoding="utf-8").startswith("<svg")
            messages = [n.message for n in app._notifications]
            assert any("截图已保存" in m and str(saved[0]) in m for m in messages), messages

    run(scenario)


def test_the_stage_bar_ticks_a_stage_a_line_made_in_passing(home: Path) -> None:
    """The amount said in the same line as the reason question: "说明来意" is ticked
    although the call went from verification straight to the reason's node."""

    async def scenario() -> None:
        app = shipped_app(home)
        async with app.run_test(size=SMALL) as pilot:
            await start_call(pilot, "zh-first-forgetful")
            assert isinstance(app.screen, CallScreen)
            for line in (
                "您好,我是华信银行信用卡中心客户服务部的小吴,工号5521,请问是周建国先生吗?",
                "为了保护您的信息,麻烦先报一下身份证后四位,核对一下身份。",
                "核对上了。您尾号3721的信用卡欠款6380元,已经逾期15天了,是最近太忙忘了吗?",
            ):
                await say(pilot, line)
            stages = screen_lines(app)[1]
            assert "✓说明来意" in stages, stages

    run(scenario)
