"""Classroom load: many trainees playing at once against one PostgreSQL store.

Run: ``python benchmarks/classroom_load.py [--store URL] [--trainees 30] [--think 1.0]
[--kill-at SECONDS]``

Each simulated trainee is a thread that signs in as its own class member
(`trainer.records.classroom.TraineeStore`) and plays the free-mode golden
transcripts of the shipped scenarios through the engine (recognition, the real
rulebooks, the store), waiting ``--think`` seconds (± half) between lines, as a
room of people typing would. All share one `PgStore` (one pool), as one app host.

Measured: the latency of a whole turn (``Session.say``: understand, grade, reply,
commit) and of its store commit alone, p50/p99; turns per second. Checked: every
session's stored turns equal what the trainee saw, in order, none lost or doubled.
With ``--kill-at S`` the server is stopped as if killed (``immediate``) S seconds in
and started again 2 s later: lines typed meanwhile are kept in the journal, and the
check runs after a fresh open has replayed it. Without ``--store`` a throw-away
server is started (``tests/pgserver.py``, fsync on), which ``--kill-at`` needs.

With ``--browsers N``, N more trainees play at the same time in real browser tabs
(headless Chromium) through a ``trainer serve`` process on the same store
(`browser_load`): their turn latency is from Enter to the reply drawn in the page,
and their stored sessions are checked against what each tab saw.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "web"))

from trainer.engine.session import Session  # noqa: E402
from trainer.records import StoreUnreachable  # noqa: E402
from trainer.records.classroom import TraineeStore  # noqa: E402
from trainer.records.journal import JOURNAL_NAME  # noqa: E402
from trainer.records.postgres import PgStore  # noqa: E402
from trainer.services.content import load_content, wire  # noqa: E402
from trainer.services.rulebooks import load_rulebook  # noqa: E402


class TimedStore:
    """A store whose exchange commits inside a turn are timed (the store's share of a
    turn; the opening line's commit, made when a call starts, is not a turn)."""

    def __init__(self, inner: TraineeStore, commits: list[float]) -> None:
        self.inner = inner
        self.commits = commits
        self.timing = False

    def append_turns(self, *args: Any, **kwargs: Any) -> None:
        began = time.perf_counter()
        try:
            self.inner.append_turns(*args, **kwargs)
        finally:
            if self.timing:
                self.commits.append(time.perf_counter() - began)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", metavar="URL")
    parser.add_argument("--trainees", type=int, default=30)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between lines")
    parser.add_argument("--calls", type=int, default=3, help="calls per trainee")
    parser.add_argument("--kill-at", type=float, default=None, metavar="SECONDS")
    parser.add_argument("--browsers", type=int, default=0, help="browser tabs through serve")
    parser.add_argument(
        "--client-nice",
        type=int,
        default=0,
        metavar="N",
        help="run the browsers at this niceness (they stand for the trainees' own machines)",
    )
    args = parser.parse_args()

    server = None
    url = args.store
    if url is None:
        from pgserver import PgServer, find_bindir

        bindir = find_bindir()
        if bindir is None:
            sys.exit("no PostgreSQL server programs: install postgresql, or give --store URL")
        server = PgServer(bindir, durable=True)  # fsync on: commits as in production
        server.start()
        url = server.new_store()
    elif args.kill_at is not None:
        sys.exit("--kill-at needs the throw-away server (leave out --store)")
    wire()
    content, _ = load_content(None)
    scripts = [
        (loaded.obj.scenario, [step.say for step in t.steps])
        for loaded in content.of_kind("golden")
        for t in loaded.obj.transcripts
        if t.mode == "free" and all(step.say for step in t.steps)
    ]
    graders = {locale: load_rulebook(locale) for locale in ("zh-CN", "en-US")}
    home = Path(tempfile.mkdtemp(prefix="trainer-load-"))
    store = PgStore(url, journal=home / JOURNAL_NAME, max_connections=10)
    store.create_class("load")
    browser_tokens = {
        f"browser-{n:02d}": store.add_member("load", f"browser-{n:02d}")
        for n in range(args.browsers)
    }
    turns: list[float] = []
    commits: list[float] = []
    kept: list[int] = []
    sessions: list[Session] = []
    lock = threading.Lock()

    def trainee(number: int) -> None:
        rng = random.Random(number)
        mine = TimedStore(TraineeStore(store, f"trainee-{number:02d}"), commits)
        for _ in range(args.calls):
            scenario_id, lines = rng.choice(scripts)
            scenario = content.scenarios[scenario_id]
            session = Session.new(
                scenario, content, seed=number, grader=graders[scenario.locale], store=mine
            )
            while True:
                try:
                    session.start()
                    break
                except StoreUnreachable:
                    if session.id is not None:
                        break  # started; its opening line is kept in the journal
                    time.sleep(0.5)  # nothing typed yet: start the call when the store is back
            with lock:
                sessions.append(session)
            for line in lines:
                if session.finished:
                    break
                time.sleep(args.think * rng.uniform(0.5, 1.5))
                began = time.perf_counter()
                mine.timing = True
                try:
                    session.say(line)
                except StoreUnreachable:
                    with lock:
                        kept.append(1)
                    continue
                finally:
                    mine.timing = False
                with lock:
                    turns.append(time.perf_counter() - began)

    def killer() -> None:
        assert server is not None and args.kill_at is not None
        time.sleep(args.kill_at)
        server.stop("immediate")
        print(f"server killed at {args.kill_at:.1f} s", flush=True)
        time.sleep(2)
        server.start()
        print("server started again", flush=True)

    tabs: list[Any] = []

    def browsers() -> None:
        from browser_load import run_browsers

        base = f"http://127.0.0.1:{port}"
        tabs.extend(
            run_browsers(base, browser_tokens, args.calls, patience=15, nice=args.client_nice)
        )

    threads = [threading.Thread(target=trainee, args=(n,)) for n in range(args.trainees)]
    if args.kill_at is not None:
        threads.append(threading.Thread(target=killer))
    serving = contextlib.nullcontext()
    if args.browsers:
        from web_support import Classroom, free_port
        from web_support import serving as serve_process

        store.create_assignment("load", "tui-zh-first", due=None, pass_mark=None)
        port = free_port()
        room = Classroom(url, home, browser_tokens, "")
        serving = serve_process(room, port, "--max-per-host", str(3 * args.browsers))
        threads.append(threading.Thread(target=browsers))
    with serving:
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    store.close()

    with PgStore(url, journal=home / JOURNAL_NAME) as fresh:  # replays what was kept
        lost = doubled = 0
        for session in sessions:
            assert session.id is not None
            stored = [t.text for t in fresh.load(session.id).turns]
            seen = [t.text for t in session.turns]
            lost += sum(1 for text in seen if text not in stored)
            doubled += len(stored) - len(set(zip(range(len(stored)), stored, strict=True)))
            if stored != seen:
                lost += 1
                print(f"session {session.id}: stored {len(stored)} turns, saw {len(seen)}")
        left = len(fresh.journal.pending()) if fresh.journal else 0
        if tabs:
            from browser_load import check

            browser_lost, browser_doubled = check(tabs, fresh)

    def ms(values: list[float], q: float) -> str:
        ordered = sorted(values)
        return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.1f} ms"

    print(
        f"{args.trainees} trainees, {len(sessions)} calls, {len(turns)} acknowledged turns"
        f" in {elapsed:.1f} s ({len(turns) / elapsed:.1f} turns/s), think {args.think} s"
    )
    print(
        f"turn (say: understand, grade, reply, commit): p50 {ms(turns, 0.5)}, p99"
        f" {ms(turns, 0.99)}, max {max(turns) * 1000:.1f} ms,"
        f" mean {statistics.mean(turns) * 1000:.1f} ms"
    )
    print(f"store commit alone: p50 {ms(commits, 0.5)}, p99 {ms(commits, 0.99)}")
    print(
        f"lines kept in the journal while the server was down: {len(kept)};"
        f" sessions whose stored turns differ from what the trainee saw: {lost};"
        f" doubled: {doubled}; journal entries left: {left}"
    )
    if tabs:
        seen = [t for tab in tabs for t in tab.turns]
        calls = [n for tab in tabs for n in tab.calls]
        print(
            f"{len(tabs)} browser trainees through trainer serve: {len(calls)} calls,"
            f" {len(seen)} acknowledged turns; turn (Enter to the reply drawn in the page):"
            f" p50 {ms(seen, 0.5)}, p99 {ms(seen, 0.99)}, max {max(seen) * 1000:.1f} ms;"
            f" lost {browser_lost}, doubled {browser_doubled}"
        )
        for tab in tabs:
            for problem in tab.problems:
                print(f"{tab.name}: {problem}")
        lost += browser_lost
        doubled += browser_doubled
    if server is not None:
        server.destroy()
    return 1 if lost or left or doubled else 0


if __name__ == "__main__":
    raise SystemExit(main())
