"""The approvals ledger: one JSON object a line, each chained to the one before by hash.

The ledger is ``approvals.jsonl`` in the content folder, kept in the repository
beside the lines it approves, so a review shows up in ``git diff`` as added lines.
Every entry carries ``seq`` (1, 2, …), ``prev`` (the ``entry`` hash of the entry
before it; zeros for the first) and ``entry``, the SHA-256 of its own canonical JSON
without ``entry``. Editing, removing or reordering an old entry breaks the chain at
that entry, which `read_ledger` reports with the file and line. Rewriting the whole
tail consistently is still possible for someone who can write the file: that is what
SSH seals (`trainer.approvals.sshsig`) add, a signature over the chain's head.

Entry actions:

* ``approve`` — a reviewer approved this text (``hash``) for this line ``id``;
* ``withdraw`` — a removed line's approval is closed (it no longer exists);
* ``seal`` — an SSH signature over the hash of the entry before it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.paths import LEDGER_NAME
from trainer.scenarios.files import display_name

GENESIS = "0" * 64
ACTIONS = ("approve", "withdraw", "seal")


class LedgerError(Exception):
    """The ledger cannot be trusted or read; ``str()`` is one line with file:line."""


@dataclass(frozen=True)
class Entry:
    """One ledger entry: its fields as written and the line of the file it is on."""

    data: dict[str, Any]
    line: int

    @property
    def action(self) -> str:
        return str(self.data["action"])

    @property
    def id(self) -> str:
        return str(self.data.get("id", ""))

    @property
    def hash(self) -> str:
        return str(self.data.get("hash", ""))

    @property
    def digest(self) -> str:
        return str(self.data["entry"])


def canonical(data: dict[str, Any]) -> str:
    """The text an entry's hash is taken of: sorted keys, no spaces, UTF-8 as is."""
    body = {k: v for k, v in data.items() if k != "entry"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_digest(data: dict[str, Any]) -> str:
    """SHA-256 (hex) of an entry's canonical JSON."""
    return hashlib.sha256(canonical(data).encode("utf-8")).hexdigest()


def ledger_path(folder: Path) -> Path:
    """The ledger file of a content folder."""
    return folder / LEDGER_NAME


def read_ledger(path: Path) -> list[Entry]:
    """Every entry of the ledger at ``path`` (none when it does not exist yet).

    Raises `LedgerError` naming ``file:line`` at the first entry that is not JSON,
    lacks a field, or whose hash or link to the entry before it does not match.
    """
    if not path.exists():
        return []
    shown = display_name(path, [])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LedgerError(f"{shown}: cannot read the ledger: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LedgerError(f"{shown}:{line}: the ledger is not UTF-8") from None
    entries: list[Entry] = []
    prev = GENESIS
    for number, row in enumerate(text.splitlines(), start=1):
        if not row.strip():
            continue
        where = f"{shown}:{number}"
        try:
            data = json.loads(row)
        except json.JSONDecodeError as exc:
            raise LedgerError(f"{where}: not a JSON entry ({exc.msg})") from None
        if not isinstance(data, dict):
            raise LedgerError(f"{where}: an entry must be a JSON object")
        for key in ("seq", "prev", "action", "entry"):
            if key not in data:
                raise LedgerError(f"{where}: entry without '{key}'")
        if data["action"] not in ACTIONS:
            raise LedgerError(f"{where}: unknown action {data['action']!r}")
        if data["seq"] != len(entries) + 1:
            raise LedgerError(
                f"{where}: entry {data['seq']!r} where entry {len(entries) + 1} belongs "
                "(an entry was removed, added or moved)"
            )
        if data["entry"] != entry_digest(data):
            raise LedgerError(
                f"{where}: entry {data['seq']} was changed after it was written "
                "(its hash does not match its content)"
            )
        if data["prev"] != prev:
            raise LedgerError(
                f"{where}: entry {data['seq']} does not follow the entry before it "
                "(the chain is broken: an earlier entry was changed or replaced)"
            )
        prev = data["entry"]
        entries.append(Entry(data, number))
    return entries


def chain(entries: list[Entry], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``new`` entries numbered and linked after ``entries``, each with its own hash."""
    out: list[dict[str, Any]] = []
    prev = entries[-1].digest if entries else GENESIS
    seq = len(entries)
    for data in new:
        seq += 1
        linked = {**data, "seq": seq, "prev": prev}
        linked["entry"] = entry_digest(linked)
        prev = linked["entry"]
        out.append(linked)
    return out


def append(path: Path, entries: list[Entry], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append ``new`` entries to the ledger, chained after ``entries`` (what it holds now).

    The rows are written in one write and flushed to disk, so a crash leaves either
    all of them or none (a torn last row is refused by `read_ledger`, never skipped).
    Raises `LedgerError` when the ledger no longer ends where ``entries`` does
    (another sign-off wrote in between): nothing is written, and a second run chains
    after it.
    """
    now = read_ledger(path)
    if [e.digest for e in now] != [e.digest for e in entries]:
        raise LedgerError(
            f"{display_name(path, [])}: the ledger changed while signing (another sign-off?);"
            " nothing written, run the command again"
        )
    linked = chain(entries, new)
    rows = "".join(json.dumps(_ordered(data), ensure_ascii=False) + "\n" for data in linked)
    if path.exists() and path.stat().st_size:
        with path.open("rb") as existing:
            existing.seek(-1, os.SEEK_END)
            if existing.read(1) != b"\n":
                rows = "\n" + rows
    with path.open("a", encoding="utf-8") as handle:
        handle.write(rows)
        handle.flush()
        os.fsync(handle.fileno())
    return linked


#: The order fields are written in, so a reviewer reads an entry left to right (the hash
#: is taken of the sorted form, so the order is for people only).
FIELD_ORDER = ("seq", "action", "id", "reviewer", "time", "text", "note", "override")


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    tail = ("prev", "entry")
    first = [k for k in FIELD_ORDER if k in data]
    rest = sorted(k for k in data if k not in FIELD_ORDER and k not in tail)
    return {k: data[k] for k in (*first, *rest, *tail) if k in data}


def latest(entries: list[Entry]) -> dict[str, Entry]:
    """Line id → its latest ``approve`` entry, for lines whose approval is not withdrawn."""
    out: dict[str, Entry] = {}
    for entry in entries:
        if entry.action == "approve":
            out[entry.id] = entry
        elif entry.action == "withdraw":
            out.pop(entry.id, None)
    return out
