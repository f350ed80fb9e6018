"""Session ids from outside are checked before they are stored or used in a file name."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from trainer.records import SessionRecord, StoreError, check_session_id
from trainer.records.sqlite import DB_NAME, Store
from trainer.services.transfer import TransferError, read_jsonl


def _export(path: Path, call_id: str) -> Path:
    header = {"scenario_id": "zh-first-forgetful", "started_at": "2026-03-01T09:30:00+00:00"}
    row = {"call_id": call_id, "turn": 0, "speaker": "agent", "text": "您好", "session": header}
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "bad", ["../../../../tmp/x", "Call-42", "abc", "3fa2c1e0/../x", "3FA2C1E0B9D4", "a" * 40]
)
def test_bad_ids_are_refused_with_what_an_id_looks_like(bad: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a trainer session id"):
        check_session_id(bad)
    with pytest.raises(TransferError, match=r"\.jsonl:1:1: .*not a trainer session id"):
        read_jsonl(_export(tmp_path / "in.jsonl", bad))


def test_import_of_a_traversing_id_writes_nothing(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    source = _export(tmp_path / "evil.jsonl", "../../../../tmp/evil")
    result = run_cli("--home", str(home), "import", str(source))
    assert result.returncode == 2 and "not a trainer session id" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "evil").exists()
    if (home / DB_NAME).exists():
        with Store(home / DB_NAME) as store:
            assert store.list_sessions() == []


def test_the_store_refuses_bad_ids_and_still_reaches_old_rows(tmp_path: Path) -> None:
    with Store(tmp_path / DB_NAME) as store:
        with pytest.raises(StoreError):
            store.create_session(scenario_id="s", session_id="../x")
        record = SessionRecord.from_json(
            {"id": "3fa2c1e0b9d4", "scenario_id": "s", "started_at": "2026-03-01T09:30:00"}
        )
        with pytest.raises(StoreError):
            store.import_record(dataclasses.replace(record, id="Call-42"))
        # a row written before ids were checked stays reachable by its exact id
        store._db.execute(
            "INSERT INTO sessions (id, scenario_id, started_at) VALUES ('Call-42', 's', 'now')"
        )
        assert store.resolve_id("Call-42") == "Call-42"


def test_an_import_with_a_collision_writes_nothing(tmp_path: Path) -> None:
    """All or nothing: the sessions before the colliding one are not committed either."""
    base = {"scenario_id": "s", "started_at": "2026-03-01T09:30:00"}
    first, second = (
        SessionRecord.from_json({**base, "id": sid}) for sid in ("aaaaaaaa0001", "aaaaaaaa0002")
    )
    with Store(tmp_path / DB_NAME) as store:
        store.import_record(second)
        with pytest.raises(StoreError, match=r"already exists.*nothing was imported"):
            store.import_records([first, second])
        assert [s.id for s in store.list_sessions()] == ["aaaaaaaa0002"]
        assert store.import_records([first, second], replace_existing=True) == [
            "aaaaaaaa0001",
            "aaaaaaaa0002",
        ]
        with pytest.raises(StoreError, match="same session twice"):
            store.import_records([first, first], replace_existing=True)
