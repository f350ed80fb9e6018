"""Hostile session transfer files: one line naming the file, line and field, exit 2,
nothing imported; and a property test that the importer never raises anything but
`TransferError` (surrogates, non-finite and huge numbers, odd types)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.records.sqlite import DB_NAME, Store
from trainer.services.transfer import TransferError, read_jsonl

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"

#: fixture → (line:column, what the one line must say)
CASES = {
    "import-turn-huge.jsonl": ("2:1", "'turn' is a 31-digit number, outside 0.."),
    "import-seed-huge.jsonl": ("1:1", "'seed' is 18446744073709551616, outside"),
    "import-at-dict.jsonl": ("2:1", "'at' must be text, not an object"),
    "import-started-list.jsonl": ("1:1", "'started_at' must be text, not a list"),
    "import-time-bad.jsonl": ("1:1", "'finished_at' is 'yesterday', not an ISO 8601 time"),
    "import-meters-list.jsonl": ("2:1", "'meters' must be a JSON object, not a list"),
    "import-surrogate.jsonl": ("2:1", "'text' holds a lone surrogate (U+D800 at character 2)"),
    "import-latin1.jsonl": ("1:", "not UTF-8 text (byte 0xfc)"),
    "import-nan.jsonl": ("2:", "NaN is not a number JSON allows"),
    "import-infinity.jsonl": ("2:", "Infinity is not a number JSON allows"),
    "import-1e400.jsonl": ("2:", "the number 1e400 is too large"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_hostile_import_is_one_line_and_imports_nothing(
    run_cli, tmp_path: Path, name: str
) -> None:  # type: ignore[no-untyped-def]
    where, message = CASES[name]
    home = tmp_path / "home"
    result = run_cli("--home", str(home), "import", str(HOSTILE / name))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"{name}:{where}" in lines[0] and message in lines[0], lines[0]
    assert "nothing was imported" in lines[0]
    if (home / DB_NAME).exists():
        with Store(home / DB_NAME) as store:
            assert store.list_sessions() == []


def test_the_well_formed_twin_imports(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The hostile files differ from this one only in the field they break."""
    home = tmp_path / "home"
    result = run_cli("--home", str(home), "import", str(HOSTILE / "import-ok.jsonl"))
    assert result.returncode == 0, result.stderr
    with Store(home / DB_NAME) as store:
        (record,) = store.list_sessions()
        assert store.load(record.id).turns[1].text == "好"


def test_the_latin1_byte_is_located(tmp_path: Path) -> None:
    with pytest.raises(TransferError, match=r"import-latin1\.jsonl:1:\d+: not UTF-8"):
        read_jsonl(HOSTILE / "import-latin1.jsonl")


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(blacklist_categories=()), max_size=12),  # surrogates too
    st.sampled_from(["2026-03-01T09:30:00", "agent", "customer", "finished", "3fa2c1e0b9d4"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
_TURN_KEYS = ("turn", "speaker", "text", "at", "score", "findings", "meters", "moves", "node")
_SESSION_KEYS = ("trainee", "scenario_id", "seed", "started_at", "finished_at", "status", "state")


def _turn(values: dict[str, object], header: dict[str, object] | None) -> bytes:
    record: dict[str, object] = {
        "call_id": "3fa2c1e0b9d4",
        "turn": 0,
        "speaker": "agent",
        "text": "hello",
        **values,
    }
    if header is not None:
        record["session"] = {"scenario_id": "s", "started_at": "2026-03-01T09:30:00", **header}
    return json.dumps(record, ensure_ascii=True).encode("ascii") + b"\n"


_LINES = st.builds(
    _turn,
    st.dictionaries(st.sampled_from(_TURN_KEYS), _VALUES, max_size=3),
    st.one_of(st.none(), st.dictionaries(st.sampled_from(_SESSION_KEYS), _VALUES, max_size=3)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_LINES, st.binary(max_size=30).map(lambda b: b + b"\n")), max_size=4))
def test_the_importer_imports_or_fails_with_its_own_error(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.jsonl"
        path.write_bytes(b"".join(lines))
        try:
            records = read_jsonl(path)
        except TransferError as exc:
            assert str(exc).startswith(str(path)) and "\n" not in str(exc)
            return
        with Store(Path(folder) / DB_NAME) as store:
            store.import_records(records)  # whatever was read can be stored and read back
            for record in records:
                assert store.load(record.id).turn_count == len(record.turns)
