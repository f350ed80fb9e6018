"""Chinese-aware line breaking: numbers stay whole, punctuation stays with its words."""

from __future__ import annotations

import itertools
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from trainer.tui.textfmt import line_starts


def _lines(text: str, width: int) -> list[str]:
    starts = [0, *line_starts(text, width), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(starts)]


def test_a_number_is_never_cut_and_no_line_starts_with_closing_punctuation() -> None:
    text = "客户:您好,我这边欠款是6380块,还差63.80元没还,逾期15天了。请问您方便吗?(好的)"
    for width in range(8, 30):
        lines = _lines(text, width)
        assert "".join(lines) == text
        for line in lines:
            assert line[:1] not in ",。!?;:)、", (width, lines)
            assert line[-1:] != "(", (width, lines)
        for number in ("6380", "63.80", "15"):
            assert any(number in line for line in lines), (width, number, lines)


def test_latin_text_breaks_at_spaces() -> None:
    text = "Hi, this is Dana Ruiz with Crestline Recovery, calling about 1,284.50 dollars."
    lines = _lines(text, 20)
    assert all(len(line.rstrip()) <= 20 for line in lines)
    assert any("1,284.50" in line for line in lines)


@given(st.text(alphabet="欠款是元,。6380.ab (", max_size=60), st.integers(2, 30))
def test_every_line_fits_and_nothing_is_lost(text: str, width: int) -> None:
    lines = _lines(text, width)
    assert "".join(lines) == text
    cells = [
        sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line.rstrip())
        for line in lines
    ]
    # a line is wider than the width only when it holds a single unbreakable piece
    for line, size in zip(lines, cells, strict=True):
        assert size <= width or " " not in line.strip()


def test_a_number_keeps_its_unit() -> None:
    text = "谢谢。您尾号3721的信用卡欠款6,380元,3月10号到期,已经逾期15天了,最低还款638元。"
    for width in range(10, 40):
        lines = _lines(text, width)
        for before, line in itertools.pairwise(lines):
            assert not (before[-1:].isdigit() and line[:1] in "元月号天"), (width, lines)


def test_a_no_break_space_keeps_a_turn_label_whole() -> None:
    text = "第\u00a012\u00a0轮:“您好,我是华信银行信用卡中心的王丽,工号1024。”"
    for width in range(12, 30):
        lines = _lines(text, width)
        assert lines[0].startswith("第\u00a012\u00a0轮"), (width, lines)
        assert len(lines[0]) > len("第\u00a012\u00a0轮:"), (width, lines)  # never alone


def test_fold_keeps_a_paragraph_indent_and_hang_indents_under_the_text() -> None:
    from textual.content import Content

    from trainer.tui.widgets.folded import fold, hang

    folded = fold(Content("  → 建议说法:我理解您压力很大,我们先把情况理一理。"), 20).plain
    rows = folded.split("\n")
    assert len(rows) > 1 and all(row.startswith("  ") for row in rows), rows
    hung = hang(Content("3、"), Content("您尾号3217的信用卡目前欠款8,640.00元。"), 20).plain
    rows = hung.split("\n")
    assert rows[0].startswith("3、您") and all(row.startswith("   ") for row in rows[1:])
    assert "8,640.00元" in hung.replace("\n", "").replace(" ", "")
    assert not any(row.strip().startswith(("元", "。")) for row in rows), rows


def test_an_ascii_closing_quote_never_starts_a_line_nor_an_opening_one_ends_it() -> None:
    text = '之前的短信和电话提醒都用"这周就还""月底一定还"搪塞过去,没有任何行动。'
    for width in range(6, 40):
        lines = _lines(text, width)
        quotes = 0
        for line in lines:
            if line.startswith('"'):
                assert quotes % 2 == 0, (width, lines)  # an opening quote may start a line
            quotes += line.count('"')
            if line.endswith('"'):
                assert quotes % 2 == 0, (width, lines)  # a line may end with a closing one


def test_a_currency_sign_stays_with_its_amount() -> None:
    text = "card ending 2290 has a balance of $3,412.50 that is past due."
    for width in range(20, 60):
        for start in line_starts(text, width):
            assert text[start - 1] != "$", (width, text[:start])
