"""Text from content, trainees and imported files, made safe for terminals and spreadsheets.

A scenario title, a persona line, a trainee name or an audit record id may carry raw
control characters (ESC, BEL, clear-screen and colour sequences). Shown as they are,
they would drive the terminal instead of being read. `visible` maps every control
character (C0 except tab and newline, DEL, C1) and every lone surrogate to a visible
stand-in, one character for one, so offsets into the text (findings point at spans)
stay right. `csv_cell` defuses spreadsheet formulas (a cell starting with ``=``,
``+``, ``-``, ``@``); `write_file` writes every ``-o`` file (surrogates replaced).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TextIO

#: C0 controls → their Unicode control pictures (␛ for ESC…), DEL → ␡, C1 → �.
_PICTURES = {code: 0x2400 + code for code in range(0x20) if code not in (0x09, 0x0A)}
_PICTURES[0x7F] = 0x2421
_PICTURES.update({code: 0xFFFD for code in range(0x80, 0xA0)})
#: Lone surrogates (a JSON "\\ud800", a file name that is not UTF-8) cannot be encoded.
_SURROGATES = {code: 0xFFFD for code in range(0xD800, 0xE000)}
_PICTURES.update(_SURROGATES)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def visible(text: str) -> str:
    """``text`` with every control character but tab and newline made visible (1 for 1)."""
    return text.translate(_PICTURES)


def encodable(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD (one for one), so UTF-8 can hold it."""
    return text.translate(_SURROGATES) if not text.isascii() else text


def write_file(path: str | Path, text: str) -> None:
    """Write a report or export as UTF-8; a lone surrogate in it becomes U+FFFD.

    Every ``-o FILE`` of the command line goes through here, so text from any input
    (a record id made of JSON escapes, a file name that is not UTF-8) never leaves
    an empty or half-written file behind a traceback.
    """
    Path(path).write_text(encodable(text), encoding="utf-8")


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet will not run as a formula (prefixed with ``'``)."""
    if isinstance(value, str):
        value = visible(value)
        if value.startswith(_FORMULA):
            return "'" + value
    return value


class SafeStream(io.TextIOBase):
    """A text stream that writes through `visible` (for every command's terminal output)."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(visible(text))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.inner, "encoding", "utf-8"))
