"""The package's layers, checked by import-linter with the contracts in pyproject.toml.

vocab/diagnostics ← yamlio/paths ← records ← scenarios ← grading ← audit ←
engine/training ← scoring ← services ← cli/tui; Textual only in the app; the
SQLite store only behind its protocol. See docs/architecture.md.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the ``trainer`` package found under ``root``."""
    return subprocess.run(
        [str(LINT), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch copy of the package and its contracts (content left out)."""
    root = tmp_path_factory.mktemp("layers")
    shutil.copytree(
        ROOT / "trainer", root / "trainer", ignore=shutil.ignore_patterns("__pycache__", "content")
    )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")
def test_the_package_keeps_its_contracts() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")
@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("trainer/grading/oops.py", "from trainer.scoring import scorecard", "layers"),
        ("trainer/scenarios/oops.py", "def f():\n    import trainer.engine.session", "layers"),
        ("trainer/engine/oops.py", "from trainer.records.sqlite import Store", "store"),
        ("trainer/scoring/oops.py", "import textual.app", "Textual"),
    ],
)
def test_a_violation_breaks_the_contract(copy: Path, module: str, line: str, contract: str) -> None:
    """A lower layer importing an upper one (even inside a function) fails the check."""
    path = copy / module
    path.write_text(f'"""Deliberate violation."""\n{line}\n', encoding="utf-8")
    try:
        result = _lint(copy)
    finally:
        path.unlink()
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
    assert path.stem in result.stdout  # the report names the offending module
    assert contract.lower() in result.stdout.lower()
