"""Grader precision and recall on the hard-case sets (compliant lines with danger words,
violations said indirectly or crudely), per locale.

    python benchmarks/grader_hard.py                 # development sets, totals
    python benchmarks/grader_hard.py --held-out      # the held-out sets, totals only
    python benchmarks/grader_hard.py -v              # development sets, every miss

Every set in ``tests/grading/eval`` named below was written blind (its authors had not
read the rulebooks). Development sets: ``hard_dev``, ``hard_dev2``, and the earlier
held-out sets ``hard_held2``/``plain_held2``, ``hard_held3``/``plain_held3`` and
``hard_held4``/``plain_held4`` (each measured once, before and after a round of work,
then used for development). No set is held out now: the next round needs new ones.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "grading" / "eval"
COUNTED = frozenset({"critical", "major", "minor"})
DEV = (
    "hard_dev",
    "hard_dev2",
    "hard_held2",
    "plain_held2",
    "hard_held3",
    "plain_held3",
    "hard_held4",
    "plain_held4",
)
HELD: tuple[str, ...] = ()


def measure(path: Path, locale: str, verbose: bool) -> dict[str, float]:
    """Grade every line of one set; return recall, false-positive rates and counts."""
    from trainer.grading import CallContext, load_rulebook

    book = load_rulebook(locale)
    caught = violations = compliant = fp_any = fp_critical = 0
    per_category: Counter[str] = Counter()
    hit_category: Counter[str] = Counter()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        item = json.loads(raw)
        clock = None
        if item.get("time"):
            hours, minutes = str(item["time"]).split(":")
            clock = time(int(hours), int(minutes))
        context = CallContext(
            party=item["party"], verified=bool(item["verified"]), turn=1, time=clock
        )
        findings = book.check(item["text"], context)
        expect = item["expect"]
        if expect is None:
            compliant += 1
            counted = [f for f in findings if f.severity in COUNTED]
            fp_any += bool(counted)
            fp_critical += any(f.severity == "critical" for f in counted)
            if verbose and counted:
                print(
                    f"  FP {path.name}:{number} {item['text']} -> "
                    f"{[(f.rule, f.severity, f.match) for f in counted]}"
                )
        else:
            violations += 1
            per_category[expect] += 1
            if any(f.category == expect for f in findings):
                caught += 1
                hit_category[expect] += 1
            elif verbose:
                print(
                    f"  FN {path.name}:{number} [{expect}] {item['text']} -> "
                    f"{[(f.rule, f.category) for f in findings]}"
                )
    return {
        "recall": caught / violations if violations else 1.0,
        "fp_rate": fp_any / compliant if compliant else 0.0,
        "critical_fp": fp_critical,
        "fp": fp_any,
        "compliant": compliant,
        "violations": violations,
        "caught": caught,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--held-out", action="store_true", help="the held-out sets (totals only)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss (dev only)")
    args = parser.parse_args(argv)
    names = HELD if args.held_out else DEV
    if not names:
        print("no held-out sets now: the next round needs new ones written blind")
        return 0
    for locale in ("zh-CN", "en-US"):
        for name in names:
            path = EVAL / f"{name}_{locale}.jsonl"
            if not path.exists():
                print(f"{locale}: {path.name} is missing", file=sys.stderr)
                continue
            result = measure(path, locale, args.verbose and not args.held_out)
            print(
                f"{locale} {name}: recall {result['recall']:.3f} "
                f"({result['caught']}/{result['violations']}), "
                f"false positives {result['fp_rate']:.3f} ({result['fp']}/{result['compliant']}), "
                f"critical false positives {result['critical_fp']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
