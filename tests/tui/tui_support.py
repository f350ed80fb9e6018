"""Shared helpers for the TUI tests: a frozen content folder, fixed clock and seed."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot
from textual.widget import Widget

from trainer.tui.app import TrainerApp, make_app

FIXTURES = Path(__file__).parent / "fixtures" / "content"
RULEBOOK = FIXTURES / "rules" / "zh-CN.yaml"
NOW = datetime(2026, 3, 2, 10, 0, 0)
SIZE = (100, 40)

#: Lines of the fixture scenario that its intents recognise, in call order.
GOOD_CALL = [
    "您好,我是华信银行信用卡中心的小王,工号1234。",
    "请问是李明先生本人吗?",
    "您尾号8899的信用卡目前欠款8,650元,已经逾期12天了。",
    "您看这周五之前能通过官方App还上8,650元吗?",
    "好的,感谢您的配合,祝您生活愉快,再见。",
]


def fixed_clock() -> datetime:
    """The app's clock in tests: always the same moment (the call timer reads 00:00)."""
    return NOW


def build_app(home: Path, **options: object) -> TrainerApp:
    """The app as the CLI builds it, on the frozen test content, clock and seed."""
    app = make_app(
        home,
        content_paths=[FIXTURES],
        clock=fixed_clock,
        seed=7,
        cursor_blink=False,
        rulebooks={"zh-CN": RULEBOOK},
        **options,  # type: ignore[arg-type]
    )
    _ = app.backend.content  # wait for the background load: screens are then deterministic
    return app


def freeze_times(app: TrainerApp) -> None:
    """Rewrite stored timestamps to fixed values, so screens that show them are stable."""
    store = app.backend.store
    for number, summary in enumerate(sorted(store.list_sessions(), key=lambda s: s.started_at)):
        record = store.load(summary.id)
        start = datetime(2026, 3, 1 + number, 9, 30)
        turns = tuple(
            dataclasses.replace(t, at=(start + timedelta(seconds=20 * i)).isoformat())
            for i, t in enumerate(record.turns)
        )
        end = start + timedelta(seconds=20 * max(0, len(turns) - 1))
        store.import_record(
            dataclasses.replace(
                record,
                started_at=start.isoformat(),
                finished_at=end.isoformat() if record.finished_at else None,
                turns=turns,
            ),
            replace_existing=True,
        )
    app.backend._debriefs.clear()


async def say(pilot: Pilot[None], line: str) -> None:
    """Type a line in the call's input (set at once: CJK is not typed key by key) and send it."""
    from textual.widgets import Input

    box = pilot.app.screen.query_one("#say", Input)
    box.value = line
    box.focus()
    await pilot.press("enter")
    await pilot.pause()


async def enter_home(pilot: Pilot[None], name: str = "王小明") -> None:
    """From the start screen: type the name and press Enter."""
    from textual.widgets import Input

    box = pilot.app.screen.query_one("#name", Input)
    box.value = name
    box.focus()
    await pilot.press("enter")
    await pilot.pause()
    await wait_for_content(pilot)


async def wait_for_content(pilot: Pilot[None]) -> None:
    """Wait until the home screen has its scenario list (content loads in the background).

    How long loading takes depends on the machine and the YAML parser build, so
    tests wait for the list instead of assuming one pause is enough.
    """
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_call(pilot: Pilot[None], name: str = "王小明") -> None:
    """Start → home → briefing → call with the keyboard (the fixture has one call)."""
    await enter_home(pilot, name)
    await pilot.press("enter")  # the highlighted (suggested) call → briefing
    await pilot.pause()
    await pilot.press("enter")  # start the call
    await pilot.pause()


def shown_text(widget: Widget) -> str:
    """The plain text a Static-like widget shows now (before it is broken into lines)."""
    visual = getattr(widget, "visual", None) or widget.render()
    plain = getattr(visual, "plain", None)
    return plain if isinstance(plain, str) else str(visual)


def screen_lines(app: TrainerApp) -> list[str]:
    """The rows of the terminal as the trainee sees them now (plain text, one per row)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def shipped_app(home: Path, **options: object) -> TrainerApp:
    """The app on the shipped content (real scenarios, long folded Chinese text), with the
    test clock and seed, its content loaded."""
    app = make_app(home, clock=fixed_clock, seed=7, cursor_blink=False, **options)  # type: ignore[arg-type]
    _ = app.backend.content
    return app


async def start_call(pilot: Pilot[None], scenario_id: str, mode: str | None = None) -> None:
    """Start → home → the briefing of ``scenario_id`` → its call (``mode``: free or guided)."""
    app = pilot.app
    assert isinstance(app, TrainerApp)
    await enter_home(pilot)
    if mode is not None:
        app.set_mode(mode)
    app.open_briefing(scenario_id)
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
