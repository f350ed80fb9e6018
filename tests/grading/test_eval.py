"""The shipped rulebooks measured on the held-out evaluation set (tests/grading/eval/).

Each line of ``eval/<locale>.jsonl`` is one agent utterance with its context
(``party``, ``verified``, optional local ``time`` "HH:MM") and ``expect``: the
category it violates, or null for a compliant near-miss. Each item is graded as
the agent's first utterance of its own call (turn 1), since items are standalone.

* A violation is caught when any finding of the expected category is produced.
* A compliant item is a false positive when it yields any finding of severity
  critical, major or minor. ``review`` findings do not count: they are the
  grader saying "a pattern alone cannot decide, a person should look", not a
  verdict (e.g. en-US mini-Miranda possibly given earlier in the call).

Targets per locale: recall >= 0.95 and false-positive rate <= 0.05.
"""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path

import pytest

from trainer.grading import CallContext, load_rulebook

EVAL_DIR = Path(__file__).resolve().parent / "eval"
MIN_RECALL = 0.95
MAX_FP_RATE = 0.05
COUNTED = frozenset({"critical", "major", "minor"})


def _items(locale: str) -> list[dict[str, object]]:
    path = EVAL_DIR / f"{locale}.jsonl"
    if not path.is_file():
        pytest.skip(f"held-out evaluation set {path.name} does not exist yet")
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def _context(item: dict[str, object]) -> CallContext:
    clock = None
    if isinstance(item.get("time"), str):
        hours, minutes = str(item["time"]).split(":")
        clock = time(int(hours), int(minutes))
    return CallContext(
        party=item["party"],
        verified=bool(item["verified"]),  # type: ignore[arg-type]
        turn=1,
        time=clock,
    )


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_recall_and_false_positive_rate(locale: str) -> None:
    items = _items(locale)
    book = load_rulebook(locale)
    caught = violations = false_pos = compliant = 0
    misses: list[str] = []
    for number, item in enumerate(items, 1):
        findings = book.check(str(item["text"]), _context(item))
        expect = item["expect"]
        if expect is None:
            compliant += 1
            counted = [f for f in findings if f.severity in COUNTED]
            if counted:
                false_pos += 1
                misses.append(
                    f"  FP  line {number}: {item['text']} -> {[(f.rule, f.match) for f in counted]}"
                )
        else:
            violations += 1
            if any(f.category == expect for f in findings):
                caught += 1
            else:
                misses.append(
                    f"  FN  line {number}: [{expect}] {item['text']} -> "
                    f"{[(f.rule, f.match) for f in findings]}"
                )
    recall = caught / violations if violations else 1.0
    fp_rate = false_pos / compliant if compliant else 0.0
    print(
        f"\n{locale}: {len(items)} items; recall {recall:.3f} ({caught}/{violations}); "
        f"false-positive rate {fp_rate:.3f} ({false_pos}/{compliant})"
    )
    for line in misses:
        print(line)
    assert recall >= MIN_RECALL, "\n".join(misses)
    assert fp_rate <= MAX_FP_RATE, "\n".join(misses)
