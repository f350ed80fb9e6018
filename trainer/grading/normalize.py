"""Text normalisation shared by the grader and the engine's intent recogniser.

Collectors (and trainees testing the grader) evade keyword lists with
full-width letters, traditional characters, spaces or dots inside a word
(公 安 局), spelled-out letters (p o l i c e) and pinyin or mixed spellings
(gong an, 法yuan). `normalize` folds all of these to one canonical form and
returns an offset map so a match in the normalised text can be reported as a
span of the ORIGINAL text.

Speed matters (an utterance check must stay well under a millisecond): the
length-preserving folds are one ``str.translate`` (skipped when no character
needs it); the length-changing ones are a few precompiled regexes that only run
when a cheap gate says the text can need them. Most utterances need none, and
then the offset map is a shared identity map. `normalize_full` tries every
rewrite and is the reference the fast path is tested against.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

__all__ = ["Normalized", "OffsetMap", "normalize", "normalize_full"]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: Invisible characters removed everywhere (zero-width space/joiners, BOM, soft hyphen).
_INVISIBLE = "\u200b-\u200f\u2060\ufeff\u00ad"
#: Fillers that never belong inside a Chinese word: spaces and decorative punctuation.
_FILLER = r"\s·•・.*_~\-/\\|^+=#@"
#: Separators an evader may put between single characters (公,安,局).
_SPELL_SEP = _FILLER + ",\uff0c\u3001;\uff1b:\uff1a\u3002!?\uff01\uff1f"

#: Sensitive words and their pinyin syllables (alternative spellings with "|").
PINYIN_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("公安", ("gong", "an")),
    ("警察", ("jing", "cha")),
    ("警官", ("jing", "guan")),
    ("经侦", ("jing", "zhen")),
    ("法院", ("fa", "yuan")),
    ("法官", ("fa", "guan")),
    ("法务", ("fa", "wu")),
    ("司法", ("si", "fa")),
    ("律师", ("lv|lu|lü|lyu", "shi")),
    ("检察院", ("jian", "cha", "yuan")),
    ("派出所", ("pai", "chu", "suo")),
    ("政府", ("zheng", "fu")),
    ("立案", ("li", "an")),
    ("逮捕", ("dai", "bu")),
    ("拘留", ("ju", "liu")),
    ("坐牢", ("zuo", "lao")),
    ("判刑", ("pan", "xing")),
    ("传票", ("chuan", "piao")),
    ("通缉", ("tong", "ji")),
    ("黑名单", ("hei", "ming", "dan")),
    ("老赖", ("lao", "lai")),
    ("垃圾", ("la", "ji")),
    ("微信", ("wei", "xin")),
    ("支付宝", ("zhi", "fu", "bao")),
    ("起诉", ("qi", "su")),
    ("微博", ("wei", "bo")),
    ("催收", ("cui", "shou")),
    ("弄死", ("nong", "si")),
    ("抖音", ("dou", "yin")),
)

#: Same-length homophone spellings of sensitive words used to dodge filters
#: (薇信 for 微信, 盆友圈 for 朋友圈): folded to the word, offsets unchanged.
HOMOPHONES: dict[str, str] = {
    "薇信": "微信",
    "威信号": "微信号",
    "徽信": "微信",
    "盆友圈": "朋友圈",
    "朋友拳": "朋友圈",
    "辣鸡": "垃圾",
    "拉圾": "垃圾",
    "抖阴": "抖音",
    "老癞": "老赖",
    "支付包": "支付宝",
}

#: Whole-token aliases common in chat-style evasions.
ALIASES: dict[str, str] = {
    "vx": "微信",
    "wx": "微信",
    "v信": "微信",
    "zfb": "支付宝",
    "gongan": "公安",
}

#: Visually confusable letters (Cyrillic, Greek) folded to Latin.
_CONFUSABLES = {
    "а": "a",
    "е": "e",
    "о": "o",
    "р": "p",
    "с": "c",
    "х": "x",
    "у": "y",
    "і": "i",
    "ѕ": "s",
    "ј": "j",
    "к": "k",
    "м": "m",
    "т": "t",
    "н": "h",
    "в": "b",
    "ο": "o",
    "α": "a",
    "ε": "e",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
}


class OffsetMap:
    """Maps spans of the normalised text back to the original text.

    ``starts[i]``/``ends[i]`` are the original start and end of normalised
    character ``i``; ``None`` means the identity map (nothing changed length).
    """

    __slots__ = ("ends", "length", "starts")

    def __init__(
        self, length: int, starts: list[int] | None = None, ends: list[int] | None = None
    ) -> None:
        self.length = length
        self.starts = starts
        self.ends = ends

    @property
    def identity(self) -> bool:
        """True when normalised offsets equal original offsets."""
        return self.starts is None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``(start, end)`` of the normalised span ``[start, end)``."""
        if self.starts is None or self.ends is None:
            return (min(start, self.length), min(end, self.length))
        size = len(self.starts)
        if start >= size:
            return (self.length, self.length)
        first = self.starts[start]
        if end <= start:
            return (first, first)
        return (first, self.ends[min(end, size) - 1])

    def position(self, index: int) -> int:
        """Original offset of normalised position ``index``."""
        return self.span(index, index)[0]


class Normalized(NamedTuple):
    """The normalised text and the map back to the original."""

    text: str
    offsets: OffsetMap


# ---------------------------------------------------------------- tables


def _opencc_table() -> dict[int, str]:
    """Traditional → simplified single characters, from OpenCC's character table."""
    table: dict[int, str] = {}
    try:
        import opencc
    except ImportError:  # pragma: no cover - the package is a dependency
        return table
    folder = Path(opencc.__file__).resolve().parent / "dictionary"
    for name in ("TSCharacters.txt",):
        path = folder / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            source, _, targets = line.partition("\t")
            target = targets.split(" ")[0].strip() if targets else ""
            if len(source) == 1 and len(target) == 1 and source != target:
                table.setdefault(ord(source), target)
    return table


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    """The one length-preserving translation table (width, script, case, confusables)."""
    table = _opencc_table()
    # Full-width letters, digits and symbols fold to ASCII. The everyday Chinese
    # punctuation marks (,?!:;()) are kept: they are not evasions, rules and clause
    # splitting accept both forms, and most Chinese text then skips this table.
    kept = {0xFF0C, 0xFF1F, 0xFF01, 0xFF1A, 0xFF1B, 0xFF08, 0xFF09}
    for code in range(0xFF01, 0xFF5F):
        if code not in kept:
            table[code] = chr(code - 0xFEE0).lower()
    table[0x3000] = " "  # ideographic space
    for quote in "\u2018\u2019\u02bc\u2032":  # curly apostrophes: don’t → don't
        table[ord(quote)] = "'"
    for src, dst in _CONFUSABLES.items():
        table[ord(src)] = dst
        upper = src.upper()
        if len(upper) == 1 and upper != src:
            table[ord(upper)] = dst
    return table


@lru_cache(maxsize=1)
def _fold_chars() -> frozenset[str]:
    """Every character the fold table changes (a fast pre-check: most text has none)."""
    return frozenset(chr(code) for code in _fold_table())


def _pinyin_regex() -> re.Pattern[str]:
    """One alternation of the sensitive words spelled with at least one pinyin syllable."""
    sep = r"[\s\W_]*"
    branches: list[str] = []
    targets: dict[str, str] = {}
    for word, syllables in PINYIN_WORDS:
        options: list[list[str]] = []
        for char, spelled in zip(word, syllables, strict=True):
            options.append([re.escape(char), "(?:" + spelled + ")"])
        for combo in itertools.product(*[range(2) for _ in options]):
            if not any(combo):
                continue
            parts = [opts[pick] for opts, pick in zip(options, combo, strict=True)]
            branches.append(sep.join(parts))
        targets[word] = word
    aliases = "|".join(sorted((re.escape(a) for a in ALIASES), key=len, reverse=True))
    body = "|".join(sorted(branches, key=len, reverse=True))
    return re.compile(rf"(?<![a-z])(?:(?P<alias>{aliases})|(?P<py>{body}))(?![a-z])")


_PINYIN_RX = _pinyin_regex()
_PINYIN_WORD_RX = [
    (
        word,
        re.compile(
            "^"
            + r"[\s\W_]*".join(
                "(?:" + re.escape(c) + "|" + s + ")" for c, s in zip(word, syl, strict=True)
            )
            + "$"
        ),
    )
    for word, syl in PINYIN_WORDS
]
_PINYIN_GATE_WORDS = frozenset(
    {
        s
        for _, syl in PINYIN_WORDS
        for part in syl
        for s in part.split("|")
        if len(s) >= 3 or s in {"lv", "lü"}
    }
    | {"".join(p.split("|")[0] for p in syl) for _, syl in PINYIN_WORDS}
    | set(ALIASES)
) - {"can", "dan", "ban", "fan", "man", "pan", "tan", "van", "ran", "wan", "bao"}

_SYLLABLES = frozenset(s for _, syl in PINYIN_WORDS for part in syl for s in part.split("|"))
_HAS_CJK = re.compile(f"[{_CJK}]")
_CJK_LATIN = re.compile(f"[{_CJK}][a-z]|[a-z][{_CJK}]")
_HAS_LATIN = re.compile("[a-z]")
_LATIN_TOKEN = re.compile(r"[a-zü]+")
_ZH_SQUEEZE = re.compile(
    f"(?P<zw>[{_INVISIBLE}]+)"
    f"|(?<=[{_CJK}])(?P<sep>[{_FILLER}]+)(?=[{_CJK}])"
    f"|(?P<spell>[{_CJK}](?:[{_SPELL_SEP}]+[{_CJK}](?=[{_SPELL_SEP}]))+[{_SPELL_SEP}]+[{_CJK}])"
)
#: Cheap pre-checks: most utterances need none of the length-changing rewrites.
_ZH_GATE = re.compile(f"[{_FILLER}{_INVISIBLE}]|[{_SPELL_SEP}][{_CJK}][{_SPELL_SEP}]")
_LATIN_SQUEEZE = re.compile(
    f"(?P<zw>[{_INVISIBLE}]+)"
    r"|(?P<spell>(?<![a-z0-9])[a-z](?:[\s.\-_*·•]+[a-z](?![a-z0-9])){3,})"
    r"|(?<=[a-z0-9])(?P<fill>[*_·•]+)(?=[a-z])"
)
_LATIN_GATE = re.compile(f"[{_INVISIBLE}]" r"|[a-z][\s.\-_*·•][a-z][\s.\-_*·•][a-z]|[a-z0-9][*_·•]")
_SEPARATOR_CHARS = re.compile(f"[{_SPELL_SEP}{_INVISIBLE}]")
#: Look-alike digits and symbols inside a Latin word (l@wyer, d3adbeat, f3deral).
_LEET = {"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "|": "l", "0": "o", "$": "s", "5": "s"}
_LEET_RX = re.compile(r"(?<=[a-z])[@4310!|$5](?=[a-z])")


#: Pinyin tokens that can start a rewrite: in ASCII text only whole gate words
#: (there is no Chinese character to sit next to), in other text any syllable.
_ASCII_TOKENS = _PINYIN_GATE_WORDS
_OTHER_TOKENS = _PINYIN_GATE_WORDS | _SYLLABLES


def _nothing_to_rewrite(folded: str, cjk: bool) -> bool:
    """True when no length-changing rewrite or leet fold can change ``folded``.

    A cheap, exact stand-in for the rewrites' own tests: most utterances need
    nothing, and normalising them is then one translate, one ``lower`` and a
    few searches that start on rare characters.
    """
    if cjk:
        first = _ZH_FIRST.search(folded)
        if first is None:
            return True  # no separator inside a word, nothing invisible, no Latin letter
        if first.group() < "a" or _ZH_GATE.search(folded) is not None:
            return False
    elif _HAS_LATIN.search(folded) is None:
        return True  # ASCII without letters: nothing to fold
    if _LEET_QUICK.search(folded) is not None:
        return False
    tokens = _LATIN_TOKEN.findall(folded)
    if _FILL_QUICK.search(folded) is not None or "ü" in folded:
        spelled = True  # rare: let the squeeze's own regex decide
    else:
        spelled = sum(len(token) == 1 for token in tokens) >= 4
    if spelled and _LATIN_GATE.search(folded) and _LATIN_SQUEEZE.search(folded):
        return False
    return (_ASCII_TOKENS if not cjk else _OTHER_TOKENS).isdisjoint(tokens)


#: Leet needs a look-alike between two letters; the search starts on the rare symbol.
_LEET_QUICK = re.compile(r"[@4310!|$5](?<=[a-z].)(?=[a-z])")
#: Filler inside a word (``p*lice``): the only squeeze that needs no spelled-out letters.
_FILL_QUICK = re.compile("[*_·•]")
#: The first thing in non-ASCII text that may need a look: a Latin letter, or
#: anything the Chinese squeeze rewrites (its gate).
_ZH_FIRST = re.compile(f"[a-z]|{_ZH_GATE.pattern}")
_IDENTITY: dict[int, OffsetMap] = {}

Piece = tuple[str, int, int]


def _rewrite(
    text: str,
    rx: re.Pattern[str],
    pieces: Callable[[re.Match[str]], Iterable[Piece]],
    starts: list[int] | None,
    ends: list[int] | None,
) -> tuple[str, list[int] | None, list[int] | None]:
    """Apply ``rx`` replacing each match with ``pieces`` (char, start, end in ``text``)."""
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    pos = 0
    changed = False
    for match in rx.finditer(text):
        a, b = match.span()
        replaced = list(pieces(match))
        if "".join(p[0] for p in replaced) == text[a:b]:
            continue
        changed = True
        out.append(text[pos:a])
        new_starts.extend(range(pos, a))
        new_ends.extend(range(pos + 1, a + 1))
        for char, s, e in replaced:
            out.append(char)
            new_starts.append(s)
            new_ends.append(e)
        pos = b
    if not changed:
        return text, starts, ends
    out.append(text[pos:])
    new_starts.extend(range(pos, len(text)))
    new_ends.extend(range(pos + 1, len(text) + 1))
    if starts is None or ends is None:
        return "".join(out), new_starts, new_ends
    return ("".join(out), [starts[i] for i in new_starts], [ends[e - 1] for e in new_ends])


def _squeeze_pieces(match: re.Match[str]) -> Iterable[Piece]:
    """Keep the letters of a spelled-out word, drop separators and invisible characters."""
    if match.lastgroup == "spell":
        base = match.start()
        return [
            (ch, base + i, base + i + 1)
            for i, ch in enumerate(match.group())
            if not _SEPARATOR_CHARS.match(ch)
        ]
    return []


def _pinyin_pieces(match: re.Match[str]) -> Iterable[Piece]:
    """Replace a pinyin or mixed spelling with its Chinese word, spread over the span."""
    a, b = match.span()
    found = match.group()
    if match.lastgroup == "alias":
        word = ALIASES[found]
    else:
        word = next((w for w, rx in _PINYIN_WORD_RX if rx.match(found)), found)
    n = len(word)
    step = (b - a) / n
    out: list[Piece] = []
    for i, char in enumerate(word):
        s = a + round(i * step)
        e = b if i == n - 1 else max(s + 1, a + round((i + 1) * step))
        out.append((char, s, e))
    return out


def _needs_pinyin(text: str) -> bool:
    if not _HAS_LATIN.search(text):
        return False
    tokens = _LATIN_TOKEN.findall(text)
    if any(tok in _PINYIN_GATE_WORDS for tok in tokens):
        return True
    return any(tok in _SYLLABLES for tok in tokens) and _CJK_LATIN.search(text) is not None


_FOLD_TABLE = _fold_table()
_HOMOPHONE_RX = re.compile("|".join(sorted(HOMOPHONES, key=len, reverse=True)))
_FOLD_CHARS = _fold_chars()


def normalize(text: str) -> Normalized:
    """Fold ``text`` for matching and return it with the map back to ``text``.

    Folds: full/half width, traditional → simplified, case, confusable letters,
    invisible characters, spaces and punctuation inside words or between
    spelled-out characters, and pinyin/mixed spellings of sensitive words.
    """
    folded, has_cjk = _fold(text)
    if _nothing_to_rewrite(folded, has_cjk):
        # the common case: nothing to rewrite, offsets are the identity
        size = len(text)
        identity = _IDENTITY.get(size)
        if identity is None:
            identity = OffsetMap(size)
            if size < 1024:
                _IDENTITY[size] = identity
        return Normalized(folded, identity)
    return _rewrite_all(text, folded, has_cjk)


def normalize_full(text: str) -> Normalized:
    """`normalize` without its fast path: every rewrite is tried (a reference for tests)."""
    folded, has_cjk = _fold(text)
    return _rewrite_all(text, folded, has_cjk)


def _fold(text: str) -> tuple[str, bool]:
    """The length-preserving folds; and whether the text may hold Chinese."""
    if text.isascii():
        return text.lower(), False
    folded = text if _FOLD_CHARS.isdisjoint(text) else text.translate(_FOLD_TABLE)
    lowered = folded.lower()
    folded = lowered if len(lowered) == len(folded) else folded
    if _HOMOPHONE_RX.search(folded):
        folded = _HOMOPHONE_RX.sub(lambda m: HOMOPHONES[m.group()], folded)
    return folded, True


def _rewrite_all(text: str, folded: str, has_cjk: bool) -> Normalized:
    """The length-changing rewrites, each behind its own gate, with the offset map."""
    starts: list[int] | None = None
    ends: list[int] | None = None
    if has_cjk and _ZH_GATE.search(folded):
        folded, starts, ends = _rewrite(folded, _ZH_SQUEEZE, _squeeze_pieces, starts, ends)
    if _LATIN_GATE.search(folded):
        folded, starts, ends = _rewrite(folded, _LATIN_SQUEEZE, _squeeze_pieces, starts, ends)
    if _LEET_RX.search(folded):  # same length: offsets do not change
        folded = _LEET_RX.sub(lambda m: _LEET[m.group()], folded)
    if _needs_pinyin(folded):
        before = folded
        folded, starts, ends = _rewrite(folded, _PINYIN_RX, _pinyin_pieces, starts, ends)
        if folded is not before and _ZH_GATE.search(folded):
            folded, starts, ends = _rewrite(folded, _ZH_SQUEEZE, _squeeze_pieces, starts, ends)
    return Normalized(folded, OffsetMap(len(text), starts, ends))
