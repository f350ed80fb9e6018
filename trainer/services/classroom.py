"""Where each trainee of a class stands on each assignment: what the status commands,
the trainee's assignment list and the instructor's dashboard all show.

A trainee's attempts at an assignment are their sessions of its scenario started
after it was assigned. Its status is ``passed`` once a finished attempt scores at
least the pass mark (the assignment's, else the scorecard's) without a critical
breach; else ``failed`` when attempts ended below it, ``in progress`` while one is
unfinished, ``not started`` without any, and ``overdue`` when the due date has
passed with no pass.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trainer.records import SessionRecord, SessionStore
    from trainer.records.classroom import Assignment
    from trainer.records.sqlbase import SqlStore
    from trainer.scoring.saved import Scorer

STATES = ("passed", "failed", "in progress", "not started", "overdue")


@dataclass(frozen=True)
class Attempt:
    """One session of an assignment: its score and verdict once finished (the dashboard
    links each one's debrief)."""

    session_id: str
    started_at: str
    finished: bool
    score: int | None
    passed: bool | None


@dataclass(frozen=True)
class Standing:
    """One trainee on one assignment."""

    assignment: Assignment
    trainee: str
    state: str
    attempts: int
    best_score: int | None
    last_session: str | None
    #: The most frequent finding categories over the attempts, most frequent first.
    findings: tuple[tuple[str, int], ...]
    #: Every attempt, newest first.
    tries: tuple[Attempt, ...] = ()
    #: Every finding category over the attempts with its count (``findings`` is the top 3).
    counts: tuple[tuple[str, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form (``--format json``, the dashboard)."""
        return {
            "assignment": self.assignment.id,
            "scenario": self.assignment.scenario_id,
            "due": self.assignment.due,
            "pass_mark": self.assignment.pass_mark,
            "trainee": self.trainee,
            "state": self.state,
            "attempts": self.attempts,
            "best_score": self.best_score,
            "last_session": self.last_session,
            "findings": [{"category": c, "count": n} for c, n in self.findings],
        }


def standing(
    assignment: Assignment,
    trainee: str,
    store: SessionStore,
    scorer: Scorer,
    *,
    today: date | None = None,
) -> Standing:
    """Where ``trainee`` stands on ``assignment`` (see the module docstring)."""
    attempts = [
        record
        for record in store.list_sessions(trainee=trainee, scenario_id=assignment.scenario_id)
        if record.started_at >= assignment.created_at and record.status != "abandoned"
    ]
    best: int | None = None
    passed = failed = unfinished = False
    categories: Counter[str] = Counter()
    tries: list[Attempt] = []
    for record in attempts:
        if not record.finished:
            unfinished = True
            tries.append(Attempt(record.id, record.started_at, False, None, None))
            continue
        debrief = scorer.debrief(record, store)
        if debrief is None:
            tries.append(Attempt(record.id, record.started_at, True, None, None))
            continue
        categories.update(tf.finding.category for tf in debrief.findings)
        best = debrief.score if best is None else max(best, debrief.score)
        mark = assignment.pass_mark if assignment.pass_mark is not None else debrief.pass_mark
        ok = debrief.score >= mark and not debrief.hard_fail
        tries.append(Attempt(record.id, record.started_at, True, debrief.score, ok))
        if ok:
            passed = True
        else:
            failed = True
    due = date.fromisoformat(assignment.due) if assignment.due else None
    if passed:
        state = "passed"
    elif due is not None and (today or date.today()) > due:
        state = "overdue"
    elif unfinished:
        state = "in progress"
    elif failed:
        state = "failed"
    else:
        state = "not started"
    return Standing(
        assignment,
        trainee,
        state,
        len(attempts),
        best,
        _last(attempts),
        tuple(categories.most_common(3)),
        tuple(tries),
        tuple(categories.most_common()),
    )


def class_standings(
    store: SqlStore, class_name: str, scorer: Scorer, *, today: date | None = None
) -> list[Standing]:
    """Every trainee of a class on every assignment, by assignment then trainee (what
    ``trainer class status`` prints and the dashboard shows)."""
    trainees = [m.name for m in store.members(class_name) if m.role == "trainee"]
    return [
        standing(work, trainee, store, scorer, today=today)
        for work in store.assignments(class_name)
        for trainee in trainees
    ]


def class_findings(rows: list[Standing], top: int = 5) -> list[tuple[str, int]]:
    """The finding categories the class meets most often, over every trainee's attempts."""
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(dict(row.counts))
    return counts.most_common(top)


def _last(attempts: list[SessionRecord]) -> str | None:
    return attempts[0].id if attempts else None  # listings are newest first


def to_csv(rows: list[Standing]) -> str:
    """The standings as CSV (cells made safe for spreadsheets)."""
    from trainer.safetext import csv_cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["assignment", "scenario", "due", "pass_mark", "trainee", "state", "attempts"]
    writer.writerow([*header, "best_score", "last_session", "findings"])
    for row in rows:
        data = row.to_json()
        found = " ".join(f"{f['category']}×{f['count']}" for f in data["findings"])
        cells = [data[k] for k in header] + [data["best_score"], data["last_session"], found]
        writer.writerow([csv_cell("" if c is None else str(c)) for c in cells])
    return out.getvalue()
