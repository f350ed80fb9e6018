"""Where things live: the shipped content and the trainee's home folder."""

from __future__ import annotations

import os
from pathlib import Path

#: The approvals ledger of a content folder (`trainer.approvals.ledger`): it lives among
#: the content but is neither content nor a transcript, so folder walks skip it.
LEDGER_NAME = "approvals.jsonl"


def content_root() -> Path:
    """The shipped ``content/dialogues`` folder.

    In a wheel the content is force-included as ``trainer/content``; in a source
    checkout (editable install, tests) it is ``content/`` beside the package.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "content" / "dialogues", here.parent / "content" / "dialogues"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("shipped content not found (content/dialogues)")


def shipped_libraries() -> list[Path]:
    """The shipped libraries of every locale without their scenarios: personas, intents,
    approved wording and scorecards (``content/dialogues/<locale>/*`` but ``scenarios/``).

    A content pack of its own loads them beside its folder (``--shipped-libraries``), so
    its scenarios can name the shipped intents and personas without copying them.
    """
    root = content_root()
    return sorted(
        entry
        for locale in root.iterdir()
        if locale.is_dir() and (locale / "scenarios").is_dir()
        for entry in locale.iterdir()
        if entry.name != "scenarios" and not entry.name.startswith(".")
    )


def home_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The trainee's data folder: ``--home``, else ``$TRAINER_HOME``, else the user data dir.

    It holds the session database and the trainee's settings. Created on demand.
    """
    if override:
        path = Path(override)
    elif os.environ.get("TRAINER_HOME"):
        path = Path(os.environ["TRAINER_HOME"])
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("trainer", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def regular_file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as an input file, or None when it can.

    A FIFO, a device (``/dev/zero``) or a folder named like an input would block or
    never end a read; every opener of user-supplied files asks here first.
    """
    import stat

    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, device or folder)"
    return None
