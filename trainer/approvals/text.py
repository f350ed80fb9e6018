"""Normalised text, its hash and a word-level diff: what a signature is a signature of.

An approval covers the words a trainee is taught, not how the YAML spells them. The
same line may be written plain, quoted, folded over three lines (``>-``) or re-wrapped
by an editor; YAML folding turns each line break into a space, which between two
Chinese characters is an artefact, not a word break. `normalise` removes exactly
those differences (Unicode composition, runs of white space, white space beside CJK
characters and full-width punctuation), so re-formatting never invalidates a
signature while any change of wording, punctuation or placeholder does.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata

#: CJK ideographs, kana, Hangul and the full-width / CJK punctuation blocks.
_WIDE = (
    r"\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff"
    r"\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
)
_SPACE_BESIDE_WIDE = re.compile(rf"(?<=[{_WIDE}])\s+|\s+(?=[{_WIDE}])")
_SPACES = re.compile(r"\s+")
#: A word for the diff: a run of Latin letters, digits or placeholder braces, else one
#: character (every Chinese character is a word of its own), else a run of spaces.
_TOKEN = re.compile(r"[A-Za-z0-9_{}'’-]+|\s+|.", re.S)


def normalise(text: str) -> str:
    """``text`` as signed: NFC, white space collapsed, none beside CJK characters."""
    text = unicodedata.normalize("NFC", text)
    text = _SPACE_BESIDE_WIDE.sub("", text)
    return _SPACES.sub(" ", text).strip()


def text_hash(text: str) -> str:
    """``sha256:`` and the hex digest of the normalised text (UTF-8)."""
    return "sha256:" + hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def word_diff(old: str, new: str) -> str:
    """A one-line word diff of two texts, ``[-removed-]{+added+}`` as ``git diff --word-diff``."""
    a, b = _TOKEN.findall(normalise(old)), _TOKEN.findall(normalise(new))
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append("".join(a[i1:i2]))
            continue
        if i2 > i1:
            out.append("[-" + "".join(a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + "".join(b[j1:j2]) + "+}")
    return "".join(out)
