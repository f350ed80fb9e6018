"""Shared test helpers: play golden transcripts of the shipped content into a store."""

from __future__ import annotations

from typing import Any

from shipped import shipped_content

from trainer.engine.session import Session
from trainer.grading import load_rulebook
from trainer.records.sqlite import Store
from trainer.scenarios.loader import ContentSet
from trainer.scoring.golden import Golden, Transcript, _choice_index


def shipped() -> ContentSet:
    """The shipped content, loaded once per test run."""
    return shipped_content()[0]


def transcripts(content: ContentSet | None = None) -> list[tuple[str, Transcript]]:
    """Every golden transcript of the content as (scenario id, transcript)."""
    content = content or shipped()
    out = []
    for loaded in content.of_kind("golden"):
        golden = loaded.obj
        assert isinstance(golden, Golden)
        out += [(golden.scenario, t) for t in golden.transcripts]
    return out


def find(scenario_id: str, name_part: str, content: ContentSet | None = None) -> Transcript:
    """The golden transcript of ``scenario_id`` whose name contains ``name_part``."""
    for sid, transcript in transcripts(content):
        if sid == scenario_id and name_part in transcript.name:
            return transcript
    raise LookupError(f"no transcript {name_part!r} for {scenario_id}")


def play(
    store: Store,
    scenario_id: str,
    transcript: Transcript,
    *,
    trainee: str = "",
    content: ContentSet | None = None,
    grader: Any = "default",
) -> str:
    """Play a golden transcript into ``store`` with the locale's rulebook; returns the id."""
    content = content or shipped()
    scenario = content.scenarios[scenario_id]
    book = load_rulebook(scenario.locale) if grader == "default" else grader
    session = Session.new(
        scenario,
        content,
        seed=transcript.seed,
        mode=transcript.mode,
        grader=book,
        store=store,
        trainee=trainee,
        call_time=transcript.call_time,
        from_node=transcript.start_at,
        meters=transcript.set_meters or None,
    )
    session.start()
    for step in transcript.steps:
        if session.finished:
            break
        if step.say is not None:
            session.say(step.say)
        else:
            session.choose(_choice_index(session, step.choose))
    assert session.id is not None
    return session.id
