"""No module outside trainer/tui/ imports Textual.

Each headless module is imported alone in a fresh interpreter and
``sys.modules`` is checked afterwards, so an indirect import is caught too.
The CLI, the validator and the grader must start fast and run without a
terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "trainer"


def _headless_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "tui" in parts or "content" in parts or parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


MODULES = _headless_modules()
PROBE = (
    "import importlib, sys; importlib.import_module(sys.argv[1]); print('textual' in sys.modules)"
)


def test_modules_found() -> None:
    assert {"trainer.cli", "trainer.scenarios.loader", "trainer.scenarios.lint"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_headless_module_does_not_import_textual(name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, name],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False", f"{name} imports Textual"
