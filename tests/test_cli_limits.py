"""Numbers and outputs at their limits give one line and an exit code, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("play", "zh-first-forgetful", "--seed", str(2**80)),
            "--seed: 1208925819614629174706176 is outside",
        ),
        (
            ("history", "--limit", str(10**30)),
            "--limit: 1000000000000000000000000000000 is outside",
        ),
        (("rules", "train", "zh-CN", "--fp-budget", "nan"), "--fp-budget: nan is not a rate"),
        (("explore", "zh-first-forgetful", "--runs", "0"), "--runs: 0 is outside"),
    ],
)
def test_numbers_out_of_range_are_usage_errors(
    run_cli, tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("--home", str(tmp_path), *args)
    assert result.returncode == 2 and expected in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
@pytest.mark.parametrize("args", [("list",), ("audit", "--rules", "en-US", "-")])
def test_writing_to_a_full_disk_is_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "trainer", "--home", str(tmp_path), *args],
            input="You deadbeat, pay now.\n",
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )
    assert result.returncode == 2
    assert "No space left on device" in result.stderr and "Traceback" not in result.stderr


def test_a_reader_that_leaves_early_is_no_error(tmp_path: Path) -> None:
    """`trainer list | head -1`: no BrokenPipeError noise on stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainer", "--home", str(tmp_path), "list", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err
