"""Pytest set-up for the content-pack quality gates (helpers live in pack_helpers.py)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Register ``slow``: tests that play whole calls (golden transcripts, explore).

    They stay in the normal suite; ``-m "not slow"`` skips them for a quick check.
    """
    config.addinivalue_line(
        "markers", "slow: plays whole calls through the engine (golden transcripts, explore)"
    )
