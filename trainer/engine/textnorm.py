"""Text normalisation for recognition, shared with the grader when it is available.

The recogniser and the grader must agree on what a trainee "said": full-width
characters, case, traditional characters and stray spaces must not change the
meaning. The grader owns the real normaliser (``trainer.grading.normalize``);
this module is the one place that switches to it, with a small fallback so the
engine works while the grader is absent.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any

_SPACES = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def normalize(text: str) -> str:
    """Normalised form of ``text`` used for matching (never for display)."""
    return _normaliser()(text)


@functools.cache
def _normaliser() -> Callable[[str], str]:
    """The grader's ``normalize`` when it exists, else the local fallback."""
    try:
        from trainer.grading.normalize import normalize as graders
    except ImportError:
        return fallback_normalize

    def shared(text: str) -> str:
        return _as_text(graders(text))

    return shared


def _as_text(value: Any) -> str:
    """The grader may return a plain string or an object carrying ``.text``."""
    if isinstance(value, str):
        return value
    text = getattr(value, "text", None)
    return text if isinstance(text, str) else str(value)


def fallback_normalize(text: str) -> str:
    """NFKC (full-width → half-width), case-folded, invisible characters removed,
    runs of white space collapsed to one space."""
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    return _SPACES.sub(" ", folded).strip()
