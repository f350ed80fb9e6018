"""The session store: schema, migrations, writes, reads, settings, resume.

The tests taking ``store_url`` run on both backends: an SQLite file and a database on a
real PostgreSQL server that the test run starts (``tests/pgserver.py``).
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from trainer.records.sqlite import (
    MIGRATIONS,
    SCHEMA_VERSION,
    SessionRecord,
    Store,
    StoreError,
    TurnRecord,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "engine"))
from engine_helpers import ZH, FakeGrader, load_fixture_content

from trainer.engine.session import Session, scenario_hash
from trainer.records.stores import open_store


def _store(tmp_path: Path) -> Store:
    return Store(tmp_path / "trainer.db")


def test_schema_is_created_with_wal(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    db = sqlite3.connect(tmp_path / "trainer.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sessions", "turns", "settings"} <= tables


def test_migrates_an_old_database(tmp_path: Path) -> None:
    path = tmp_path / "trainer.db"
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0].split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO sessions (id, scenario_id, started_at) VALUES ('abcd1234', 's', 't')")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.load("abcd1234").state == {}


def test_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "trainer.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_write_and_read_a_session(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url, tmp_path) as store:
        sid = store.create_session(
            scenario_id="s1",
            trainee="ana",
            seed=3,
            mode="guided",
            locale="zh-CN",
            meters={"anger": 20},
            state={"node": "a"},
        )
        store.append_turns(
            sid,
            [
                TurnRecord(0, "customer", "喂?", "a"),
                TurnRecord(
                    1,
                    "agent",
                    "您好",
                    "a",
                    "greet_identify",
                    0.9,
                    ({"rule": "R1", "category": "abuse"},),
                    {"anger": 25},
                ),
            ],
            meters={"anger": 25},
            facts=["x"],
            state={"node": "b"},
        )
        record = store.load(sid[:6])
        assert record.id == sid and record.trainee == "ana" and record.mode == "guided"
        assert [t.text for t in record.turns] == ["喂?", "您好"]
        assert record.turns[1].findings == ({"rule": "R1", "category": "abuse"},)
        assert record.meters == {"anger": 25} and record.facts == ("x",)
        assert record.state == {"node": "b"} and record.status == "in_progress"
        store.finish(sid, ending_id="e", outcome="promise_to_pay")
        done = store.load(sid)
        assert done.finished and done.ending_id == "e" and done.finished_at
        other = store.create_session(scenario_id="s2", trainee="bo")
        store.abandon(other)
        listed = store.list_sessions(trainee="ana")
        assert [r.id for r in listed] == [sid] and listed[0].turn_count == 2
        assert store.list_sessions(status="abandoned")[0].id == other
        assert store.trainees() == ["ana", "bo"]


def test_errors_are_store_errors(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url, tmp_path) as store:
        with pytest.raises(StoreError, match="no session"):
            store.load("ffffffff")
        with pytest.raises(StoreError):
            store.append_turns("nope", [], meters={}, facts=[], state={})
        sid = store.create_session(scenario_id="s")
        with pytest.raises(StoreError, match="twice"):  # the whole exchange is rolled back
            store.append_turns(
                sid,
                [TurnRecord(0, "agent", "a"), TurnRecord(0, "agent", "b")],
                meters={},
                facts=[],
                state={},
            )
        assert store.load(sid).turns == ()


def test_settings(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url, tmp_path) as store:
        assert store.get_setting("name") is None
        store.set_setting("name", "王")
        store.set_setting("name", "李")
        store.set_setting("theme", "dark")
        assert store.settings() == {"name": "李", "theme": "dark"}


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_export_import_round_trip(
    store_url: str, target: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A session moves between the backends (both ways) exactly as it was stored."""
    with open_store(store_url, tmp_path) as store:
        sid = store.create_session(scenario_id="s", trainee="t", seed=2**63 - 1)
        store.append_turns(
            sid,
            [TurnRecord(0, "agent", "hi 您好 \u2028 😀", "n", "greet", 0.5, moves=("a", "b"))],
            meters={"a": 1},
            facts=["f"],
            state={"node": "n", "nested": {"x": [1, 2.5, None, True]}},
        )
        store.finish(sid, ending_id="e", outcome="o")
        data = store.load(sid).to_json()
    copy = SessionRecord.from_json(data)
    other_url = (
        f"sqlite:///{tmp_path / 'other.db'}"
        if target == "sqlite"
        else request.getfixturevalue("pg_server").new_store()
    )
    with open_store(other_url, tmp_path) as other:
        other.import_record(copy)
        assert other.load(sid).to_json() == data
        with pytest.raises(StoreError, match="exists"):
            other.import_record(copy)
    with pytest.raises(StoreError):
        SessionRecord.from_json({"id": "x"})


def test_open_uses_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINER_HOME", str(tmp_path / "env"))
    with Store.open() as store:
        assert Path(store.path) == tmp_path / "env" / "trainer.db"
    with Store.open(tmp_path / "flag") as store:
        assert Path(store.path) == tmp_path / "flag" / "trainer.db"


def test_session_writes_every_exchange_and_resumes(store_url: str, tmp_path: Path) -> None:
    content = load_fixture_content()
    scenario = content.scenarios[ZH]
    grader = FakeGrader()
    lines = [
        "您好,我是示例银行信用卡中心的小王,工号1024",
        "请问您是李明先生本人吗?",
        "你就是个垃圾",
    ]
    with open_store(store_url, tmp_path) as store:
        session = Session.new(scenario, content, seed=5, grader=grader, store=store, trainee="ana")
        session.start()
        for line in lines:
            session.say(line)
        sid = session.id
        assert sid is not None
        record = store.load(sid)
        assert record.scenario_hash == scenario_hash(scenario)
        assert record.rulebook_id == "fake"
        assert [t.text for t in record.turns] == [t.text for t in session.turns]
        assert record.turns[-2].findings[0]["category"] == "abuse"
        resumed = Session.resume(store, sid, content, grader)
        assert resumed.node == session.node and resumed.meters == session.meters
        assert resumed.facts == session.facts and not resumed.stale
        assert [t.findings for t in resumed.turns] == [t.findings for t in session.turns]
        # the resumed call continues exactly as the uninterrupted one
        rest = ["您的信用卡已经逾期12天了,欠款3256.40元", "理解,工作忙难免会忘记"]
        session.store = None  # the original goes on in memory only
        for line in rest:
            session.say(line)
            resumed.say(line)
        assert [t.text for t in resumed.turns] == [t.text for t in session.turns]
        assert grader.contexts[-1].history[: len(lines)] == tuple(lines)


def test_finished_session_is_marked(store_url: str, tmp_path: Path) -> None:
    content = load_fixture_content()
    with open_store(store_url, tmp_path) as store:
        session = Session.new(content.scenarios[ZH], content, grader=FakeGrader(), store=store)
        session.start()
        session.say("我是公安局的")
        record = store.load(session.id or "")
        assert record.status == "finished" and record.ending_id == "hung_up"
        assert record.outcome == "hung_up"


def test_many_first_runs_at_once_on_a_fresh_home(tmp_path: Path) -> None:
    """Migrations are safe under concurrency (one run used to fail with 'table sessions
    already exists' when another had just created it)."""
    import subprocess
    import sys

    code = (
        f"from trainer.records.sqlite import Store; Store({str(tmp_path / 'trainer.db')!r}).close()"
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE) for _ in range(24)
    ]
    failed = [run.stderr.read().decode() for run in runs if run.wait(timeout=120) != 0]  # type: ignore[union-attr]
    assert failed == []
    with Store(tmp_path / "trainer.db") as store:
        assert store.schema_version == SCHEMA_VERSION


def test_a_call_switched_to_guided_is_stored_as_mixed_and_replays_each_line_its_way(
    tmp_path: Path,
) -> None:
    from trainer.scoring.replay import replay

    content = load_fixture_content()
    scenario = content.scenarios[ZH]
    with _store(tmp_path) as store:
        session = Session.new(scenario, content, seed=5, grader=FakeGrader(), store=store)
        session.start()
        session.say("您好,我是示例银行信用卡中心的小王,工号1024")
        assert session.modes_used() == ["free"]
        session.choose(0)  # the trainee pressed F3 and picked a line
        assert session.modes_used() == ["free", "guided"]
        record = store.load(session.id or "")
        assert record.mode == "free" and record.mode_used == "mixed"
        agent = [t.index for t in record.turns if t.speaker == "agent"]
        assert [record.guided_turn(i) for i in agent] == [False, True]
        assert replay(record, scenario, content).exact  # typed line said, picked line chosen
        listed = store.list_sessions()[0]
        assert listed.mode_used == "mixed"
