"""No module outside trainer/tui/ imports Textual.

Each headless module is imported alone, in a fresh process that has imported no
module of the package yet, and ``sys.modules`` is checked afterwards, so an
indirect import is caught too. The CLI, the validator and the grader must start
fast and run without a terminal.

One interpreter is started for all of them: it loads the third-party libraries
and the content models most modules share (the costly part of an import),
checks that these brought no Textual in, then forks a child per module. Each
import starts from the same state, without paying for a new interpreter and
the models every time, and Textual in a child can only come from the module
tested. Where there is no fork, each module gets its own interpreter.
"""

from __future__ import annotations

import json
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
#: Run once: preload the libraries, then import each module named in argv in a forked child.
FORKING_PROBE = """
import importlib, json, os, sys
for shared in (
    "pydantic", "yaml", "transitions", "ahocorasick",
    "trainer.scenarios.model", "trainer.grading.content", "trainer.scoring.detectors",
):
    importlib.import_module(shared)
assert "textual" not in sys.modules, "a shared module imports Textual"
found = {}
for name in sys.argv[1:]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(name)
            answer = str("textual" in sys.modules)
        except BaseException as exc:
            answer = "error: " + repr(exc)
        os.write(write, answer.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        found[name] = pipe.read().decode()
    os.waitpid(pid, 0)
print(json.dumps(found))
"""


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def imports_textual() -> dict[str, str]:
    """Module name → ``"True"``/``"False"`` (does importing it alone load Textual?)."""
    if not hasattr(os, "fork"):  # pragma: no cover - platforms without fork
        return {name: _run(PROBE, name).stdout.strip() for name in MODULES}
    result = _run(FORKING_PROBE, *MODULES)
    assert result.returncode == 0, result.stderr
    found: dict[str, str] = json.loads(result.stdout)
    return found


def test_modules_found() -> None:
    assert {"trainer.cli", "trainer.scenarios.loader", "trainer.scenarios.lint"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_headless_module_does_not_import_textual(
    name: str, imports_textual: dict[str, str]
) -> None:
    assert imports_textual[name] == "False", f"{name} imports Textual ({imports_textual[name]})"


def test_the_probe_sees_an_indirect_import_of_textual() -> None:
    """The forking probe reports a module that loads Textual through another module."""
    if not hasattr(os, "fork"):  # pragma: no cover - platforms without fork
        pytest.skip("the forking probe needs fork")
    result = _run(FORKING_PROBE, "trainer.tui.commands", "trainer.tui.app", "trainer.cli")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "trainer.tui.commands": "False",
        "trainer.tui.app": "True",
        "trainer.cli": "False",
    }
