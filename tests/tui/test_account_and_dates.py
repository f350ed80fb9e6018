"""The account stays in view during the call, and a scenario's dates fit the app's clock."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from pathlib import Path

from shipped import shipped_content
from textual.widgets import OptionList
from tui_support import NOW, build_app, enter_home, open_call, screen_lines, shipped_app, shown_text

from trainer.tui.dates import on_call_date, shift_text, written_call_date
from trainer.tui.screens.briefing import BriefingScreen
from trainer.tui.screens.call import CallScreen
from trainer.tui.screens.debrief import DebriefScreen
from trainer.tui.widgets.folded import Folded

SMALL = (80, 24)


def run(coro_fn):  # type: ignore[no-untyped-def]
    return asyncio.run(coro_fn())


def test_account_facts_stay_in_view_during_the_call_at_80x24(home: Path) -> None:
    async def scenario() -> None:
        app = build_app(home)
        async with app.run_test(size=SMALL) as pilot:
            await open_call(pilot)
            call = app.screen
            assert isinstance(call, CallScreen)
            facts = shown_text(call.query_one("#account-facts"))
            for fact in ("李明", "李先生", "8,650.00", "865.00", "8899", "12 (M1)", "无"):
                assert fact in facts, (fact, facts)
            rows = "\n".join(screen_lines(app))
            assert "账户信息" in rows and "8,650.00" in rows and "8899" in rows
            await pilot.press("f2")  # the hint takes the card's place, then gives it back
            await pilot.pause()
            assert call.query_one("#hint-box").display
            assert not call.query_one("#account").display
            await pilot.press("f2")
            await pilot.pause()
            assert call.query_one("#account").display
            assert "8899" in "\n".join(screen_lines(app))

    run(scenario)


def test_the_briefing_and_the_call_are_dated_by_the_app_clock(home: Path) -> None:
    async def scenario() -> None:
        app = shipped_app(home)  # clock: 2026-03-02
        async with app.run_test(size=(100, 40)) as pilot:
            await enter_home(pilot)
            # written for 3月18日 (due 1月25日 + 52 days), promised 3月8日: ten days before
            app.set_mode("guided")
            app.open_briefing("zh-repeat-broken-promise")
            await pilot.pause()
            briefing = app.screen
            assert isinstance(briefing, BriefingScreen)
            card = shown_text(briefing.query_one("#account-card Static"))
            assert "到期还款日: 1月9日" in card  # 2026-03-02 minus 52 days
            assert "此前承诺: 2月20日" in card and "3月8日" not in card
            await pilot.press("enter")
            await pilot.pause()
            call = app.screen
            assert isinstance(call, CallScreen)
            for _ in range(8):  # the debtor's lines and the options use the moved dates
                choices = call.query_one("#choices", OptionList)
                said = [
                    p.plain
                    for i in range(choices.option_count)
                    if isinstance(p := choices.get_option_at_index(i).prompt, Folded)
                ]
                shown = " ".join(
                    [*said, *(e.text for e in call.query_one("#transcript").entries())]
                )  # type: ignore[attr-defined]
                assert "3月8日" not in shown, shown
                if "2月20日" in shown:
                    break
                await pilot.press("1")
                await pilot.pause()
            assert "2月20日" in shown
            for _ in range(30):  # on to the end and the debrief: its lines are dated too
                if call.ended:
                    break
                await pilot.press("2")
                await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            debrief = app.screen
            assert isinstance(debrief, DebriefScreen)
            missed = shown_text(debrief.query_one("#missed FoldedStatic"))
            assert re.search(r"\d+月\d+日", missed), missed  # the check needs a date to move
            for written in ("3月8日", "3月20日", "4月10日"):
                assert written not in missed, missed

    run(scenario)


def test_dates_move_by_the_days_between_the_written_and_the_app_call_date() -> None:
    written, today = date(2026, 3, 25), date(2026, 12, 7)
    assert shift_text("3月10日到期,3月10号", written, today) == "11月22日到期,11月22号"
    assert shift_text("去年11月20日 · 2023年6月 · 上月28日", written, today) == (
        "去年11月20日 · 2023年6月 · 上月28日"
    )
    assert shift_text("due January 20; plan starts March 1st", date(2026, 3, 25), today) == (
        "due October 4; plan starts November 13th"
    )
    assert shift_text("paid March 3, 2024", written, today) == "paid March 3, 2024"
    scenario = shipped_content()[0].scenarios["zh-first-forgetful"]
    assert written_call_date(scenario, today) is not None
    moved = on_call_date(scenario, today)
    assert moved.briefing.due_date == "11月22日"  # 15 days past due on 12月7日
    assert moved.briefing.call_time == scenario.briefing.call_time  # calling hours unchanged
    assert moved.intents == scenario.intents  # recognition unchanged
    assert on_call_date(moved, today) == moved
    relative = shipped_content()[0].scenarios["zh-first-evader"]  # due 去年11月20日: kept
    assert on_call_date(relative, today) is relative
    assert NOW.date() == date(2026, 3, 2)
