"""Control characters never reach the terminal raw, and CSV cells never run as formulas."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from trainer.safetext import SafeStream, csv_cell, visible

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "tests" / "tui" / "fixtures" / "content"


def test_visible_maps_control_characters_one_for_one() -> None:
    text = "a\x1b[2Jb\x07c\x9bd\x7fe\tf\ng"
    shown = visible(text)
    assert len(shown) == len(text)  # offsets into the text stay right
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert "\x7f" not in shown and "\t" in shown and "\n" in shown
    assert shown.startswith("a␛[2Jb␇c")


def test_safe_stream_and_csv_cells() -> None:
    out = io.StringIO()
    SafeStream(out).write("title\x1b]0;pwned\x07\n")
    assert out.getvalue() == "title␛]0;pwned␇\n"
    assert csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [csv_cell(v) for v in ("+1", "-2", "@SUM(A1)", "王小明", 3)] == [
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "王小明",
        3,
    ]


def test_commands_print_no_raw_escape(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    scenario = pack / "zh-CN" / "tui-zh-first.yaml"
    lines = scenario.read_text(encoding="utf-8").split("\n")
    lines = [
        'title: "Evil\\x1b[2J\\x1b]0;owned\\x07 call"' if line.startswith("title:") else line
        for line in lines
    ]
    scenario.write_text("\n".join(lines), encoding="utf-8")
    listing = run_cli("list", str(pack))
    assert listing.returncode == 0
    assert "\x1b" not in listing.stdout and "\x07" not in listing.stdout
    assert "Evil␛[2J" in listing.stdout
    graph = run_cli("graph", str(scenario))
    assert "\x1b" not in graph.stdout + graph.stderr
