"""Money amounts in agent lines, in Arabic or Chinese numerals.

The scorecard's ``amount_stated`` check asks whether the agent said the amount
of the briefing. Agents write it many ways: ``6380``, ``6,380.00``, ``¥6380``,
``$1,234.56``, ``六千三百八十元``, ``六千三百八`` (the spoken short form,
meaning 6380), ``一万二`` (12000), ``1.2万``, ``两千``. `amounts` finds every
number in a line with its span; `parse_chinese` reads one Chinese numeral.

Why a parser and not a regex of the expected amount: the briefing is data
(any amount), and the spoken forms cannot be generated reliably but can be
read back unambiguously.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["Amount", "amounts", "parse_chinese", "same_amount"]

_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "壹": 1,
    "二": 2,
    "贰": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "叁": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_CN_CHARS = "".join(_DIGITS) + "".join(_SMALL) + "".join(_BIG)
_POINT = "点點"

#: A Chinese numeral: at least one digit or unit, optionally with a decimal part.
_CN_RX = re.compile(f"[{_CN_CHARS}]+(?:[{_POINT}][{''.join(_DIGITS)}]+)?")
#: An Arabic number with optional thousands separators, decimals and a 万/千 multiplier.
_AR_RX = re.compile(
    r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\d])\s*([万萬千亿億kK](?![a-zA-Z]))?"
)
#: Currency marks: a number beside one of these is certainly an amount.
_CURRENCY_AFTER = re.compile(
    r"^\s*(?:元|块钱|块|圆|美元|美金|人民币|dollars?\b|bucks\b|usd\b|rmb\b)", re.IGNORECASE
)
_CURRENCY_BEFORE = re.compile(r"(?:[$¥￥]|usd|rmb|人民币)\s*$", re.IGNORECASE)
_MULTIPLIER = {
    "万": 10_000,
    "萬": 10_000,
    "千": 1000,
    "k": 1000,
    "K": 1000,
    "亿": 100_000_000,
    "億": 100_000_000,
}


@dataclass(frozen=True, slots=True)
class Amount:
    """A number found in a line: its value, span in the line and whether a currency mark
    (元, 块, $, dollars…) sits beside it."""

    value: Decimal
    start: int
    end: int
    text: str
    money: bool


def parse_chinese(text: str) -> Decimal | None:
    """The value of one Chinese numeral (``六千三百八十``, ``一万二``, ``三点五``), or None.

    Handles the spoken short forms where the unit of a trailing digit is one
    step below the last unit (``一万二`` = 12000, ``三千五`` = 3500,
    ``六千三百八`` = 6380) and digit strings read one by one (``六三八零`` = 6380).
    """
    if not text:
        return None
    point = next((i for i, ch in enumerate(text) if ch in _POINT), -1)
    whole, frac = (text, "") if point < 0 else (text[:point], text[point + 1 :])
    value = _chinese_integer(whole) if whole else 0
    if value is None:
        return None
    result = Decimal(value)
    if frac:
        digits = [_DIGITS.get(ch) for ch in frac]
        if any(d is None for d in digits):
            return None
        result += Decimal("0." + "".join(str(d) for d in digits))
    return result


def _chinese_integer(text: str) -> int | None:
    if all(ch in _DIGITS for ch in text):
        # a string of digits read one by one: 六三八零 → 6380 (一 alone → 1)
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total = 0  # completed groups above 万/亿
    section = 0  # the current group below 万
    digit: int | None = None
    last_small = 0  # the last 十/百/千 of this group: units must fall (三百四百 is not a number)
    short = 0  # the unit a trailing digit takes in the spoken short form
    last_big = 0
    for ch in text:
        if ch in _DIGITS:
            if digit is not None and _DIGITS[ch] != 0 and digit != 0:
                return None  # two digits in a row (六三百) is not a numeral
            digit = _DIGITS[ch]
        elif ch in _SMALL:
            unit = _SMALL[ch]
            if last_small and unit >= last_small:
                return None
            section += (1 if digit is None else digit) * unit
            digit, last_small, short = None, unit, unit // 10
        else:
            big = _BIG[ch]
            if last_big and big >= last_big:
                total = (total + section + (digit or 0)) * big
            else:
                total += (section + (digit or 0)) * big
            section, digit, last_small, short, last_big = 0, None, 0, big // 10, big
    if digit is not None:
        # 一万二 (2 thousand), 三千五 (5 hundred), 十五 (5); after 零 a digit is ones
        follows_unit = len(text) >= 2 and (text[-2] in _SMALL or text[-2] in _BIG)
        section += digit * (short if follows_unit and short else 1)
    return total + section


def amounts(text: str) -> list[Amount]:
    """Every number in ``text`` (Arabic or Chinese), in order of appearance."""
    found: list[Amount] = []
    taken: list[tuple[int, int]] = []
    for match in _AR_RX.finditer(text):
        whole, frac, mult = match.group(1), match.group(2), match.group(3)
        try:
            value = Decimal(whole.replace(",", "") + ("." + frac if frac else ""))
        except InvalidOperation:  # pragma: no cover - the regex only admits digits
            continue
        if mult:
            value *= _MULTIPLIER[mult]
        start, end = match.start(), match.end()
        if not mult:
            end = match.end(2) if frac else match.end(1)
        found.append(Amount(value, start, end, text[start:end], _is_money(text, start, end)))
        taken.append((start, end))
    for match in _CN_RX.finditer(text):
        start, end = match.span()
        chunk = match.group()
        # a lone 一/两/十… is mostly a word (一下, 两天), not an amount, unless money follows
        if len(chunk) == 1 and chunk in "一两十万千百亿" and not _is_money(text, start, end):
            continue
        number = parse_chinese(chunk)
        if number is None:
            continue
        found.append(Amount(number, start, end, chunk, _is_money(text, start, end)))
    found.sort(key=lambda a: a.start)
    return found


def _is_money(text: str, start: int, end: int) -> bool:
    return bool(_CURRENCY_AFTER.match(text[end:]) or _CURRENCY_BEFORE.search(text[:start]))


def same_amount(value: Decimal | float, target: Decimal | float) -> bool:
    """Whether two amounts are equal to the cent."""
    return round(Decimal(str(value)), 2) == round(Decimal(str(target)), 2)
