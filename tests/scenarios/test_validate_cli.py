"""``trainer validate``: exit codes, output formats, single files with their context."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VALID = FIXTURES / "valid"
HARD = VALID / "zh-CN" / "scenarios" / "first_contact" / "forgetful-hard.yaml"


def test_valid_content_exits_0(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("validate", str(VALID))
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == "valid: 0 errors, 0 warnings"
    report = json.loads(run_cli("validate", "--format", "json", str(VALID)).stdout)
    assert report == {"errors": [], "warnings": []}


def test_single_variant_file_finds_its_base_and_libraries(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("validate", str(HARD))
    assert result.returncode == 0, result.stdout


def test_shipped_content_is_valid(run_cli) -> None:  # type: ignore[no-untyped-def]
    """The content pack must validate; content engineers are still writing it."""
    result = run_cli("validate")
    assert result.returncode == 0, result.stdout[-3000:]


def test_errors_exit_1_and_all_are_reported(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    shutil.copytree(VALID, tmp_path / "c")
    easy = tmp_path / "c" / "zh-CN" / "scenarios" / "first_contact" / "forgetful-easy.yaml"
    text = easy.read_text()
    text = text.replace("goto: confirm", "goto: confrim").replace("gotoo", "x")
    text = text.replace("effects: {trust: 5}", "effects: {trsut: 5}")
    easy.write_text(text)
    result = run_cli("validate", str(tmp_path / "c"))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(
        " error R301: goto 'confrim'" in line and "did you mean 'confirm'?" in line
        for line in lines
    )
    assert any(" error R307: effect on undeclared meter 'trsut'" in line for line in lines)
    assert lines[-1].startswith("invalid: 2 errors")


def test_warnings_pass_unless_strict(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    shutil.copytree(VALID, tmp_path / "c")
    hard = tmp_path / "c" / "zh-CN" / "scenarios" / "first_contact" / "forgetful-hard.yaml"
    hard.write_text(
        hard.read_text() + "intents:\n  small_talk:\n    description: chat\n"
        "    examples: [天气不错]\n"
    )
    result = run_cli("validate", str(tmp_path / "c"))
    assert result.returncode == 0
    assert "warning G404" in result.stdout
    assert result.stdout.splitlines()[-1] == "valid: 0 errors, 1 warning in 1 file"
    strict = run_cli("validate", "--strict", str(tmp_path / "c"))
    assert strict.returncode == 1
    assert strict.stdout.splitlines()[-1].startswith("invalid:")


def test_json_lists_errors_and_warnings_apart(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: scenario\nid: x\n")
    report = json.loads(run_cli("validate", "--format", "json", str(bad)).stdout)
    assert report["warnings"] == []
    assert {d["code"] for d in report["errors"]} == {"S204"}
    first = report["errors"][0]
    assert list(first) == ["file", "line", "column", "code", "message", "hint"]
    assert first["hint"].startswith("add '")


@pytest.mark.parametrize("args", [("--help",), ("validate", "--help")])
def test_help_is_fast_and_headless(args: tuple[str, ...], run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(*args)
    assert result.returncode == 0
    assert "usage:" in result.stdout


HEAVY = ("textual", "transitions")
PROBE = """
import contextlib, io, sys
from trainer.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main({args!r})
    except SystemExit:
        pass
print(sorted({{m.split(".")[0] for m in sys.modules}} & {heavy!r}))
"""


@pytest.mark.parametrize("args", [["--help"], ["validate", str(VALID)], ["schema"]])
def test_cli_does_not_import_textual_or_transitions(args: list[str]) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    code = PROBE.format(args=args, heavy=set(HEAVY))
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=root,
        env=dict(os.environ, PYTHONPATH=str(root)),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
