"""A cache of loaded, validated content, so that opening it again is fast.

Loading the shipped content parses ~70 YAML files, validates them and compiles the
rulebooks to check them: about a second. The result depends only on the files read
and on trainer's own code, so it is kept under the user cache folder (or
``$TRAINER_CACHE_DIR``) and reused while nothing it depends on has changed.
``TRAINER_NO_CACHE=1`` turns it off; deleting the folder is always safe.

One load is stored as two files named by its key (the trainer code, the Python
version, what was asked for and the working folder, which decides the file names
in diagnostics): ``<key>.json``, what it depends on plus whatever the caller keeps
in a safe format, and ``<key>.pickle``, the loaded objects. The users are
`trainer.services.content` (content sets, and a JSON summary that lets a warm
``trainer list`` or ``trainer validate`` skip pydantic and the models altogether)
and `trainer.services.rulebooks` (compiled rulebooks).

Each entry lists every file the load read (recorded while loading, so a rulebook's
model file or an ``extends`` base outside the folders asked for count too) with its
size, modification time and SHA-256, and the modification time of every folder
holding them or the files a listing found. An entry is used only when all of these
still match; anything edited, added or removed means a fresh load. The hashes make
a same-size edit within the clock's resolution count too.

Safety: a pickle runs code when loaded, so a cache another user can write would
let them run code as this user. The folder is created with mode 0700 and the files
with 0600; a folder or file that is not owned by this user, is writable by group
or others, or is not a plain folder or file (a symlink) is never read. A file that
cannot be read, is truncated or does not unpickle is ignored and rebuilt: the cache
only ever saves time, it never fails a command.
"""

from __future__ import annotations

import _thread
import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from trainer import __version__
from trainer.gcpause import paused

#: Bumped when the layout of an entry changes.
FORMAT = 1
#: Environment variable that turns the cache off (any value but "" or "0").
DISABLE_ENV = "TRAINER_NO_CACHE"
#: Environment variable naming the cache folder (default: the user cache folder).
FOLDER_ENV = "TRAINER_CACHE_DIR"
#: At most this many entries are kept; the oldest go first.
KEEP = 16

Stamp = tuple[int, int, str]  # size, mtime_ns, sha256


def enabled() -> bool:
    """False when ``$TRAINER_NO_CACHE`` is set to anything but "" or "0"."""
    return os.environ.get(DISABLE_ENV, "") in ("", "0")


def cache_root() -> Path:
    """The trainer cache folder: ``$TRAINER_CACHE_DIR`` or the user cache folder."""
    folder = os.environ.get(FOLDER_ENV)
    if folder:
        return Path(folder)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("trainer", appauthor=False))


def content_folder(create: bool) -> Path | None:
    """The private folder of content entries, or None when it is missing or unsafe.

    ``create`` makes it (mode 0700) when it does not exist. An existing folder is
    used only when it is a real folder owned by this user that no one else can write.
    """
    folder = cache_root() / "content"
    if create:
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.mkdir(mode=0o700, exist_ok=True)
        except OSError:
            return None
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    return folder if _private(info, stat.S_ISDIR) else None


def _private(info: os.stat_result, kind: Callable[[int], bool]) -> bool:
    """True for a folder or file of the right kind, ours, that group and others cannot write."""
    owner_ok = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return kind(info.st_mode) and owner_ok and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


# ---------------------------------------------------------------- keys and stamps


def code_stamp() -> str:
    """A digest of trainer's own code (every module's size and mtime) and versions.

    The package version alone would not do in an editable install, where the code
    changes under the same version: a changed check must not answer from the cache.
    """
    digest = hashlib.sha256(f"{FORMAT} {__version__} {sys.version}".encode())
    digest.update(os.environ.get("TRAINER_PURE_YAML", "").encode())
    package = Path(__file__).resolve().parents[1]
    for dirpath, dirnames, filenames in os.walk(package):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                try:
                    info = os.stat(os.path.join(dirpath, name))
                except OSError:  # removed while we looked: the digest still differs
                    continue
                digest.update(f"{dirpath}/{name} {info.st_size} {info.st_mtime_ns}\n".encode())
    for module in ("pydantic", "yaml", "opencc", "ahocorasick", "transitions"):
        digest.update(f"{module} {_module_stamp(module)}\n".encode())
    return digest.hexdigest()


def _module_stamp(name: str) -> str:
    """Where a dependency is installed and when it was, without importing it."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return "missing"
    if spec is None or not spec.origin:
        return "missing"
    try:
        info = os.stat(spec.origin)
    except OSError:
        return spec.origin
    return f"{spec.origin} {info.st_size} {info.st_mtime_ns}"


def load_key(what: str, parts: Any) -> str:
    """The key of one load: the code, what is loaded (``parts``, JSON), the working folder."""
    digest = hashlib.sha256(code_stamp().encode())
    digest.update(json.dumps([what, parts, os.getcwd()], sort_keys=True, default=str).encode())
    return digest.hexdigest()[:40]


def stamp(path: str) -> Stamp | None:
    """Size, modification time and SHA-256 of a file (None when it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            data = handle.read()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns, hashlib.sha256(data).hexdigest()


def folder_times(folders: Iterable[str]) -> dict[str, int]:
    """The modification time of each folder (a file added or removed in it changes it)."""
    out: dict[str, int] = {}
    for folder in folders:
        try:
            out[folder] = os.stat(folder).st_mtime_ns
        except OSError:
            out[folder] = -1
    return out


# ---------------------------------------------------------------- recording reads

_reads: set[str] | None = None
_reader = 0  # the thread being recorded (the app loads content beside its UI thread)
_hooked = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Audit hook: note files opened for reading while a load is being recorded."""
    if _reads is None or event != "open" or _thread.get_ident() != _reader:
        return
    path, mode, flags = args
    if not isinstance(path, str):
        return
    reading = (mode is None or "r" in mode) and (
        mode is not None or flags & os.O_ACCMODE == os.O_RDONLY
    )
    if reading and not path.endswith((".py", ".pyc", ".so", ".pyd")):
        _reads.add(os.path.abspath(path))


@contextmanager
def recording() -> Iterator[set[str]]:
    """Collect the files opened for reading inside the block (besides Python code).

    Uses one process-wide audit hook, installed on first use; outside a recording
    it returns at once.
    """
    global _reads, _reader, _hooked
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked = True
    outer, outer_reader = _reads, _reader
    _reads, _reader = set(), _thread.get_ident()
    try:
        yield _reads
    finally:
        found, _reads, _reader = _reads, outer, outer_reader
        if outer is not None:
            outer.update(found)


def _dependencies(reads: Iterable[str]) -> dict[str, Stamp]:
    """Stamps of the files a load read, leaving out the cache itself and what is installed
    beside Python (dependencies' data, covered by `code_stamp`) but not trainer's own
    folder: an installed package's shipped content lives there."""
    prefixes: list[str | Path] = [sys.prefix, sys.base_prefix, cache_root()]
    skip = tuple(str(Path(p).resolve()) + os.sep for p in prefixes)
    own = str(Path(__file__).resolve().parents[1]) + os.sep
    out: dict[str, Stamp] = {}
    for path in sorted(reads):
        real = str(Path(path).resolve())
        if real.startswith(skip) and not real.startswith(own):
            continue
        found = stamp(path)
        if found is not None:
            out[path] = found
    return out


# ---------------------------------------------------------------- entries


def describe(reads: Iterable[str], also: Iterable[str] = ()) -> dict[str, Any]:
    """What an entry must still match to be used: the stamps of every file read and the
    times of the folders holding them and the files in ``also`` (found by a listing)."""
    files = _dependencies(reads)
    folders = {os.path.dirname(os.path.abspath(f)) for f in [*also, *files]}
    return {
        "format": FORMAT,
        "folders": folder_times(sorted(folders)),
        "files": {path: list(s) for path, s in files.items()},
    }


def still_valid(meta: Any) -> bool:
    """True when no file or folder an entry depends on (see `describe`) has changed."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        return False
    files, folders = meta.get("files"), meta.get("folders")
    if not isinstance(files, dict) or not isinstance(folders, dict):
        return False
    if folder_times(folders) != folders:
        return False
    for path, expected in files.items():
        found = stamp(path)
        if found is None or list(found) != expected:
            return False
    return True


def read_entry(key: str, suffix: str) -> bytes | None:
    """The bytes of one entry file, or None when it is missing or unsafe to trust."""
    if not enabled():
        return None
    folder = content_folder(create=False)
    if folder is None:
        return None
    path = folder / f"{key}{suffix}"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        if not _private(os.fstat(fd), stat.S_ISREG):
            return None
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            return handle.read()
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)


def write_entry(key: str, suffix: str, data: bytes) -> None:
    """Write one entry file atomically with mode 0600 (best effort: errors are ignored)."""
    if not enabled():
        return
    folder = content_folder(create=True)
    if folder is None:
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, folder / f"{key}{suffix}")
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return
    _prune(folder)


def _prune(folder: Path) -> None:
    """Keep the newest `KEEP` entries (each is one .json and one .pickle file)."""
    try:
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    except OSError:
        return
    for old in entries[:-KEEP]:
        for suffix in (".json", ".pickle"):
            with suppress(OSError):
                old.with_suffix(suffix).unlink()


def save(key: str, meta: dict[str, Any], objects: Any, summary: Any = None) -> None:
    """Store one load: ``objects`` pickled, ``meta`` (see `describe`) and ``summary`` in JSON.

    The two files share a stamp, so a reader never pairs the JSON of one load with the
    pickle of another. ``objects`` None stores the JSON side alone (a later full load
    adds the pickle); objects that cannot be pickled are simply not cached.
    """
    import pickle

    if not enabled():
        return
    stamp = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()
    entry = {"meta": meta, "stamp": stamp, "summary": summary}
    if objects is not None:
        try:
            blob = pickle.dumps((stamp, objects), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return
        write_entry(key, ".pickle", blob)
    write_entry(key, ".json", json.dumps(entry, ensure_ascii=False).encode())


def entry(key: str) -> dict[str, Any] | None:
    """The JSON side of an entry whose files and folders are unchanged, else None.

    The caller checks what else the load depended on (``meta``) and reads ``summary``
    defensively: the file may be damaged.
    """
    data = read_entry(key, ".json")
    if data is None:
        return None
    try:
        found = json.loads(data)
    except ValueError:
        return None
    if not isinstance(found, dict) or not isinstance(found.get("stamp"), str):
        return None
    if not still_valid(found.get("meta")):
        return None
    return found


def objects(key: str, found: dict[str, Any]) -> Any:
    """The pickled objects of an entry `entry` returned, or None (missing, damaged, stale)."""
    import pickle

    data = read_entry(key, ".pickle")
    if data is None:
        return None
    try:
        with paused():  # a content set is ~10^5 objects, all kept
            stamp, loaded = pickle.loads(data)
    except Exception:  # truncated, or written by other code: the caller loads afresh
        return None
    return loaded if stamp == found["stamp"] else None
