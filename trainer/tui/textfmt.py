"""Tidying authored text for display.

YAML folded scalars (``>``) join lines with a space, so a Chinese paragraph
wrapped in the source file comes back with spaces between Chinese characters.
On screen such a space is the only place a line may break, which leaves one
character alone on a line. Chinese never puts a space between two Chinese
characters, so `tidy` removes exactly those; everything else is kept.

Only authored text (briefings, debtor lines, hints, rule messages) is tidied:
what the trainee typed is shown exactly as typed, since findings point at its
characters by offset.
"""

from __future__ import annotations

import re

from trainer.safetext import visible

_CJK = r"\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\r\n]+(?=[{_CJK}])")


def tidy(text: str) -> str:
    """``text`` without the whitespace between two CJK characters or CJK punctuation,
    and with control characters made visible (`trainer.safetext.visible`)."""
    return _SPACE_BETWEEN_CJK.sub("", visible(text))
