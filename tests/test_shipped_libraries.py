"""A pack of its own uses the shipped libraries without copying them (--shipped-libraries)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from trainer.paths import content_root, shipped_libraries

SHIPPED = content_root() / "zh-CN" / "scenarios" / "first_contact" / "zh-first-forgetful.yaml"
RunCli = Callable[..., subprocess.CompletedProcess[str]]
OPENING = "您好,我是华信银行信用卡中心客户服务部的王丽,工号1024。\n"


def _pack(tmp_path: Path) -> Path:
    """A folder with one scenario that names shipped intents and a shipped persona."""
    pack = tmp_path / "my-pack"
    (pack / "scenarios").mkdir(parents=True)
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "id: zh-first-forgetful\n", "id: my-forgetful\n", 1
    )
    (pack / "scenarios" / "my-forgetful.yaml").write_text(text, encoding="utf-8")
    return pack


def test_the_shipped_libraries_are_every_library_but_no_scenario() -> None:
    found = shipped_libraries()
    names = {path.name for path in found}
    assert {"intents", "scorecards", "wording.yaml"} <= names
    assert all("scenarios" not in path.parts for path in found)


def test_validate_suggests_the_shipped_libraries_once_and_they_resolve(
    tmp_path: Path, run_cli: RunCli
) -> None:
    pack = _pack(tmp_path)
    plain = run_cli("validate", str(pack))
    assert plain.returncode == 1
    lines = [line for line in plain.stdout.splitlines() if "error R302" in line]
    assert len(lines) > 10
    hinted = [line for line in lines if "--shipped-libraries" in line]
    assert hinted == [lines[0]]  # said once, on the first unknown intent
    assert "this pack has no intent library" in lines[0]
    persona = [line for line in plain.stdout.splitlines() if "error R303" in line]
    assert persona and "--shipped-libraries" in persona[0]
    shipped = run_cli("validate", "--shipped-libraries", str(pack))
    assert shipped.returncode == 0, shipped.stdout
    assert shipped.stdout.strip() == "valid: 0 errors, 0 warnings"


def test_a_pack_with_its_own_intent_library_is_not_told_to_use_the_shipped_one(
    tmp_path: Path, run_cli: RunCli
) -> None:
    pack = _pack(tmp_path)
    (pack / "intents.yaml").write_text(
        "kind: intents\nlocale: zh-CN\nintents:\n  wave:\n    description: 打招呼\n"
        "    examples: [你好]\n",
        encoding="utf-8",
    )
    result = run_cli("validate", str(pack))
    intents = [line for line in result.stdout.splitlines() if "error R302" in line]
    assert intents and not any("--shipped-libraries" in line for line in intents)


def test_list_and_play_take_the_pack_with_the_shipped_libraries(
    tmp_path: Path, run_cli: RunCli
) -> None:
    pack = _pack(tmp_path)
    listed = run_cli("list", "--content", str(pack), "--shipped-libraries", "--format", "json")
    assert listed.returncode == 0 and '"my-forgetful"' in listed.stdout
    assert "zh-first-forgetful" not in listed.stdout  # the shipped scenarios stay out
    played = run_cli(
        "--home",
        str(tmp_path / "home"),
        "play",
        "my-forgetful",
        "--content",
        str(pack),
        "--shipped-libraries",
        "--script",
        "-",
        "--no-save",
        stdin=OPENING,
    )
    assert played.returncode == 0, played.stderr
    assert "周先生" in played.stdout
    refused = run_cli(
        "--home", str(tmp_path / "home"), "play", "my-forgetful", "--content", str(pack),
        "--script", "-", "--no-save", stdin=OPENING,
    )  # fmt: skip
    assert refused.returncode != 0 and "R302" in refused.stderr


def test_the_app_takes_the_pack_with_the_shipped_libraries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    import trainer.tui.app
    from trainer.tui import commands

    seen: dict[str, object] = {}

    class Stop(Exception):
        pass

    def fake_make_app(home: object, **options: object) -> None:
        seen.update(options)
        raise Stop

    monkeypatch.setattr(trainer.tui.app, "make_app", fake_make_app)
    pack = _pack(tmp_path)
    args = argparse.Namespace(content=[pack], shipped_libraries=True, home=None, language=None)
    with pytest.raises(Stop):
        commands.run(args)
    assert seen["content_paths"] == [pack, *shipped_libraries()]
