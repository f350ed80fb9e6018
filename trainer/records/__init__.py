"""Saved sessions: the records, the store protocol, and (in `trainer.records.sqlite`)
the SQLite store under the trainee's home folder.

``from trainer.records import SessionRecord, TurnRecord, SessionStore, StoreError``;
only the top of the package (command line, app, services) imports
`trainer.records.sqlite` to open a store. See docs/architecture.md.
"""

from __future__ import annotations

from trainer.records.types import (
    STATUSES,
    SessionRecord,
    SessionStore,
    Status,
    StoreError,
    StoreUnreachable,
    TurnRecord,
    check_session_id,
    now,
)

__all__ = [
    "STATUSES",
    "SessionRecord",
    "SessionStore",
    "Status",
    "StoreError",
    "StoreUnreachable",
    "TurnRecord",
    "check_session_id",
    "now",
]
