"""Fixtures of the TUI tests (helpers live in tui_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data folder (also set as TRAINER_HOME, so nothing touches the real one)."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("TRAINER_HOME", str(folder))
    yield folder


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``snapshot`` marker (snapshot tests run in the normal suite)."""
    config.addinivalue_line(
        "markers", "snapshot: SVG snapshot of a screen (pytest-textual-snapshot)"
    )


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC, so stored times show the same on every machine."""
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
