"""Text from content, trainees and imported files, made safe for terminals and spreadsheets.

A scenario title, a persona line, a trainee name or an audit record id may carry raw
control characters (ESC, BEL, clear-screen and colour sequences). Shown as they are,
they would drive the terminal instead of being read. `visible` maps every control
character (C0 except tab and newline, DEL, C1) to a visible stand-in, one character
for one, so offsets into the text (findings point at spans) stay right. `csv_cell`
defuses spreadsheet formulas (a cell starting with ``=``, ``+``, ``-``, ``@``).
"""

from __future__ import annotations

import io
from typing import TextIO

#: C0 controls → their Unicode control pictures (␛ for ESC…), DEL → ␡, C1 → �.
_PICTURES = {code: 0x2400 + code for code in range(0x20) if code not in (0x09, 0x0A)}
_PICTURES[0x7F] = 0x2421
_PICTURES.update({code: 0xFFFD for code in range(0x80, 0xA0)})
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def visible(text: str) -> str:
    """``text`` with every control character but tab and newline made visible (1 for 1)."""
    return text.translate(_PICTURES)


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
