"""Audit input read as a stream of lines, each decoded on its own.

Why line by line: an audit input can be larger than memory, and one byte that is
not UTF-8 (a Latin-1 ``é`` pasted into an export) must cost only its own line —
the line is reported with its file, line and column and every other line is
still audited, as a line of bad JSON is. A decoded line never holds a lone
surrogate: JSON escapes such as ``"\\ud800"`` are replaced by U+FFFD (one
character for one, so finding offsets stay right) where a record is read, by
`clean`, so every report format can be written.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

#: Lone surrogates (only JSON ``\\uD8xx`` escapes can make them) → U+FFFD.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class BadBytes:
    """A line that is not UTF-8: where the first bad byte is and what it is."""

    column: int
    byte: int

    def message(self) -> str:
        """What is wrong, for a one-line diagnostic."""
        return f"line is not UTF-8 text (byte 0x{self.byte:02x} at column {self.column})"


HINT = "save the file as UTF-8; the other lines were audited"


def clean(value: str) -> str:
    """``value`` with lone surrogates replaced by U+FFFD, one for one."""
    return _SURROGATE.sub("\ufffd", value)


def may_hold_surrogates(raw: str) -> bool:
    """True when a raw JSON line has a ``\\uD800``-``\\uDFFF`` escape (rare: checked first)."""
    return "\\ud" in raw or "\\uD" in raw


def clean_record(rec: dict[str, Any]) -> dict[str, Any]:
    """A record whose string fields (and keys) hold no lone surrogate."""
    out: dict[str, Any] = {}
    for key, value in rec.items():
        if isinstance(value, str):
            value = clean(value)
        out[clean(key) if isinstance(key, str) else key] = value
    return out


def decode(raw: bytes, first: bool = False) -> str | BadBytes:
    """One line of bytes as text (a UTF-8 BOM dropped from the first), or where it breaks."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = len(raw[: exc.start].decode("utf-8", "replace")) + 1
        return BadBytes(column, raw[exc.start])
    return text[1:] if first and text.startswith("\ufeff") else text


def byte_lines(path: str, start: int = 0, end: int = -1) -> Iterator[bytes]:
    """The lines (with their ends) of ``path`` from byte ``start`` to ``end`` (-1: the end)."""
    if path == "-":
        yield from _stdin_lines()
        return
    with open(path, "rb") as handle:
        handle.seek(start)
        position = start
        while end < 0 or position < end:
            raw = handle.readline()
            if not raw:
                return
            position += len(raw)
            yield raw


def _stdin_lines() -> Iterator[bytes]:
    buffer: BinaryIO | None = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        yield from buffer
        return
    for text in sys.stdin:  # a text stream without bytes under it (tests)
        yield text.encode("utf-8", "surrogatepass")


def lines(
    path: str, start: int = 0, end: int = -1, first_line: int = 1, jsonl: bool = False
) -> Iterator[tuple[int, str | BadBytes]]:
    """(line number, text without its line end, or `BadBytes`) of a file or byte range.

    Lines are split at ``\\n`` only for JSONL (a JSON string may hold U+2028, which
    ``str.splitlines`` would take for a break); a text line holding other breaks
    (``\\r`` alone, U+2028…) yields each part under the same line number.
    """
    if jsonl and path != "-":
        yield from _jsonl_lines(path, start, end, first_line)
        return
    for number, raw in enumerate(byte_lines(path, start, end), first_line):
        text = decode(raw, first=number == 1 and start == 0)
        if isinstance(text, BadBytes):
            yield number, text
            continue
        text = text.rstrip("\n")
        if text.endswith("\r"):
            text = text[:-1]
        if jsonl:
            yield number, text
        else:
            for part in text.splitlines() or [""]:
                yield number, part


#: Bytes read at a time by `_jsonl_lines`.
BLOCK = 1 << 20


def _jsonl_lines(
    path: str, start: int, end: int, first_line: int
) -> Iterator[tuple[int, str | BadBytes]]:
    """`lines` of a JSONL file, read in blocks of whole lines decoded at once.

    The same lines as reading it line by line (a line that begins before ``end``
    is read to its end): a block that is all UTF-8 is decoded in one call (a
    ``\\n`` byte never sits inside a multi-byte character, so every line of it
    decodes alike); a block that is not is decoded line by line, so a bad byte
    costs only its own line.
    """
    number = first_line
    with open(path, "rb") as handle:
        handle.seek(start)
        position = start
        while True:
            size = BLOCK if end < 0 else min(BLOCK, end - position)
            data = handle.read(size) if size > 0 else b""
            if not data:
                return
            if not data.endswith(b"\n"):
                data += handle.readline()  # the last line began in the block: read it whole
            position += len(data)
            if not data.endswith(b"\n"):
                data += b"\n"  # the end of a file without a final line end
            for item in _block(data, number, start):
                yield item
                number += 1


def _block(data: bytes, number: int, start: int) -> Iterator[tuple[int, str | BadBytes]]:
    """The lines of ``data`` (whole lines, each ending in ``\\n``), numbered from ``number``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        for raw in data.split(b"\n")[:-1]:
            line = decode(raw, first=number == 1 and start == 0)
            if isinstance(line, str) and line.endswith("\r"):
                line = line[:-1]
            yield number, line
            number += 1
        return
    parts = text.split("\n")
    parts.pop()
    if number == 1 and start == 0 and parts and parts[0].startswith("\ufeff"):
        parts[0] = parts[0][1:]
    for part in parts:
        yield number, part[:-1] if part.endswith("\r") else part
        number += 1
