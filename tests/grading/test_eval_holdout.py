"""The shipped rulebooks on the held-out set ``eval/final2_<locale>.jsonl``.

The development sets (``<locale>.jsonl``, ``blind_<locale>.jsonl``,
``final_<locale>.jsonl``) were used to tune the rules, so they overstate how
well the grader generalises. The ``final2_*`` files were written blind, and
nobody tuning rules may read them: they are the honest measure. This test prints the figures and
guards them against regression; the issue's goal (recall >= 0.95, false-positive
rate <= 0.05) is not reached on this set yet — see docs/rules.md.
"""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path

import pytest

from trainer.grading import CallContext, load_rulebook

EVAL_DIR = Path(__file__).resolve().parent / "eval"
COUNTED = frozenset({"critical", "major", "minor"})
#: Floors from the measurement of 2026-11-23 (zh-CN recall 0.78, FP 0.04; en-US
#: recall 0.75, FP 0.04). Raise them as the rules improve — never by reading the set.
FLOORS = {"zh-CN": (0.76, 0.05), "en-US": (0.72, 0.05)}


def _context(item: dict[str, object]) -> CallContext:
    clock = None
    if isinstance(item.get("time"), str):
        hours, minutes = str(item["time"]).split(":")
        clock = time(int(hours), int(minutes))
    return CallContext(
        party=item["party"],  # type: ignore[arg-type]
        verified=bool(item["verified"]),
        turn=1,
        time=clock,
    )


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_held_out_recall_and_false_positives(locale: str) -> None:
    path = EVAL_DIR / f"final2_{locale}.jsonl"
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    assert len(items) >= 150
    book = load_rulebook(locale)
    caught = violations = false_pos = compliant = 0
    for item in items:
        findings = book.check(str(item["text"]), _context(item))
        if item["expect"] is None:
            compliant += 1
            false_pos += any(f.severity in COUNTED for f in findings)
        else:
            violations += 1
            caught += any(f.category == item["expect"] for f in findings)
    recall, fp_rate = caught / violations, false_pos / compliant
    print(f"\n{locale} held-out: recall {recall:.2f} ({caught}/{violations}), "
          f"false-positive rate {fp_rate:.2f} ({false_pos}/{compliant})")
    min_recall, max_fp = FLOORS[locale]
    assert recall >= min_recall
    assert fp_rate <= max_fp
