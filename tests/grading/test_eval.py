"""The shipped rulebooks measured on the development evaluation sets (tests/grading/eval/).

Each line of ``eval/<locale>.jsonl``, ``eval/blind_<locale>.jsonl``,
``eval/final_<locale>.jsonl`` and ``eval/final3_<locale>.jsonl`` is one agent
utterance with its context (``party``, ``verified``, optional local ``time``
"HH:MM") and ``expect``: the category it violates, or null for a compliant
near-miss. Each item is graded as the agent's first utterance of its own call
(turn 1), since items are standalone.

* A violation is caught when any finding of the expected category is produced.
* A compliant item is a false positive when it yields any finding of severity
  critical, major or minor. ``review`` findings do not count: they are the
  grader saying "a pattern alone cannot decide, a person should look", not a
  verdict (e.g. en-US mini-Miranda possibly given earlier in the call).

All four files of a locale are development data: each was held out first,
then opened; the rules were improved after reading their misses and the
learned stage is trained on them (``trainer rules train``), so these figures
show the grader does what it was tuned to do, not how it does on unseen lines.
The held-out measure is on newer sets that nobody tuning the grader reads.

Targets per locale: recall >= 0.95 and false-positive rate <= 0.05.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import time
from pathlib import Path

import pytest

from trainer.grading import CallContext, load_rulebook

EVAL_DIR = Path(__file__).resolve().parent / "eval"
#: The development sets of each locale: the first set and the blind set.
DEV_FILES = (
    "{locale}.jsonl",
    "blind_{locale}.jsonl",
    "final_{locale}.jsonl",
    "final3_{locale}.jsonl",
)
MIN_RECALL = 0.95
MAX_FP_RATE = 0.05
COUNTED = frozenset({"critical", "major", "minor"})


def _items(locale: str) -> list[tuple[str, int, dict[str, object]]]:
    """Every item of the locale's development files, with file name and line number."""
    items: list[tuple[str, int, dict[str, object]]] = []
    for pattern in DEV_FILES:
        path = EVAL_DIR / pattern.format(locale=locale)
        if not path.is_file():
            pytest.skip(f"development evaluation set {path.name} does not exist")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                items.append((path.name, number, json.loads(line)))
    return items


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
def test_recall_and_false_positive_rate(locale: str) -> None:
    items = _items(locale)
    book = load_rulebook(locale)
    expected: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    false_pos = compliant = 0
    misses: list[str] = []
    for name, number, item in items:
        findings = book.check(str(item["text"]), _context(item))
        expect = item["expect"]
        if expect is None:
            compliant += 1
            counted = [f for f in findings if f.severity in COUNTED]
            if counted:
                false_pos += 1
                misses.append(
                    f"  FP  {name}:{number}: {item['text']} -> "
                    f"{[(f.rule, f.match) for f in counted]}"
                )
        else:
            expected[str(expect)] += 1
            if any(f.category == expect for f in findings):
                caught[str(expect)] += 1
            else:
                misses.append(
                    f"  FN  {name}:{number}: [{expect}] {item['text']} -> "
                    f"{[(f.rule, f.match) for f in findings]}"
                )
    violations = sum(expected.values())
    recall = sum(caught.values()) / violations if violations else 1.0
    fp_rate = false_pos / compliant if compliant else 0.0
    print(
        f"\n{locale}: {len(items)} items; recall {recall:.3f} "
        f"({sum(caught.values())}/{violations}); "
        f"false-positive rate {fp_rate:.3f} ({false_pos}/{compliant})"
    )
    for category in sorted(expected):
        print(f"  {category:<24} {caught[category]:>3}/{expected[category]:<3}")
    for line in misses:
        print(line)
    assert recall >= MIN_RECALL, "\n".join(misses)
    assert fp_rate <= MAX_FP_RATE, "\n".join(misses)


# ---------------------------------------------------------------- held out

# The shipped rulebooks (patterns plus the learned stage) on the held-out sets
# ``eval/final2_<locale>.jsonl`` and ``eval/final4_<locale>.jsonl``.
#
# The development sets were used to tune the rules and to train the model, so
# they overstate how well the grader generalises. ``final2_*`` and ``final4_*``
# were written blind, and nobody tuning the grader may read them: they are the
# honest measure. This test prints only totals (never the misses) and guards
# them against regression.

#: Floors below the measurement of 2026-11-23 (final2 + final4 together:
#: zh-CN recall 0.957, FP 0.040; en-US recall 0.931, FP 0.034). Raise them as
#: the grader improves — never by reading the sets.
HELD_OUT = ("final2_{locale}.jsonl", "final4_{locale}.jsonl")
HELD_OUT_FLOORS = {"zh-CN": (0.93, 0.05), "en-US": (0.90, 0.05)}


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_held_out_recall_and_false_positives(locale: str) -> None:
    book = load_rulebook(locale)
    caught = violations = false_pos = compliant = 0
    for pattern in HELD_OUT:
        path = EVAL_DIR / pattern.format(locale=locale)
        items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        assert len(items) >= 150
        for item in items:
            findings = book.check(str(item["text"]), _context(item))
            if item["expect"] is None:
                compliant += 1
                false_pos += any(f.severity in COUNTED for f in findings)
            else:
                violations += 1
                caught += any(f.category == item["expect"] for f in findings)
    recall, fp_rate = caught / violations, false_pos / compliant
    print(
        f"\n{locale} held-out: recall {recall:.3f} ({caught}/{violations}), "
        f"false-positive rate {fp_rate:.3f} ({false_pos}/{compliant})"
    )
    min_recall, max_fp = HELD_OUT_FLOORS[locale]
    assert recall >= min_recall
    assert fp_rate <= max_fp
