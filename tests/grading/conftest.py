"""Grader tests keep the rulebook verification record in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trainer.grading import verification


@pytest.fixture(autouse=True, scope="session")
def _verification_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("trainer-cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("TRAINER_CACHE_DIR", str(folder))
    verification.forget()
    yield folder
    patch.undo()
    verification.forget()
