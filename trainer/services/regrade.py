"""Re-grade stored sessions against a rulebook and scorecard, without touching them.

When compliance changes a rule, they need to know which past calls it
affects. For each finished session this replays the call to recover the
context of every agent line (who was on the line, verified or not, the clock
time), grades each line again with the current — or a given — rulebook,
scores the call again with the current — or a given — scorecard, and reports
the sessions whose findings or pass/fail verdict would change. The stored
findings, rulebook id and version are never modified: the original verdict
stays the record of what the trainee was told.

The call itself is not re-simulated: the debtor's replies and the ending are
what happened. Only the verdict on the agent's lines changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trainer.grading.findings import TurnFinding
    from trainer.grading.rulebook import Rulebook
    from trainer.records import SessionRecord
    from trainer.records import SessionStore as Store
    from trainer.scenarios.loader import ContentSet
    from trainer.scoring.model import Scorecard

FindingKey = tuple[int, str, int, int, str]  # turn, rule, start, end, severity


@dataclass(frozen=True)
class Change:
    """One session whose verdict would change."""

    session_id: str
    trainee: str
    scenario_id: str
    started_at: str
    recorded_with: str
    regraded_with: str
    old_score: int
    new_score: int
    old_passed: bool
    new_passed: bool
    added: tuple[dict[str, Any], ...]
    removed: tuple[dict[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        """JSON form (``trainer regrade --format json``)."""
        return {
            "session_id": self.session_id,
            "trainee": self.trainee,
            "scenario_id": self.scenario_id,
            "started_at": self.started_at,
            "recorded_with": self.recorded_with,
            "regraded_with": self.regraded_with,
            "old": {"score": self.old_score, "passed": self.old_passed},
            "new": {"score": self.new_score, "passed": self.new_passed},
            "added": list(self.added),
            "removed": list(self.removed),
        }


@dataclass
class Result:
    """What a regrade found: changed sessions, how many were checked, and skips."""

    changes: list[Change] = field(default_factory=list)
    checked: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (session id, reason)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "checked": self.checked,
            "changed": len(self.changes),
            "changes": [c.to_json() for c in self.changes],
            "skipped": [{"session_id": s, "reason": r} for s, r in self.skipped],
        }


def regrade(
    store: Store,
    content: ContentSet,
    records: Iterable[SessionRecord],
    *,
    rulebook: Rulebook | None = None,
    scorecard: Scorecard | None = None,
) -> Result:
    """Re-grade ``records`` (listing rows are loaded from ``store``) and list the changes.

    ``rulebook`` replaces each session's locale rulebook (sessions of another
    locale are skipped); ``scorecard`` replaces the scenario's scorecard for
    sessions of its locale (and stages, when it names some).
    """
    from trainer.scoring.replay import replay
    from trainer.scoring.scorecard import build_debrief
    from trainer.services.rulebooks import load_rulebook

    result = Result()
    books: dict[str, Rulebook] = {}
    for listed in records:
        if not listed.finished:
            result.skipped.append((listed.id, f"session is {listed.status.replace('_', ' ')}"))
            continue
        scenario = content.scenarios.get(listed.scenario_id)
        if scenario is None:
            result.skipped.append(
                (listed.id, f"scenario '{listed.scenario_id}' is not in the content")
            )
            continue
        if rulebook is not None and rulebook.locale != scenario.locale:
            result.skipped.append(
                (
                    listed.id,
                    f"rulebook '{rulebook.id}' is for"
                    f" {rulebook.locale}, the session is"
                    f" {scenario.locale}",
                )
            )
            continue
        book = rulebook or books.get(scenario.locale)
        if book is None:
            book = books[scenario.locale] = load_rulebook(scenario.locale)
        card = (
            scorecard
            if scorecard is not None
            and scorecard.locale == scenario.locale
            and (not scorecard.stages or scenario.stage in scorecard.stages)
            else None
        )
        record = store.load(listed.id)
        contexts = replay(record, scenario, content)
        fresh = {
            turn.index: tuple(sorted(book.check(turn.text, contexts.lines[turn.index].ctx)))
            for turn in record.turns
            if turn.speaker == "agent" and turn.index in contexts.lines
        }
        try:
            old = build_debrief(record, scenario, content, contexts=contexts)
            new = build_debrief(
                record, scenario, content, findings=fresh, scorecard=card, contexts=contexts
            )
        except LookupError as exc:
            result.skipped.append((record.id, str(exc)))
            continue
        result.checked += 1
        before = {_key(f): f for f in old.findings}
        after = {_key(f): f for f in new.findings}
        added = tuple(_show(after[k]) for k in sorted(set(after) - set(before)))
        removed = tuple(_show(before[k]) for k in sorted(set(before) - set(after)))
        if added or removed or old.passed != new.passed:
            result.changes.append(
                Change(
                    session_id=record.id,
                    trainee=record.trainee,
                    scenario_id=record.scenario_id,
                    started_at=record.started_at,
                    recorded_with=f"{record.rulebook_id} {record.rulebook_version}".strip() or "-",
                    regraded_with=f"{book.id} {book.version}",
                    old_score=old.score,
                    new_score=new.score,
                    old_passed=old.passed,
                    new_passed=new.passed,
                    added=added,
                    removed=removed,
                )
            )
    return result


def _key(found: TurnFinding) -> tuple[int, str, str, str]:
    f = found.finding
    return (found.turn, f.rule, f.match, f.severity)


#: What a regrade shows of a finding that appears or disappears.
SHOWN = ("turn", "rule", "category", "severity", "match")


def _show(found: TurnFinding) -> dict[str, Any]:
    from trainer.scoring.scorecard import finding_json

    data = finding_json(found)
    return {key: data[key] for key in SHOWN}


def format_text(result: Result, label: str) -> str:
    """The regrade result for a terminal."""
    lines = [f"{len(result.changes)} of {result.checked} sessions would change ({label})"]
    for c in result.changes:
        verdict = (
            f"{'passed' if c.old_passed else 'failed'} → "
            f"{'passed' if c.new_passed else 'FAILED' if c.old_passed else 'failed'}"
        )
        lines.append(
            f"  {c.session_id}  {c.trainee or '-'}  {c.scenario_id}  {c.started_at}"
            f"  {verdict}  score {c.old_score} → {c.new_score}"
        )
        lines.append(f"      recorded with {c.recorded_with}; regraded with {c.regraded_with}")
        for sign, items in (("+", c.added), ("-", c.removed)):
            for f in items:
                lines.append(
                    f"      {sign} turn {f['turn']} {f['rule']} ({f['severity']},"
                    f" {f['category']}) “{f['match']}”"
                )
    for session_id, reason in result.skipped:
        lines.append(f"  skipped {session_id}: {reason}")
    return "\n".join(lines) + "\n"
