"""``trainer list``: scenarios with filters, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path

VALID = Path(__file__).resolve().parents[1] / "fixtures" / "valid"


def test_list_json(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("list", "--format", "json", str(VALID))
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    assert rows == [
        {
            "id": "fx-first-forgetful-easy",
            "title": "首次联系:出差忘记还款的李先生",
            "stage": "first_contact",
            "persona": "zh-li-forgetful",
            "locale": "zh-CN",
            "difficulty": "easy",
        },
        {
            "id": "fx-first-forgetful-hard",
            "title": "首次联系:出差忘记还款的李先生(难)",
            "stage": "first_contact",
            "persona": "zh-li-forgetful",
            "locale": "zh-CN",
            "difficulty": "hard",
        },
    ]


def test_list_filters(run_cli) -> None:  # type: ignore[no-untyped-def]
    assert (
        json.loads(run_cli("list", "--format", "json", "--stage", "third_party", str(VALID)).stdout)
        == []
    )
    assert (
        json.loads(run_cli("list", "--format", "json", "--locale", "en-US", str(VALID)).stdout)
        == []
    )
    text = run_cli("list", "--locale", "zh-CN", str(VALID))
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["id", "stage", "locale", "difficulty", "title"]
    assert [line.split()[0] for line in lines[1:]] == [
        "fx-first-forgetful-easy",
        "fx-first-forgetful-hard",
    ]


def test_list_shipped_content(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("list", "--format", "json")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    assert all(
        set(row) == {"id", "title", "stage", "persona", "locale", "difficulty"} for row in rows
    )


def test_list_bad_path(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("list", str(tmp_path / "missing"))
    assert result.returncode == 2
    assert "Y100" in result.stderr


def test_list_takes_content_like_play_and_test(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    by_path = run_cli("list", "--format", "json", str(VALID))
    by_option = run_cli("list", "--format", "json", "--content", str(VALID))
    assert by_option.returncode == 0, by_option.stderr
    assert json.loads(by_option.stdout) == json.loads(by_path.stdout) != []
    missing = run_cli("list", "--content", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "no such content folder" in missing.stderr
    # play takes the same option: the fixture pack's scenario is found there
    played = run_cli(
        "play", "fx-first-forgetful-easy", "--content", str(VALID), "--no-save", "--rules", "none"
    )
    assert played.returncode == 0, played.stderr
    assert "fx-first-forgetful-easy" in played.stdout
