"""Benchmark one ``Rulebook.check`` call, with and without the learned stage.

Times every line of the evaluation sets (``tests/grading/eval``) as an agent
utterance to the verified debtor, several passes, and prints p50 / p99 per
call for the shipped rulebook (patterns + model rules) and for the same book
with its classifier switched off (patterns only).

Usage::

    python benchmarks/grader_bench.py            # both locales
    python benchmarks/grader_bench.py --passes 10 zh-CN

Goal: well under 1 ms per utterance.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from trainer.grading import CallContext
from trainer.grading.rulebook import load_rulebook

EVAL = Path(__file__).resolve().parents[1] / "tests" / "grading" / "eval"


def measure(locale: str, passes: int, with_model: bool) -> tuple[float, float]:
    """p50 and p99 of one check, in microseconds."""
    book = load_rulebook(locale, check_examples=False)
    if not with_model:
        book.classifier = None
    texts = [
        json.loads(line)["text"]
        for path in sorted(EVAL.glob(f"*{locale}.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    ctx = CallContext()
    for text in texts:  # warm up: plans, regex compilation
        book.check(text, ctx)
    times: list[float] = []
    for _ in range(passes):
        for text in texts:
            start = time.perf_counter()
            book.check(text, ctx)
            times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1e6, times[int(len(times) * 0.99)] * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("locales", nargs="*", default=["zh-CN", "en-US"])
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    for locale in args.locales:
        for with_model in (True, False):
            p50, p99 = measure(locale, args.passes, with_model)
            what = "patterns + model" if with_model else "patterns only   "
            print(f"{locale} {what}: p50 {p50:6.1f} µs   p99 {p99:6.1f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
