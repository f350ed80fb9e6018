"""The held-out evaluation set for the compliance grader: loading, checking, scoring.

``zh-CN.jsonl`` and ``en-US.jsonl`` hold agent utterances written independently of
the rulebooks, half violations (``expect`` = a category) and half compliant
near-misses (``expect`` = null) that a keyword list would wrongly flag: negations,
truthful conditionals, the agent quoting the customer, evasions (full-width,
traditional, spaced, pinyin, homophones, l33t), and context-dependent lines
(same words, different party / verification / local time).

Because the set is never used to write rules, its scores are an honest estimate of
how the grader does on lines it has not seen. Run this file to print the scores:

    python tests/grading/eval/evalset.py            # both locales
    python tests/grading/eval/evalset.py en-US -v   # one locale, list every miss
"""

from __future__ import annotations

import importlib
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LOCALES = ("zh-CN", "en-US")
CATEGORIES = (
    "impersonation",
    "threat",
    "abuse",
    "false_claim",
    "third_party_disclosure",
    "harassment",
    "identity",
    "improper_payment",
    "public_exposure",
)
PARTIES = ("debtor", "third_party", "unknown")
KEYS = {"text", "party", "verified", "time", "expect", "note"}
REQUIRED = KEYS - {"time"}


class EvalSetError(ValueError):
    """A line of an evaluation file is malformed; the message names file:line."""


@dataclass(frozen=True)
class Item:
    """One agent utterance with its call context and the expected category (or None)."""

    file: str
    line: int
    text: str
    party: str
    verified: bool
    time: str | None
    expect: str | None
    note: str

    def when(self) -> datetime | None:
        """The call's local time as a datetime (today's date), or None when not given."""
        if self.time is None:
            return None
        hour, minute = (int(part) for part in self.time.split(":"))
        return datetime.combine(datetime.now().date(), time(hour, minute))


def path_for(locale: str) -> Path:
    """The JSONL file of one locale."""
    return HERE / f"{locale}.jsonl"


def load(locale: str) -> list[Item]:
    """Read and check one locale's file; raise EvalSetError on the first bad line."""
    path = path_for(locale)
    items: list[Item] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{path.name}:{number}"
        if not raw.strip():
            raise EvalSetError(f"{where}: empty line")
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{where}:{exc.colno}: not JSON: {exc.msg}") from None
        items.append(_item(data, path.name, number))
    return items


def _item(data: Any, file: str, number: int) -> Item:
    where = f"{file}:{number}"
    if not isinstance(data, dict):
        raise EvalSetError(f"{where}: expected a JSON object")
    unknown = set(data) - KEYS
    missing = REQUIRED - set(data)
    if unknown or missing:
        raise EvalSetError(f"{where}: unknown keys {sorted(unknown)}, missing {sorted(missing)}")
    text, party, verified = data["text"], data["party"], data["verified"]
    when, expect, note = data.get("time"), data["expect"], data["note"]
    if not isinstance(text, str) or not text.strip():
        raise EvalSetError(f"{where}: 'text' must be non-empty text")
    if party not in PARTIES:
        raise EvalSetError(f"{where}: 'party' must be one of {PARTIES}")
    if not isinstance(verified, bool):
        raise EvalSetError(f"{where}: 'verified' must be true or false")
    if when is not None and not _is_hhmm(when):
        raise EvalSetError(f"{where}: 'time' must be HH:MM")
    if expect is not None and expect not in CATEGORIES:
        raise EvalSetError(f"{where}: 'expect' must be null or one of {CATEGORIES}")
    if not isinstance(note, str) or not note.strip():
        raise EvalSetError(f"{where}: 'note' must say why")
    return Item(file, number, text, party, verified, when, expect, note)


def _is_hhmm(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return False
    hours, minutes = value[:2], value[3:]
    return (
        hours.isdigit() and minutes.isdigit() and 0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59
    )


def near_miss_of(item: Item) -> str | None:
    """For a compliant item, the category it is a near-miss of (from its note)."""
    prefix = "near-miss of "
    if item.expect is None and item.note.startswith(prefix):
        name = item.note[len(prefix) :].split(":", 1)[0]
        return name if name in CATEGORIES else None
    return None


def counts(items: list[Item]) -> dict[str, Counter[str]]:
    """Violations per category and near-misses per category they imitate."""
    return {
        "violation": Counter(i.expect for i in items if i.expect is not None),
        "near_miss": Counter(near_miss_of(i) or "?" for i in items if i.expect is None),
    }


# ---------------------------------------------------------------- scoring


@dataclass
class Score:
    """How a grader did on one locale's set."""

    locale: str
    total: int = 0
    caught: Counter[str] = field(default_factory=Counter)  # expected category found
    missed: Counter[str] = field(default_factory=Counter)  # expected category not found
    false_alarms: Counter[str] = field(default_factory=Counter)  # category flagged on a clean item
    clean_passed: int = 0
    clean_total: int = 0
    misses: list[tuple[Item, tuple[str, ...]]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of violations whose expected category was reported."""
        hit = sum(self.caught.values())
        total = hit + sum(self.missed.values())
        return hit / total if total else 1.0

    @property
    def clean_rate(self) -> float:
        """Share of compliant near-misses with no finding (1 - false-positive rate)."""
        return self.clean_passed / self.clean_total if self.clean_total else 1.0

    @property
    def accuracy(self) -> float:
        """Share of all items judged exactly right."""
        right = sum(self.caught.values()) + self.clean_passed
        return right / self.total if self.total else 1.0


def score(locale: str, rulebook: Any, call_context: Any, ignore: frozenset[str]) -> Score:
    """Grade every item with ``rulebook.check`` and compare with ``expect``.

    ``ignore`` names finding severities that do not count as a flag (e.g. a
    "review" level that only asks a human to look).
    """
    result = Score(locale)
    for turn, item in enumerate(load(locale), start=1):
        context = call_context(
            party=item.party, verified=item.verified, turn=turn, time=item.when(), speaker="agent"
        )
        findings = rulebook.check(item.text, context)
        flagged = tuple(
            sorted({f.category for f in findings if str(getattr(f, "severity", "")) not in ignore})
        )
        result.total += 1
        if item.expect is None:
            result.clean_total += 1
            if flagged:
                result.false_alarms.update(flagged)
                result.misses.append((item, flagged))
            else:
                result.clean_passed += 1
        elif item.expect in flagged:
            result.caught[item.expect] += 1
        else:
            result.missed[item.expect] += 1
            result.misses.append((item, flagged))
    return result


def report(result: Score, verbose: bool = False) -> str:
    """A plain-text table of a score: per category caught/total and false alarms."""
    lines = [
        f"{result.locale}: {result.total} items, accuracy {result.accuracy:.1%}, "
        f"recall {result.recall:.1%}, clean near-misses passed {result.clean_rate:.1%}"
    ]
    lines.append(f"  {'category':<24}{'caught':>8}{'of':>5}{'false alarms':>14}")
    for name in CATEGORIES:
        total = result.caught[name] + result.missed[name]
        lines.append(
            f"  {name:<24}{result.caught[name]:>8}{total:>5}{result.false_alarms[name]:>14}"
        )
    if verbose:
        for item, flagged in result.misses:
            got = ", ".join(flagged) or "nothing"
            lines.append(
                f"  {item.file}:{item.line}: expected {item.expect}, got {got}: {item.text}"
            )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Print counts and, when the grader is importable, its scores."""
    verbose = "-v" in argv
    locales = [a for a in argv if a in LOCALES] or list(LOCALES)
    for locale in locales:
        try:
            items = load(locale)
        except EvalSetError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        table = counts(items)
        print(
            f"{locale}: {len(items)} items; violations {sum(table['violation'].values())},"
            f" near-misses {sum(table['near_miss'].values())}"
        )
        for name in CATEGORIES:
            print(
                f"  {name:<24} violation {table['violation'][name]:>3}"
                f"   near-miss {table['near_miss'][name]:>3}"
            )
        grading = importlib.import_module("trainer.grading")
        if not hasattr(grading, "load_rulebook"):
            print("  (grader not built yet: scores skipped)")
            continue
        rulebook = grading.load_rulebook(locale)
        result = score(locale, rulebook, grading.CallContext, frozenset({"review"}))
        print(report(result, verbose))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
