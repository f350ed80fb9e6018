"""A line that breaks one rule in several places is one finding to the reader."""

from __future__ import annotations

from trainer.grading import CallContext, load_rulebook
from trainer.grading.findings import TurnFinding, by_rule


def test_one_entry_per_rule_per_line_with_every_flagged_word() -> None:
    book = load_rulebook("zh-CN")
    line = "您儿子李明欠我们银行8650元,已经逾期12天了,让他赶紧还钱。"
    found = book.check(line, CallContext(party="third_party", verified=False, turn=2))
    same_rule = [f for f in found if f.rule == "ZH-TPD-001"]
    assert len(same_rule) >= 2  # the grader reports each stretch of words
    other = "您好,请问是李明先生吗?"
    findings = [TurnFinding(2, line, f) for f in found] + [
        TurnFinding(5, other, f) for f in book.check(other, CallContext(turn=5))
    ]
    grouped = by_rule(findings)
    keys = [(first.turn, first.finding.rule) for first, _ in grouped]
    assert len(keys) == len(set(keys))  # each rule once per line
    first, spans = next(g for g in grouped if g[0].finding.rule == "ZH-TPD-001")
    assert first.turn == 2 and len(spans) == len(same_rule)
    assert {s.match for s in spans} == {f.match for f in same_rule}
