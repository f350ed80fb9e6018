"""The call itself: a `transitions` machine per session, recognition, replies, grading.

Public API (documented in docs/engine.md)::

    from trainer.engine import Session
    session = Session.new(scenario, content, seed=1, mode="free", grader=rulebook)
    events = session.start(); events = session.say("您好……")

Names are imported lazily so ``trainer.cli.calls`` (imported by the CLI at
start-up) does not pull in ``transitions`` or the recogniser.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Session": "trainer.engine.session",
    "EngineError": "trainer.engine.session",
    "Grader": "trainer.engine.session",
    "BEGIN": "trainer.engine.session",
    "scenario_hash": "trainer.engine.session",
    "Turn": "trainer.engine.events",
    "Event": "trainer.engine.events",
    "TurnEvent": "trainer.engine.events",
    "RecognitionEvent": "trainer.engine.events",
    "FindingEvent": "trainer.engine.events",
    "MeterEvent": "trainer.engine.events",
    "EndingEvent": "trainer.engine.events",
    "Hint": "trainer.engine.events",
    "Recogniser": "trainer.engine.recognise",
    "Recognition": "trainer.engine.recognise",
    "recogniser_for": "trainer.engine.recognise",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'trainer.engine' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
