"""The command dispatcher: global options and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.cli import build_parser, main


def test_home_may_come_before_or_after_the_command(tmp_path: Path) -> None:
    parser = build_parser()
    before = parser.parse_args(["--home", str(tmp_path / "a"), "history"])
    after = parser.parse_args(["history", "--home", str(tmp_path / "b")])
    neither = parser.parse_args(["history"])
    assert before.home == str(tmp_path / "a")
    assert after.home == str(tmp_path / "b")
    assert neither.home is None


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate", "--no-such-option"])
    assert info.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err
