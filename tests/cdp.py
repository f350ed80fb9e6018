"""A small driver for headless Chromium over its DevTools protocol (websocket + JSON),
for tests that use a real browser: load pages, run script, type, press keys, take
screenshots. No Selenium or browser driver to install: the browser from the system
packages is enough, and the test is skipped when there is none.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest


def browser_path() -> str:
    """The Chromium program, or skip the calling test (CI installs it; see ``.ci/run``)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed")
    return found


#: Keys as DevTools describes them: key, code, Windows virtual key code, text.
KEYS = {
    "enter": ("Enter", "Enter", 13, "\r"),
    "escape": ("Escape", "Escape", 27, ""),
    "tab": ("Tab", "Tab", 9, "\t"),
}


class Page:
    """One tab, driven over its own DevTools websocket."""

    def __init__(
        self, http: aiohttp.ClientSession, socket: aiohttp.ClientWebSocketResponse
    ) -> None:
        self.http = http
        self.socket = socket
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def attach(cls, http: aiohttp.ClientSession, url: str, *, page: bool = True) -> Page:
        """Connect to a DevTools endpoint (``page=False``: the browser's own)."""
        socket = await http.ws_connect(url, max_msg_size=64 * 1024 * 1024)
        tab = cls(http, socket)
        if page:
            await tab.send("Page.enable")
            await tab.send("Runtime.enable")
        return tab

    async def close(self) -> None:
        self.reader.cancel()
        await self.socket.close()

    async def _read(self) -> None:
        async for message in self.socket:
            data = json.loads(message.data)
            waiter = self.pending.pop(data.get("id", -1), None)
            if waiter is not None and not waiter.done():
                if "error" in data:
                    waiter.set_exception(RuntimeError(str(data["error"])))
                else:
                    waiter.set_result(data.get("result", {}))

    async def send(self, method: str, **params: Any) -> Any:
        """One DevTools command and its result."""
        number = next(self.ids)
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[number] = waiter
        await self.socket.send_str(json.dumps({"id": number, "method": method, "params": params}))
        return await asyncio.wait_for(waiter, 60)

    async def before_each_page(self, script: str) -> None:
        """Run ``script`` in every page this tab loads from now on, before its own."""
        await self.send("Page.addScriptToEvaluateOnNewDocument", source=script)

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'")

    async def js(self, expression: str) -> Any:
        """The value of ``expression`` in the page (awaited when it is a promise)."""
        answer = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in answer:
            raise RuntimeError(str(answer["exceptionDetails"]))
        return answer.get("result", {}).get("value")

    async def wait_for(self, expression: str, timeout: float = 30) -> Any:
        """Poll ``expression`` until it is truthy; AssertionError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(RuntimeError):
                value = await self.js(expression)
                if value:
                    return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            await asyncio.sleep(0.2)

    async def type_text(self, text: str) -> None:
        """Type ``text`` into the focused element, as an input method commits it."""
        await self.send("Input.insertText", text=text)

    async def press(self, name: str) -> None:
        key, code, number, text = KEYS[name]
        down: dict[str, Any] = {
            "type": "keyDown",
            "key": key,
            "code": code,
            "windowsVirtualKeyCode": number,
        }
        if text:
            down["text"] = text
        await self.send("Input.dispatchKeyEvent", **down)
        await self.send(
            "Input.dispatchKeyEvent",
            type="keyUp",
            key=key,
            code=code,
            windowsVirtualKeyCode=number,
        )

    async def screenshot(self, path: Path) -> bytes:
        """Save a PNG of the page as it is now."""
        shot = await self.send("Page.captureScreenshot", format="png")
        data = base64.b64decode(shot["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return data


class Chromium:
    """One headless Chromium; ``async with Chromium() as page`` gives its first tab, and
    `new_page` opens more (one browser for several trainees, as a room of tabs)."""

    def __init__(self, size: tuple[int, int] = (1280, 860), nice: int = 0) -> None:
        self.size = size
        #: a niceness for the browser process: the load benchmark lowers the priority of
        #: the browsers (clients, which in a room run on the trainees' own machines) so
        #: that on one test machine they yield the CPU to the server they measure
        self.nice = nice
        self.profile = Path(tempfile.mkdtemp(prefix="trainer-chromium-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.http: aiohttp.ClientSession | None = None
        self.port = ""
        self.pages: list[Page] = []

    async def __aenter__(self) -> Page:
        prefix = ["nice", "-n", str(self.nice)] if self.nice and shutil.which("nice") else []
        self.process = subprocess.Popen(
            [
                *prefix,
                browser_path(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-extensions",
                "--no-first-run",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                f"--window-size={self.size[0]},{self.size[1]}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.is_file() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.process.poll() is not None:
                await self.__aexit__()
                pytest.skip("chromium did not start its DevTools endpoint")
            await asyncio.sleep(0.1)
        self.port = port_file.read_text().split()[0]
        self.http = aiohttp.ClientSession()
        for _ in range(50):
            async with self.http.get(f"http://127.0.0.1:{self.port}/json/list") as answer:
                tabs = [t for t in await answer.json() if t.get("type") == "page"]
            if tabs:
                break
            await asyncio.sleep(0.1)
        self.pages.append(await Page.attach(self.http, tabs[0]["webSocketDebuggerUrl"]))
        return self.pages[0]

    async def new_page(self) -> Page:
        """Another tab in a browser context of its own (its own cookies, as another
        person's browser: one browser signs in one trainee)."""
        assert self.http is not None
        async with self.http.get(f"http://127.0.0.1:{self.port}/json/version") as answer:
            endpoint = (await answer.json())["webSocketDebuggerUrl"]
        browser = await Page.attach(self.http, endpoint, page=False)
        try:
            context = await browser.send("Target.createBrowserContext")
            target = await browser.send(
                "Target.createTarget",
                url="about:blank",
                browserContextId=context["browserContextId"],
            )
        finally:
            await browser.close()
        url = f"ws://127.0.0.1:{self.port}/devtools/page/{target['targetId']}"
        self.pages.append(await Page.attach(self.http, url))
        return self.pages[-1]

    async def __aexit__(self, *exc: object) -> None:
        for page in self.pages:
            with contextlib.suppress(Exception):
                await page.close()
        if self.http is not None:
            await self.http.close()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
