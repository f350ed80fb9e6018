"""Normalisation folds evasions and maps spans back to the original text."""

from __future__ import annotations

import pytest

from trainer.grading.normalize import normalize


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("我是公 安 局的", "我是公安局的"),
        ("我是公,安,局的", "我是公安局的"),
        ("律師事務所", "律师事务所"),
        ("黑名單", "黑名单"),
        ("ＰＯＬＩＣＥ", "police"),
        ("p o l i c e officer", "police officer"),
        ("我是法yuan的", "我是法院的"),
        ("我是 gong an 局", "我是公安局"),
        ("加我vx转账", "加我微信转账"),
        ("don’t", "don't"),
        ("pоlice", "police"),  # Cyrillic о
        ("信不信我弄si你", "信不信我弄死你"),
    ],
)
def test_folds_evasions(text: str, folded: str) -> None:
    assert normalize(text).text == folded


@pytest.mark.parametrize(
    "text",
    [
        "我们不是公安局,也不是法院",
        "您目前欠款8,650元",
        "This is Dan Li from ABC.",
        "Dani and Fa Dao Nguyen called back.",
    ],
)
def test_leaves_ordinary_text_alone(text: str) -> None:
    norm, offsets = normalize(text)
    assert norm == text.lower()
    assert offsets.identity


def test_offsets_point_into_the_original() -> None:
    text = "我是 gong an 局的警 察"
    norm, offsets = normalize(text)
    start = norm.index("公安")
    a, b = offsets.span(start, start + 2)
    assert text[a:b] == "gong an"
    start = norm.index("警察")
    a, b = offsets.span(start, start + 2)
    assert text[a:b] == "警 察"


def test_zero_width_and_end_spans_stay_inside() -> None:
    text = "公\u200b安"
    norm, offsets = normalize(text)
    assert norm == "公安"
    assert offsets.span(len(norm), len(norm)) == (len(text), len(text))
    assert offsets.span(0, 0) == (0, 0)
