"""Inputs that used to hang or give silent wrong results end fast with a clear error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "tests" / "tui" / "fixtures" / "content"
fifo_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


@fifo_only
def test_a_fifo_named_yaml_in_a_pack_is_reported_not_read(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    os.mkfifo(pack / "zh-CN" / "trap.yaml")
    result = run_cli("validate", str(pack))
    assert result.returncode == 2  # unreadable input
    assert "trap.yaml:1:1: error Y100: not a regular file" in result.stdout


@fifo_only
def test_importing_a_fifo_is_refused(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    os.mkfifo(tmp_path / "in.jsonl")
    result = run_cli("--home", str(tmp_path / "h"), "import", str(tmp_path / "in.jsonl"))
    assert result.returncode == 2 and "not a regular file" in result.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_training_data_that_is_a_device_is_refused(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(
        "rules", "train", "zh-CN", "--data", "/dev/zero", "--out", str(tmp_path / "m.json")
    )
    assert result.returncode == 2 and "not a regular file" in result.stderr
    assert not (tmp_path / "m.json").exists()


def test_jsonl_on_standard_input_is_audited_as_jsonl(tmp_path: Path) -> None:
    """`trainer audit -` used to grade JSONL as zh-CN plain text (0 findings, exit 0)."""
    record = (
        '{"call_id": "c1", "turn": 1, "speaker": "agent", "text": "You deadbeat, pay now.",'
        ' "lang": "en-US", "party": "debtor", "verified": true}\n'
    )
    path = tmp_path / "calls.jsonl"
    path.write_text(record, encoding="utf-8")
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    by_path = subprocess.run(
        [sys.executable, "-m", "trainer", "audit", str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    piped = subprocess.run(
        [sys.executable, "-m", "trainer", "audit", "-"],
        input=record,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert by_path.returncode == piped.returncode == 1
    assert "1 finding(s)" in by_path.stdout and "1 finding(s)" in piped.stdout
