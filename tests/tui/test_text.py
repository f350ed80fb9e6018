"""Display helpers: tidy authored CJK text, glue labels to CJK lines, clip spans."""

from __future__ import annotations

from trainer.grading.findings import Finding
from trainer.tui.textfmt import tidy
from trainer.tui.widgets.transcript import HIGHLIGHT, glue, highlight_spans


def test_tidy_removes_yaml_folding_spaces_between_chinese_only() -> None:
    assert tidy("他一开始以为是 推销或诈骗,听清是银行") == "他一开始以为是推销或诈骗,听清是银行"
    assert tidy("金额、 日期\n和渠道") == "金额、日期和渠道"
    assert tidy("我是 Anna, from the bank") == "我是 Anna, from the bank"
    assert tidy("two  spaces stay") == "two  spaces stay"


def test_tidy_removes_folding_spaces_after_ascii_marks_in_chinese() -> None:
    # the shipped content types ASCII punctuation inside Chinese sentences
    assert tidy("最低还款额是864.00元, 已经逾期") == "最低还款额是864.00元,已经逾期"
    assert tidy('一开口就说"知道知道, 月底肯定还"') == '一开口就说"知道知道,月底肯定还"'
    assert tidy("两个多月(M3), 之前") == "两个多月(M3),之前"
    assert tidy('她说 "月底还"') == '她说"月底还"'
    assert tidy("Hello, world. Yes, sir") == "Hello, world. Yes, sir"
    assert tidy("手机 App 里") == "手机 App 里"


def test_glue_keeps_a_label_on_the_line_of_a_chinese_sentence() -> None:
    assert glue("您好") == "："
    assert glue("Hello") == ": "
    assert glue("") == ": "


def _finding(start: int, end: int, match: str = "") -> Finding:
    return Finding("ZH-ABU-001", "abuse", "major", start, end, match, "why", "better")


def test_highlight_uses_offsets_clips_them_and_falls_back_to_the_match() -> None:
    line = "你这种老赖"
    spans = highlight_spans(line, [_finding(3, 5)]).spans
    assert [(s.start, s.end, s.style) for s in spans] == [(3, 5, HIGHLIGHT)]
    assert [(s.start, s.end) for s in highlight_spans(line, [_finding(3, 99)]).spans] == [(3, 5)]
    # a finding stored without offsets reads back with an empty span: found by its match
    assert [(s.start, s.end) for s in highlight_spans(line, [_finding(0, 0, "老赖")]).spans] == [
        (3, 5)
    ]
    assert highlight_spans(line, [_finding(0, 0, "不在")]).spans == []
    assert highlight_spans("[bold]", [_finding(0, 1)]).plain == "[bold]"
