"""Score stored sessions against the content: the link between the store and the scorecard.

``history``, ``report``, ``debrief`` and ``regrade`` all need "the debrief of
this stored call". A `Scorer` finds the session's scenario in the content,
builds the debrief with the scorecard, and says plainly why when it cannot
(call not finished, scenario gone, no scorecard).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainer.records import SessionRecord
    from trainer.records import SessionStore as Store
    from trainer.scenarios.loader import ContentSet
    from trainer.scenarios.model import Scenario
    from trainer.scoring.scorecard import Debrief


@dataclass
class Scorer:
    """Builds (and caches) debriefs of stored sessions against one content set."""

    content: ContentSet
    _cache: dict[str, Debrief | str] = field(default_factory=dict)

    def scenario(self, record: SessionRecord) -> Scenario | None:
        """The scenario a session was played on, if the content still has it."""
        return self.content.scenarios.get(record.scenario_id)

    def stale(self, record: SessionRecord) -> bool:
        """True when the scenario changed since the session was recorded."""
        from trainer.engine.session import scenario_hash

        scenario = self.scenario(record)
        return bool(
            scenario is not None
            and record.scenario_hash
            and record.scenario_hash != scenario_hash(scenario)
        )

    def debrief(self, record: SessionRecord, store: Store | None = None) -> Debrief | None:
        """The debrief of a finished session (loaded with turns from ``store`` when the
        record is a listing row), or None — see `reason`."""
        cached = self._cache.get(record.id)
        if cached is not None:
            return None if isinstance(cached, str) else cached
        from trainer.scoring.scorecard import build_debrief

        if not record.finished:
            self._cache[record.id] = f"session is {record.status.replace('_', ' ')}"
            return None
        scenario = self.scenario(record)
        if scenario is None:
            self._cache[record.id] = f"scenario '{record.scenario_id}' is not in the content"
            return None
        if store is not None and not record.turns and record.turn_count:
            record = store.load(record.id)
        try:
            debrief = build_debrief(record, scenario, self.content)
        except LookupError as exc:
            self._cache[record.id] = str(exc)
            return None
        self._cache[record.id] = debrief
        return debrief

    def debrief_so_far(self, record: SessionRecord) -> Debrief | None:
        """The debrief of a full record, finished or not: an interrupted call is scored on
        what was said so far (``Debrief.finished`` is False and it does not pass), so the
        trainee still sees their findings and checks. None when `debrief` gives a reason
        other than the call being unfinished."""
        if record.finished:
            return self.debrief(record)
        from trainer.scoring.scorecard import build_debrief

        scenario = self.scenario(record)
        if scenario is None:
            self._cache[record.id] = f"scenario '{record.scenario_id}' is not in the content"
            return None
        try:
            return build_debrief(record, scenario, self.content)
        except LookupError as exc:
            self._cache[record.id] = str(exc)
            return None

    def reason(self, session_id: str) -> str:
        """Why `debrief` returned None for this session ('' when it did not)."""
        cached = self._cache.get(session_id)
        return cached if isinstance(cached, str) else ""
