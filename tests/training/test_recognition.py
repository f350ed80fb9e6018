"""Learned example lines: rebuilt by one command, byte-identical, stale data noticed."""

from __future__ import annotations

from pathlib import Path

import pytest
from shipped import shipped_content

from trainer.paths import content_root
from trainer.training.recognition import DataError, build, read

ROOT = content_root().parents[1]
DATA = ROOT / "training" / "recogniser"


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_shipped_examples_are_what_the_data_gives(locale: str) -> None:
    """Fails when a training file changed without `trainer intents learn`."""
    content, _ = shipped_content()
    known = set(content.intents[locale])
    shipped = (content_root() / locale / "intents" / "learned.yaml").read_text(encoding="utf-8")
    first = build(DATA, locale, known, ROOT)
    assert first == build(DATA, locale, known, ROOT)  # same data, same bytes
    assert shipped == first, "run 'trainer intents learn' after changing training/recogniser/"


def test_learn_check_and_rebuild_through_the_cli(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("intents", "learn", "--check").returncode == 0
    data = tmp_path / "data"
    data.mkdir()
    (data / "zh-CN.t.jsonl").write_text(
        '{"text": "本次通话会录音", "moves": ["state_recording"], "customer_before": null,'
        ' "party": "debtor"}\n',
        encoding="utf-8",
    )
    result = run_cli("intents", "learn", "--check", "--data", str(data))
    assert result.returncode == 1 and "out of date" in result.stdout


def test_bad_lines_name_file_and_line(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "zh-CN.bad.jsonl"
    path.write_text('{"text": "好", "moves": ["greet_identify"]}\n{"text": ""}\n', "utf-8")
    with pytest.raises(DataError, match=r"zh-CN\.bad\.jsonl:2: 'text'"):
        read(path)
    result = run_cli("intents", "learn", "--data", str(tmp_path))
    assert result.returncode == 2 and "zh-CN.bad.jsonl:2" in result.stderr
    missing = run_cli("intents", "learn", "--data", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such folder" in missing.stderr
