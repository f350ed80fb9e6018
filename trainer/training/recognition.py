"""Learning move recognition from labelled agent lines: the ``examples`` content files.

``training/recogniser/<locale>.<author>.jsonl`` holds agent lines written by people
who had not read the intent libraries, each labelled with the moves it makes. A
line that makes exactly one shared move, said without depending on the customer's
last words, becomes an example of that move; the recogniser (TF-IDF over character
and word n-grams, nearest examples and centroids) then knows many more ways of
saying it. Lines that make several moves, answers that only mean something after a
question, and ``other`` lines are not examples (clause splitting and context handle
those in the engine).

The output is deterministic (sorted, de-duplicated, no timestamps): the same data
gives a byte-identical file, and ``built_from`` records each data file's SHA-256 so
a test notices data that changed without a rebuild.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: Lines longer than this are left out: one move rarely needs more words.
MAX_CHARS = 160


class DataError(ValueError):
    """A training line is malformed; the message names ``file:line``."""


@dataclass(frozen=True)
class Labelled:
    """One labelled agent line."""

    text: str
    moves: tuple[str, ...]
    customer_before: str | None
    party: str


def read(path: Path) -> list[Labelled]:
    """The labelled lines of one JSONL file; `DataError` at the first bad line."""
    from trainer.paths import regular_file_problem

    problem = regular_file_problem(path)
    if problem is not None:
        raise DataError(f"{path.name}: {problem}")
    out: list[Labelled] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise DataError(f"{where}: expected an object")
        text, moves = data.get("text"), data.get("moves")
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"{where}: 'text' must be a non-empty string")
        if not isinstance(moves, list) or not moves or not all(isinstance(m, str) for m in moves):
            raise DataError(f"{where}: 'moves' must be a non-empty list of intent ids")
        before = data.get("customer_before")
        out.append(
            Labelled(
                text.strip(),
                tuple(moves),
                before if isinstance(before, str) and before.strip() else None,
                str(data.get("party") or "debtor"),
            )
        )
    return out


def examples(lines: Iterable[Labelled], known: set[str]) -> dict[str, tuple[str, ...]]:
    """Single-move, context-free lines of known intents, grouped and sorted."""
    grouped: dict[str, set[str]] = {}
    for line in lines:
        if len(line.moves) != 1 or line.customer_before is not None:
            continue
        intent = line.moves[0]
        if intent not in known or len(line.text) > MAX_CHARS:
            continue
        grouped.setdefault(intent, set()).add(line.text)
    return {intent: tuple(sorted(texts)) for intent, texts in sorted(grouped.items())}


def digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render(locale: str, sources: list[tuple[str, str]], table: dict[str, tuple[str, ...]]) -> str:
    """The ``kind: examples`` YAML file (strings JSON-quoted, so any text is safe)."""
    out = [
        "# Written by `trainer intents learn` from labelled lines: do not edit by hand.",
        "kind: examples",
        f"locale: {locale}",
        "built_from:",
    ]
    for name, sha in sources:
        out += [f"  - path: {json.dumps(name)}", f"    sha256: {sha}"]
    out.append("intents:")
    for intent, texts in table.items():
        out.append(f"  {intent}:")
        out += [f"    - {json.dumps(text, ensure_ascii=False)}" for text in texts]
    return "\n".join(out) + "\n"


def data_files(folder: Path, locale: str) -> list[Path]:
    """The training files of one locale, sorted by name."""
    return sorted(folder.glob(f"{locale}.*.jsonl"))


def build(folder: Path, locale: str, known: set[str], root: Path) -> str:
    """The examples file for ``locale`` from every ``<locale>.*.jsonl`` under ``folder``.

    Data file names are recorded relative to ``root`` (the repository), so the file
    is the same on every machine.
    """
    files = data_files(folder, locale)
    if not files:
        raise DataError(f"no {locale}.*.jsonl files in {folder}")
    lines: list[Labelled] = []
    for path in files:
        lines += read(path)
    table = examples(lines, known)
    sources = [(_relative(path, root), digest(path)) for path in files]
    return render(locale, sources, table)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name
