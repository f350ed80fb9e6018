"""docs/content.md is generated from the content and must not drift from it."""

from __future__ import annotations

import difflib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pack_helpers import REPO, pack, scenarios

SCRIPT = REPO / "scripts" / "content_catalogue.py"
CATALOGUE = REPO / "docs" / "content.md"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("content_catalogue", SCRIPT)
    assert spec is not None and spec.loader is not None, f"cannot load {SCRIPT}"
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("content_catalogue", module)
    spec.loader.exec_module(module)
    return module


catalogue = _script()


def test_committed_catalogue_is_up_to_date() -> None:
    """The committed docs/content.md is exactly what the generator makes of the content."""
    expected = catalogue.render(pack().content)
    actual = CATALOGUE.read_text(encoding="utf-8") if CATALOGUE.is_file() else ""
    if actual != expected:
        diff = list(
            difflib.unified_diff(
                actual.splitlines(),
                expected.splitlines(),
                "docs/content.md (committed)",
                "generated",
                n=0,
                lineterm="",
            )
        )
        shown = "\n".join(diff[:30]) + ("\n..." if len(diff) > 30 else "")
        pytest.fail(
            "docs/content.md is out of date: run python scripts/content_catalogue.py\n" + shown,
            pytrace=False,
        )


def test_catalogue_lists_every_scenario_and_persona() -> None:
    """Every scenario appears with its stage section, persona, difficulty and teaching."""
    text = catalogue.render(pack().content)
    problems = []
    for sc in scenarios():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{sc.id}` |")), None)
        if row is None:
            problems.append(f"{sc.id}: no table row")
            continue
        if f"`{sc.persona}`" not in row or f"| {sc.difficulty} |" not in row:
            problems.append(f"{sc.id}: row lacks persona or difficulty: {row}")
        if f"- **`{sc.id}`** ({sc.difficulty}" not in text:
            problems.append(f"{sc.id}: no 'what it teaches' entry")
        elif sc.teaches.strip() and catalogue.clean(sc.teaches) not in text:
            problems.append(f"{sc.id}: its 'teaches' text is missing")
    for persona_id in pack().content.personas:
        if f"| `{persona_id}` |" not in text:
            problems.append(f"persona {persona_id}: no row in the persona library")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("先核实身份, 再说欠款;\n  金额要直白", "先核实身份,再说欠款;金额要直白"),
        ('说明 "月底" 不是承诺', '说明"月底"不是承诺'),
        ("Verify first, then   state\nthe amount.", "Verify first, then state the amount."),
    ],
)
def test_clean_joins_folded_chinese_lines_only(raw: str, clean: str) -> None:
    """YAML folding's spaces vanish inside Chinese prose and stay between English words."""
    assert catalogue.clean(raw) == clean


def test_check_mode_reports_a_stale_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--check`` exits 1 on a stale file and 0 on a fresh one, writing nothing."""
    text = catalogue.render(pack().content)  # the content is loaded once for the whole file
    monkeypatch.setattr(catalogue, "build", lambda content_dir=None: (text, []))
    stale = tmp_path / "content.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert catalogue.main(["--check", "--output", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert stale.read_text(encoding="utf-8") == "# old\n"
    assert catalogue.main(["--output", str(stale)]) == 0
    assert catalogue.main(["--check", "--output", str(stale)]) == 0
