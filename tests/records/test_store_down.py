"""A PostgreSQL store that goes down mid-call: one clear line, and no typed line lost.

The server is the real one the run starts (``tests/pgserver.py``); these tests stop
it in the middle of a call and start it again, then check that every line the
trainee typed is stored once, in order, after the journal is replayed.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path

import pytest

from trainer.records import StoreError, StoreUnreachable, TurnRecord
from trainer.records.journal import JOURNAL_NAME
from trainer.records.postgres import PgStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "engine"))
from engine_helpers import ZH, FakeGrader, load_fixture_content

from trainer.engine.session import Session

LINES = [
    "您好,我是示例银行信用卡中心的小王,工号1024",
    "请问您是李明先生本人吗?",
    "您的信用卡已经逾期12天了,欠款3256.40元",
    "理解,工作忙难免会忘记",
]


@pytest.fixture
def server(pg_server):  # type: ignore[no-untyped-def]
    """The test server, running again after the test whatever happened."""
    yield pg_server
    with contextlib.suppress(RuntimeError):  # already running
        pg_server.start()


def _texts(store: PgStore, sid: str) -> list[str]:
    return [t.text for t in store.load(sid).turns]


def test_the_server_stopped_mid_call_loses_no_line(server, pg_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    journal = tmp_path / JOURNAL_NAME
    content = load_fixture_content()
    store = PgStore(pg_url, journal=journal, timeout=2)
    session = Session.new(content.scenarios[ZH], content, seed=5, grader=FakeGrader(), store=store)
    session.start()
    session.say(LINES[0])
    sid = session.id
    assert sid is not None
    server.stop("fast")  # the database goes away mid-call
    began = time.monotonic()
    with pytest.raises(StoreUnreachable) as caught:
        session.say(LINES[1])
    waited = time.monotonic() - began
    message = str(caught.value)
    assert "\n" not in message and "unreachable" in message
    assert f"kept in {journal}" in message and waited < 15
    with pytest.raises(StoreUnreachable):  # the trainee goes on typing: kept after it
        session.say(LINES[2])
    kept = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    assert [e["op"] for e in kept] == ["append_turns", "append_turns"]
    assert kept[0]["turns"][0]["text"] == LINES[1] and journal.stat().st_mode & 0o077 == 0
    server.start()
    session.say(LINES[3])  # back: the kept lines are written first, then this one
    assert not journal.read_text(encoding="utf-8")
    expected = [t.text for t in session.turns]
    store.close()
    with PgStore(pg_url, journal=journal) as fresh:
        assert _texts(fresh, sid) == expected
        assert [t.index for t in fresh.load(sid).turns] == list(range(len(expected)))
        assert [LINES[i] in expected for i in range(4)] == [True] * 4


def test_kept_lines_are_saved_by_the_next_open(server, pg_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The app was closed while the server was down: the next open replays the journal,
    and the call's end (the last line ended the call) is kept and replayed too."""
    journal = tmp_path / JOURNAL_NAME
    content = load_fixture_content()
    store = PgStore(pg_url, journal=journal, timeout=2)
    session = Session.new(content.scenarios[ZH], content, grader=FakeGrader(), store=store)
    session.start()
    sid = session.id
    assert sid is not None
    server.stop("immediate")  # as if killed
    with pytest.raises(StoreUnreachable):
        session.say("我是公安局的")  # ends the call (hung up)
    assert session.finished
    store.close()
    with pytest.raises(StoreUnreachable, match="unreachable"):
        PgStore(pg_url, journal=journal, timeout=1)  # still down: one line, nothing lost
    assert len(journal.read_text(encoding="utf-8").splitlines()) == 2
    server.start()
    with PgStore(pg_url, journal=journal) as back:
        record = back.load(sid)
        assert [t.text for t in record.turns] == [t.text for t in session.turns]
        assert record.status == "finished" and record.ending_id == "hung_up"
    assert journal.read_text(encoding="utf-8") == ""


def test_a_write_committed_before_its_answer_was_lost_is_not_doubled(
    pg_url: str, tmp_path: Path
) -> None:
    journal = tmp_path / JOURNAL_NAME
    with PgStore(pg_url, journal=journal) as store:
        sid = store.create_session(scenario_id="s")
        turn = TurnRecord(0, "agent", "您好", at="2026-12-01T09:00:00.000+00:00")
        store.append_turns(sid, [turn], meters={}, facts=[], state={"node": "a"})
        assert store.journal is not None
        entry = {
            "op": "append_turns",
            "session": sid,
            "turns": [turn.to_json()],
            "meters": {},
            "facts": [],
            "state": {"node": "a"},
        }
        store.journal.append(entry)  # the server committed it, the client never heard
        store.replay_journal()
        assert _texts(store, sid) == ["您好"] and store.skipped == []
        # a kept write that clashes with what is stored is set aside, named, never lost
        clash = {**entry, "turns": [{**turn.to_json(), "text": "别的"}]}
        store.journal.append(clash)
        store.replay_journal()
        assert _texts(store, sid) == ["您好"]
        assert len(store.skipped) == 1 and "rejected" in store.skipped[0]
        rejected = journal.with_name(journal.name + ".rejected").read_text(encoding="utf-8")
        assert "别的" in rejected and "conflicting write" in rejected


def test_kept_writes_of_another_store_stay(pg_server, pg_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    journal = tmp_path / JOURNAL_NAME
    other = pg_server.new_store()
    with PgStore(other, journal=journal) as elsewhere:
        assert elsewhere.journal is not None
        elsewhere.journal.append({"op": "finish", "session": "abcdef123456"})
    with PgStore(pg_url, journal=journal) as store:
        assert store.skipped == []
        assert len(journal.read_text(encoding="utf-8").splitlines()) == 1


def test_a_down_server_without_a_journal_is_still_one_line(server, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    store = PgStore(pg_url, timeout=1)
    sid = store.create_session(scenario_id="s")
    server.stop("fast")
    try:
        with pytest.raises(StoreError, match="unreachable") as caught:
            store.append_turns(sid, [TurnRecord(0, "agent", "x")], meters={}, facts=[], state={})
        assert "\n" not in str(caught.value)
        with pytest.raises(StoreError, match="unreachable"):
            store.list_sessions()
    finally:
        server.start()
        store.close()
