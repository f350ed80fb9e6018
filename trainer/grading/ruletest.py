"""``trainer rules test``: every rule's examples as tests, with confusion matrices.

Per rule, a ``flag`` example is a true positive when the rule fires on it
(else a false negative) and a ``pass`` example a true negative when it stays
silent (else a false positive). Per category the same is counted with "any
rule of the category" — a near-miss of one threat rule must not trip another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trainer.grading.rulebook import Rulebook, example_context
from trainer.vocab import category_names


@dataclass
class Matrix:
    """A confusion matrix: true/false positives and negatives."""

    tp: int = 0
    fn: int = 0
    tn: int = 0
    fp: int = 0

    @property
    def ok(self) -> bool:
        """No false negative and no false positive."""
        return self.fn == 0 and self.fp == 0

    def to_json(self) -> dict[str, int]:
        """JSON form."""
        return {"tp": self.tp, "fn": self.fn, "tn": self.tn, "fp": self.fp}


@dataclass
class Failure:
    """An example that did not behave as written."""

    rule: str
    kind: str
    index: int
    text: str
    found: tuple[str, ...]


@dataclass
class RuleTestReport:
    """Results of running every example of a rulebook."""

    rules: dict[str, Matrix] = field(default_factory=dict)
    categories: dict[str, Matrix] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every example behaved as written (rule and category level)."""
        return all(m.ok for m in self.rules.values()) and all(
            m.ok for m in self.categories.values()
        )

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "ok": self.ok,
            "rules": {rid: m.to_json() for rid, m in self.rules.items()},
            "categories": {c: m.to_json() for c, m in self.categories.items()},
            "failures": [f.__dict__ for f in self.failures],
        }


def run_examples(book: Rulebook) -> RuleTestReport:
    """Check every example of every rule of ``book``."""
    report = RuleTestReport()
    for category in category_names():
        report.categories[category] = Matrix()
    for rule in book.rules:
        matrix = report.rules.setdefault(rule.id, Matrix())
        cat = report.categories[rule.category]
        for kind, examples in (
            ("flag", rule.spec.examples.flag),
            ("pass", rule.spec.examples.pass_),
        ):
            for i, example in enumerate(examples):
                findings = book.check(example.text, example_context(example), merge=False)
                by_rule = any(f.rule == rule.id for f in findings)
                by_cat = any(f.category == rule.category for f in findings)
                found = tuple(f"{f.rule}:{f.match}" for f in findings)
                if kind == "flag":
                    matrix.tp += by_rule
                    matrix.fn += not by_rule
                    cat.tp += by_cat
                    cat.fn += not by_cat
                    if not by_rule:
                        report.failures.append(Failure(rule.id, kind, i, example.text, found))
                else:
                    matrix.tn += not by_rule
                    matrix.fp += by_rule
                    cat.tn += not by_cat
                    cat.fp += by_cat
                    if by_cat:
                        report.failures.append(Failure(rule.id, kind, i, example.text, found))
    return report


def format_report(book: Rulebook, report: RuleTestReport) -> str:
    """Plain-text tables for a terminal."""
    lines = [
        f"rulebook {book.id} {book.version} ({book.locale}), {len(book.rules)} rules",
        "",
        f"{'rule':<14}{'category':<24}{'TP':>4}{'FN':>4}{'TN':>4}{'FP':>4}  result",
    ]
    for rule in book.rules:
        m = report.rules[rule.id]
        lines.append(
            f"{rule.id:<14}{rule.category:<24}{m.tp:>4}{m.fn:>4}{m.tn:>4}{m.fp:>4}  "
            f"{'ok' if m.ok else 'FAIL'}"
        )
    lines += ["", f"{'category':<38}{'TP':>4}{'FN':>4}{'TN':>4}{'FP':>4}  result"]
    for category, m in report.categories.items():
        if m.tp + m.fn + m.tn + m.fp == 0:
            lines.append(f"{category:<38}{'':>16}  no rules")
            continue
        lines.append(
            f"{category:<38}{m.tp:>4}{m.fn:>4}{m.tn:>4}{m.fp:>4}  {'ok' if m.ok else 'FAIL'}"
        )
    if report.failures:
        lines += ["", "failures:"]
        for f in report.failures:
            expected = "should be flagged" if f.kind == "flag" else "should pass"
            lines.append(
                f"  {f.rule} {f.kind}[{f.index}] {expected}: {f.text!r} "
                f"(found: {', '.join(f.found) or 'nothing'})"
            )
    total = sum(m.tp + m.fn + m.tn + m.fp for m in report.rules.values())
    failed = len(report.failures)
    lines += ["", f"{total} examples, {failed} failure(s): {'PASS' if report.ok else 'FAIL'}"]
    return "\n".join(lines) + "\n"
