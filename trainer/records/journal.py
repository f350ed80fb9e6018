"""A local journal of writes a shared store could not take: a typed line is never lost.

When the PostgreSQL store is down or unreachable, `trainer.records.postgres.PgStore`
appends the write (an exchange of turns, or a call's end) to this file in the
trainee's home folder, flushed to disk, before it reports the error; the next time
a store on the same URL is opened or written to, the journal is replayed in order.
Replaying is idempotent: an exchange whose turns are already stored (the server
committed but its answer was lost) is skipped, so a line is neither lost nor doubled.

The file is JSON lines, one write a line, mode 0600 (it holds what trainees typed),
locked with ``flock`` so several processes on one host share it safely. An entry the
store refuses for good (its session was deleted, a conflicting write) is moved to
``<journal>.rejected`` with the reason and named in a warning, never dropped silently.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trainer.records.types import StoreError, StoreUnreachable

JOURNAL_NAME = "store-journal.jsonl"


class Journal:
    """Writes kept for one store (``store``: its URL without the password) in ``path``."""

    def __init__(self, path: Path, store: str) -> None:
        self.path = path
        self.store = store

    @contextmanager
    def _locked(self) -> Iterator[int]:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # closing releases the lock

    def append(self, entry: Mapping[str, Any]) -> None:
        """Add one write, durable on return (flushed and fsync'd)."""
        line = json.dumps({"store": self.store, **entry}, ensure_ascii=False) + "\n"
        with self._locked() as fd:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)

    def pending(self) -> list[dict[str, Any]]:
        """The writes kept for this store, oldest first (a damaged line is skipped)."""
        return [e for e in self._read() if e.get("store") == self.store]

    def _read(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        entries = []
        for line in text.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue  # a line cut short by a crash while writing: it was never acknowledged
            if isinstance(item, dict):
                entries.append(item)
        return entries

    def has_pending(self) -> bool:
        """True when the journal file holds anything (cheap: one stat)."""
        try:
            return self.path.stat().st_size > 0
        except OSError:
            return False

    def replay(self, apply: Callable[[dict[str, Any]], None]) -> list[str]:
        """Apply this store's kept writes in order; returns warnings for rejected ones.

        Stops at the first `StoreUnreachable` (the store went away again), keeping that
        entry and the rest; entries for other stores stay untouched.
        """
        warnings: list[str] = []
        with self._locked() as fd:
            entries = self._read()
            kept: list[dict[str, Any]] = []
            down: StoreUnreachable | None = None
            for entry in entries:
                if entry.get("store") != self.store or down is not None:
                    kept.append(entry)
                    continue
                try:
                    apply(entry)
                except StoreUnreachable as exc:
                    down = exc
                    kept.append(entry)
                except StoreError as exc:
                    self._reject(entry, str(exc))
                    warnings.append(
                        f"{self.path}: a kept write for session {entry.get('session')!r}"
                        f" was refused ({exc}); it is in {self.path.name}.rejected"
                    )
            os.ftruncate(fd, 0)
            if kept:
                os.write(
                    fd, "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in kept).encode()
                )
            os.fsync(fd)
        if down is not None:
            raise down
        return warnings

    def _reject(self, entry: Mapping[str, Any], reason: str) -> None:
        rejected = self.path.with_name(self.path.name + ".rejected")
        fd = os.open(rejected, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            line = json.dumps({**entry, "rejected": reason}, ensure_ascii=False) + "\n"
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
