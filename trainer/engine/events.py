"""What a call produces: transcript turns and the events the TUI renders.

All are small frozen dataclasses with no behaviour, so screens, tests and the
store can use them without knowing the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from trainer.grading.findings import Finding

Speaker = Literal["agent", "customer"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One line of the transcript.

    ``node`` is where the line was said: for an agent turn the node the agent
    answered, for a customer turn the node (or ending) the call moved to.
    ``intent``/``score`` are the recognised move (agent turns; ``intent`` None
    when nothing was recognised) and ``heard`` the closest intent of the whole
    library. ``meters`` are the persona's meters after the turn; ``moves`` every
    move the line made (a line can make several).
    """

    index: int
    speaker: Speaker
    text: str
    node: str
    intent: str | None = None
    score: float | None = None
    findings: tuple[Finding, ...] = ()
    meters: Mapping[str, int] = field(default_factory=dict)
    at: str = ""
    heard: str | None = None
    #: Every move the line made, in order: the moves the call took (the first is
    #: ``intent``) and moves made where no node expected them (``anywhere`` moves).
    moves: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TurnEvent:
    """A line was said (by the agent or the customer) at ``node``."""

    speaker: Speaker
    text: str
    node: str


@dataclass(frozen=True, slots=True)
class RecognitionEvent:
    """The agent's line was read as ``intent`` (None: not understood) with ``score``."""

    intent: str | None
    score: float
    closest: str | None = None


@dataclass(frozen=True, slots=True)
class FindingEvent:
    """The grader found a rule broken in the agent's line."""

    finding: Finding


@dataclass(frozen=True, slots=True)
class MeterEvent:
    """A persona meter moved during the turn (net change of the turn)."""

    name: str
    old: int
    new: int


@dataclass(frozen=True, slots=True)
class EndingEvent:
    """The call reached an ending."""

    id: str
    outcome: str
    good: bool


Event = TurnEvent | RecognitionEvent | FindingEvent | MeterEvent | EndingEvent


@dataclass(frozen=True, slots=True)
class Hint:
    """The best line for the current node and why it is phrased that way."""

    text: str
    why: str
    intent: str


def finding_to_json(finding: Any) -> dict[str, Any]:
    """JSON form of a grader finding (uses its own ``to_json`` when it has one)."""
    to_json = getattr(finding, "to_json", None)
    if callable(to_json):
        data = to_json()
        if isinstance(data, dict):
            return data
    return {
        name: getattr(finding, name, None)
        for name in ("rule", "category", "severity", "match", "message", "suggestion")
    }


def finding_from_json(data: Mapping[str, Any]) -> Finding:
    """Rebuild a `Finding` from its JSON form (stored sessions, golden files)."""
    from trainer.grading.findings import Citation

    span = data.get("span") or [data.get("start", 0), data.get("end", 0)]
    citations = tuple(
        Citation(
            instrument=str(c.get("instrument", "")),
            article=str(c.get("article", "")),
            status="verified" if c.get("status") == "verified" else "verify",
            url=str(c.get("url", "")),
        )
        for c in data.get("citations", ()) or ()
        if isinstance(c, Mapping)
    )
    severity = data.get("severity", "review")
    return Finding(
        rule=str(data.get("rule", "")),
        category=str(data.get("category", "")),
        severity=severity if severity in ("critical", "major", "minor", "review") else "review",
        start=int(span[0]),
        end=int(span[1]),
        match=str(data.get("match", "")),
        message=str(data.get("message", "")),
        suggestion=str(data.get("suggestion", "")),
        citations=citations,
        confident=data.get("confident", True) is not False,
    )
