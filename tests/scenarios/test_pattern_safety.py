"""Intent ``patterns:`` that could backtrack catastrophically are refused (R312) with the
file, line and column of the pattern, and no front end starts a call that would run one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trainer.services.backend import Backend

PACK = Path(__file__).resolve().parents[1] / "tui" / "fixtures" / "content"
KEYWORDS = "    keywords: [我是华信银行, 信用卡中心的, 工号, 我姓]\n"


def _pack(tmp_path: Path, pattern: str) -> Path:
    """The TUI test pack with ``pattern`` added to the library's greet_identify intent."""
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    library = pack / "zh-CN" / "intents.yaml"
    text = library.read_text(encoding="utf-8")
    assert KEYWORDS in text
    line = f"    patterns: ['工号\\d+', '{pattern}']\n"
    library.write_text(text.replace(KEYWORDS, KEYWORDS + line, 1), encoding="utf-8")
    return pack


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"(\w+\s?)+$", "nests one repeat inside another"),
        (r"(a|a)*b", "alternatives"),
        (r"(x)\1", "backreference"),
    ],
)
def test_validate_refuses_a_catastrophic_intent_pattern(
    run_cli,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    pattern: str,
    why: str,
) -> None:
    pack = _pack(tmp_path, pattern)
    result = run_cli("validate", str(pack))
    assert result.returncode == 1
    [line] = [x for x in result.stdout.splitlines() if "R312" in x]
    assert line.startswith(f"{pack / 'zh-CN' / 'intents.yaml'}:11:25: error R312: ")
    assert why in line and "give each repeated part one way to match" in line


def test_a_safe_pattern_passes(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("validate", str(_pack(tmp_path, r"工号\s*\d{4}")))
    assert result.returncode == 0, result.stdout


def test_play_refuses_a_call_whose_library_holds_one(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The pattern is in the intent library, not the scenario file: the call still runs it."""
    pack = _pack(tmp_path, r"(\w+\s?)+$")
    result = run_cli(
        "play", "tui-zh-first", "--content", str(pack), "--script", "-", stdin="您好\n"
    )
    assert result.returncode == 2
    assert "intents.yaml:11:25: error R312" in result.stderr
    assert "customer:" not in result.stdout


def test_the_app_does_not_offer_such_a_scenario(tmp_path: Path) -> None:
    pack = _pack(tmp_path, r"(\w+\s?)+$")
    backend = Backend.open(tmp_path / "home", [pack])
    try:
        assert backend.scenarios() == []
        assert any(d.code == "R312" for d in backend.diagnostics)
    finally:
        backend.store.close()
