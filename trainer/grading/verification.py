"""Remember which rulebooks already passed their examples, to load them fast.

A rulebook whose examples fail must not load, so loading used to run every
example each time (and compile every regex to run them). The result depends
only on the rulebook file(s) and on the grader's own code, so it is recorded
under a key made of both: the SHA-256 of the file's bytes, the key of the book
it ``extends``, and a digest of the grader modules that decide matches. A key
found in the record means "this exact book passed with this exact grader";
anything edited gets a new key and is checked again. ``trainer rules test``
and ``trainer validate`` always run the examples.

The record is one small text file, ``verified-rulebooks.txt``, in
``$TRAINER_CACHE_DIR`` or the user cache folder. It is only an optimisation:
when it cannot be read or written, books are simply verified every time.
"""

from __future__ import annotations

import hashlib
import os
import sys
from functools import lru_cache
from pathlib import Path

#: Modules whose code decides what the examples find.
_MODULES = (
    "rulebook",
    "normalize",
    "content",
    "findings",
    "verification",
    "learned",
    "../regexsafety",
)
_FILE = "verified-rulebooks.txt"
_KEEP = 256

_known: set[str] | None = None


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of the grader's matching code and of the Python and OpenCC versions."""
    digest = hashlib.sha256(sys.version.encode())
    here = Path(__file__).resolve().parent
    for name in _MODULES:
        try:
            digest.update((here / f"{name}.py").read_bytes())
        except OSError:
            digest.update(name.encode())
    try:
        import opencc

        table = Path(opencc.__file__).resolve().parent / "dictionary" / "TSCharacters.txt"
        digest.update(table.read_bytes())
    except (ImportError, OSError):
        digest.update(b"no-opencc")
    return digest.hexdigest()


def key(path: Path, base_key: str = "") -> str:
    """The key of the rulebook in ``path`` (extending a book whose key is ``base_key``)."""
    digest = hashlib.sha256(code_digest().encode())
    try:
        digest.update(path.read_bytes())
    except OSError:
        digest.update(str(path).encode())
    digest.update(base_key.encode())
    return digest.hexdigest()


def cache_file() -> Path | None:
    """Where the record lives, or None when there is no usable cache folder."""
    folder = os.environ.get("TRAINER_CACHE_DIR")
    if not folder:
        try:
            from platformdirs import user_cache_dir
        except ImportError:  # pragma: no cover - platformdirs is a dependency
            return None
        folder = user_cache_dir("trainer", appauthor=False)
    return Path(folder) / _FILE


def _load() -> set[str]:
    global _known
    if _known is None:
        _known = set()
        path = cache_file()
        if path is not None:
            _known.update(_read_lines(path))
    return _known


def known(book_key: str) -> bool:
    """True when a book with this key passed its examples before."""
    return book_key in _load()


def remember(book_key: str) -> None:
    """Record that the book with this key passed its examples (best effort)."""
    keys = _load()
    if book_key in keys:
        return
    keys.add(book_key)
    path = cache_file()
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [k for k in _read_lines(path) if k != book_key][-(_KEEP - 1) :]
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text("\n".join([*lines, book_key]) + "\n", encoding="ascii")
        os.replace(tmp, path)
    except OSError:
        pass


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return []


def forget() -> None:
    """Drop the in-memory copy of the record (tests; the file is read again)."""
    global _known
    _known = None
