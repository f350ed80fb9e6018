"""The ``trainer serve`` web application (aiohttp): sign-in, the app, the dashboard.

Routes:

- ``GET /``: the sign-in form, or on to ``/app`` (trainees) / ``/dashboard``
  (instructors) when this browser is signed in.
- ``POST /signin``: a member's personal token (``trainer class create/add``) → a
  random session key in an HttpOnly, SameSite=Strict cookie; the server keeps the
  token in memory to start that member's app. ``POST /signout`` forgets it.
- ``GET /app`` and the websocket ``/ws``: the trainee app. Each connection starts one
  ``python -m trainer tui`` process with the member's token, the store URL and the
  home folder in its *environment* (never on a command line, never through a shell),
  and relays the browser's keys and the app's screen with textual-serve's
  `AppService` protocol.
- ``GET /dashboard`` (``?format=json`` too) and ``/dashboard/debrief/SESSION``: an
  instructor's class, read from the same store on every request; the page reloads
  itself (a meta refresh). A debrief is shown only for a trainee of that class.
- ``GET /static/NAME``: a fixed list of files (no folder is ever listed or walked).

Limits: app connections per client address (``max_per_host``) and in all
(``max_apps``), an idle time-out (no key typed) after which the app is closed, the
longest line the app accepts (``TRAINER_MAX_LINE`` in the app's environment), the
size of a websocket message and of a request body, and failed sign-ins per address.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import secrets
import sys
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from trainer.records import StoreError
from trainer.web import pages

if TYPE_CHECKING:
    from trainer.records.classroom import Member
    from trainer.records.sqlbase import SqlStore
    from trainer.scenarios.loader import ContentSet
    from trainer.scoring.saved import Scorer

log = logging.getLogger("trainer.serve")
T = TypeVar("T")

COOKIE = "trainer_session"
#: A token as `trainer.records.classroom.new_token` makes them.
TOKEN_RE = re.compile(r"[0-9a-fA-F]{32}")
#: Failed sign-ins allowed per client address per minute.
SIGNIN_FAILURES_PER_MINUTE = 10
#: The largest websocket message from a browser (a paste is one message).
MAX_MESSAGE = 64 * 1024
#: The files ``/static/NAME`` serves: our own style sheet, and the terminal's script,
#: style and fonts from the textual-serve package. Nothing else, no folder listing.
_OWN_STATIC = Path(__file__).parent / "static"


def _static_files() -> dict[str, tuple[Path, str]]:
    import textual_serve

    served = Path(textual_serve.__file__).parent / "static"
    return {
        "trainer.css": (_OWN_STATIC / "trainer.css", "text/css"),
        "textual.js": (served / "js" / "textual.js", "text/javascript"),
        "xterm.css": (served / "css" / "xterm.css", "text/css"),
        "RobotoMono.ttf": (served / "fonts" / "RobotoMono-VariableFont_wght.ttf", "font/ttf"),
        "RobotoMono-Italic.ttf": (
            served / "fonts" / "RobotoMono-Italic-VariableFont_wght.ttf",
            "font/ttf",
        ),
    }


@dataclass(frozen=True)
class ServeConfig:
    """What the instructor chose on the command line (see ``trainer serve --help``)."""

    host: str = "127.0.0.1"
    port: int = 8000
    #: The store URL the apps use (None: the SQLite file in ``home``).
    store_url: str | None = None
    home: Path = Path(".")
    content: tuple[Path, ...] = ()
    shipped_libraries: bool = False
    max_per_host: int = 4
    max_apps: int = 40
    idle_seconds: float = 20 * 60
    max_line: int = 1000
    refresh: int = 10
    #: How long a browser stays signed in without being used.
    session_seconds: float = 12 * 3600
    #: The interpreter that runs the app processes.
    python: str = sys.executable


@dataclass
class SignedIn:
    """A browser that signed in: its member and the token that starts their app."""

    member: Member
    token: str
    last_seen: float = field(default_factory=time.monotonic)


class TraineeApp(AppService):
    """textual-serve's app protocol, run on an argument list instead of a shell command.

    `AppService` starts its command with ``create_subprocess_shell``; a served trainee
    app must never go through a shell, so the process is started here with
    ``create_subprocess_exec`` and the member's token and store in its environment
    (not visible in ``ps`` as an argument would be). textual-serve is pinned to a
    minor version in ``pyproject.toml`` because this overrides one of its methods.
    """

    def __init__(
        self,
        argv: list[str],
        environment: dict[str, str],
        *,
        write_bytes: Callable[[bytes], Awaitable[None]],
        write_str: Callable[[str], Awaitable[None]],
        close: Callable[[], Awaitable[Any]],
    ) -> None:
        super().__init__(
            argv[0],
            write_bytes=write_bytes,
            write_str=write_str,
            close=close,
            download_manager=DownloadManager(),
        )
        self.argv = argv
        self.extra_environment = environment

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        environment = self._build_environment(width=width, height=height)
        environment.update(self.extra_environment)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def close_app(self, wait: float = 5.0) -> None:
        """Ask the app to quit; kill it when it has not within ``wait`` seconds."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.stop(), wait)
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(process.wait(), wait)


class ClassroomServer:
    """The state of one ``trainer serve`` process: signed-in browsers, open apps, the
    store and the content the dashboard scores with."""

    def __init__(self, config: ServeConfig, store: SqlStore) -> None:
        self.config = config
        self.store = store
        self.sessions: dict[str, SignedIn] = {}
        self.apps_per_host: defaultdict[str, int] = defaultdict(int)
        self.apps: set[TraineeApp] = set()
        self.failures: defaultdict[str, deque[float]] = defaultdict(deque)
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="trainer-serve")
        self._content: Future[ContentSet] = self.pool.submit(self._load_content)
        self._scorer: Scorer | None = None
        self.static = _static_files()

    # ------------------------------------------------------------ helpers
    def _load_content(self) -> ContentSet:
        from trainer.services.content import load_content

        paths = list(self.config.content)
        if paths and self.config.shipped_libraries:
            from trainer.paths import shipped_libraries

            paths += shipped_libraries()
        content, _ = load_content(paths or None)
        return content

    async def blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a store or scoring call off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    async def scorer(self) -> Scorer:
        """One scorer for the process (finished sessions' debriefs are kept)."""
        if self._scorer is None:
            from trainer.scoring.saved import Scorer

            content = await asyncio.wrap_future(self._content)
            self._scorer = Scorer(content)
        return self._scorer

    def signed_in(self, request: web.Request) -> SignedIn | None:
        """The member this browser signed in as, or None (also when it was idle too long)."""
        key = request.cookies.get(self.cookie_name)
        if not key:
            return None
        signed = self.sessions.get(key)
        if signed is None:
            return None
        now = time.monotonic()
        if now - signed.last_seen > self.config.session_seconds:
            del self.sessions[key]
            return None
        signed.last_seen = now
        return signed

    @property
    def cookie_name(self) -> str:
        # per port: two serve processes on one host name must not overwrite each other's
        # cookie (browsers do not keep cookies apart by port)
        return f"{COOKIE}_{self.config.port}"

    def _forget_idle(self) -> None:
        """Drop the browsers that have not been seen for ``session_seconds``."""
        now = time.monotonic()
        for key, signed in list(self.sessions.items()):
            if now - signed.last_seen > self.config.session_seconds:
                del self.sessions[key]

    def _too_many_failures(self, host: str) -> bool:
        recent = self.failures[host]
        now = time.monotonic()
        while recent and now - recent[0] > 60:
            recent.popleft()
        return len(recent) >= SIGNIN_FAILURES_PER_MINUTE

    @staticmethod
    def _same_origin(request: web.Request) -> bool:
        """False when a browser says the request comes from another site's page."""
        origin = request.headers.get("Origin")
        if origin is None or origin == "null":
            return origin is None
        return origin.split("://", 1)[-1] == request.host

    @staticmethod
    def html(text: str, status: int = 200) -> web.Response:
        return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")

    def _refuse(self, title: str, text: str, status: int, back: str = "/") -> web.Response:
        return self.html(pages.message_page(title, text, back=back), status)

    # ------------------------------------------------------------ sign-in
    async def index(self, request: web.Request) -> web.StreamResponse:
        signed = self.signed_in(request)
        if signed is None:
            return self.html(pages.signin_page())
        return _redirect("/dashboard" if signed.member.role == "instructor" else "/app")

    async def signin(self, request: web.Request) -> web.StreamResponse:
        if not self._same_origin(request):
            return self._refuse("Refused", "Sign in from this server's own page.", 403)
        host = request.remote or "?"
        if self._too_many_failures(host):
            return self.html(
                pages.signin_page("Too many wrong tokens: wait a minute and try again."), 429
            )
        form = await request.post()
        token = str(form.get("token", "")).strip()
        member = None
        if TOKEN_RE.fullmatch(token):
            try:
                member = await self.blocking(self.store.member_for_token, token)
            except StoreError as exc:
                log.warning("sign-in: %s", exc)
                return self.html(pages.signin_page(f"The store cannot be reached: {exc}"), 503)
        if member is None:
            self.failures[host].append(time.monotonic())
            return self.html(
                pages.signin_page("This token is not valid (ask your instructor for a new one)."),
                403,
            )
        self._forget_idle()
        key = secrets.token_urlsafe(32)
        self.sessions[key] = SignedIn(member, token)
        response = _redirect("/dashboard" if member.role == "instructor" else "/app")
        response.set_cookie(
            self.cookie_name,
            key,
            httponly=True,
            samesite="Strict",
            path="/",
            secure=request.secure,
        )
        log.info("signed in: %s (%s, %s)", member.name, member.class_name, member.role)
        return response

    async def signout(self, request: web.Request) -> web.StreamResponse:
        if not self._same_origin(request):
            return self._refuse("Refused", "Sign out from this server's own page.", 403)
        key = request.cookies.get(self.cookie_name)
        if key:
            self.sessions.pop(key, None)
        response = _redirect("/")
        response.del_cookie(self.cookie_name, path="/")
        return response

    # ------------------------------------------------------------ the app
    async def app_page(self, request: web.Request) -> web.StreamResponse:
        signed = self.signed_in(request)
        if signed is None:
            return _redirect("/")
        scheme = "wss" if request.secure else "ws"
        return self.html(pages.app_page(signed.member, f"{scheme}://{request.host}/ws"))

    def _app_command(self, signed: SignedIn) -> tuple[list[str], dict[str, str]]:
        """The app's argument list and the environment that carries who and where."""
        argv = [self.config.python, "-m", "trainer", "tui"]
        for path in self.config.content:
            argv += ["--content", str(path)]
        if self.config.content and self.config.shipped_libraries:
            argv.append("--shipped-libraries")
        environment = {
            "TRAINER_TOKEN": signed.token,
            "TRAINER_HOME": str(self.config.home),
            "TRAINER_MAX_LINE": str(self.config.max_line),
        }
        if self.config.store_url:
            environment["TRAINER_STORE"] = self.config.store_url
        return argv, environment

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        signed = self.signed_in(request)
        if signed is None:
            return self._refuse("Not signed in", "Sign in first.", 403)
        if not self._same_origin(request):
            return self._refuse("Refused", "Open the app from this server's own page.", 403)
        host = request.remote or "?"
        if self.apps_per_host[host] >= self.config.max_per_host:
            return self._refuse(
                "Too many windows",
                f"At most {self.config.max_per_host} app windows per computer: close one.",
                429,
            )
        if len(self.apps) >= self.config.max_apps:
            return self._refuse("Server full", "Every seat is taken: try again soon.", 503)
        width = _bounded(request.query.get("width"), 80, 20, 400)
        height = _bounded(request.query.get("height"), 24, 10, 200)
        socket = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_MESSAGE)
        await socket.prepare(request)
        argv, environment = self._app_command(signed)
        app = TraineeApp(
            argv,
            environment,
            write_bytes=socket.send_bytes,
            write_str=socket.send_str,
            close=socket.close,
        )
        self.apps_per_host[host] += 1
        self.apps.add(app)
        log.info("app opened for %s from %s", signed.member.name, host)
        idle = asyncio.create_task(self._idle_watch(socket, app))
        try:
            await app.start(width, height)
            await self._relay(socket, app)
        except ConnectionResetError:
            pass
        finally:
            idle.cancel()
            # aiohttp cancels a handler whose client went away: the clean-up is shielded
            # so the app process is always ended and its seat given back
            await asyncio.shield(self._closed(socket, app, host, signed.member.name))
        return socket

    async def _closed(
        self, socket: web.WebSocketResponse, app: TraineeApp, host: str, name: str
    ) -> None:
        """End the app of a connection that ended, and give its seat back."""
        try:
            await app.close_app()
            with contextlib.suppress(Exception):
                await socket.close()
        finally:
            self.apps.discard(app)
            self.apps_per_host[host] -= 1
            if self.apps_per_host[host] <= 0:
                del self.apps_per_host[host]
            log.info("app closed for %s", name)

    async def _relay(self, socket: web.WebSocketResponse, app: TraineeApp) -> None:
        """The browser's keys and size to the app (the app's screen goes the other way
        in `AppService.run`). Unknown or malformed messages end the connection."""
        app.last_input = time.monotonic()  # type: ignore[attr-defined]
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                break
            try:
                kind, *rest = json.loads(message.data)
            except (ValueError, TypeError):
                break
            if kind == "stdin" and rest and isinstance(rest[0], str):
                app.last_input = time.monotonic()  # type: ignore[attr-defined]
                await app.send_bytes(rest[0].encode("utf-8"))
            elif kind == "resize" and rest and isinstance(rest[0], dict):
                size = rest[0]
                await app.set_terminal_size(
                    _bounded(size.get("width"), 80, 20, 400),
                    _bounded(size.get("height"), 24, 10, 200),
                )
            elif kind == "ping" and rest:
                await socket.send_json(["pong", str(rest[0])[:32]])
            elif kind == "blur":
                await app.blur()
            elif kind == "focus":
                await app.focus()

    async def _idle_watch(self, socket: web.WebSocketResponse, app: TraineeApp) -> None:
        """Close the app when nothing was typed for ``idle_seconds``."""
        limit = self.config.idle_seconds
        while not socket.closed:
            await asyncio.sleep(min(limit, 5.0))
            last = getattr(app, "last_input", time.monotonic())
            if time.monotonic() - last >= limit:
                log.info("closing an app left idle for %.0f s", limit)
                # closing the socket ends the relay; the connection's handler then
                # closes the app (one task owns the app's end)
                await socket.close(code=4000, message=b"idle")
                return

    # ------------------------------------------------------------ the dashboard
    def _instructor(self, request: web.Request) -> SignedIn:
        signed = self.signed_in(request)
        if signed is None:
            raise web.HTTPSeeOther("/")
        if signed.member.role != "instructor":
            raise web.HTTPForbidden(
                text=pages.message_page(
                    "Instructors only", "The dashboard is for the class's instructors.", back="/app"
                ),
                content_type="text/html",
            )
        return signed

    async def dashboard(self, request: web.Request) -> web.StreamResponse:
        from trainer.services.classroom import class_findings, class_standings

        signed = self._instructor(request)
        class_name = signed.member.class_name
        scorer = await self.scorer()
        try:
            rows = await self.blocking(class_standings, self.store, class_name, scorer)
        except StoreError as exc:
            return self._refuse("Store unavailable", str(exc), 503, back="/dashboard")
        top = class_findings(rows)
        if request.query.get("format") == "json":
            return web.json_response(
                {
                    "class": class_name,
                    "standings": [r.to_json() for r in rows],
                    "findings": [{"category": c, "count": n} for c, n in top],
                },
                dumps=lambda v: json.dumps(v, ensure_ascii=False),
            )
        titles = {sid: s.title for sid, s in scorer.content.scenarios.items()}
        return self.html(
            pages.dashboard_page(
                signed.member,
                rows,
                titles,
                top,
                refresh=self.config.refresh,
                generated_at=datetime.now().isoformat(timespec="seconds"),
            )
        )

    async def debrief(self, request: web.Request) -> web.StreamResponse:
        signed = self._instructor(request)
        session_id = request.match_info["session"]
        scorer = await self.scorer()
        try:
            html = await self.blocking(
                _debrief_html, self.store, signed.member.class_name, session_id, scorer
            )
        except StoreError as exc:
            return self._refuse("Store unavailable", str(exc), 503, back="/dashboard")
        if html is None:
            return self._refuse("No debrief", "No such session in your class.", 404, "/dashboard")
        return self.html(html)

    # ------------------------------------------------------------ static files
    async def static_file(self, request: web.Request) -> web.StreamResponse:
        found = self.static.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        path, kind = found
        return web.FileResponse(path, headers={"Content-Type": kind})

    async def close(self) -> None:
        """Close every app (the server is stopping) and the store."""
        await asyncio.gather(*(app.close_app() for app in list(self.apps)))
        self.pool.shutdown(wait=False, cancel_futures=True)


def _debrief_html(store: SqlStore, class_name: str, session_id: str, scorer: Scorer) -> str | None:
    """The HTML debrief of a session of a trainee of ``class_name`` (None otherwise)."""
    from trainer.scoring.render import render_html

    if not re.fullmatch(r"[0-9a-f]{6,64}", session_id):
        return None
    trainees = {m.name for m in store.members(class_name) if m.role == "trainee"}
    try:
        record = store.load(store.resolve_id(session_id))
    except StoreError:
        return None
    if record.trainee not in trainees:
        return None
    debrief = scorer.debrief_so_far(record)
    if debrief is None:
        return pages.message_page("No debrief", scorer.reason(record.id) or "not scored")
    return render_html(debrief, record)


def _redirect(target: str) -> web.Response:
    """303 See Other to a path of this server."""
    return web.Response(status=303, headers={"Location": target})


def _bounded(value: object, default: int, low: int, high: int) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return default
    return max(low, min(high, number))


@web.middleware
async def _headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Security headers on every answer: scripts, fonts and styles from this server only
    (the terminal adds style elements, hence ``'unsafe-inline'`` for styles), no framing.
    The referrer policy is ``same-origin``, not ``no-referrer``: under the latter
    browsers send ``Origin: null`` with our own forms, which the origin check refuses."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    scheme = "wss" if request.secure else "ws"
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
        f" font-src 'self'; img-src 'self' data:; connect-src 'self' {scheme}://{request.host};"
        " frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    if isinstance(response, web.HTTPException):
        raise response
    return response


#: The `ClassroomServer` of an application (tests reach it through this key).
SERVER: web.AppKey[ClassroomServer] = web.AppKey("server", ClassroomServer)


def make_web_app(config: ServeConfig, store: SqlStore) -> web.Application:
    """The aiohttp application for ``config`` over an open ``store`` (tests call this)."""
    server = ClassroomServer(config, store)
    app = web.Application(middlewares=[_headers], client_max_size=16 * 1024)
    app[SERVER] = server
    app.add_routes(
        [
            web.get("/", server.index),
            web.post("/signin", server.signin),
            web.post("/signout", server.signout),
            web.get("/app", server.app_page),
            web.get("/ws", server.websocket),
            web.get("/dashboard", server.dashboard),
            web.get("/dashboard/debrief/{session}", server.debrief),
            web.get("/static/{name}", server.static_file),
        ]
    )

    async def _closing(_: web.Application) -> None:
        await server.close()

    app.on_shutdown.append(_closing)
    return app


def serve(config: ServeConfig, store: SqlStore, announce: Callable[[str], object]) -> None:
    """Run the server until Ctrl+C or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    app = make_web_app(config, store)
    base = f"http://{_url_host(config.host)}:{config.port}"
    announce(
        f"serving the trainee app on {base}/ and the instructor's dashboard on"
        f" {base}/dashboard (Ctrl+C stops)"
    )
    os.environ.pop("TRAINER_TOKEN", None)  # the apps get each member's own token
    web.run_app(app, host=config.host, port=config.port, print=None, access_log=None)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
