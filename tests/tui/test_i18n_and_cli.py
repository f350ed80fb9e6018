"""The interface table is complete, keys are described, and the CLI entry stays light."""

from __future__ import annotations

import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.tui import i18n
from trainer.tui.i18n import STRINGS, label, text

ROOT = Path(__file__).resolve().parents[2]
TUI = ROOT / "trainer" / "tui"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_string_has_both_languages_with_the_same_fields() -> None:
    for key, (zh, en) in STRINGS.items():
        assert zh.strip() and en.strip(), key
        assert _fields(zh) == _fields(en), key


def test_every_key_used_in_the_code_exists() -> None:
    used: set[str] = set()
    for path in TUI.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        used.update(
            re.findall(
                r'"((?:key|start|home|briefing|call|debrief|history|help|cmd|'
                r'lang|mode|coaching|app)\.[a-z_.]+)"',
                source,
            )
        )
    # "app.<action>" strings are Textual action names (Binding("f6", "app.history")), not keys
    dynamic = {k for k in used if k.endswith(".") or (k.startswith("app.") and k != "app.title")}
    missing = sorted(k for k in used - dynamic if k not in STRINGS)
    assert not missing


def test_vocabularies_are_translated() -> None:
    from trainer.scenarios.model import GOOD_OUTCOMES
    from trainer.vocab import CALL_STAGES, CATEGORIES, SCENARIO_STAGES, SEVERITIES

    for family, values in [
        ("callstage", CALL_STAGES),
        ("category", CATEGORIES),
        ("severity", SEVERITIES),
        ("outcome", GOOD_OUTCOMES),
        ("stage", SCENARIO_STAGES),
    ]:
        for value in values:
            assert f"{family}.{value}" in STRINGS, (family, value)
    assert label("en", "outcome", "complaint") == "complaint"
    assert label("zh-CN", "outcome", "no-such") == "no-such"
    assert text("en", "no.such.key") == "no.such.key"


def test_language_names_normalise() -> None:
    assert i18n.normalize_language("en-US") == "en"
    assert i18n.normalize_language(None) == "zh-CN"
    assert i18n.normalize_language("zh") == "zh-CN"


def test_tcss_uses_theme_variables_only() -> None:
    for path in (TUI / "styles").glob("*.tcss"):
        css = path.read_text(encoding="utf-8")
        assert not re.search(r"#[0-9a-fA-F]{3,8}\b(?![-\w])\s*;", css), path
        assert not re.search(r"\b(?:rgb|hsl)a?\(", css), path
        colours = re.findall(
            r"(?:color|background|border(?:-(?:top|bottom|left|right|title-color|subtitle-color))?)\s*:\s*([^;]+);",
            css,
        )
        for value in colours:
            words = [w for w in value.split() if not w.startswith("$")]
            assert all(
                w in {"round", "thick", "tall", "solid", "none", "hidden"}
                or w.rstrip("%").isdigit()
                for w in words
            ), value


def test_commands_module_does_not_import_textual() -> None:
    probe = (
        "import sys, trainer.tui.commands; "
        "print('textual' in sys.modules, 'trainer.tui.app' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split() == ["False", "False"]


def test_trainer_without_a_terminal_explains_and_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "trainer", "--home", str(tmp_path)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "not on a terminal" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["tui", "--content", "no/such/folder"]])
def test_tui_with_a_missing_content_folder_is_a_one_line_error(
    args: list[str], tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "trainer", "--home", str(tmp_path), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "no/such/folder:1:1: error Y100: no such file or folder"
