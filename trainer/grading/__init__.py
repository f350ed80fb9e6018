"""The compliance grader: rulebooks, normalisation, matching and audit reports.

Public API (see docs/architecture.md)::

    from trainer.grading import load_rulebook, CallContext, Finding, Citation
    book = load_rulebook("zh-CN")
    findings = book.check(text, CallContext(party="debtor", verified=True))

The value objects are imported eagerly (they are cheap); the rulebook compiler
(Aho–Corasick, regexes) is imported on first use so that importing
``trainer.grading.content`` for ``trainer validate`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trainer.grading.findings import CallContext, Citation, Finding
from trainer.vocab import CATEGORIES, SEVERITIES

if TYPE_CHECKING:
    from trainer.grading.rulebook import Rule, Rulebook, load_rulebook

__all__ = [
    "CATEGORIES",
    "SEVERITIES",
    "CallContext",
    "Citation",
    "Finding",
    "Rule",
    "Rulebook",
    "load_rulebook",
]


def __getattr__(name: str) -> Any:
    if name in {"load_rulebook", "Rulebook", "Rule"}:
        from trainer.grading import rulebook

        return getattr(rulebook, name)
    raise AttributeError(f"module 'trainer.grading' has no attribute {name!r}")
