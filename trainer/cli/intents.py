"""``trainer intents learn``: rebuild the learned example lines of move recognition.

Reads ``training/recogniser/<locale>.*.jsonl`` (labelled agent lines) and writes
``content/dialogues/<locale>/intents/learned.yaml`` (kind ``examples``) for every
locale that has data. ``--check`` writes nothing and exits 1 when a shipped file
differs from what the data gives (CI uses it). Exit 2 on bad data or paths.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trainer.cli.util import guard


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``intents learn``."""
    intents = subparsers.add_parser("intents", help="move recognition: learn from labelled lines")
    sub = intents.add_subparsers(dest="action", metavar="ACTION")
    learn = sub.add_parser(
        "learn",
        help="rebuild learned example lines from training/recogniser/",
        description="Rebuild content/dialogues/<locale>/intents/learned.yaml from labelled "
        "agent lines. Exit 0 done (or up to date with --check), 1 out of date, 2 bad input.",
    )
    learn.add_argument(
        "--data", metavar="DIR", help="labelled lines (default: training/recogniser)"
    )
    learn.add_argument("--content", metavar="DIR", help="content folder (default: the shipped one)")
    learn.add_argument("--check", action="store_true", help="only report files that are stale")
    learn.set_defaults(handler=guard(run_learn, _errors))
    intents.set_defaults(handler=lambda args: _usage(intents))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _errors() -> tuple[type[BaseException], ...]:
    from trainer.training.recognition import DataError

    return (DataError,)


def run_learn(args: argparse.Namespace) -> int:
    """Build (or check) every locale's learned examples."""
    from trainer.cli.util import UsageError
    from trainer.paths import content_root
    from trainer.services.content import load_content
    from trainer.training.recognition import build, data_files

    content_dir = Path(args.content) if args.content else content_root()
    root = content_dir.resolve().parents[1]
    data = Path(args.data) if args.data else root / "training" / "recogniser"
    if not data.is_dir():
        raise UsageError(f"{data}: no such folder of labelled lines (use --data DIR)")
    content, _ = load_content([content_dir])
    stale = 0
    for locale in sorted(content.intents):
        if not data_files(data, locale):
            continue
        text = build(data, locale, set(content.intents[locale]), root)
        target = content_dir / locale / "intents" / "learned.yaml"
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if args.check:
            if current != text:
                stale += 1
                sys.stdout.write(f"{target}: out of date; run 'trainer intents learn'\n")
            continue
        if current != text:
            target.write_text(text, encoding="utf-8")
            sys.stdout.write(f"wrote {target}\n")
        else:
            sys.stdout.write(f"{target}: up to date\n")
    return 1 if stale else 0
