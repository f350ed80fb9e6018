"""Every shipped scenario's golden transcripts assert their score and pass/fail verdict,
and those assertions hold (``trainer test`` checks them through the scorecard)."""

from __future__ import annotations

import pytest
from scorecard_helpers import shipped, transcripts

from trainer.grading import load_rulebook
from trainer.records.sqlite import Store
from trainer.scoring.golden import run_transcript

ALL = transcripts()


def test_every_transcript_asserts_score_and_verdict() -> None:
    missing = [f"{sid} › {t.name}" for sid, t in ALL if t.score is None or t.passed is None]
    assert missing == []


def test_a_critical_finding_fails_a_call_that_ends_with_a_promise() -> None:
    content = shipped()
    cases = [
        (sid, t)
        for sid, t in ALL
        if t.passed is False
        and t.ending is not None
        and content.scenarios[sid].endings[t.ending].outcome == "promise_to_pay"
    ]
    assert cases, "no shipped golden path with a breach that still ends in a promise"


@pytest.mark.parametrize(
    ("scenario_id", "transcript"), ALL, ids=[f"{sid}-{i}" for i, (sid, _) in enumerate(ALL)]
)
def test_golden_scores_hold(scenario_id: str, transcript: object) -> None:
    content = shipped()
    scenario = content.scenarios[scenario_id]
    with Store(":memory:") as scratch:
        result = run_transcript(
            scenario,
            content,
            transcript,  # type: ignore[arg-type]
            load_rulebook(scenario.locale),
            store=scratch,
        )
    assert result.passed, result.format()
    assert not result.notes, result.notes  # the scorecard was found and used
