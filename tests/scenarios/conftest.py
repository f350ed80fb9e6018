"""Shared fixtures for the content-tooling tests: a CLI runner in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run_cli() -> RunCli:
    """Run ``python -m trainer ARGS`` in a subprocess, as a user would; never raises."""

    def run(*args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
        return subprocess.run([sys.executable, "-m", "trainer", *args], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=timeout, check=False)

    return run
