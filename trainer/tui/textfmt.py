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
import unicodedata

from trainer.safetext import visible

_CJK = r"\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
#: ASCII marks that Chinese authors here type inside Chinese sentences (``864.00元,已经``).
_MARK = r",.;:!?)\]\"'"
_OPEN = r"(\[\"'"
#: Whitespace YAML folding left inside a Chinese sentence: after a CJK character, an ASCII
#: mark that follows one or a comma-like mark, and before a CJK character (or an opening
#: mark before one).
_FOLDED_SPACE = re.compile(
    rf"(?:(?<=[{_CJK}])|(?<=[{_CJK}][{_MARK}])|(?<=[,;:!?]))"
    rf"[ \t\r\n]+"
    rf"(?=[{_CJK}]|[{_OPEN}][{_CJK}])"
)


def tidy(text: str) -> str:
    """``text`` without the whitespace YAML folding leaves inside a Chinese sentence, and
    with control characters made visible (`trainer.safetext.visible`).

    The whitespace between two CJK characters goes, and so does the space after an ASCII
    mark that ends a Chinese clause (``864.00元, 已经`` → ``864.00元,已经``), since the
    shipped content types ASCII punctuation in Chinese text. Latin text keeps its spaces.
    """
    return _FOLDED_SPACE.sub("", visible(text))


#: Punctuation that never starts a line (it belongs to what comes before it).
#: Currency signs said before the amount: "$" never ends a line when a number follows.
_CURRENCY = frozenset("$¥￥€£")
_CLOSING = frozenset("，。！？；：、）》」』】〕〉”’…%,.!?;:)]}")
#: Punctuation that never ends a line (it belongs to what comes after it).
_OPENING = frozenset("（《「『【〔〈“‘([{")
#: Counters and units that stay with the number before them: 3月 · 10号 · 6,380元 · 15天
_UNITS = frozenset("元块角分月日号年天点万千百亿个期次岁周笔张")
#: ASCII quotes: the first of a pair opens, the second closes (the content types them in Chinese).
_QUOTES = frozenset('"')
#: Spaces that never break a line (the interface writes "第\u00a03\u00a0轮" with them).
_NO_BREAK = frozenset("\u00a0\u2007\u202f")
#: Characters that join letters and digits into one unbreakable run: 6,380.00 · 10:30 · 400-000-1024
_JOINERS = frozenset(".,:/-_'@+#")


def _cells(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cells(text: str) -> int:
    """How many terminal cells ``text`` takes (a Chinese character takes two)."""
    return sum(_cells(ch) for ch in text)


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with "…" at the end when it does not fit."""
    if cells(text) <= width:
        return text
    kept, used = [], 0
    for ch in text:
        size = _cells(ch)
        if used + size > width - 1:
            break
        kept.append(ch)
        used += size
    return "".join(kept).rstrip() + "…"


def _units(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_space) pieces a line may break between: a run of spaces, a run of
    letters and digits (with the joiners inside a number or a word), or one other
    character; closing punctuation joins the piece before it, opening the piece after."""
    units: list[list[int]] = []  # [start, end, is_space]
    i, n = 0, len(text)
    glued = False  # the last character was a no-break space
    quotes: dict[str, int] = {}  # ASCII quotes seen, to tell an opening one from a closing one
    opened: set[int] = set()  # ends of opening marks: the next piece joins them
    while i < n:
        ch = text[i]
        j = i + 1
        if ch in _NO_BREAK:  # "第\u00a01\u00a0轮" is one piece: joined to both sides
            if units and not units[-1][2]:
                units[-1][1] = j
            else:
                units.append([i, j, 0])
            glued = True
            i = j
            continue
        if ch.isspace():
            while j < n and text[j].isspace() and text[j] not in _NO_BREAK:
                j += 1
            units.append([i, j, 1])
            i = j
            continue
        if ch.isascii() and ch.isalnum():
            while j < n and (
                (text[j].isascii() and text[j].isalnum())
                or (
                    text[j] in _JOINERS
                    and j + 1 < n
                    and text[j + 1].isascii()
                    and text[j + 1].isalnum()
                )
            ):
                j += 1
        closing = ch in _CLOSING
        if ch in _QUOTES:  # an ASCII quote opens or closes by its count so far
            quotes[ch] = quotes.get(ch, 0) + 1
            closing = quotes[ch] % 2 == 0
        if glued and units and not units[-1][2]:
            units[-1][1] = j  # the piece after a no-break space
        elif closing and units and not units[-1][2]:
            units[-1][1] = j  # never start a line with it
        elif ch in _UNITS and units and not units[-1][2] and text[i - 1].isdigit():
            units[-1][1] = j  # a number keeps its unit: "3|月" is never a break
        elif closing and len(units) > 1 and units[-1][2]:
            units.pop()  # "word 。": the spaces and the mark go with the word
            units[-1][1] = j
        elif units and not units[-1][2] and units[-1][1] in opened:
            units[-1][1] = j  # never end a line with an opening mark
        else:
            units.append([i, j, 0])
        if (
            ch in _OPENING
            or (ch in _QUOTES and not closing)
            or (ch in _CURRENCY and j < n and text[j].isdigit())
        ):
            opened.add(j)  # never end a line with an opening mark (or "$" before 3,412)
        glued = False
        i = j
    return [(a, b, bool(s)) for a, b, s in units]


def line_starts(text: str, width: int) -> list[int]:
    """Where the lines of one paragraph start when it is wrapped to ``width`` cells,
    after the first: Chinese may break between any two characters, but never inside a
    number or a Latin word (``63|80块``), before closing punctuation or after opening
    punctuation; Latin text breaks at spaces. A piece wider than a line is folded."""
    starts: list[int] = []
    used = 0
    for start, end, space in _units(text):
        size = cells(text[start:end])
        if space:
            if (used or start == 0) and used + size <= width:
                used += size  # spaces inside a line (or indenting the paragraph)
            elif used:
                starts.append(end)  # break at the spaces; they are dropped
                used = 0
            continue
        if used + size <= width:
            used += size
            continue
        if size <= width:
            if used:
                starts.append(start)
            used = size
            continue
        for k in range(start, end):  # fold a piece longer than a line
            one = _cells(text[k])
            if used + one > width and used:
                starts.append(k)
                used = 0
            used += one
    return [s for s in starts if 0 < s < len(text)]
