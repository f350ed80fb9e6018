"""CLI of compliance sign-off: ``trainer approvals status|sign|report|verify``.

A thin layer over `trainer.services.approvals`: it parses arguments, prints and picks
the exit code. Exit codes: 0 nothing pending (status), signed, written or verified;
1 lines await review, a sign-off was refused (serious findings without
``--override``) or a seal does not verify; 2 bad usage, a missing path, a damaged or
tampered ledger, or a rulebook that does not load.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainer.services.approvals import Review


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``approvals`` to the ``trainer`` command."""
    parser = subparsers.add_parser(
        "approvals",
        help="compliance sign-off: status, sign, report, verify",
        description="Who approved which taught lines, and what changed since. The ledger is "
        "approvals.jsonl in the content folder (hash-chained; optionally sealed with SSH).",
    )
    sub = parser.add_subparsers(dest="approvals_command", metavar="ACTION")

    status = sub.add_parser(
        "status",
        help="lines that are new, changed or removed since their approval, or whose "
        "findings differ under the current rules",
    )
    _common(status)
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.set_defaults(handler=run_status)

    sign = sub.add_parser("sign", help="approve every pending line under the paths")
    _common(sign)
    sign.add_argument("--reviewer", required=True, metavar="NAME", help="who reviewed the lines")
    sign.add_argument("--note", default="", help="why or how they were reviewed")
    sign.add_argument(
        "--override",
        metavar="REASON",
        help="approve lines with critical or major findings anyway, for this reason",
    )
    sign.add_argument(
        "--id",
        dest="ids",
        action="append",
        metavar="ID",
        help="sign only lines whose id is or starts with ID (repeatable)",
    )
    sign.add_argument("--ssh-key", type=Path, metavar="KEY", help="seal the ledger with this key")
    sign.add_argument(
        "--signer",
        metavar="PRINCIPAL",
        help="the key's principal in the allowed signers file (default: the reviewer)",
    )
    sign.set_defaults(handler=run_sign)

    report = sub.add_parser("report", help="the compliance book of every approved line")
    _common(report)
    report.add_argument("--format", choices=("html", "csv"), default="html")
    report.add_argument("-o", "--output", metavar="FILE", help="write the book to FILE")
    report.set_defaults(handler=run_report)

    verify = sub.add_parser("verify", help="check the ledger's hash chain and its SSH seals")
    verify.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    verify.add_argument("--ledger", type=Path, metavar="FILE", help="the ledger file to use")
    verify.add_argument(
        "--allowed-signers",
        type=Path,
        metavar="FILE",
        help="trusted keys, as for git (default: allowed_signers beside the ledger)",
    )
    verify.set_defaults(handler=run_verify)
    parser.set_defaults(handler=lambda args: _usage(parser))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="content files or folders (default: the shipped content)",
    )
    parser.add_argument(
        "--rules",
        metavar="NAME|FILE",
        help="grade with this rulebook instead of each locale's shipped one",
    )
    parser.add_argument(
        "--ledger", type=Path, metavar="FILE", help="the ledger file (default: found above PATH)"
    )


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    from trainer.scenarios.files import display_name

    return display_name(path, [])


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _open(args: argparse.Namespace, command: str) -> Review | None:
    """The review of the command's paths, or None after one line saying why not."""
    from trainer.approvals.ledger import LedgerError
    from trainer.diagnostics import ContentError
    from trainer.services.approvals import ReviewError, open_review

    try:
        review = open_review(args.paths, rules=args.rules, ledger=args.ledger)
    except (ReviewError, LedgerError) as exc:
        sys.stderr.write(f"trainer approvals {command}: {exc}\n")
        return None
    except ContentError as exc:
        sys.stderr.write(f"trainer approvals {command}: rulebook does not load: {exc}\n")
        return None
    if review.content_errors:
        sys.stderr.write(
            f"({len(review.content_errors)} content errors kept some files out:"
            " run 'trainer validate')\n"
        )
    return review


def run_status(args: argparse.Namespace) -> int:
    """Print every pending line; exit 1 when any."""
    review = _open(args, "status")
    if review is None:
        return 2
    pending = review.pending()
    counts = {s: 0 for s in ("approved", "new", "changed", "rules", "removed")}
    for status in review.statuses:
        counts[status.state] += 1
    if args.format == "json":
        json.dump(
            {
                "ledger": _shown(review.ledger),
                "counts": counts,
                "pending": [_status_json(s) for s in pending],
            },
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
        return 1 if pending else 0
    from trainer.approvals.review import describe

    for status in pending:
        line = status.line
        gone = review.root / status.id.split("#", 1)[0]
        where = f"{line.file}:{line.line}:{line.column}" if line else _shown(gone)
        reach = "" if line is None or line.reachable else " (unreachable)"
        sys.stdout.write(f"{where}: {status.state} {status.id}{reach}\n")
        sys.stdout.write(f"    {describe(status)}\n")
    sys.stdout.write(
        ", ".join(f"{n} {state}" for state, n in counts.items()) + f" ({_shown(review.ledger)})\n"
    )
    return 1 if pending else 0


def _status_json(status: object) -> dict[str, object]:
    from trainer.approvals.review import LineStatus, describe

    assert isinstance(status, LineStatus)
    line = status.line
    return {
        "state": status.state,
        "id": status.id,
        "file": line.file if line else None,
        "line": line.line if line else None,
        "column": line.column if line else None,
        "reachable": line.reachable if line else None,
        "text": line.text if line else status.entry.data.get("text") if status.entry else None,
        "diff": status.diff,
        "message": describe(status),
        "findings": [f"{f.rule} ({f.severity})" for f in status.findings],
        "signed_findings": [
            f"{f.get('rule')} ({f.get('severity')})" for f in status.signed_findings
        ],
    }


def run_sign(args: argparse.Namespace) -> int:
    """Approve the pending lines (all-or-nothing) and optionally seal the ledger."""
    from trainer.approvals.ledger import LedgerError, append, read_ledger
    from trainer.approvals.review import BLOCKING, Blocked, sign_entries

    reviewer = " ".join(args.reviewer.split())
    if not reviewer:
        sys.stderr.write("trainer approvals sign: --reviewer must name someone\n")
        return 2
    if args.override is not None and not args.override.strip():
        sys.stderr.write("trainer approvals sign: --override needs a reason\n")
        return 2
    review = _open(args, "sign")
    if review is None:
        return 2
    if review.content_errors:
        first = review.content_errors[0].format()
        sys.stderr.write(
            f"trainer approvals sign: nothing signed: some content does not load ({first});"
            " fix it first ('trainer validate')\n"
        )
        return 1
    chosen = [
        s
        for s in review.statuses
        if s.state != "approved" and (not args.ids or any(s.id.startswith(i) for i in args.ids))
    ]
    try:
        new = sign_entries(
            chosen,
            review.books,
            reviewer=reviewer,
            note=" ".join(args.note.split()),
            override=" ".join(args.override.split()) if args.override else None,
        )
    except Blocked as exc:
        for status in exc.lines:
            line = status.line
            assert line is not None
            serious = ", ".join(
                f"{f.rule} ({f.severity}: {f.match})"
                for f in status.findings
                if f.severity in BLOCKING
            )
            sys.stdout.write(
                f"{line.file}:{line.line}:{line.column}: error A904: {status.id} has {serious}"
                " — fix the line, or sign it with --override REASON\n"
            )
        sys.stderr.write("trainer approvals sign: nothing signed\n")
        return 1
    seal: Path | None = args.ssh_key
    if not new and (seal is None or not review.entries):
        sys.stdout.write(f"nothing to sign: every line is approved ({_shown(review.ledger)})\n")
        return 0
    try:
        written = append(review.ledger, review.entries, new) if new else []
    except LedgerError as exc:
        sys.stderr.write(f"trainer approvals sign: {exc}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(
            f"trainer approvals sign: {_shown(review.ledger)}: cannot write: {exc.strerror}\n"
        )
        return 2
    approved = sum(1 for e in written if e["action"] == "approve")
    withdrawn = len(written) - approved
    if written:
        sys.stdout.write(
            f"signed {approved} line(s), withdrew {withdrawn} removed, as {reviewer}"
            f" in {_shown(review.ledger)}\n"
        )
    if seal is not None:
        import datetime as dt

        from trainer.approvals.sshsig import SigningError
        from trainer.approvals.sshsig import seal as make_seal

        try:
            entries = read_ledger(review.ledger)
            sealed = make_seal(entries, seal, args.signer or reviewer)
            sealed["time"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            append(review.ledger, entries, [sealed])
        except (SigningError, LedgerError) as exc:
            sys.stderr.write(f"trainer approvals sign: not sealed: {exc}\n")
            return 2
        except OSError as exc:
            sys.stderr.write(f"trainer approvals sign: not sealed: cannot write: {exc.strerror}\n")
            return 2
        sys.stdout.write(f"sealed the ledger with {seal} as {args.signer or reviewer}\n")
    return 0


def run_report(args: argparse.Namespace) -> int:
    """Write the compliance book."""
    import datetime as dt

    from trainer.approvals.book import book_rows, render_csv, render_html

    review = _open(args, "report")
    if review is None:
        return 2
    rows = book_rows(review.statuses, review.books)
    if args.format == "csv":
        text = render_csv(rows)
    else:
        text = render_html(
            rows,
            pending=sum(1 for s in review.statuses if s.state in ("new", "changed")),
            removed=sum(1 for s in review.statuses if s.state == "removed"),
            head=review.entries[-1].digest if review.entries else "",
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    if args.output:
        from trainer.safetext import write_file

        try:
            write_file(args.output, text)
        except OSError as exc:
            sys.stderr.write(f"trainer approvals report: {args.output}: {exc.strerror}\n")
            return 2
        sys.stderr.write(f"{len(rows)} approved lines written to {args.output}\n")
    else:
        sys.stdout.write(text)
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Check the chain (exit 2 when broken) and every seal (exit 1 when one fails)."""
    from trainer.approvals.ledger import LedgerError, read_ledger
    from trainer.approvals.sshsig import ALLOWED_SIGNERS, SigningError, verify
    from trainer.paths import LEDGER_NAME
    from trainer.services.approvals import ReviewError, find_root

    try:
        root = find_root(args.paths, args.ledger)
        ledger = args.ledger or root / LEDGER_NAME
        entries = read_ledger(ledger)
    except (ReviewError, LedgerError) as exc:
        sys.stderr.write(f"trainer approvals verify: {exc}\n")
        return 2
    if not entries:
        sys.stderr.write(f"trainer approvals verify: {_shown(ledger)}: no ledger entries\n")
        return 2
    seals = [e for e in entries if e.action == "seal"]
    sys.stdout.write(f"{_shown(ledger)}: {len(entries)} entries, chain intact\n")
    if not seals:
        sys.stdout.write("no SSH seals to verify\n")
        return 0
    try:
        checks = verify(entries, args.allowed_signers or ledger.parent / ALLOWED_SIGNERS)
    except SigningError as exc:
        sys.stderr.write(f"trainer approvals verify: {exc}\n")
        return 2
    bad = 0
    for check in checks:
        mark = "good" if check.ok else "BAD"
        bad += not check.ok
        sys.stdout.write(
            f"{_shown(ledger)}:{check.entry.line}: {mark} seal by {check.entry.data.get('signer')}"
            f" — {check.detail}\n"
        )
    last_seal = max(int(e.data["seq"]) for e in seals)
    if len(entries) > last_seal:
        sys.stdout.write(f"{len(entries) - last_seal} entries after the last seal are not sealed\n")
    return 1 if bad else 0
