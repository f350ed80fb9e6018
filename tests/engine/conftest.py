"""Pytest fixtures for engine tests (helpers live in engine_helpers.py)."""

from __future__ import annotations

import pytest
from engine_helpers import FakeGrader, load_fixture_content

from trainer.scenarios.loader import ContentSet


@pytest.fixture(scope="session")
def content() -> ContentSet:
    return load_fixture_content()


@pytest.fixture
def grader() -> FakeGrader:
    return FakeGrader()
