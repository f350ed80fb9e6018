"""Saved sessions: an SQLite database under the trainee's home folder.

``from trainer.store import Store, SessionRecord, TurnRecord`` — see
`trainer.store.db` for the schema and docs/engine.md for the API.
"""

from __future__ import annotations

from trainer.store.db import (
    DB_NAME,
    SCHEMA_VERSION,
    SessionRecord,
    Store,
    StoreError,
    TurnRecord,
)

__all__ = ["DB_NAME", "SCHEMA_VERSION", "SessionRecord", "Store", "StoreError", "TurnRecord"]
