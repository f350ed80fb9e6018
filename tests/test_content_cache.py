"""The content cache: reused only while nothing changed, private to the user, never fatal.

Every test here points the cache at its own temporary folder (the suite turns the
cache off everywhere else, see ``tests/conftest.py``), so the user's cache is never
read or written.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from trainer.scenarios import loader
from trainer.services import cache
from trainer.services.content import content_summary, load_content
from trainer.services.content import load_content as services_load

ROOT = Path(__file__).resolve().parents[1]
EN = ROOT / "content" / "dialogues" / "en-US"
TITLE = 'title: "Disputed debt: \\"That card was never mine\\""'


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own, with the cache turned on."""
    where = tmp_path / "cache"
    monkeypatch.setenv(cache.FOLDER_ENV, str(where))
    monkeypatch.delenv(cache.DISABLE_ENV, raising=False)
    return where / "content"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A small content pack (libraries and one scenario) that tests may edit."""
    root = tmp_path / "pack"
    (root / "intents").mkdir(parents=True)
    (root / "scenarios").mkdir()
    shutil.copy(EN / "personas.yaml", root)
    shutil.copy(EN / "wording.yaml", root)
    shutil.copy(EN / "intents" / "core.yaml", root / "intents")
    shutil.copy(EN / "scenarios" / "special" / "en-special-dispute.yaml", root / "scenarios")
    return root


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the real loads (a cache hit does not load)."""
    count: list[int] = []
    real = loader.load_content

    def counted(*args: object, **kwargs: object) -> object:
        count.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "load_content", counted)
    return count


def _title(pack: Path) -> str:
    return content_summary([pack]).scenarios[0]["title"]


def test_a_second_load_comes_from_the_cache_and_equals_the_first(
    folder: Path, pack: Path, loads: list[int]
) -> None:
    content, diagnostics = load_content([pack])
    again, diagnostics_again = load_content([pack])
    summary = content_summary([pack])
    assert len(loads) == 1
    assert again.scenarios == content.scenarios and again.personas == content.personas
    assert diagnostics_again == diagnostics == summary.diagnostics
    assert [row["id"] for row in summary.scenarios] == list(content.scenarios)


def test_an_edited_file_is_seen_even_with_the_same_size_and_time(
    folder: Path, pack: Path, loads: list[int]
) -> None:
    scenario = pack / "scenarios" / "en-special-dispute.yaml"
    assert _title(pack) == 'Disputed debt: "That card was never mine"'
    before = scenario.stat()
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(text.replace("never mine", "NEVER MINE"), encoding="utf-8")
    os.utime(scenario, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert scenario.stat().st_size == before.st_size
    assert _title(pack) == 'Disputed debt: "That card was NEVER MINE"'
    assert load_content([pack])[0].scenarios["en-special-dispute"].title.endswith('NEVER MINE"')
    load_content([pack])
    summary = content_summary([pack])
    assert summary.scenarios[0]["title"].endswith('NEVER MINE"')
    assert len(loads) == 3  # before the edit, after it (JSON side), the pickle side; then hits


def test_the_light_commands_store_no_pickle_and_a_full_load_adds_it(
    folder: Path, pack: Path, loads: list[int]
) -> None:
    content_summary([pack])
    assert [p.suffix for p in folder.iterdir()] == [".json"]
    content_summary([pack])
    load_content([pack])
    assert sorted(p.suffix for p in folder.iterdir()) == [".json", ".pickle"]
    load_content([pack])
    content_summary([pack])
    assert len(loads) == 2


def test_a_broken_edit_shows_its_diagnostic(folder: Path, pack: Path) -> None:
    assert content_summary([pack]).diagnostics == []
    scenario = pack / "scenarios" / "en-special-dispute.yaml"
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(text.replace(TITLE, TITLE + "\ntitel: typo"), encoding="utf-8")
    codes = [d.code for d in content_summary([pack]).diagnostics]
    assert codes == ["S203"]


def test_added_and_removed_files_are_seen(folder: Path, pack: Path) -> None:
    scenario = pack / "scenarios" / "en-special-dispute.yaml"
    copy = pack / "scenarios" / "copy.yaml"
    assert len(content_summary([pack]).scenarios) == 1
    copy.write_text(
        scenario.read_text(encoding="utf-8").replace("id: en-special-dispute", "id: copy"),
        encoding="utf-8",
    )
    assert len(content_summary([pack]).scenarios) == 2
    copy.unlink()
    assert len(content_summary([pack]).scenarios) == 1


def test_a_file_read_outside_the_folders_asked_for_counts(tmp_path: Path, folder: Path) -> None:
    extra = tmp_path / "model.json"
    extra.write_text("{}", encoding="utf-8")
    with cache.recording() as reads:
        extra.read_text(encoding="utf-8")
    meta = cache.describe(reads)
    assert str(extra) in meta["files"]
    assert cache.still_valid(meta)
    extra.write_text("[]", encoding="utf-8")  # same size, maybe the same time
    assert not cache.still_valid(meta)


def test_the_cache_is_private(folder: Path, pack: Path) -> None:
    load_content([pack])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = list(folder.iterdir())
    assert {p.suffix for p in files} == {".json", ".pickle"}
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)


@pytest.mark.parametrize("suffix", [".json", ".pickle"])
@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_a_damaged_entry_is_ignored_and_rebuilt(
    folder: Path, pack: Path, loads: list[int], suffix: str, damage: str
) -> None:
    content, _ = load_content([pack])
    (entry,) = folder.glob(f"*{suffix}")
    data = entry.read_bytes()
    entry.write_bytes(
        {"truncate": data[: len(data) // 2], "garbage": b"\x80\x04garbage", "empty": b""}[damage]
    )
    again, _ = load_content([pack])
    assert again.scenarios == content.scenarios
    assert _title(pack) == 'Disputed debt: "That card was never mine"'
    assert len(loads) == 2
    load_content([pack])
    assert len(loads) == 2  # rebuilt: the next load is a hit again


@pytest.mark.parametrize("suffix", [".json", ".pickle"])
def test_a_file_others_can_write_is_never_read(
    folder: Path, pack: Path, loads: list[int], suffix: str
) -> None:
    load_content([pack])
    (entry,) = folder.glob(f"*{suffix}")
    entry.chmod(0o666)
    assert cache.read_entry(entry.stem, suffix) is None
    load_content([pack])
    assert len(loads) == 2


def test_a_folder_others_can_write_is_neither_read_nor_written(
    folder: Path, pack: Path, loads: list[int]
) -> None:
    load_content([pack])
    folder.chmod(0o777)
    (entry,) = folder.glob("*.json")
    assert cache.read_entry(entry.stem, ".json") is None
    for path in folder.iterdir():
        path.unlink()
    load_content([pack])
    assert len(loads) == 2 and list(folder.iterdir()) == []


def test_a_symlinked_entry_is_never_read(tmp_path: Path, folder: Path, pack: Path) -> None:
    load_content([pack])
    (entry,) = folder.glob("*.pickle")
    elsewhere = tmp_path / "elsewhere.pickle"
    entry.rename(elsewhere)
    entry.symlink_to(elsewhere)
    assert cache.read_entry(entry.stem, ".pickle") is None


def test_files_and_folders_of_another_user_are_refused() -> None:
    mine = os.getuid()
    ok = os.stat_result((stat.S_IFREG | 0o600, 0, 0, 1, mine, 0, 0, 0, 0, 0))
    theirs = os.stat_result((stat.S_IFREG | 0o600, 0, 0, 1, mine + 1, 0, 0, 0, 0, 0))
    group = os.stat_result((stat.S_IFREG | 0o620, 0, 0, 1, mine, 0, 0, 0, 0, 0))
    folder = os.stat_result((stat.S_IFDIR | 0o700, 0, 0, 1, mine, 0, 0, 0, 0, 0))
    assert cache._private(ok, stat.S_ISREG)
    assert not cache._private(theirs, stat.S_ISREG)
    assert not cache._private(group, stat.S_ISREG)
    assert not cache._private(folder, stat.S_ISREG)
    assert cache._private(folder, stat.S_ISDIR)


def test_turned_off_it_neither_reads_nor_writes(
    folder: Path, pack: Path, loads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.DISABLE_ENV, "1")
    load_content([pack])
    content_summary([pack])
    assert len(loads) == 2 and not folder.exists()


def test_a_scratch_kind_bypasses_the_cache(
    folder: Path, pack: Path, loads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    services_load([pack])
    monkeypatch.setitem(loader.KINDS, "scratch", loader.m.Persona)
    services_load([pack])
    assert len(loads) == 2


def test_list_and_validate_answer_the_same_warm_and_cold(
    folder: Path, pack: Path, run_cli: Any
) -> None:
    cold = [run_cli("list", str(pack)), run_cli("validate", "--format", "json", str(pack))]
    assert list(folder.glob("*.json"))
    warm = [run_cli("list", str(pack)), run_cli("validate", "--format", "json", str(pack))]
    assert [(r.returncode, r.stdout, r.stderr) for r in warm] == [
        (r.returncode, r.stdout, r.stderr) for r in cold
    ]
    assert "en-special-dispute" in warm[0].stdout


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A copy of the shipped en-US rulebook and its learned model, which tests may edit."""
    rules = ROOT / "content" / "dialogues" / "rules"
    folder = tmp_path / "rules"
    folder.mkdir()
    shutil.copy(rules / "en-US.model.json", folder)
    return Path(shutil.copy(rules / "en-US.yaml", folder))


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the real rulebook compiles (a cache hit does not compile)."""
    from trainer.grading import rulebook

    count: list[int] = []
    real = rulebook.load_rulebook

    def counted(*args: Any, **kwargs: Any) -> Any:
        count.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(rulebook, "load_rulebook", counted)
    return count


def test_a_compiled_rulebook_comes_from_the_cache_until_a_file_it_read_changes(
    folder: Path, book: Path, compiles: list[int]
) -> None:
    from trainer.services.rulebooks import load_rulebook, rulebook_summary

    first = load_rulebook(book)
    again = load_rulebook(book)
    assert len(compiles) == 1
    assert [(r.id, r.title) for r in again.rules] == [(r.id, r.title) for r in first.rules]
    assert again.check("I am a police officer and you will be arrested") == first.check(
        "I am a police officer and you will be arrested"
    )
    text = book.read_text(encoding="utf-8")
    book.write_text(text.replace("Posing as police", "Posing as POLICE"), encoding="utf-8")
    assert "Posing as POLICE or law enforcement" in [r.title for r in load_rulebook(book).rules]
    assert len(compiles) == 2
    assert rulebook_summary(book).rules[0]["title"] == "Posing as POLICE or law enforcement"
    assert len(compiles) == 2  # the summary came from the entry the load stored
    model = book.with_name("en-US.model.json")  # read through `model:`, not named by the caller
    model.write_bytes(model.read_bytes() + b"\n")
    load_rulebook(book)
    assert len(compiles) == 3
    load_rulebook(book)
    assert len(compiles) == 3


def test_a_broken_rulebook_is_never_cached(folder: Path, book: Path, compiles: list[int]) -> None:
    from trainer.diagnostics import ContentError
    from trainer.services.rulebooks import load_rulebook

    book.write_text(book.read_text(encoding="utf-8") + "\nnot_a_key: 1\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ContentError):
            load_rulebook(book)
    assert len(compiles) == 2 and not list(folder.glob("*.pickle"))


def test_only_the_loading_thread_is_recorded(tmp_path: Path) -> None:
    """The app loads content beside its UI thread; what the UI opens is no dependency."""
    import threading

    mine, other = tmp_path / "mine.yaml", tmp_path / "other.css"
    mine.write_text("a", encoding="utf-8")
    other.write_text("b", encoding="utf-8")
    with cache.recording() as reads:
        mine.read_text(encoding="utf-8")
        reader = threading.Thread(target=other.read_text, kwargs={"encoding": "utf-8"})
        reader.start()
        reader.join()
    assert str(mine) in reads and str(other) not in reads


def test_the_audit_reads_its_rulebook_from_the_cache(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Any
) -> None:
    from trainer.grading import rulebook

    lines = tmp_path / "a.jsonl"
    lines.write_text(
        '{"id": "1", "lang": "zh-CN", "speaker": "agent", "text": "我是公安局的"}\n',
        encoding="utf-8",
    )
    first = run_cli("audit", str(lines), "--format", "json")
    compiled: list[object] = []
    real = rulebook.load_rulebook

    def counted(*args: Any, **kwargs: Any) -> Any:
        compiled.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(rulebook, "load_rulebook", counted)
    rulebook._SHIPPED.clear()  # no per-process copy either: only the cache can serve it
    again = run_cli("audit", str(lines), "--format", "json")
    assert compiled == []  # the compiled book came back from the cache
    assert again.stdout == first.stdout and "ZH-IMP-001" in again.stdout
    assert again.returncode == first.returncode == 1
