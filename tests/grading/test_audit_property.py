"""Property: whatever a JSONL line holds, the audit reports it or grades it, and every
report format can be written as UTF-8 (surrogates, non-finite numbers, odd types)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.audit.formats import FORMATS, render
from trainer.audit.run import audit
from trainer.grading.books import BookSet
from trainer.grading.rulebook import load_rulebook

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(blacklist_categories=()), max_size=30),  # surrogates too
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=5)
_RECORDS = st.fixed_dictionaries(
    {},
    optional={
        key: _VALUES
        for key in ("id", "call_id", "turn", "speaker", "text", "lang", "party", "verified", "time")
    },
)


def _line(record: dict[str, object]) -> bytes:
    text = json.dumps(record, ensure_ascii=True)  # NaN/Infinity and \\ud800 escapes as written
    return text.encode("ascii") + b"\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            _RECORDS.map(_line), st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"") + b"\n")
        ),
        max_size=6,
    )
)
def test_every_line_is_graded_or_reported(lines: list[bytes]) -> None:
    books = BookSet(load_rulebook("en-US"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calls.jsonl"
        path.write_bytes(b"".join(lines))
        result = audit([str(path)], books)
    non_blank = sum(1 for line in lines if line.strip())
    assert result.records <= non_blank
    assert result.audited + result.skipped + len(result.errors) >= result.records
    for fmt in FORMATS:
        render(fmt, result, books, "major").encode("utf-8")
