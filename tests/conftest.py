"""Suite-wide set-up: content kinds wired as the command line and the app wire them, and
``run_cli``: the CLI run in-process.

``run_cli`` calls ``trainer.cli.main(argv)`` in this interpreter with captured
output, so a test costs milliseconds instead of a fresh interpreter. A handful
of tests still spawn the real ``python -m trainer`` (kill -9 and resume, the
installed entry point, start-up imports).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from trainer.cli import main
from trainer.services.content import wire

ROOT = Path(__file__).resolve().parents[1]

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


def pytest_configure(config: pytest.Config) -> None:
    """The suite never reads or writes the user's cache or sessions: the content cache is
    off (its own tests turn it on in a temporary folder), the cache folder and the home
    folder are temporary ones.

    Set here, before collection, because some test modules load content while they are
    collected (parametrised over the shipped scenarios).
    """
    folder = tempfile.mkdtemp(prefix="trainer-test-cache-")
    os.environ["TRAINER_CACHE_DIR"] = folder
    os.environ["TRAINER_NO_CACHE"] = "1"
    os.environ.pop("TRAINER_STORE", None)  # a developer's own store is never a test's
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    # nor the user's sessions: a call played by a test is saved in a temporary home
    # (tests that need their own home still pass --home or set TRAINER_HOME themselves)
    home = tempfile.mkdtemp(prefix="trainer-test-home-")
    os.environ["TRAINER_HOME"] = home
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run ``trainer ARGS`` in-process as a user would; returns code, stdout and stderr."""

    def run(
        *args: str, cwd: Path = ROOT, timeout: float = 120, stdin: str = ""
    ) -> subprocess.CompletedProcess[str]:
        del timeout  # kept for the callers' signature; in-process runs are not timed out
        monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["trainer", *args], code, out, err)

    return run


wire()


@pytest.fixture(scope="session")
def pg_server():  # type: ignore[no-untyped-def]
    """A real PostgreSQL server for this test process (skipped only without binaries)."""
    from pgserver import PgServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        pytest.skip(
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres) in pg_config --bindir,"
            " /usr/lib/postgresql/*/bin or PATH: apt-get install postgresql"
        )
    server = PgServer(bindir)
    server.start()
    yield server
    server.destroy()


@pytest.fixture
def pg_url(pg_server) -> str:  # type: ignore[no-untyped-def]
    """A new, upgraded database on the test server."""
    url: str = pg_server.new_store()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store of each backend: the store suite runs on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'trainer.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url
