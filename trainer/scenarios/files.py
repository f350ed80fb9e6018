"""Finding content files: discovery, display names and context folders.

Kept apart from the loader (which needs pydantic and the content models) so that
the content cache can name and fingerprint the files a load would read without
importing anything heavy: a warm ``trainer list`` must not pay for pydantic.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from trainer.diagnostics import Diagnostic

MAX_FILES = 2_000
MAX_ENTRIES = 100_000
YAML_SUFFIXES = (".yaml", ".yml")


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """YAML files under the given files/folders, sorted; unreadable paths are diagnostics.

    Hidden files and folders are skipped and symlinked folders are not followed.
    A folder with more than `MAX_FILES` YAML files (or `MAX_ENTRIES` entries in
    all) is refused whole with one Y109 diagnostic instead of a flood of output.
    """
    found: list[Path] = []
    problems: list[Diagnostic] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_file():
            batch = [path]
        elif path.is_dir():
            batch, problem = _walk(path)
            if problem is not None:
                problems.append(problem)
                continue
        else:
            problems.append(
                Diagnostic(str(path), 1, 1, "Y100", "no such file or folder", "check the path")
            )
            continue
        for item in batch:
            key = item.resolve()
            if key not in seen:
                seen.add(key)
                found.append(item)
    return found, problems


def _walk(root: Path) -> tuple[list[Path], Diagnostic | None]:
    """The YAML files under one folder, or a Y109 diagnostic when it is too big."""
    found: list[Path] = []
    entries = 0
    unreadable: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable.append):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        entries += len(dirnames) + len(filenames)
        if entries > MAX_ENTRIES:
            return [], Diagnostic(
                str(root),
                1,
                1,
                "Y109",
                f"folder has more than {MAX_ENTRIES} files and folders",
                "validate a smaller folder",
            )
        for name in sorted(filenames):
            if name.endswith(YAML_SUFFIXES) and not name.startswith("."):
                found.append(Path(dirpath) / name)
        if len(found) > MAX_FILES:
            return [], Diagnostic(
                str(root),
                1,
                1,
                "Y109",
                f"folder has more than {MAX_FILES} YAML files",
                "validate a smaller folder",
            )
    if unreadable and not found:
        return [], Diagnostic(
            str(root),
            1,
            1,
            "Y100",
            f"cannot read folder: {unreadable[0].strerror}",
            "check the path and permissions",
        )
    return found, None


def context_for(paths: Iterable[Path], limit: int = 6) -> list[Path]:
    """Folders that give single files their references: the nearest locale folder.

    A scenario refers to personas and intents kept elsewhere in its content
    tree. For each path this finds the nearest ancestor (at most ``limit``
    levels up) that has a ``personas`` or ``intents`` folder, e.g.
    ``content/dialogues/zh-CN`` for a scenario under ``zh-CN/scenarios/``.
    """
    found: list[Path] = []
    for path in paths:
        here = path.resolve()
        here = here if here.is_dir() else here.parent
        for candidate in [here, *here.parents][: limit + 1]:
            if (candidate / "personas").is_dir() or (candidate / "intents").is_dir():
                if candidate not in found:
                    found.append(candidate)
                break
    return found


def display_name(path: Path, roots: list[Path]) -> str:
    """A short, stable name for diagnostics: relative to the cwd when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
