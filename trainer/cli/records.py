"""CLI: ``debrief``, ``history``, ``report``, ``regrade``, ``export`` and ``import`` —
the record of trainees' calls.

All read the session store: ``--store URL`` (or ``$TRAINER_STORE``), else the SQLite
file in the ``--home`` folder. Nothing heavy is
imported at module level. Exit codes: 0 success, 1 ``regrade --exit-code``
found changes, 2 bad usage or unreadable input (one line, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.cli.util import Handler, UsageError, guard, iso_date, whole_number

if TYPE_CHECKING:
    from trainer.records import SessionRecord
    from trainer.records.sqlbase import SqlStore as Store
    from trainer.scenarios.loader import ContentSet
    from trainer.scoring.model import Scorecard


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the store's sub-commands to the ``trainer`` parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--content", metavar="DIR", help="content folder to use instead of the shipped content"
    )

    debrief = subparsers.add_parser(
        "debrief",
        parents=[common],
        help="score a saved call and show what earned it",
        description="The debrief of a saved session: score, pass/fail, each check with the"
        " turn that proves it, findings with better wording, missed moves.",
    )
    debrief.add_argument(
        "session", metavar="SESSION", help="session id (or a unique prefix, or 'last')"
    )
    debrief.add_argument("--format", choices=("text", "json", "html"), default="text")
    debrief.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    debrief.set_defaults(handler=_guard(cmd_debrief))

    history = subparsers.add_parser(
        "history",
        parents=[common],
        help="saved sessions with their scores",
        description="Saved sessions, newest first, with score and verdict.",
    )
    history.add_argument("--trainee", metavar="NAME")
    history.add_argument("--limit", type=whole_number(1, 10**9), default=None, metavar="N")
    history.add_argument("--format", choices=("text", "json"), default="text")
    history.set_defaults(handler=_guard(cmd_history))

    report = subparsers.add_parser(
        "report",
        parents=[common],
        help="cohort report: per trainee and per scenario",
        description="Attempts, best and latest score, pass rate and most frequent finding"
        " categories per trainee and per scenario. A cohort is a saved list of"
        " trainees (--define-cohort NAME=alice,bob) or, when no cohort has that"
        " name, a trainee name pattern such as 'spring-*'.",
    )
    report.add_argument("--cohort", metavar="NAME", nargs="+", default=[])
    report.add_argument(
        "--since", metavar="DATE", help="sessions started on or after DATE (YYYY-MM-DD)"
    )
    report.add_argument("--format", choices=("csv", "json", "html"), default="csv")
    report.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    report.add_argument(
        "--define-cohort",
        metavar="NAME=T1,T2",
        action="append",
        default=[],
        help="save a cohort (repeatable); with no other output needed",
    )
    report.set_defaults(handler=_guard(cmd_report))

    regrade = subparsers.add_parser(
        "regrade",
        parents=[common],
        help="re-grade saved calls with current or given rules",
        description="Grade saved sessions again with the current (or a given) rulebook and"
        " scorecard and list every session whose findings or pass/fail verdict"
        " would change. Saved sessions are never modified.",
    )
    regrade.add_argument(
        "--rules",
        metavar="NAME|FILE",
        help="rulebook (default: the shipped one of each session's locale)",
    )
    regrade.add_argument(
        "--scorecard", metavar="ID|FILE", help="scorecard (default: each scenario's own)"
    )
    regrade.add_argument("--session", metavar="ID", nargs="+", default=[])
    regrade.add_argument("--trainee", metavar="NAME")
    regrade.add_argument("--format", choices=("text", "json"), default="text")
    regrade.add_argument(
        "--exit-code", action="store_true", help="exit 1 when some session would change"
    )
    regrade.set_defaults(handler=_guard(cmd_regrade))

    export = subparsers.add_parser(
        "export",
        parents=[common],
        help="export saved calls as audit-ready JSONL",
        description="Write sessions as JSONL in the transcript format of 'trainer audit'"
        " (one line per turn, with party, verified and time).",
    )
    export.add_argument("--session", metavar="ID", nargs="+", default=[])
    export.add_argument("--trainee", metavar="NAME")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default stdout)")
    export.set_defaults(handler=_guard(cmd_export))

    imp = subparsers.add_parser(
        "import",
        help="import sessions exported with 'trainer export'",
        description="Add the sessions of an export file to the session database.",
    )
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--replace", action="store_true", help="replace sessions that already exist")
    imp.set_defaults(handler=_guard(cmd_import))


def _expected() -> tuple[type[BaseException], ...]:
    """This area's own error types, imported only when an error happens."""
    from trainer.records import StoreError
    from trainer.services.transfer import TransferError

    return (StoreError, TransferError)


def _guard(handler: Handler) -> Handler:
    """Turn expected errors into one line on stderr and exit code 2; after the command,
    warn about every stored row a listing skipped (a damaged cell)."""

    def run(args: argparse.Namespace) -> int:
        try:
            return int(handler(args))
        finally:
            for store in _OPENED:
                for warning in dict.fromkeys(store.skipped):
                    sys.stderr.write(f"warning: {warning}\n")
            _OPENED.clear()

    run.__doc__ = handler.__doc__
    return guard(run, _expected)


#: Stores opened by the running command (their skipped-row warnings are shown at its end).
_OPENED: list[Store] = []


# ---------------------------------------------------------------- helpers


def _store(args: argparse.Namespace) -> Store:
    """The store ``--store`` (or $TRAINER_STORE) names, else the home folder's SQLite file."""
    from trainer.records.stores import open_store

    store = open_store(getattr(args, "store", None), getattr(args, "home", None))
    _OPENED.append(store)
    return store


def _content(args: argparse.Namespace) -> ContentSet:
    """The content (shipped, or --content) that sessions are scored against."""
    from trainer.diagnostics import ContentError
    from trainer.paths import content_root
    from trainer.services.content import load_content

    if getattr(args, "content", None):
        root = Path(args.content)
        if not root.exists():
            raise UsageError(f"{root}: no such content folder")
    else:
        root = content_root()
    key = (str(root.resolve()), _newest(root))
    cached = _CONTENT.get(key[0])
    if cached is not None and cached[0] == key[1]:
        return cached[1]
    content, diags = load_content([root])
    errors = [d for d in diags if d.severity == "error"]
    if errors and not content.scenarios:
        raise ContentError(errors)
    _CONTENT[key[0]] = (key[1], content)
    return content


#: Loaded content by folder, with the newest modification time of its files: a process
#: that runs several commands (tests, the TUI) loads unchanged content once.
_CONTENT: dict[str, tuple[float, ContentSet]] = {}


def _newest(root: Path) -> float:
    try:
        return max((p.stat().st_mtime for p in root.rglob("*.y*ml")), default=0.0)
    except OSError:
        return 0.0


def _write(args: argparse.Namespace, text: str) -> None:
    output = getattr(args, "output", None)
    if output:
        from trainer.safetext import write_file

        write_file(output, text)
        sys.stderr.write(f"wrote {output}\n")
    else:
        sys.stdout.write(text)


def _session_id(store: Store, ref: str) -> str:
    if ref == "last":
        rows = store.list_sessions(limit=1)
        if not rows:
            raise UsageError("no saved sessions")
        return rows[0].id
    return store.resolve_id(ref)


def _selected(store: Store, sessions: list[str], trainee: str | None) -> list[SessionRecord]:
    if sessions:
        return [store.load(_session_id(store, ref)) for ref in sessions]
    return list(reversed(store.list_sessions(trainee=trainee)))


# ---------------------------------------------------------------- commands


def cmd_debrief(args: argparse.Namespace) -> int:
    """``trainer debrief SESSION``: score a saved call and show what earned it."""
    from trainer.scoring.render import render_html, render_json, render_text
    from trainer.scoring.saved import Scorer

    with _store(args) as store:
        record = store.load(_session_id(store, args.session))
    scorer = Scorer(_content(args))
    debrief = scorer.debrief_so_far(record)
    if debrief is None:
        raise UsageError(f"session {record.id} cannot be scored: {scorer.reason(record.id)}")
    if not debrief.finished:
        sys.stderr.write(
            f"note: session {record.id} is unfinished; this debrief covers what was said so far"
            f" (continue with: trainer play --resume {record.id})\n"
        )
    if scorer.stale(record):
        sys.stderr.write(f"note: scenario '{record.scenario_id}' changed since this call\n")
    if args.format == "json":
        _write(args, render_json(debrief))
    elif args.format == "html":
        _write(args, render_html(debrief, record))
    else:
        _write(args, render_text(debrief, record))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """``trainer history``: saved sessions with scores, newest first."""
    import json

    from trainer.scoring.render import history_row
    from trainer.scoring.saved import Scorer

    scorer = Scorer(_content(args))
    with _store(args) as store:
        rows = [
            history_row(r, scorer.debrief(r, store))
            for r in store.list_sessions(trainee=args.trainee, limit=args.limit)
        ]
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    if not rows:
        sys.stdout.write("no saved sessions\n")
        return 0
    from trainer.cli.util import display_width, pad

    # Columns by display width, not characters: a Chinese name takes two columns a character.
    trainees = [row["trainee"] or "-" for row in rows]
    who_width = max(12, *(display_width(name) for name in trainees))
    what_width = max(28, *(display_width(row["scenario_id"]) for row in rows))
    for row, who in zip(rows, trainees, strict=True):
        score = "  -" if row["score"] is None else f"{row['score']:3d}"
        verdict = (
            ""
            if row["passed"] is None
            else "pass"
            if row["passed"]
            else "FAIL" + (" (critical)" if row["hard_fail"] else "")
        )
        sys.stdout.write(
            f"{row['id']}  {row['started_at'][:16].replace('T', ' ')}  "
            f"{pad(who, who_width)} {pad(row['scenario_id'], what_width)} {score}"
            f" {pad(verdict, 15)} {row['ending_id'] or row['status']}\n"
        )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``trainer report``: per-trainee and per-scenario summary as CSV, JSON or HTML."""
    import fnmatch
    import json

    from trainer.scoring.saved import Scorer
    from trainer.services.report import Report, to_csv, to_html, to_json

    since = iso_date(args.since, "--since")
    with _store(args) as store:
        for spec in args.define_cohort:
            name, sep, members = spec.partition("=")
            if not sep or not name.strip():
                raise UsageError(f"--define-cohort {spec!r}: write NAME=trainee1,trainee2")
            names = [m.strip() for m in members.split(",") if m.strip()]
            store.set_setting(f"cohort.{name.strip()}", json.dumps(names, ensure_ascii=False))
            sys.stderr.write(f"cohort {name.strip()}: {', '.join(names) or '(empty)'}\n")
        if args.define_cohort and not args.cohort and not args.output and not args.since:
            return 0
        patterns: list[str] = []
        for cohort in args.cohort:
            saved = store.get_setting(f"cohort.{cohort}")
            patterns += json.loads(saved) if saved else [cohort]
        scorer = Scorer(_content(args))
        report = Report(filters={"cohort": list(args.cohort), "since": since})
        for record in reversed(store.list_sessions(since=since)):
            if patterns and not any(fnmatch.fnmatchcase(record.trainee, p) for p in patterns):
                continue
            scenario = scorer.scenario(record)
            report.add(record, scorer.debrief(record, store), scenario.title if scenario else "")
    render = {"csv": to_csv, "json": to_json, "html": to_html}[args.format]
    _write(args, render(report))
    return 0


def cmd_regrade(args: argparse.Namespace) -> int:
    """``trainer regrade``: list sessions whose verdict would change under other rules."""
    import json

    from trainer.services.regrade import format_text, regrade

    content = _content(args)
    rulebook = None
    if args.rules:
        from trainer.services.rulebooks import load_rulebook

        rulebook = load_rulebook(args.rules)
    card = _scorecard(args.scorecard, content) if args.scorecard else None
    with _store(args) as store:
        records = _selected(store, args.session, args.trainee)
        result = regrade(store, content, records, rulebook=rulebook, scorecard=card)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        label = (
            f"rulebook {rulebook.id} {rulebook.version}" if rulebook else "current rulebooks"
        ) + (f", scorecard {card.id}" if card else "")
        sys.stdout.write(format_text(result, label))
    return 1 if args.exit_code and result.changes else 0


def _scorecard(ref: str, content: ContentSet) -> Scorecard:
    """A scorecard by id (content or shipped) or from a file, with extends resolved."""
    from trainer.diagnostics import ContentError, Diagnostic
    from trainer.scenarios.loader import parse_file
    from trainer.scoring.detectors import compile_detect
    from trainer.scoring.model import Scorecard, cards_in, resolve

    pool = {card.id: card for card in cards_in(content)}
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        loaded, diags = parse_file(path)
        if loaded is None or not isinstance(loaded.obj, Scorecard):
            raise ContentError(
                diags or [Diagnostic(str(path), 1, 1, "C800", "not a kind: scorecard file")]
            )
        card: Scorecard = loaded.obj
        problems = []
        for i, check in enumerate(card.checks):
            for key in ("detect", "only_if"):
                raw = getattr(check, key)
                if raw is not None:
                    problems += [
                        loaded.doc.diag(("checks", i, key, *rel), code, msg, hint)
                        for rel, code, msg, hint in compile_detect(raw)[1]
                    ]
        if problems:
            raise ContentError(problems)
    elif ref in pool:
        card = pool[ref]
    else:
        raise UsageError(f"no scorecard '{ref}' (scorecards: {', '.join(sorted(pool))})")
    try:
        return resolve(card, pool)
    except LookupError as exc:
        raise UsageError(str(exc)) from None


def cmd_export(args: argparse.Namespace) -> int:
    """``trainer export``: sessions as JSONL in the audit transcript format."""
    import io

    from trainer.services.transfer import write_jsonl

    content = _content(args)
    with _store(args) as store:
        records = [
            store.load(r.id) if not r.turns else r
            for r in _selected(store, args.session, args.trainee)
        ]
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            lines = write_jsonl(records, content, out)
        sys.stderr.write(f"wrote {len(records)} sessions ({lines} lines) to {args.output}\n")
    else:
        buffer = io.StringIO()
        write_jsonl(records, content, buffer)
        sys.stdout.write(buffer.getvalue())
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """``trainer import FILE``: add exported sessions to the database."""
    from trainer.services.transfer import read_jsonl

    records = read_jsonl(Path(args.file))
    with _store(args) as store:
        store.import_records(records, replace_existing=args.replace)  # all or nothing
    sys.stderr.write(f"imported {len(records)} sessions\n")
    return 0
