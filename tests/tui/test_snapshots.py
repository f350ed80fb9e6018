"""SVG snapshots of the key screens, deterministic: fixed content, seed, clock and size.

Regenerate after an intended change with ``pytest tests/tui --snapshot-update``
and look at the report before committing the new SVGs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from tui_support import GOOD_CALL, build_app, enter_home, freeze_times, open_call, say

pytestmark = pytest.mark.snapshot

SIZE = (100, 32)
SMALL = (80, 24)
ABUSIVE = "您好,我是华信银行信用卡中心的小王,你这种老赖"


async def _play_good_call(pilot: Pilot[Any], with_finding: bool = False) -> None:
    await open_call(pilot)
    lines = [ABUSIVE, *GOOD_CALL[1:]] if with_finding else GOOD_CALL
    for line in lines:
        await say(pilot, line)


def test_home(snap_compare: Any, home: Path) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await enter_home(pilot)

    assert snap_compare(build_app(home), terminal_size=SIZE, run_before=before)


def test_briefing(snap_compare: Any, home: Path) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await enter_home(pilot)
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(build_app(home), terminal_size=SIZE, run_before=before)


def test_call_with_a_finding(snap_compare: Any, home: Path) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await open_call(pilot)
        await say(pilot, ABUSIVE)

    assert snap_compare(build_app(home), terminal_size=SIZE, run_before=before)


def test_call_with_a_finding_at_80x24(snap_compare: Any, home: Path) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await open_call(pilot)
        await say(pilot, ABUSIVE)

    assert snap_compare(build_app(home), terminal_size=SMALL, run_before=before)


def test_debrief(snap_compare: Any, home: Path) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await _play_good_call(pilot, with_finding=True)
        freeze_times(pilot.app)  # type: ignore[arg-type]
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(build_app(home), terminal_size=SIZE, run_before=before)


def test_history(snap_compare: Any, home: Path, utc: None) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await _play_good_call(pilot, with_finding=True)
        await pilot.press("enter")  # debrief
        await pilot.pause()
        await pilot.press("r")  # retry: briefing again
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        for line in GOOD_CALL:
            await say(pilot, line)
        freeze_times(pilot.app)  # type: ignore[arg-type]
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f6")
        await pilot.pause()

    assert snap_compare(build_app(home), terminal_size=SIZE, run_before=before)
