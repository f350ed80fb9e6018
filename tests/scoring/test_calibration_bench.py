"""The calibration bench keeps the held-out authors out of sight: ``--detail`` and
``--by-author`` need ``--dev``, and ``--dev`` never opens a held-out author's file."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "calibration_bench.py"


@pytest.fixture
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("calibration_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.pop("calibration_bench", None)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("argv", [["--detail"], ["--by-author"]])
def test_listing_needs_dev(
    bench: ModuleType, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        bench.main(argv)
    assert stop.value.code == 2
    assert "--dev" in capsys.readouterr().err


def test_dev_never_opens_a_held_out_file(bench: ModuleType, tmp_path: Path) -> None:
    folder = tmp_path / "zh-CN"
    folder.mkdir()
    (folder / "calA.yaml").write_text(
        "scenario: s\nauthor: calA\n---\nscenario: t\nauthor: calG\n", encoding="utf-8"
    )
    (folder / "calG.yaml").write_text("{ this is not: [yaml\n", encoding="utf-8")
    bench.SETS = tmp_path
    found = bench.calls("zh-CN", dev=True)
    assert [c["author"] for c in found] == ["calA"]  # calG's file unread, its stray call left out


def test_detail_refuses_a_held_out_call(bench: ModuleType) -> None:
    with pytest.raises(SystemExit, match="held-out"):
        bench.detail({"author": "calH", "hand": {}}, None, "open", None, {})


@pytest.mark.parametrize(
    "argv", [["--held-out", "--detail"], ["--held-out", "--by-author"], ["--held-out", "--dev"]]
)
def test_held_out_reports_totals_only(
    bench: ModuleType, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        bench.main(argv)
    assert stop.value.code == 2
    assert "totals only" in capsys.readouterr().err


def test_held_out_takes_only_the_held_out_authors(bench: ModuleType, tmp_path: Path) -> None:
    folder = tmp_path / "zh-CN"
    folder.mkdir()
    (folder / "calA.yaml").write_text(
        "scenario: s\nauthor: calA\n---\nscenario: t\nauthor: calG\n", encoding="utf-8"
    )
    bench.SETS = tmp_path
    assert [c["author"] for c in bench.calls("zh-CN", held=True)] == ["calG"]
