"""A real, throw-away PostgreSQL server for the store tests.

`PgServer` runs ``initdb`` into a temporary folder and starts ``postgres`` on
loopback on a free port, with its unix socket in that folder too; tests create
one database each (`PgServer.new_database`) and may stop and start the server
mid-call. The binaries come from ``pg_config --bindir``, then
``/usr/lib/postgresql/*/bin``, then PATH; `find_bindir` returns None when there
are none (the tests are then skipped with that reason; ``.ci/run`` installs the
system package so CI always has them).

``initdb`` refuses to run as root: as root, the server's folder is given to the
``postgres`` user (made by the system package), else to ``nobody``, and the
server's programs run as that user through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def find_bindir() -> Path | None:
    """The folder of ``initdb``/``pg_ctl``/``postgres``, or None when none is installed."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
            if out:
                candidates.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One PostgreSQL cluster in a temporary folder, on 127.0.0.1:``port``."""

    def __init__(self, bindir: Path, *, durable: bool = False) -> None:
        #: False (tests): fsync off, faster; True (benchmarks): every commit on disk
        self.durable = durable
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="trainer-pg-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                try:
                    pwd.getpwnam(name)
                except KeyError:
                    continue
                self.user = name
                break
            if self.user is None:
                raise RuntimeError("running as root and no 'postgres' or 'nobody' user")
        self.data.mkdir()
        self.socket_dir.mkdir()
        self.log.touch()
        if self.user is not None:
            for path in (self.data, self.socket_dir, self.log):
                shutil.chown(path, self.user)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "trainer",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        # its own session: no signal meant for the test run's process group reaches the
        # server, and none of the server's reaches the tests
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=120, start_new_session=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> None:
        """Start (or restart) the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
            " -c max_connections=200"
        )
        if not self.durable:
            options += " -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate``: as if killed, no clean shut-down)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        """A connection URL for ``database`` over TCP on loopback."""
        return f"postgresql://trainer@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # name is hex: no quoting issue
        return self.url(name)

    def new_store(self) -> str:
        """Create a database, apply trainer's schema (``trainer db upgrade``), return its URL."""
        from trainer.records.postgres import PgStore

        url = self.new_database()
        with PgStore(url, check_schema=False) as store:
            store.upgrade()
        return url

    def destroy(self) -> None:
        """Stop the server if it runs and remove its folder."""
        with contextlib.suppress(RuntimeError, OSError, subprocess.SubprocessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
