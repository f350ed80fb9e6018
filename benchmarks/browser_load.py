"""Real browser sessions through ``trainer serve``, for ``classroom_load.py --browsers N``.

One headless Chromium opens N tabs; each signs in as its own class member on a
``trainer serve`` process over the same store, opens the assigned call (the TUI
tests' fixture scenario) and types it line by line, ``calls`` times (a fresh app
window each time). A turn's latency is from Enter to the persona's reply drawn in
the page (the page's websocket bytes, read over the DevTools protocol every 20 ms,
so about 10-30 ms of it is the reading). A line whose reply is not drawn within
``patience`` seconds (the store was down) is not acknowledged: that call is left and
the next one started.

`check` compares the store with what each tab saw: every session's agent lines must
be the call's first lines in order (nothing doubled or out of place), and each call
must have at least the lines that were acknowledged in it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from cdp import Chromium, Page
from web_support import (
    CALL,
    RECORD_SCREEN,
    REPLIES,
    Screen,
    open_assignment,
    say_and_wait,
    sign_in_browser,
)


@dataclass
class Tab:
    """One browser trainee: their name and, per call, the lines acknowledged."""

    name: str
    calls: list[int] = field(default_factory=list)
    turns: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def _trainee(
    page: Page, base: str, token: str, tab: Tab, calls: int, patience: float
) -> None:
    await page.before_each_page(RECORD_SCREEN)
    await sign_in_browser(page, base, token, "/app")
    for number in range(calls):
        if number:
            await page.goto(f"{base}/app")
        screen = Screen(page, poll=0.02)
        try:
            await open_assignment(page, screen)
        except AssertionError as exc:  # the app could not start the call (store down)
            tab.problems.append(f"call {number}: {exc}"[:200])
            continue
        acknowledged = 0
        for line, reply in zip(CALL, REPLIES, strict=True):
            began = time.perf_counter()
            try:
                await say_and_wait(page, screen, line, reply, timeout=patience)
            except AssertionError:
                break
            tab.turns.append(time.perf_counter() - began)
            acknowledged += 1
        tab.calls.append(acknowledged)


def run_browsers(
    base: str, tokens: dict[str, str], calls: int, patience: float, nice: int = 0
) -> list[Tab]:
    """Play ``calls`` calls in one tab per member of ``tokens`` at once; what each saw.
    ``nice`` lowers the browser's CPU priority (a client sharing the server's machine)."""

    async def main() -> list[Tab]:
        tabs = [Tab(name) for name in tokens]
        browser = Chromium(nice=nice)
        async with browser as first:
            pages = [first] + [await browser.new_page() for _ in tabs[1:]]
            await asyncio.gather(
                *(
                    _trainee(page, base, tokens[tab.name], tab, calls, patience)
                    for page, tab in zip(pages, tabs, strict=True)
                )
            )
        return tabs

    return asyncio.run(main())


def check(tabs: list[Tab], store: Any) -> tuple[int, int]:
    """(lost, doubled) turns of the browser trainees, comparing the store with the tabs."""
    lost = doubled = 0
    for tab in tabs:
        sessions = sorted(store.list_sessions(trainee=tab.name), key=lambda s: s.started_at)
        stored = [
            [t.text for t in store.load(s.id).turns if t.speaker == "agent"] for s in sessions
        ]
        for lines in stored:
            if lines != CALL[: len(lines)]:
                doubled += max(1, len(lines) - len(set(lines)))
                print(f"{tab.name}: a session holds {lines!r}")
        for index, acknowledged in enumerate(tab.calls):
            have = len(stored[index]) if index < len(stored) else 0
            if have < acknowledged:
                lost += acknowledged - have
                print(f"{tab.name}: call {index} acknowledged {acknowledged}, stored {have}")
    return lost, doubled
