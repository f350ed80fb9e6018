"""Amounts in Arabic and Chinese numerals, as agents say them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trainer.grading.numbers import amounts, parse_chinese, same_amount

DIGITS = "零一二三四五六七八九"


def to_chinese(n: int) -> str:
    """A plain formal Chinese numeral for 0 <= n < 10**8 (the test's own writer)."""
    if n == 0:
        return "零"

    def below_10000(value: int) -> str:
        out, zero = "", False
        for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            digit = value // unit % 10
            if digit:
                if zero and out:
                    out += "零"
                out += DIGITS[digit] + name
                zero = False
            else:
                zero = True
        return out

    high, low = divmod(n, 10_000)
    text = below_10000(high) + "万" if high else ""
    if low:
        text += ("零" if high and low < 1000 else "") + below_10000(low)
    return text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("六千三百八十", 6380),
        ("六千三百八", 6380),
        ("一万二", 12000),
        ("三千五", 3500),
        ("一百零五", 105),
        ("十五", 15),
        ("二十", 20),
        ("一千零五十", 1050),
        ("两千", 2000),
        ("一万二千三百", 12300),
        ("三千万", 30_000_000),
        ("二亿三千万", 230_000_000),
        ("六三八零", 6380),
        ("三点五", Decimal("3.5")),
        ("壹万捌仟陆佰", 18600),
    ],
)
def test_parse_chinese(text: str, value: int | Decimal) -> None:
    assert parse_chinese(text) == Decimal(value)


@pytest.mark.parametrize("text", ["三百四百", "六三百", ""])
def test_not_a_numeral(text: str) -> None:
    assert parse_chinese(text) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("您目前欠款6,380.00元", [("6380.00", True)]),
        ("欠了八千六百五十元,最低还款865元", [("8650", True), ("865", True)]),
        ("一共是¥8650", [("8650", True)]),
        ("大概1.2万", [("12000.0", False)]),
        ("The balance is $1,284.50.", [("1284.50", True)]),
        ("我们一下两天就处理", []),
    ],
)
def test_amounts_in_lines(line: str, expected: list[tuple[str, bool]]) -> None:
    assert [(str(a.value), a.money) for a in amounts(line)] == expected


def test_spans_point_at_the_number() -> None:
    line = "您尾号3721的卡欠款八千六百五十元"
    found = amounts(line)
    assert [line[a.start : a.end] for a in found] == ["3721", "八千六百五十"]


@given(st.integers(min_value=0, max_value=99_999_999))
def test_chinese_round_trip(n: int) -> None:
    assert parse_chinese(to_chinese(n)) == n


@given(st.integers(min_value=0, max_value=10**9), st.booleans())
def test_arabic_round_trip(n: int, commas: bool) -> None:
    text = f"{n:,}元" if commas else f"{n}元"
    found = amounts("欠款" + text)
    assert len(found) == 1 and found[0].value == n and found[0].money


@given(st.text(max_size=80))
def test_never_crashes(text: str) -> None:
    for amount in amounts(text):
        assert 0 <= amount.start < amount.end <= len(text)


def test_same_amount_to_the_cent() -> None:
    assert same_amount(Decimal("8650.00"), 8650.0)
    assert not same_amount(Decimal("8650.01"), 8650.0)
