"""Reading a whole agent line: clauses, answers to the customer's question, read-backs.

Real agents say two or three things in one breath ("您好,我是华信银行的小王,本次
通话会录音,请问是周先生吗?"), answer the customer's own question with one word
("行,就十五号"), and read a promise back in their own words. The recogniser
(`trainer.engine.recognise`) scores one piece of text against intent examples;
this module cuts a line into the pieces worth scoring and recognises the moves
that are better read by their content than by their wording.

* `pieces` cuts a line into clauses at sentence and clause punctuation and
  returns every clause, every run of two or three neighbouring clauses, and the
  whole line, each with the clause span it covers — so one clause can be a move
  on its own, and a move spread over a comma is still seen whole.
* `is_agreement` tells a short yes / accept ("行", "可以", "Sure, the 15th works")
  that only means something against the customer's last question.
* `promise_content` finds an amount and a date (and a channel) in a line, so a
  read-back is recognised by what it says, not how.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trainer.grading.numbers import amounts

#: More clauses than this are not split further (the rest stays one piece).
MAX_CLAUSES = 12
#: Longest run of neighbouring clauses scored as one piece.
MAX_RUN = 3

# after clause punctuation (but not a comma or point inside a number: 12,460.80), at
# dashes between spaces, and at line breaks
_SPLIT = re.compile(r"(?<=[。！？!?；;，、…])|(?<=,)(?!\d)|(?<=\.)\s+|\s+[-–—]+\s+|\n+|——")


@dataclass(frozen=True, slots=True)
class Piece:
    """A span of clauses ``[first, last]`` of a line and its text; ``new_sentence``
    when the piece starts a sentence (the line's start or after 。!?;),
    ``ends_sentence`` when it ends one (or the line)."""

    first: int
    last: int
    text: str
    new_sentence: bool = True
    ends_sentence: bool = True

    def overlaps(self, used: set[int]) -> bool:
        """Whether any clause of this piece is already taken."""
        return any(i in used for i in range(self.first, self.last + 1))

    def clauses(self) -> set[int]:
        """The clause numbers this piece covers."""
        return set(range(self.first, self.last + 1))


def clauses(text: str) -> list[str]:
    """The clauses of a line, at most `MAX_CLAUSES` (the tail stays together)."""
    parts = [p.strip() for p in _SPLIT.split(text) if p and p.strip()]
    parts = [p for p in parts if any(ch.isalnum() for ch in p)]
    if len(parts) > MAX_CLAUSES:
        parts = [*parts[: MAX_CLAUSES - 1], "".join(parts[MAX_CLAUSES - 1 :])]
    return parts or [text.strip()]


def pieces(text: str, parts: list[str] | None = None) -> list[Piece]:
    """Clauses, runs of up to `MAX_RUN` neighbouring clauses, and the whole line.

    Ordered by where they start, shorter first, so ties go to the earliest move.
    ``parts`` are the line's `clauses` when the caller already has them.
    """
    parts = clauses(text) if parts is None else parts
    ends = [
        i == len(parts) - 1 or part.rstrip()[-1:] in _SENTENCE_END for i, part in enumerate(parts)
    ]
    found: list[Piece] = []
    for first in range(len(parts)):
        opens = first == 0 or ends[first - 1]
        for size in range(1, MAX_RUN + 1):
            last = first + size - 1
            if last >= len(parts):
                break
            glue = "" if _is_cjk(parts[first]) else " "
            text_of = glue.join(parts[first : last + 1])
            found.append(Piece(first, last, text_of, opens, ends[last]))
    if len(parts) > MAX_RUN:
        found.append(Piece(0, len(parts) - 1, text.strip()))
    return found


_SENTENCE_END = frozenset("。！？!?；;.")


def substantial(text: str) -> bool:
    """Whether a piece says enough to be a move on its own (4+ CJK characters or 3+ words).

    "好的", "谢谢", "Okay," carry no move by themselves; scored alone they would match
    whatever intent has such words in its examples.
    """
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return cjk >= 4 or (cjk == 0 and len(re.findall(r"[A-Za-z0-9']+", text)) >= 3)


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


_AGREE = {
    "zh-CN": re.compile(
        r"^(?:嗯+|哦+|噢+|好|好的|好嘞|行|行的|可以|没问题|对|对的|是的|是|成|中|当然|那就|就|那)"
        r"[,,。!!~～ ]*(?:(?:好的|好|行|可以|没问题|这样|这么定|这么办|按您说的|听您的|就这么定了?|"
        r"就[^,,。!!?？]{0,12}|那就[^,,。!!?？]{0,12}|定了|办|吧|啊|呀|嘛)[,,。!!~～ ]*)*$"
    ),
    "en-US": re.compile(
        r"^(?:yes|yeah|yep|sure|ok|okay|alright|all right|fine|great|perfect|deal|absolutely|"
        r"of course|that works|sounds good|that's fine|that is fine|no problem)\b"
        r"[^?]{0,60}$",
        re.IGNORECASE,
    ),
}
_QUESTION = re.compile(r"[?？吗吧呢]|\b(?:okay|ok|right|work|fine)\b[^.]*$", re.IGNORECASE)


def is_agreement(text: str, locale: str) -> bool:
    """A short yes / accept that answers the customer's question ("行,就十五号", "Sure")."""
    pattern = _AGREE.get(locale)
    line = text.strip()
    if pattern is None or not line or len(line) > (24 if locale == "zh-CN" else 90):
        return False
    return bool(pattern.match(line))


def asks(line: str) -> bool:
    """Whether a customer line asks or proposes something ("就十五号吧", "Is the 15th OK?")."""
    return bool(_QUESTION.search(line.strip()))


_DATE = {
    "zh-CN": re.compile(
        r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*(?:号|日)|月底|月初|月中|下(?:个)?(?:周|星期|礼拜)"
        r"|(?:周|星期|礼拜)[一二三四五六日天]|今天|明天|后天|今晚|明早|这周|本周|发工资|\d{1,2}月"
    ),
    "en-US": re.compile(
        r"\b(?:\d{1,2}(?:st|nd|rd|th)|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)"
        r"[a-z]*\.?\s+\d{1,2}|(?:mon|tues|wednes|thurs|fri|satur|sun)day|today|tomorrow|tonight"
        r"|next week|end of (?:the )?month|payday|\d{1,2}/\d{1,2})\b",
        re.IGNORECASE,
    ),
}


def promise_content(text: str, locale: str) -> tuple[bool, bool]:
    """(an amount is named, a date is named) in ``text``: what a read-back must carry."""
    money = any(a.money or a.value >= 100 for a in amounts(text))
    pattern = _DATE.get(locale)
    return money, bool(pattern is not None and pattern.search(text))


_CONFIRM = {
    "zh-CN": re.compile(
        r"确认一下|跟您确认|复述|核对一下|我记一下|我记下|记下了|给您记|说定了|就这么定|那就这样定"
        r"|对吗|对吧|没错吧|是吧|没问题吧"
    ),
    "en-US": re.compile(
        r"\b(?:confirm|recap|to make sure|putting (?:that |it )?down|noting|note that down"
        r"|did i get|got that right|sound right|is that right|is that correct|correct\?)",
        re.IGNORECASE,
    ),
}


_OPEN_QUESTION = {
    "zh-CN": re.compile(
        r"哪天|哪一天|几号|几点|什么时候|哪个渠道|什么渠道|哪种方式|怎么还|还多少|能还多少"
    ),
    "en-US": re.compile(
        r"\b(?:when|which|what time|what day|what date|how much|how would you|how do you)\b",
        re.IGNORECASE,
    ),
}


def asks_open(text: str, locale: str) -> bool:
    """Whether the line still asks for part of the promise ("具体哪天?", "which day?"):
    then it pins the promise but is no read-back yet."""
    pattern = _OPEN_QUESTION.get(locale)
    return bool(pattern is not None and pattern.search(text))


def confirms(text: str, locale: str) -> bool:
    """Whether the line asks the customer to confirm what it says back ("我跟您确认一下",
    "对吧?", "Did I get that right?"): with an amount and a date, a read-back."""
    pattern = _CONFIRM.get(locale)
    return bool(pattern is not None and pattern.search(text))
