"""The command dispatcher: global options and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.cli import COMMAND_HOMES, COMMAND_MODULES, _modules_for, build_parser, main


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


def test_every_command_lives_where_the_dispatcher_looks_for_it() -> None:
    everything = build_parser()
    (full,) = (a for a in everything._actions if a.dest == "command")
    assert set(full.choices or ()) == set(COMMAND_HOMES)
    for command, module in COMMAND_HOMES.items():
        assert module in COMMAND_MODULES
        (alone,) = (a for a in build_parser([command])._actions if a.dest == "command")
        assert command in (alone.choices or ())


def test_a_run_builds_only_its_commands_module() -> None:
    assert _modules_for(["--home", "x", "list", "--stage", "special"]) == ("trainer.cli.content",)
    assert _modules_for(["--home=x", "rules", "list"]) == ("trainer.cli.rules",)
    assert _modules_for(["--help"]) == COMMAND_MODULES
    assert _modules_for(["no-such-command"]) == COMMAND_MODULES
    assert _modules_for([]) == COMMAND_MODULES


@pytest.mark.parametrize("command", [["list"], ["rules", "list", "en-US"]])
def test_a_warm_light_command_imports_neither_pydantic_nor_the_loader(
    tmp_path: Path, command: list[str]
) -> None:
    """With the content cache filled, ``trainer list`` and ``trainer rules list`` read
    its JSON side only."""
    probe = (
        f"import sys; from trainer.cli import main; code = main({command!r}); "
        "heavy = [m for m in ('pydantic', 'yaml', 'trainer.scenarios.loader', "
        "'trainer.grading.rulebook', 'trainer.cli.calls', 'trainer.cli.records') "
        "if m in sys.modules]; print(code, heavy, file=sys.stderr)"
    )
    env = dict(os.environ, TRAINER_CACHE_DIR=str(tmp_path), TRAINER_NO_CACHE="")
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
        )
        for _ in range(2)
    ]
    assert runs[0].stderr.splitlines()[-1].startswith("0 ['pydantic'")  # cold: the full load
    assert runs[1].stderr.splitlines()[-1] == "0 []", runs[1].stderr
