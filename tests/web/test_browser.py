"""A trainee and an instructor in a real headless Chromium against ``trainer serve``.

The trainee signs in, opens the assignment, types the call line by line, sees the
persona's replies and a live finding, finishes the call; the instructor then signs in
and finds the result on the dashboard. The app draws on a canvas (xterm.js), so what it
shows is read from the bytes the page's websocket received (a script added before the
page's own records them). Screenshots of the app and the dashboard are saved in
``$TRAINER_SHOTS`` when it is set (else in the test's temporary folder).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from cdp import Chromium, Page, browser_path
from web_support import (
    CALL,
    FINDING_REPLY,
    FINDING_RULE,
    RECORD_SCREEN,
    REPLIES,
    Screen,
    free_port,
    make_classroom,
    open_assignment,
    say_and_wait,
    serving,
    sign_in_browser,
)


def shots_folder(tmp_path: Path) -> Path:
    return Path(os.environ.get("TRAINER_SHOTS") or tmp_path / "shots")


def test_a_trainee_plays_in_the_browser_and_the_dashboard_shows_it(tmp_path: Path) -> None:
    browser_path()  # skip early without a browser
    room = make_classroom(f"sqlite:///{tmp_path / 'class.db'}", tmp_path / "home")
    port = free_port()
    shots = shots_folder(tmp_path)

    async def trainee_and_instructor(page: Page) -> None:
        base = f"http://127.0.0.1:{port}"
        await page.before_each_page(RECORD_SCREEN)
        await sign_in_browser(page, base, room.tokens["王丽"], "/app")
        screen = Screen(page)
        await open_assignment(page, screen, "王丽")  # signed in as 王丽
        for line, reply in zip(CALL, REPLIES, strict=True):
            shown = (reply, FINDING_RULE) if reply == FINDING_REPLY else (reply,)
            if line == CALL[-1]:
                shown = (reply, "承诺还款")  # the call ended well
            await say_and_wait(page, screen, line, *shown)
            if reply == FINDING_REPLY:
                await asyncio.sleep(0.5)
                await page.screenshot(shots / "app-call.png")
        await page.press("enter")  # → the debrief
        await screen.wait("/100")
        await asyncio.sleep(0.5)
        await page.screenshot(shots / "app-debrief.png")
        # the instructor, in the same browser after the trainee signed out
        await page.js("document.getElementById('signout').click()")
        await page.wait_for("document.getElementById('token') !== null")
        await sign_in_browser(page, base, room.tokens["陈老师"], "/dashboard")
        row = "document.querySelector('tr[data-trainee=\"王丽\"]')"
        await page.wait_for(f"{row} !== null")
        state = await page.js(f"{row}.querySelector('.state').innerText")
        score = await page.js(f"{row}.querySelector('.score').innerText")
        found = await page.js(f"{row}.querySelector('.findings').innerText")
        link = await page.js(f"{row}.querySelector('.tries a').getAttribute('href')")
        assert state.split(" ")[0] in ("passed", "failed") and score.isdigit()
        assert "abuse · 辱骂侮辱 × 1" in found and link.startswith("/dashboard/debrief/")
        await page.screenshot(shots / "dashboard.png")
        await page.goto(base + link)
        body = await page.js("document.body.innerText")
        assert "老赖" in body and "王丽" in body

    async def run() -> None:
        async with Chromium() as page:
            await asyncio.wait_for(trainee_and_instructor(page), 90)

    with serving(room, port):
        asyncio.run(run())
    for name in ("app-call.png", "app-debrief.png", "dashboard.png"):
        assert (shots / name).read_bytes().startswith(b"\x89PNG"), name


@pytest.fixture(autouse=True)
def _quiet_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRAINER_HOME", str(tmp_path / "home"))
