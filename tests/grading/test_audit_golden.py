"""``trainer audit`` writes the same bytes as before the audit was made fast.

The fast audit grades utterances in batches (the learned stage's scan and sums in
compiled code) and writes its reports incrementally; neither may change a single
finding or byte. The reports under ``audit_golden/`` were recorded with the code
of commit ccd8b8e (the one-line grader and the one-shot writers), and recorded again
with that same runtime code (commit bb67794, the one-line grader) when the rulebooks
and models changed after it; the batched grader matched them byte for byte at commit
70bf1f0. Later rule changes record them again with the code of their own commit (the
reports then guard against an unintended change), on the two
benchmark corpora of ``benchmarks/audit_bench.py`` (distinct lines and the
repeated-line corpus, generated with a fixed seed) and on every evaluation set:
the JSON report itself (gzipped, so a difference shows which finding moved) and
the SHA-256 of the text, SARIF, JUnit and GitHub reports.

Record them again (only when a change of findings is intended) with::

    python tests/grading/test_audit_golden.py
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "audit_golden"
EVAL = Path(__file__).resolve().parent / "eval"
FORMATS = ("json", "text", "sarif", "junit", "github")
#: Corpus name → (records, distinct lines?). Small enough for the suite, big enough
#: for every kind of finding the corpora make (patterns, model rules, reviews).
CORPORA = {"distinct": (6000, True), "repeated": (6000, False)}


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("audit_bench", ROOT / "benchmarks/audit_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Sets held out for the next measurement (``benchmarks/grader_hard.py``): no report of
#: them is recorded, so nobody reads their findings before that run.
HELD_OUT: tuple[str, ...] = ()


def _eval_sets() -> list[tuple[str, str]]:
    """(file name, locale) of every evaluation set but the held-out ones."""
    return [
        (p.name, p.stem.rsplit("_", 1)[-1])
        for p in sorted(EVAL.glob("*.jsonl"))
        if not p.name.startswith(HELD_OUT)
    ]


def _eval_copy(folder: Path, name: str) -> str:
    """An evaluation set as audit input: a clock time ("21:30", which the audit refuses
    in a record) becomes a time on a fixed day, so every line is graded."""
    lines = []
    for raw in (EVAL / name).read_text(encoding="utf-8").splitlines():
        record = json.loads(raw)
        clock = record.get("time")
        if isinstance(clock, str) and len(clock) == 5:
            record["time"] = f"2025-03-01T{clock}:00"
        lines.append(json.dumps(record, ensure_ascii=False))
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return name


def _corpus(folder: Path, name: str) -> str:
    records, distinct = CORPORA[name]
    path = folder / f"{name}.jsonl"
    if not path.exists():
        _bench().generate(path, records, distinct=distinct)
    return path.name


Run = Callable[..., Any]


def _audit(run: Run, cwd: Path, target: str, fmt: str, *extra: str) -> str:
    result = run("audit", target, "--format", fmt, "--fail-on", "never", *extra, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _expected(name: str) -> str:
    return gzip.decompress((GOLDEN / f"{name}.json.gz").read_bytes()).decode("utf-8")


def _first_difference(got: str, want: str) -> str:
    for number, (a, b) in enumerate(zip(got.splitlines(), want.splitlines(), strict=False), 1):
        if a != b:
            return f"line {number}:\n  now:    {a[:300]}\n  before: {b[:300]}"
    return f"lengths differ: {len(got.splitlines())} lines now, {len(want.splitlines())} before"


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpora")
    for name in CORPORA:
        _corpus(folder, name)
    return folder


@pytest.mark.parametrize("name", sorted(CORPORA))
@pytest.mark.parametrize("fmt", FORMATS)
def test_benchmark_corpus_reports_are_unchanged(
    run_cli: Run, corpora: Path, name: str, fmt: str
) -> None:
    got = _audit(run_cli, corpora, f"{name}.jsonl", fmt)
    digests = json.loads((GOLDEN / "digests.json").read_text(encoding="utf-8"))
    if fmt == "json":
        want = _expected(name)
        assert got == want, _first_difference(got, want)
        assert json.loads(got)["summary"]["findings"] > 20  # the corpus does exercise the grader
    assert _digest(got) == digests[f"{name}.{fmt}"]


def test_the_batched_audit_agrees_with_workers(
    run_cli: Run, corpora: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers (the file cut in chunks) write the same report as one."""
    from trainer.audit import run as audit_run

    monkeypatch.setattr(audit_run, "CHUNK_BYTES", 64 * 1024)
    got = _audit(run_cli, corpora, "distinct.jsonl", "json", "--jobs", "2")
    assert got == _expected("distinct")


@pytest.mark.parametrize(("name", "locale"), _eval_sets())
def test_evaluation_set_findings_are_unchanged(
    run_cli: Run, tmp_path: Path, name: str, locale: str
) -> None:
    got = _audit(run_cli, tmp_path, _eval_copy(tmp_path, name), "json", "--rules", locale)
    want = _expected(f"eval-{Path(name).stem}")
    assert got == want, _first_difference(got, want)


def record() -> None:
    """Write the golden reports with the code on ``sys.path`` (see the module's docs)."""
    import os
    import subprocess
    import tempfile

    GOLDEN.mkdir(exist_ok=True)
    env = {**os.environ, "TRAINER_NO_CACHE": "1"}
    digests: dict[str, str] = {}

    # -P: the code on sys.path (PYTHONPATH, the install), never the folder's
    command = [sys.executable, "-P", "-m", "trainer", "audit"]

    def audit(cwd: Path, target: str, fmt: str, *extra: str) -> str:
        done = subprocess.run(
            [*command, target, "--format", fmt, "--fail-on", "never", *extra],
            cwd=cwd,
            env=env,
            capture_output=True,
            check=True,
        )
        return done.stdout.decode("utf-8")

    def keep(name: str, text: str) -> None:
        (GOLDEN / f"{name}.json.gz").write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in CORPORA:
            target = _corpus(folder, name)
            for fmt in FORMATS:
                text = audit(folder, target, fmt)
                digests[f"{name}.{fmt}"] = _digest(text)
                if fmt == "json":
                    keep(name, text)
        for name, locale in _eval_sets():
            target = _eval_copy(folder, name)
            keep(f"eval-{Path(name).stem}", audit(folder, target, "json", "--rules", locale))
    (GOLDEN / "digests.json").write_text(json.dumps(digests, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    record()


def test_a_sink_gets_every_hit_in_order_and_the_result_keeps_none(corpora: Path) -> None:
    """With a sink (the report being written) the audit holds no hits: memory stays flat."""
    from trainer.audit.run import Hit, audit
    from trainer.grading.books import BookSet

    path = str(corpora / "distinct.jsonl")
    kept = audit([path], BookSet())
    streamed: list[Hit] = []
    runs: list[int] = []

    def sink(hits: list[Hit]) -> None:
        runs.append(len(hits))
        streamed.extend(hits)

    result = audit([path], BookSet(), sink=sink)
    assert result.hits == []
    assert streamed == kept.hits
    assert len(runs) > 1  # handed over batch by batch, not all at the end


def test_calls_moved_to_disk_keep_their_turns_and_history(monkeypatch: pytest.MonkeyPatch) -> None:
    """A call that comes back after many others continues where it was (flat memory
    never costs a turn number or an earlier line)."""
    import random

    from trainer.audit.run import CallMemory

    monkeypatch.setattr(CallMemory, "KEEP", 5)
    memory = CallMemory()
    turns: dict[str, int] = {}
    said: dict[str, list[str]] = {}
    rng = random.Random(3)
    for step in range(3000):
        call = f"c{rng.randrange(40)}"
        turns[call] = turns.get(call, 0) + 1
        assert memory.next_turn(call) == turns[call]
        assert memory.said(call) == tuple(said.get(call, []))
        memory.add(call, f"line {step}")
        said.setdefault(call, []).append(f"line {step}")
    assert len(memory._recent) <= 5


def test_a_spool_that_cannot_be_written_is_one_line_and_exit_2(
    run_cli: Run, corpora: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk under the report's spool is said in one line, never taken for an
    unreadable input and never a traceback."""
    import errno

    from trainer.audit import formats

    def full(self: object, hits: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(formats.ReportWriter, "_add", full)
    result = run_cli("audit", "distinct.jsonl", "--format", "json", cwd=corpora)
    assert result.returncode == 2
    assert result.stderr == "cannot write the report's temporary file: No space left on device\n"
    assert "K650" not in result.stderr and "Traceback" not in result.stderr
