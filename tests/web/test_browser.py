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
from cdp import Chromium, browser_path
from web_support import (
    CALL,
    FINDING_REPLY,
    free_port,
    make_classroom,
    screen_text,
    serving,
)

#: Added before every page's own scripts: keep what the app's websocket delivers.
RECORD_SCREEN = """
window.__screen = [];
const Native = window.WebSocket;
window.WebSocket = function (url, protocols) {
  const socket = new Native(url, protocols);
  socket.addEventListener("message", (event) => {
    if (typeof event.data !== "string") {
      window.__screen.push(btoa(String.fromCharCode(...new Uint8Array(event.data))));
    }
  });
  return socket;
};
window.WebSocket.prototype = Native.prototype;
"""

#: The persona's reply to each line of `CALL`, in order (what the trainee must see).
REPLIES = ["有什么事", "我就是李明", FINDING_REPLY, "自动还款", "周五我用", "好的,再见"]


class Screen:
    """What the app has drawn so far in the page, as text."""

    def __init__(self, page: Chromium) -> None:
        self.page = page
        self.seen = 0

    async def text(self) -> str:
        import base64

        chunks = await self.page.js("window.__screen")
        return screen_text(b"".join(base64.b64decode(c) for c in chunks))

    async def wait(self, *wanted: str, timeout: float = 30) -> str:
        """Wait until everything in ``wanted`` was drawn after the last wait."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            text = await self.text()
            fresh = text[self.seen :]
            if all(w in fresh for w in wanted):
                self.seen = len(text)
                return fresh
            if asyncio.get_running_loop().time() > deadline:
                missing = [w for w in wanted if w not in fresh]
                raise AssertionError(f"the app never showed {missing}; last: {fresh[-600:]!r}")
            await asyncio.sleep(0.2)


def shots_folder(tmp_path: Path) -> Path:
    return Path(os.environ.get("TRAINER_SHOTS") or tmp_path / "shots")


def test_a_trainee_plays_in_the_browser_and_the_dashboard_shows_it(tmp_path: Path) -> None:
    browser_path()  # skip early without a browser
    room = make_classroom(f"sqlite:///{tmp_path / 'class.db'}", tmp_path / "home")
    port = free_port()
    shots = shots_folder(tmp_path)

    async def trainee_and_instructor(page: Chromium) -> None:
        base = f"http://127.0.0.1:{port}"
        await page.before_each_page(RECORD_SCREEN)
        await page.goto(f"{base}/")
        await page.wait_for("document.getElementById('token') !== null")
        await page.js(f"document.getElementById('token').value = '{room.tokens['王丽']}'")
        await page.js("document.getElementById('signin').click()")
        await page.wait_for("location.pathname === '/app' && document.readyState === 'complete'")
        screen = Screen(page)
        await screen.wait("王丽", "开始")  # the start screen, signed in as 王丽
        await page.js("document.querySelector('.xterm-helper-textarea').focus()")
        await page.press("enter")  # start → home: the assignment is listed
        await screen.wait("作业", "忘记还款的李先生")
        await page.press("enter")  # the highlighted call → its briefing
        await screen.wait("8,650")
        await page.press("enter")  # start the call
        await screen.wait("喂,哪位")
        for line, reply in zip(CALL, REPLIES, strict=True):
            await page.type_text(line)
            await page.press("enter")
            wanted = (reply, "ZH-ABU-001") if reply == FINDING_REPLY else (reply,)
            if line == CALL[-1]:
                wanted = (reply, "承诺还款")  # the call ended well
            await screen.wait(*wanted)
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
        await page.js(f"document.getElementById('token').value = '{room.tokens['陈老师']}'")
        await page.js("document.getElementById('signin').click()")
        await page.wait_for("location.pathname === '/dashboard'")
        row = "document.querySelector('tr[data-trainee=\"王丽\"]')"
        await page.wait_for(f"{row} !== null")
        state = await page.js(f"{row}.querySelector('.state').innerText")
        score = await page.js(f"{row}.querySelector('.score').innerText")
        found = await page.js(f"{row}.querySelector('.findings').innerText")
        link = await page.js(f"{row}.querySelector('.tries a').getAttribute('href')")
        assert state.split(" ")[0] in ("passed", "failed") and score.isdigit()
        assert "abuse × 1" in found and link.startswith("/dashboard/debrief/")
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
