"""Helpers shared by the engine tests: the fixture content folder and a fake grader."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from trainer.grading.findings import CallContext, Finding
from trainer.scenarios.loader import ContentSet, load_content

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "engine"
ZH = "zh-fixture-forgetful"
EN = "en-fixture-forgetful"


class FakeGrader:
    """A tiny grader with known behaviour: words → findings, plus one context rule.

    The real rulebook is tested by the grading package; engine tests need a
    grader whose findings they can predict.
    """

    id = "fake"
    version = "1"

    WORDS: ClassVar[dict[str, tuple[str, str, str]]] = {
        "公安局": ("ZH-IMP-001", "impersonation", "critical"),
        "垃圾": ("ZH-ABU-001", "abuse", "major"),
        "小心": ("ZH-THR-001", "threat", "critical"),
        "别装了": ("ZH-ABU-004", "abuse", "minor"),
        "police": ("EN-IMP-001", "impersonation", "critical"),
        "deadbeat": ("EN-ABU-001", "abuse", "major"),
    }

    def __init__(self) -> None:
        self.contexts: list[CallContext] = []

    def check(self, text: str, ctx: CallContext) -> Sequence[Finding]:
        self.contexts.append(ctx)
        found = []
        for word, (rule, category, severity) in self.WORDS.items():
            at = text.lower().find(word)
            if at >= 0:
                found.append(
                    Finding(
                        rule,
                        category,
                        severity,
                        at,
                        at + len(word),
                        word,  # type: ignore[arg-type]
                        f"{category} found",
                        "say it differently",
                    )
                )
        if not ctx.verified and "欠款" in text:
            at = text.find("欠款")
            found.append(
                Finding(
                    "ZH-TPD-001",
                    "third_party_disclosure",
                    "major",
                    at,
                    at + 2,
                    "欠款",
                    "debt disclosed before verification",
                    "verify first",
                )
            )
        return sorted(found)


def load_fixture_content() -> ContentSet:
    """The fixture content folder, asserting it loads without errors."""
    loaded, diags = load_content([FIXTURES])
    errors = [d.format() for d in diags if d.severity == "error"]
    assert not errors, errors
    return loaded
