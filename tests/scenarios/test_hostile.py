"""Hostile input: each case ends with one clear diagnostic line and an exit code, fast.

Invalid UTF-8, a file of many megabytes, unsafe tags, a "billion laughs" alias
bomb, deep nesting and a folder with thousands of files.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest

from trainer.diagnostics import ContentError
from trainer.yamlio import MAX_BYTES, load_yaml, parse_yaml

BOMB = (
    "\n".join(
        ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        + [
            f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ]
    )
    + "\n"
)


def _one_line(result, code: str, rc: int) -> None:  # type: ignore[no-untyped-def]
    """Exactly one diagnostic line with ``code``, a summary line, no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    assert f" error {code}: " in lines[0]
    assert lines[1].startswith("invalid: 1 error")
    assert result.returncode == rc


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("utf8.yaml", b"kind: personas\nname: \xff\xfe\n", "Y101"),
        ("tag.yaml", b"kind: scenario\nid: !!python/object/apply:os.system ['ls']\n", "Y105"),
        ("tag2.yaml", b"!!python/object:os.Popen {args: ls}\n", "Y105"),
        ("bomb.yaml", BOMB.encode(), "Y106"),
        ("deep.yaml", b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", "Y107"),
        ("deepmap.yaml", "".join("  " * i + f"k{i}:\n" for i in range(300)).encode(), "Y107"),
        ("nul.yaml", b"kind: scenario\x00\n", "Y102"),
    ],
)
def test_hostile_file_one_line(
    tmp_path: Path,
    run_cli,
    name: str,
    content: bytes,  # type: ignore[no-untyped-def]
    code: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    _one_line(run_cli("validate", str(path)), code, 1)
    report = json.loads(run_cli("validate", "--format", "json", str(path)).stdout)
    assert [d["code"] for d in report["errors"]] == [code]


def test_many_megabytes_refused_before_reading(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "big.yaml"
    with path.open("wb") as out:
        out.write(b"kind: scenario\nnotes: |\n")
        line = b"  " + b"x" * 1022 + b"\n"
        for _ in range(MAX_BYTES // len(line) + 1024):
            out.write(line)
    started = time.monotonic()
    result = run_cli("validate", str(path))
    assert time.monotonic() - started < 10
    _one_line(result, "Y108", 1)


def test_many_values_under_the_size_limit_are_refused_quickly() -> None:
    text = "a: [" + ",".join(["1"] * 400_000) + "]\n"
    started = time.monotonic()
    with pytest.raises(ContentError) as info:
        parse_yaml(text, "f.yaml")
    assert info.value.diagnostics[0].code == "Y106"
    # a bound against a pathological blow-up, not a speed goal (about 1 s on an idle
    # machine; the suite also runs on busy ones)
    assert time.monotonic() - started < 30


def test_alias_bomb_refused_in_about_a_second_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ContentError) as info:
            load_yaml(path)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.diagnostics[0].code == "Y106"
    assert elapsed < 1.0
    assert peak < 20 * 1024 * 1024


def test_folder_with_thousands_of_files(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "flood"
    folder.mkdir()
    for i in range(2_500):
        (folder / f"f{i:05}.yaml").write_text("kind: nonsense\n")
    started = time.monotonic()
    result = run_cli("validate", str(folder))
    assert time.monotonic() - started < 30
    _one_line(result, "Y109", 2)


def test_missing_path_is_bad_usage(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("validate", str(tmp_path / "nope.yaml"))
    _one_line(result, "Y100", 2)


def test_bad_option_is_bad_usage(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("validate", "--format", "xml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "invalid choice" in result.stderr


def test_binary_garbage_and_empty_files(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "junk.yaml").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "multi.yaml").write_text("kind: scenario\n---\nkind: scenario\n")
    result = run_cli("validate", str(tmp_path))
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    codes = sorted(line.split()[2].rstrip(":") for line in result.stdout.splitlines()[:-1])
    assert codes == ["S201", "Y101", "Y102"]
