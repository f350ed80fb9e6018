"""``trainer serve`` without a browser: sign-in, the app over its websocket, the limits,
the dashboard and its debriefs, escaping, and the static files (aiohttp's test client
on loopback; the app windows are real ``trainer tui`` processes)."""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from web_support import (
    CALL,
    HOSTILE,
    Classroom,
    config,
    make_classroom,
    play,
    screen_text,
)

from trainer.records.stores import open_store
from trainer.web.server import SERVER, SIGNIN_FAILURES_PER_MINUTE, ServeConfig, make_web_app

Scenario = Callable[[TestClient[Any, Any]], Awaitable[None]]


@pytest.fixture
def room(tmp_path: Path) -> Classroom:
    return make_classroom(f"sqlite:///{tmp_path / 'class.db'}", tmp_path / "home")


def served(settings: ServeConfig, room: Classroom, scenario: Scenario) -> None:
    """Run ``scenario`` against a test server of ``settings`` over ``room``'s store."""

    async def run() -> None:
        with open_store(room.url, room.home) as store:
            app = make_web_app(settings, store)
            client: TestClient[Any, Any] = TestClient(
                TestServer(app), cookie_jar=aiohttp.CookieJar(unsafe=True)
            )
            await client.start_server()
            try:
                await scenario(client)
            finally:
                await client.close()

    asyncio.run(run())


async def sign_in(client: TestClient[Any, Any], token: str) -> aiohttp.ClientResponse:
    return await client.post("/signin", data={"token": token}, allow_redirects=False)


def test_sign_in_before_the_app(room: Classroom) -> None:
    async def scenario(client: TestClient[Any, Any]) -> None:
        first = await client.get("/")
        assert first.status == 200 and 'name="token"' in await first.text()
        assert (await client.get("/app", allow_redirects=False)).headers["Location"] == "/"
        wrong = await sign_in(client, "0" * 32)
        assert wrong.status == 403 and "not valid" in await wrong.text()
        garbage = await sign_in(client, "'; DROP TABLE members; --")
        assert garbage.status == 403
        # another site's page cannot sign a browser in (nor out)
        forged = await client.post(
            "/signin",
            data={"token": room.tokens["王丽"]},
            headers={"Origin": "http://evil.example"},
            allow_redirects=False,
        )
        assert forged.status == 403
        ok = await sign_in(client, room.tokens["王丽"])
        assert ok.status == 303 and ok.headers["Location"] == "/app"
        cookie = ok.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        page = await (await client.get("/app")).text()
        assert "王丽" in page and "spring" in page and "data-session-websocket-url" in page
        # a trainee is not an instructor
        assert (await client.get("/dashboard")).status == 403
        out = await client.post("/signout", allow_redirects=False)
        assert out.status == 303
        assert (await client.get("/app", allow_redirects=False)).headers["Location"] == "/"
        teacher = await sign_in(client, room.tokens["陈老师"])
        assert teacher.headers["Location"] == "/dashboard"

    served(config(room), room, scenario)


def test_wrong_tokens_are_limited_per_address(room: Classroom) -> None:
    async def scenario(client: TestClient[Any, Any]) -> None:
        for _ in range(SIGNIN_FAILURES_PER_MINUTE):
            assert (await sign_in(client, "f" * 32)).status == 403
        blocked = await sign_in(client, room.tokens["王丽"])
        assert blocked.status == 429 and "wait a minute" in await blocked.text()

    served(config(room), room, scenario)


def test_the_app_runs_as_the_signed_in_trainee_and_obeys_the_limits(room: Classroom) -> None:
    async def scenario(client: TestClient[Any, Any]) -> None:
        server = client.app[SERVER]
        argv, environment = server._app_command(server.sessions.setdefault("x", _signed(room)))
        assert room.tokens["王丽"] not in " ".join(argv)  # never on a command line
        assert environment["TRAINER_TOKEN"] == room.tokens["王丽"]
        assert environment["TRAINER_MAX_LINE"] == "200"
        del server.sessions["x"]
        with pytest.raises(aiohttp.WSServerHandshakeError) as no_cookie:
            await client.ws_connect("/ws")
        assert no_cookie.value.status == 403
        await sign_in(client, room.tokens["王丽"])
        with pytest.raises(aiohttp.WSServerHandshakeError) as foreign:
            await client.ws_connect("/ws", headers={"Origin": "http://evil.example"})
        assert foreign.value.status == 403
        socket = await client.ws_connect("/ws?width=100&height=30")
        stream = await _read_until(socket, lambda text: "王丽" in text and "开始" in text)
        assert "王丽" in screen_text(stream)  # the start screen, signed in as 王丽
        # one window per address (--max-per-host 1): a second is refused
        with pytest.raises(aiohttp.WSServerHandshakeError) as second:
            await client.ws_connect("/ws")
        assert second.value.status == 429
        # nothing typed for the idle time-out: the app is closed
        began = time.monotonic()
        await _read_until(socket, lambda _: False, timeout=20)
        assert socket.closed and socket.close_code == 4000 and time.monotonic() - began < 15
        for _ in range(50):
            if not server.apps:
                break
            await asyncio.sleep(0.1)
        assert not server.apps and not server.apps_per_host
        # the trainee quits the app (ctrl+q): the window closes and its seat is free
        socket = await client.ws_connect("/ws?width=100&height=30")
        await _read_until(socket, lambda text: "开始" in text)
        await socket.send_str(json.dumps(["stdin", "\x11"]))
        await _read_until(socket, lambda _: False, timeout=20)
        assert socket.closed and socket.close_code != 4000  # closed by the app, not idle
        for _ in range(50):
            if not server.apps:
                break
            await asyncio.sleep(0.1)
        assert not server.apps
        # an oversized message ends the connection
        socket = await client.ws_connect("/ws?width=100&height=30")
        await socket.send_str(json.dumps(["stdin", "x" * 70_000]))
        await _read_until(socket, lambda _: False, timeout=10)
        assert socket.closed

    served(config(room, max_per_host=1, idle_seconds=3, max_line=200), room, scenario)


def _signed(room: Classroom) -> Any:
    from trainer.records.classroom import Member
    from trainer.web.server import SignedIn

    return SignedIn(Member("spring", "王丽", "trainee", ""), room.tokens["王丽"])


async def _read_until(
    socket: aiohttp.ClientWebSocketResponse, done: Callable[[str], bool], timeout: float = 30
) -> bytes:
    """The app's output until ``done(screen text)`` or the socket closes (or time-out)."""
    stream = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = await socket.receive(timeout=max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            break
        if message.type == aiohttp.WSMsgType.BINARY:
            stream += message.data
            if done(screen_text(stream)):
                return stream
        elif message.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.CLOSING,
            aiohttp.WSMsgType.ERROR,
        ):
            break
    return stream


def test_the_dashboard_shows_each_trainee_and_escapes_names(room: Classroom) -> None:
    mine = play(room, "王丽", CALL)
    half = play(room, HOSTILE, CALL[:2])
    other = play(room, "李娜", CALL)  # another class's trainee

    async def scenario(client: TestClient[Any, Any]) -> None:
        await sign_in(client, room.tokens["陈老师"])
        answer = await client.get("/dashboard")
        assert answer.status == 200
        page = await answer.text()
        assert '<meta http-equiv="refresh" content="7">' in page
        assert HOSTILE not in page and html.escape(HOSTILE) in page
        rows = re.findall(r"<tr data-trainee=.*?</tr>", page)
        assert len(rows) == 2  # two trainees × one assignment; 李娜 is in another class
        wang = next(r for r in rows if "王丽" in r)
        assert "abuse · 辱骂侮辱 × 1" in wang and f"/dashboard/debrief/{mine}" in wang
        assert re.search(r'class="score">\d+<', wang)
        assert "in progress" in next(r for r in rows if "王丽" not in r)
        data = await (await client.get("/dashboard?format=json")).json()
        by_name = {row["trainee"]: row for row in data["standings"]}
        assert by_name["王丽"]["state"] in ("passed", "failed")
        assert by_name["王丽"]["best_score"] is not None
        assert by_name[HOSTILE]["state"] == "in progress"
        assert {"category": "abuse", "count": 1} in data["findings"]
        debrief = await client.get(f"/dashboard/debrief/{mine}")
        text = await debrief.text()
        assert debrief.status == 200 and "老赖" in text and "王丽" in text
        unfinished = await client.get(f"/dashboard/debrief/{half}")
        assert unfinished.status == 200 and html.escape(HOSTILE) in await unfinished.text()
        assert HOSTILE not in await unfinished.text()
        # a session of another class, an unknown id, a path trick: no debrief
        for sid in (other, "0123456789abcdef", "..%2F..%2Fetc"):
            assert (await client.get(f"/dashboard/debrief/{sid}")).status == 404
        # the hostile trainee's own app page shows their name as text
        await client.post("/signout")
        await sign_in(client, room.tokens[HOSTILE])
        page = await (await client.get("/app")).text()
        assert HOSTILE not in page and html.escape(HOSTILE) in page

    served(config(room, refresh=7), room, scenario)


def test_nothing_comes_from_the_internet_and_no_folder_is_listed(room: Classroom) -> None:
    play(room, "王丽", CALL)

    async def scenario(client: TestClient[Any, Any]) -> None:
        pages = [await (await client.get("/")).text()]
        await sign_in(client, room.tokens["陈老师"])
        pages.append(await (await client.get("/app")).text())
        board = await client.get("/dashboard")
        assert "default-src 'self'" in board.headers["Content-Security-Policy"]
        pages.append(await board.text())
        link = re.search(r'href="(/dashboard/debrief/[0-9a-f]+)"', pages[-1])
        assert link
        pages.append(await (await client.get(link.group(1))).text())
        assets = set()
        for page in pages:
            for found in re.findall(r'(?:src|href)="([^"]*)"', page):
                assert found.startswith("/"), found  # this server's own paths only
                if found.startswith("/static/"):
                    assets.add(found)
            assert "url(http" not in page and "@import" not in page
        assert assets >= {"/static/trainer.css", "/static/textual.js", "/static/xterm.css"}
        for asset in [*assets, "/static/RobotoMono.ttf", "/static/RobotoMono-Italic.ttf"]:
            answer = await client.get(asset)
            assert answer.status == 200, asset
            body = await answer.read()
            assert b"googleapis" not in body and b"url(http" not in body
        for path in (
            "/static/",
            "/static",
            "/static/js/textual.js",
            "/static/..%2Fserver.py",
            "/static/%2E%2E/server.py",
            "/static/fonts",
        ):
            answer = await client.get(path)
            assert answer.status == 404, path
            assert "Index of" not in await answer.text()

    served(config(room), room, scenario)


def test_the_call_screen_takes_its_longest_line_from_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from trainer.tui.screens.call import _max_line

    monkeypatch.setenv("TRAINER_MAX_LINE", "120")
    assert _max_line() == 120
    monkeypatch.setenv("TRAINER_MAX_LINE", "many")
    assert _max_line() == 1000
    monkeypatch.setenv("TRAINER_MAX_LINE", "5000")
    assert _max_line() == 1000


def test_the_server_module_loads_neither_textual_nor_rich() -> None:
    """The app's Textual runs in its own process; the server stays light."""
    import subprocess
    import sys

    probe = (
        "import sys, trainer.web.server;"
        " print(sorted(m for m in ('textual', 'rich') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
