"""Text normalisation for recognition, shared with the grader.

The recogniser and the grader must agree on what a trainee "said": full-width
characters, case, traditional characters and stray spaces must not change the
meaning. The grader owns the normaliser (`trainer.grading.normalize`); this
module adapts it for recognition.
"""

from __future__ import annotations

import re
import unicodedata

from trainer.grading.normalize import normalize as _graders

_SPACES = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def normalize(text: str) -> str:
    """Normalised form of ``text`` used for matching (never for display)."""
    return _graders(text).text


def fallback_normalize(text: str) -> str:
    """NFKC (full-width → half-width), case-folded, invisible characters removed,
    runs of white space collapsed to one space."""
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    return _SPACES.sub(" ", folded).strip()
