"""Where things live: the shipped content and the trainee's home folder."""

from __future__ import annotations

import os
from pathlib import Path


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
