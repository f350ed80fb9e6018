"""One error policy for the session database: what went wrong, which file, what to do.

Every `Store` method runs under `guarded` (the PostgreSQL store under its own
`guarded_by`), so a damaged page, a dropped table,
a full disk or a read-only data folder becomes one `StoreError` line naming the
database file and the way out, never a sqlite traceback. A row with a bad cell
(a seed that is not a number, text stored as a blob, findings that are not a JSON
list of objects) is `BadRow`: listings skip the session with a warning, opening that
one session names it, and a bad ``turns`` row is left out of the loaded call with a
warning (the rest of the call is still shown; the row stays in the file to repair).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from trainer.records.types import StoreError

F = TypeVar("F", bound=Callable[..., Any])


class BadRow(ValueError):
    """A stored row whose cells do not have the types the schema promises."""


def read_only_message(path: str) -> str:
    """The one line for a database whose data folder cannot be written."""
    return (
        f"{path}: cannot save: the data folder is read-only"
        " — run with --home DIR (a folder you can write to) to save"
    )


def explain(path: str, exc: sqlite3.Error) -> StoreError:
    """The one-line error for a database failure on the file at ``path``."""
    text = str(exc)
    lowered = text.lower()
    if "readonly" in lowered or "read-only" in lowered:
        return StoreError(read_only_message(path))
    if "full" in lowered or "disk i/o" in lowered:
        return StoreError(
            f"{path}: cannot save: {text} — free some space and run it again"
            " (everything saved before is kept)"
        )
    if "locked" in lowered or "busy" in lowered:
        return StoreError(f"{path}: the database is busy ({text}) — close other trainer windows")
    return StoreError(
        f"{path}: the session database is damaged ({text}) — restore it from a backup,"
        " or move it aside and a new one is started"
    )


def guarded_by(
    errors: type[Exception] | tuple[type[Exception], ...],
    explain: Callable[[str, Any], StoreError],
) -> Callable[[F], F]:
    """A decorator that runs a store method with the driver's ``errors`` turned into
    ``explain(store.path, exc)``: one line naming the database and the way out."""

    def wrap(method: F) -> F:
        @functools.wraps(method)
        def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except errors as exc:
                raise explain(self.path, exc) from None

        return run  # type: ignore[return-value]

    return wrap


#: Run a SQLite `Store` method with sqlite errors turned into `explain`'s one line.
guarded = guarded_by(sqlite3.Error, explain)


def text_cell(value: object, column: str) -> str:
    """A TEXT cell as str; a blob or number there means the row was damaged."""
    if isinstance(value, str):
        return value
    raise BadRow(f"'{column}' holds {type(value).__name__} data, not text")


def int_cell(value: object, column: str) -> int:
    """An INTEGER cell as int (whole floats and digit strings too), else `BadRow`."""
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise BadRow(f"'{column}' holds {value!r}, not a whole number")
