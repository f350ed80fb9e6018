"""The ``trainer tui`` command, also what plain ``trainer`` runs on a terminal.

Nothing heavy is imported here: Textual and the content load only inside the
handler, so ``trainer --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainer.tui.app import TrainerApp


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``tui`` to the ``trainer`` command."""
    parser = subparsers.add_parser(
        "tui",
        help="open the trainee app (the default when no command is given)",
        description="Practise calls with live coaching, read debriefs, see your progress.",
    )
    parser.add_argument(
        "--content",
        type=Path,
        action="append",
        metavar="PATH",
        help="content folder or file to use instead of the shipped content (repeatable)",
    )
    parser.add_argument(
        "--shipped-libraries",
        action="store_true",
        help="with --content: also load the shipped personas, intents, wording and"
        " scorecards (not their scenarios), so the pack can use them without copying",
    )
    parser.add_argument(
        "--language",
        choices=("zh-CN", "en"),
        help="interface language (default: the one remembered, else zh-CN)",
    )
    parser.add_argument(
        "--require-approval",
        action="store_true",
        help="refuse to open when a line a trainee can reach is not approved in the "
        "content's ledger (also $TRAINER_REQUIRE_APPROVAL=1)",
    )
    parser.add_argument(
        "--token",
        metavar="TOKEN",
        help="sign in as a class member: their own sessions only (default: $TRAINER_TOKEN)",
    )
    parser.set_defaults(handler=run)


def default_handler(args: argparse.Namespace) -> int:
    """``trainer`` without a command: the app on a terminal, else a short usage note."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        sys.stderr.write(
            "trainer: no command given and not on a terminal;"
            " run 'trainer --help' to see the commands\n"
        )
        return 2
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Load the content, open the store and run the app until the trainee quits."""
    from trainer.diagnostics import ContentError
    from trainer.records import StoreError

    content = list(getattr(args, "content", None) or [])
    for path in content:
        if not path.exists():
            sys.stderr.write(f"{path}:1:1: error Y100: no such file or folder\n")
            return 2
    if content and getattr(args, "shipped_libraries", False):
        from trainer.paths import shipped_libraries

        content += shipped_libraries()
    if (
        getattr(args, "require_approval", False)
        or os.environ.get("TRAINER_REQUIRE_APPROVAL") == "1"
    ):
        refused = _unapproved(content)
        if refused is not None:
            return refused
    try:
        from trainer.tui.app import make_app

        app = make_app(
            getattr(args, "home", None),
            content_paths=content or None,
            language=getattr(args, "language", None),
            store_url=getattr(args, "store", None),
            token=getattr(args, "token", None) or os.environ.get("TRAINER_TOKEN"),
        )
    except (ContentError, StoreError, OSError) as exc:
        sys.stderr.write(f"trainer: {exc}\n")
        return 2
    if content:  # an instructor's own content: check it before opening the app
        return _run_checked(app)
    app.run()
    return 0


def _unapproved(content: list[Path]) -> int | None:
    """The exit code when the content may not be opened (unapproved lines, a ledger that
    cannot be used), after saying why; None when every reachable line is approved."""
    from trainer.services.approvals import approval_gate

    found, problem = approval_gate(content)
    if problem is not None:
        sys.stderr.write(f"trainer: {problem}\n")
        return 2
    if not found:
        return None
    for diagnostic in found[:10]:
        sys.stderr.write(diagnostic.format() + "\n")
    sys.stderr.write(
        f"trainer: {len(found)} line(s) a trainee would see are not approved; the app"
        " refuses unapproved content (see 'trainer approvals status')\n"
    )
    return 1


def _run_checked(app: TrainerApp) -> int:
    """Run the app on given content only when it has scenarios; else print why not."""
    errors = [d for d in app.backend.diagnostics if d.severity == "error"]
    if not app.backend.content.scenarios:
        for diagnostic in errors[:10]:
            sys.stderr.write(diagnostic.format() + "\n")
        sys.stderr.write(
            "trainer: no scenario could be loaded; fix the content"
            " ('trainer validate') and try again\n"
        )
        return 1 if errors else 2
    app.run()
    return 0
