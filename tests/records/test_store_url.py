"""The store chosen by URL (--store, $TRAINER_STORE), `trainer db upgrade|status`, and
sessions moved between SQLite and a real PostgreSQL server with export and import."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from trainer.records import StoreError
from trainer.records.postgres import SCHEMA_VERSION, PgStore, redact
from trainer.records.sqlite import Store
from trainer.records.stores import open_store, sqlite_path

LINES = "您好,我是华信银行信用卡中心客户服务部的王丽,工号1024。\n请问是李先生本人吗?\n"


def test_sqlite_urls_name_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert sqlite_path("sqlite:///srv/x/trainer.db", None) == Path("/srv/x/trainer.db")
    assert sqlite_path("sqlite:data/t.db", None) == Path("data/t.db")
    assert sqlite_path(None, tmp_path) == tmp_path / "trainer.db"
    with pytest.raises(StoreError, match="names no file"):
        sqlite_path("sqlite:///", None)
    monkeypatch.setenv("TRAINER_STORE", f"sqlite:///{tmp_path / 'env.db'}")
    with open_store(None, tmp_path / "home") as store:
        assert isinstance(store, Store) and store.path == str(tmp_path / "env.db")
    with open_store(f"sqlite:///{tmp_path / 'flag.db'}", tmp_path) as store:
        assert store.path == str(tmp_path / "flag.db")  # --store wins over the variable


def test_a_url_of_another_kind_is_one_line(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    done = run_cli("--store", "mysql://root@db/x", "history", "--home", str(tmp_path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "sqlite:///PATH or postgresql://" in done.stderr
    missing = run_cli("history", "--store", f"sqlite:///{tmp_path}/no/such/t.db")
    assert missing.returncode == 2 and "no folder" in missing.stderr


def test_passwords_are_never_shown() -> None:
    url = "postgresql://ana:s3cret@db.example:5432/trainer?sslmode=require&password=s3cret"
    assert "s3cret" not in redact(url) and "ana@db.example:5432/trainer" in redact(url)


def test_an_unreachable_server_is_one_line(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = "postgresql://trainer:pw@127.0.0.1:1/trainer"
    for command in (["history"], ["db", "status"], ["debrief", "last"]):
        done = run_cli("--store", url, *command, "--home", str(tmp_path))
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert "unreachable" in done.stderr and "Connection refused" in done.stderr
        assert "pw@" not in done.stderr


def test_db_upgrade_and_status(run_cli, pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = pg_server.new_database()
    home = str(tmp_path)
    behind = run_cli("--store", url, "history", "--home", home)
    assert behind.returncode == 2 and "trainer db upgrade" in behind.stderr
    status = run_cli("db", "status", "--store", url, "--home", home)
    assert status.returncode == 1 and f"v0, this trainer uses v{SCHEMA_VERSION}" in status.stdout
    up = run_cli("db", "upgrade", "--store", url, "--home", home)
    assert up.returncode == 0 and f"v0 → v{SCHEMA_VERSION}" in up.stdout
    again = run_cli("db", "upgrade", "--store", url, "--home", home)
    assert again.returncode == 0 and "is current" in again.stdout
    status = run_cli("--store", url, "db", "status", "--format", "json", "--home", home)
    assert status.returncode == 0 and '"sessions": 0' in status.stdout
    sqlite = run_cli("db", "status", "--home", home)  # the home SQLite file, not made yet
    assert sqlite.returncode == 1 and "(sqlite)" in sqlite.stdout
    assert run_cli("db", "upgrade", "--home", home).returncode == 0
    assert run_cli("db", "status", "--home", home).returncode == 0


def test_hosts_upgrading_at_once_apply_each_step_once(pg_server) -> None:  # type: ignore[no-untyped-def]
    url = pg_server.new_database()
    results: list[list[int] | Exception] = []

    def upgrade() -> None:
        try:
            with PgStore(url, check_schema=False) as store:
                results.append(store.upgrade())
        except Exception as exc:  # reported below
            results.append(exc)

    threads = [threading.Thread(target=upgrade) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not [r for r in results if isinstance(r, Exception)], results
    # every step applied exactly once, whichever host took it (one lock per step, so
    # two hosts may share the steps between them)
    applied = sorted(step for r in results if isinstance(r, list) for step in r)
    assert applied == list(range(1, SCHEMA_VERSION + 1))
    with PgStore(url) as store:
        assert store.schema_version == SCHEMA_VERSION


def test_a_newer_schema_is_refused(pg_url: str) -> None:
    with PgStore(pg_url) as store, store._transaction() as db:
        db.execute("INSERT INTO trainer_schema (version, applied_at) VALUES (99, 'x')")
    with pytest.raises(StoreError, match="newer than this trainer"):
        PgStore(pg_url)


def test_calls_move_between_postgresql_and_sqlite(run_cli, pg_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home = str(tmp_path)
    played = run_cli(
        "--store",
        pg_url,
        "play",
        "zh-first-forgetful",
        "--script",
        "-",
        "--trainee",
        "王丽",
        "--home",
        home,
        stdin=LINES,
    )
    assert played.returncode == 0, played.stderr
    assert "session " in played.stderr and pg_url.split("@")[1] in played.stderr
    exported = run_cli("export", "--store", pg_url, "-o", str(tmp_path / "x.jsonl"))
    assert exported.returncode == 0, exported.stderr
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    assert run_cli("import", str(tmp_path / "x.jsonl"), "--store", copy).returncode == 0
    with open_store(pg_url, tmp_path) as pg, open_store(copy, tmp_path) as lite:
        [original] = pg.list_sessions()
        assert original.trainee == "王丽" and original.turn_count == 5
        assert lite.load(original.id).to_json() == pg.load(original.id).to_json()
    back = run_cli("import", str(tmp_path / "x.jsonl"), "--store", pg_url)
    assert back.returncode == 2 and "already exists" in back.stderr
    history = run_cli("history", "--store", copy)
    assert history.returncode == 0 and "王丽" in history.stdout
