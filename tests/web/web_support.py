"""Shared set-up of the ``trainer serve`` tests: a class in a store, calls played into it,
the server as an aiohttp test client, and the app's screen read from its byte stream."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cdp import Page

from trainer.records.classroom import TraineeStore
from trainer.records.stores import open_store
from trainer.web.server import ServeConfig

ROOT = Path(__file__).resolve().parents[2]
#: The TUI tests' frozen content: one short call (fast to load in every app process).
FIXTURES = ROOT / "tests" / "tui" / "fixtures" / "content"
SCENARIO = "tui-zh-first"
#: A call of that scenario, in order, that ends well; its third line draws an abuse
#: finding (老赖) and the persona answers it ("到底什么事?").
CALL = [
    "您好,我是华信银行信用卡中心的小王,工号1234。",
    "请问是李明先生本人吗?",
    "你这个老赖,什么时候还钱?",
    "您尾号8899的信用卡目前欠款8,650元,已经逾期12天了。",
    "您看这周五之前能通过官方App还上8,650元吗?",
    "好的,感谢您的配合,祝您生活愉快,再见。",
]
FINDING_REPLY = "到底什么事"
#: The persona's reply to each line of `CALL`, in order (what the trainee must see).
REPLIES = ["有什么事", "我就是李明", FINDING_REPLY, "自动还款", "周五我用", "好的,再见"]
#: The live finding the third line draws.
FINDING_RULE = "ZH-ABU-001"
#: A trainee name that is markup: it must always be shown as text.
HOSTILE = '<script>alert("x")</script>'


@dataclass
class Classroom:
    """A class ``spring`` (instructor 陈老师; trainees 王丽 and a hostile name) with the
    fixture scenario assigned, and a class ``autumn`` (trainee 李娜) beside it."""

    url: str
    home: Path
    tokens: dict[str, str]
    assignment: str


def make_classroom(url: str, home: Path) -> Classroom:
    """Create the classes of `Classroom` in the store at ``url``."""
    home.mkdir(parents=True, exist_ok=True)
    with open_store(url, home) as store:
        store.create_class("spring")
        store.create_class("autumn")
        tokens = {
            "陈老师": store.add_member("spring", "陈老师", "instructor"),
            "王丽": store.add_member("spring", "王丽"),
            HOSTILE: store.add_member("spring", HOSTILE),
            "李娜": store.add_member("autumn", "李娜"),
        }
        work = store.create_assignment("spring", SCENARIO, due=None, pass_mark=60)
    return Classroom(url, home, tokens, work.id)


def play(room: Classroom, trainee: str, lines: list[str]) -> str:
    """Play ``lines`` of the fixture call as ``trainee`` into the store (the services
    path the app takes); returns the session id."""
    from trainer.engine.session import Session
    from trainer.services.content import load_content
    from trainer.services.rulebooks import load_rulebook

    content, _ = load_content([FIXTURES])
    with open_store(room.url, room.home) as store:
        mine = TraineeStore(store, trainee)
        session = Session.new(
            content.scenarios[SCENARIO],
            content,
            seed=7,
            grader=load_rulebook("zh-CN"),
            store=mine,
        )
        session.start()
        for line in lines:
            if session.finished:
                break
            session.say(line)
        assert session.id is not None
        return session.id


def config(room: Classroom, **limits: object) -> ServeConfig:
    """The server's configuration for ``room`` on the fixture content."""
    return ServeConfig(
        store_url=room.url,
        home=room.home,
        content=(FIXTURES,),
        **limits,  # type: ignore[arg-type]
    )


_ESCAPES = re.compile(
    rb"\x1b(\[[0-9;?<=>]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-B]|[=>78])"
)


def screen_text(stream: bytes) -> str:
    """The text an app's output stream draws, escape sequences removed (runs of one style
    stay together, so a short line the app shows can be searched for)."""
    return _ESCAPES.sub(b"", stream).decode("utf-8", "replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(room: Classroom, port: int, *options: str) -> Iterator[subprocess.Popen[bytes]]:
    """``trainer serve`` on ``port`` until the block ends (stopped with SIGINT, as Ctrl+C);
    what it prints goes to ``serve-PORT.log`` in the home folder."""
    log = room.home / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "trainer",
                "serve",
                "--store",
                room.url,
                "--home",
                str(room.home),
                "--port",
                str(port),
                "--content",
                str(FIXTURES),
                *options,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TRAINER_TOKEN": ""},
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                time.sleep(0.2)
        yield process
    finally:
        process.send_signal(2)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


#: Added before every page's own scripts: keep what the app's websocket delivers (the
#: app draws on a canvas, so its text is read from these bytes).
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


class Screen:
    """What the app in a tab has drawn since it was loaded, as text."""

    def __init__(self, page: Page, poll: float = 0.1) -> None:
        self.page = page
        self.poll = poll
        self.stream = b""
        self.chunks = 0
        self.seen = 0

    async def text(self) -> str:
        fresh = await self.page.js(f"window.__screen.slice({self.chunks})")
        self.chunks += len(fresh)
        self.stream += b"".join(base64.b64decode(c) for c in fresh)
        return screen_text(self.stream)

    async def wait(self, *wanted: str, timeout: float = 30) -> str:
        """Wait until everything in ``wanted`` was drawn after the last wait."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            text = await self.text()
            fresh = text[self.seen :]
            if all(w in fresh for w in wanted):
                self.seen = len(text)
                return fresh
            if loop.time() > deadline:
                missing = [w for w in wanted if w not in fresh]
                raise AssertionError(f"the app never showed {missing}; last: {fresh[-600:]!r}")
            await asyncio.sleep(self.poll)


async def sign_in_browser(page: Page, base: str, token: str, landing: str) -> None:
    """Sign in on the server's own form and wait for ``landing`` (/app or /dashboard)."""
    await page.goto(f"{base}/")
    await page.wait_for("document.getElementById('token') !== null")
    await page.js(f"document.getElementById('token').value = '{token}'")
    await page.js("document.getElementById('signin').click()")
    await page.wait_for(f"location.pathname === '{landing}' && document.readyState === 'complete'")


async def open_assignment(page: Page, screen: Screen, *shown: str) -> None:
    """From the app's start screen (showing ``shown`` too) to the assigned call."""
    # the start screen's name field holds the trainee's name, drawn with the cursor on
    # one of its characters in another style: only a name without it there is found
    await screen.wait("开始", *shown, timeout=60)
    await page.js("document.querySelector('.xterm-helper-textarea').focus()")
    await page.press("enter")  # start → home, where the assignment is listed
    await screen.wait("作业", "忘记还款的李先生")
    await page.press("enter")  # the highlighted call → its briefing
    await screen.wait("8,650")
    await page.press("enter")  # start the call
    await screen.wait("喂,哪位")


async def say_and_wait(
    page: Page, screen: Screen, line: str, *shown: str, timeout: float = 30
) -> None:
    """Type ``line``, press Enter and wait until the app draws everything in ``shown``."""
    await page.type_text(line)
    await page.press("enter")
    await screen.wait(*shown, timeout=timeout)
