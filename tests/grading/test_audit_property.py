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


def _line_by_line(path: str, start: int, end: int) -> list[tuple[int, object]]:
    """JSONL lines read one ``readline`` at a time: what the block reader must equal."""
    from trainer.audit import reading

    out: list[tuple[int, object]] = []
    for number, raw in enumerate(reading.byte_lines(path, start, end), 1):
        text = reading.decode(raw, first=number == 1 and start == 0)
        if isinstance(text, str):
            text = text.rstrip("\n")
            text = text[:-1] if text.endswith("\r") else text
        out.append((number, text))
    return out


@settings(max_examples=150, deadline=None)
@given(
    data=st.lists(
        st.sampled_from([b"a", b"{}", b"\n", b"\r", b"\xc3\xa9", b"\xff", b"\xef\xbb\xbf"])
    ).map(b"".join),
    block=st.sampled_from([1, 2, 5, 1 << 20]),
    cut=st.floats(min_value=0, max_value=1),
)
def test_the_block_reader_yields_the_lines_of_readline(data: bytes, block: int, cut: float) -> None:
    """Blocks decoded at once give the same lines, numbers and bad bytes as one line at
    a time, for the whole file and for a byte range that ends inside a line."""
    from trainer.audit import reading

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "in.jsonl")
        Path(path).write_bytes(data)
        old = reading.BLOCK
        reading.BLOCK = block
        try:
            for end in (-1, int(len(data) * cut)):
                assert list(reading.lines(path, 0, end, 1, jsonl=True)) == _line_by_line(
                    path, 0, end
                )
        finally:
            reading.BLOCK = old
