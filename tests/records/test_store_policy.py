"""One error policy for the session database: a damaged file, table or cell, a read-only
data folder and a full disk give one line naming the database file, never a traceback."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from namespaces import in_namespace, mount_problem

from trainer.records.sqlite import DB_NAME, Store


def _home(tmp_path: Path, sessions: int = 2) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    with Store(home / DB_NAME) as store:
        for n in range(sessions):
            store.create_session(
                scenario_id=f"s{n}", trainee=f"t{n}", started_at=f"2026-01-0{n + 1}"
            )
    return home


def _sql(home: Path, statement: str) -> None:
    db = sqlite3.connect(home / DB_NAME)
    db.execute(statement)
    db.commit()
    db.close()


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        ("UPDATE sessions SET seed = 'abc' WHERE trainee = 't0'", "'seed' holds 'abc'"),
        ("UPDATE sessions SET trainee = CAST('x' AS BLOB) WHERE trainee = 't0'", "bytes data"),
    ],
)
def test_a_bad_cell_skips_its_row_with_a_warning(
    run_cli, tmp_path: Path, statement: str, why: str
) -> None:  # type: ignore[no-untyped-def]
    home = _home(tmp_path)
    _sql(home, statement)
    result = run_cli("--home", str(home), "history")
    assert result.returncode == 0 and "t1" in result.stdout
    [warning] = result.stderr.splitlines()
    assert warning.startswith("warning: ") and DB_NAME in warning and why in warning


def _home_with_turns(tmp_path: Path) -> Path:
    """A home holding one session of three stored turns (customer, agent, customer)."""
    home = tmp_path / "home"
    result = subprocess.run(
        [sys.executable, "-m", "trainer", "--home", str(home), "import", str(_OK_EXPORT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return home


_OK_EXPORT = Path(__file__).resolve().parents[1] / "fixtures" / "hostile" / "import-ok.jsonl"

_BAD_TURN_CELLS = [
    ("text = CAST(text AS BLOB)", "'text' holds bytes data, not text"),
    ("findings = '{not json'", "'findings' holds '{not json', not JSON"),
    ("findings = '5'", "'findings' holds int JSON, not list"),
    ("findings = '[\"x\"]'", "'findings' holds a list with something other than JSON objects"),
    ("meters = '[1]'", "'meters' holds list JSON, not dict"),
    ("moves = '{\"a\": 1}'", "'moves' holds dict JSON, not list"),
    ("score = 'abc'", "'score' holds 'abc', not a number"),
    ("intent = X'00ff'", "'intent' holds bytes data, not text"),
]


@pytest.mark.parametrize(("assignment", "why"), _BAD_TURN_CELLS)
@pytest.mark.parametrize("command", ["history", "report", "debrief last", "export"])
def test_a_bad_turn_cell_skips_that_turn_with_one_warning(
    run_cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    assignment: str,
    why: str,
    command: str,
) -> None:
    """Every reading command still works; the bad turn is named once, never read as empty."""
    home = _home_with_turns(tmp_path)
    _sql(home, f"UPDATE turns SET {assignment} WHERE idx = 1")
    extra = ["-o", str(tmp_path / "out.jsonl")] if command == "export" else []
    result = run_cli("--home", str(home), *command.split(), *extra)
    assert result.returncode == 0, result.stderr
    [warning] = result.stderr.splitlines()[-1:]
    assert warning.startswith(f"warning: {home / DB_NAME}: skipped turn 1 of session ")
    assert why in warning and "re-import the session" in warning
    assert "Traceback" not in result.stderr and result.stderr.count("warning:") == 1
    if command == "export":
        assert (tmp_path / "out.jsonl").read_text(encoding="utf-8").count("\n") == 1


def test_a_call_with_a_damaged_turn_is_not_resumed(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Resuming it used to collide with the left-out row ("is this session open twice?")."""
    home = _home_with_turns(tmp_path)
    _sql(home, "UPDATE turns SET text = CAST(text AS BLOB) WHERE idx = 1")
    result = run_cli(
        "--home", str(home), "play", "--resume", "3fa2c1e0b9d4", "--script", "-", stdin="好\n"
    )
    assert result.returncode == 2
    assert "session 3fa2c1e0b9d4: 1 stored turn(s) are damaged, so the call cannot be resumed" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_bad_session_cell_outside_the_listed_columns_skips_it(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home = _home_with_turns(tmp_path)
    _sql(home, "UPDATE sessions SET finished_at = X'00ff', meters = '[1]'")
    result = run_cli("--home", str(home), "export", "-o", str(tmp_path / "out.jsonl"))
    assert result.returncode == 0
    assert "skipped session '3fa2c1e0b9d4': 'finished_at' holds bytes data" in result.stderr


def test_a_dropped_table_is_one_line_naming_the_file(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home = _home(tmp_path)
    _sql(home, "DROP TABLE turns")
    result = run_cli("--home", str(home), "history")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert f"{DB_NAME}: the session database is damaged (no such table: turns)" in line
    assert "move it aside" in line


def test_a_damaged_page_is_one_line(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home = _home(tmp_path, sessions=40)
    with open(home / DB_NAME, "r+b") as handle:
        handle.seek(4096)
        handle.write(b"\x0d\xff\xff" * 4000)
    result = run_cli("--home", str(home), "history")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "the session database is damaged" in line or "cannot open" in line


READ_ONLY = mount_problem("--bind {folder} {folder}")  # a read-only home needs a bind mount


@pytest.mark.skipif(READ_ONLY is not None, reason=str(READ_ONLY))
def test_a_read_only_home_still_lists_and_says_it_cannot_save(tmp_path: Path) -> None:
    home = _home(tmp_path)
    trainer = f"{sys.executable} -m trainer --home {home}"
    script = (
        f"mount --bind {home} {home} && mount -o remount,ro,bind {home} && "
        f"{trainer} history; echo history=$?; "
        f"echo hi | {trainer} play zh-first-forgetful --script -; echo play=$?"
    )
    result = in_namespace(script)
    assert "history=0" in result.stdout and "t1" in result.stdout
    assert "play=2" in result.stdout
    assert "cannot save: the data folder is read-only" in result.stderr
    assert "Traceback" not in result.stderr
