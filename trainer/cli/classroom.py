"""CLI: ``class`` (create, add, list, status), ``assign`` and ``assignments`` — the
instructor's classes and the trainee's assigned calls.

Everything lives in the session store (``--store URL`` or ``$TRAINER_STORE``; a
shared PostgreSQL server for a room of machines, or one SQLite file). Whoever can
open the store directly is its administrator (the instructor at the front); each
member gets a personal sign-in token, printed once, with which ``trainer play
--token`` and ``trainer assignments --token`` see only that trainee's sessions.
Exit codes: 0 done, 2 bad usage or a store error (one line).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from trainer.cli.util import UsageError, guard, iso_date, whole_number

if TYPE_CHECKING:
    from trainer.records.classroom import Member
    from trainer.records.sqlbase import SqlStore


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``class``, ``assign`` and ``assignments`` to the ``trainer`` parser."""
    klass = subparsers.add_parser(
        "class",
        help="classes of trainees: create, add, list, status",
        description="Classes of trainees and instructors, each with a personal sign-in"
        " token (shown once, stored only as a digest).",
    )
    actions = klass.add_subparsers(dest="class_command", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create", help="create a class (and its first members)", description="Create a class."
    )
    create.add_argument("name", metavar="CLASS")
    _members(create)
    create.set_defaults(handler=guard(cmd_create, _expected))
    add = actions.add_parser(
        "add",
        help="add members, or give a member a new token",
        description="Add trainees or instructors to a class and print their sign-in tokens;"
        " naming an existing member gives them a new token (the old one stops working).",
    )
    add.add_argument("name", metavar="CLASS")
    _members(add)
    add.set_defaults(handler=guard(cmd_add, _expected))
    listing = actions.add_parser("list", help="the classes", description="Every class.")
    listing.set_defaults(handler=guard(cmd_list, _expected))
    status = actions.add_parser(
        "status",
        help="each trainee on each assignment",
        description="Per trainee and assignment: state (passed, failed, in progress, not"
        " started, overdue), attempts, best score, last session, most frequent findings.",
    )
    status.add_argument("name", metavar="CLASS")
    status.add_argument("--format", choices=("text", "json", "csv"), default="text")
    status.add_argument("--content", metavar="DIR", help="content folder instead of the shipped")
    status.set_defaults(handler=guard(cmd_status, _expected))

    assign = subparsers.add_parser(
        "assign",
        help="assign a scenario to a class",
        description="Give a class a scenario to practise, with a due date and a pass mark.",
    )
    assign.add_argument("scenario", metavar="SCENARIO")
    assign.add_argument("--class", dest="class_name", metavar="CLASS", required=True)
    assign.add_argument("--due", metavar="DATE", help="due date, YYYY-MM-DD")
    assign.add_argument(
        "--pass-mark",
        type=whole_number(0, 100),
        metavar="N",
        help="score needed to pass (default: the scenario's scorecard)",
    )
    assign.add_argument("--content", metavar="DIR", help="content folder instead of the shipped")
    assign.set_defaults(handler=guard(cmd_assign, _expected))

    mine = subparsers.add_parser(
        "assignments",
        help="a signed-in trainee's assignments and where they stand",
        description="The assignments of the trainee the token belongs to, with status.",
    )
    mine.add_argument("--token", metavar="TOKEN", help="sign-in token (default: $TRAINER_TOKEN)")
    mine.add_argument("--format", choices=("text", "json"), default="text")
    mine.add_argument("--content", metavar="DIR", help="content folder instead of the shipped")
    mine.set_defaults(handler=guard(cmd_assignments, _expected))


def _members(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trainee", metavar="NAME", action="append", default=[], help="a trainee (repeatable)"
    )
    parser.add_argument(
        "--instructor", metavar="NAME", action="append", default=[], help="an instructor"
    )


def _expected() -> tuple[type[BaseException], ...]:
    from trainer.records import StoreError

    return (StoreError,)


def _open(args: argparse.Namespace) -> SqlStore:
    from trainer.records.stores import open_store

    return open_store(getattr(args, "store", None), getattr(args, "home", None))


def _issue(store: SqlStore, args: argparse.Namespace) -> int:
    """Add the members named on the command line and print each one's token."""
    from trainer.safetext import visible

    named = [(n, "instructor") for n in args.instructor] + [(n, "trainee") for n in args.trainee]
    for name, role in named:
        token = store.add_member(args.name, name, role)  # type: ignore[arg-type]
        sys.stdout.write(f"{visible(name.strip())}\t{role}\t{token}\n")
    if named:
        sys.stderr.write(
            "each token is shown once: hand it to its owner (trainer play --token TOKEN)\n"
        )
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    """``trainer class create CLASS``: a new class, with any members named."""
    with _open(args) as store:
        args.name = store.create_class(args.name)
        sys.stderr.write(f"class {args.name} created\n")
        return _issue(store, args)


def cmd_add(args: argparse.Namespace) -> int:
    """``trainer class add CLASS --trainee NAME``: members and their new tokens."""
    if not args.trainee and not args.instructor:
        raise UsageError("name someone to add: --trainee NAME or --instructor NAME")
    with _open(args) as store:
        return _issue(store, args)


def cmd_list(args: argparse.Namespace) -> int:
    """``trainer class list``: every class with its members and assignments."""
    with _open(args) as store:
        rows = store.classes()
    if not rows:
        sys.stdout.write("no classes (create one with: trainer class create NAME)\n")
    for name, members, work in rows:
        sys.stdout.write(f"{name}\t{members} members\t{work} assignments\n")
    return 0


def _scorer(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from trainer.cli.records import _content
    from trainer.scoring.saved import Scorer

    return Scorer(_content(args))


def cmd_status(args: argparse.Namespace) -> int:
    """``trainer class status CLASS``: each trainee on each assignment."""
    from trainer.services.classroom import class_standings, to_csv

    scorer = _scorer(args)
    with _open(args) as store:
        rows = class_standings(store, args.name, scorer)
    if args.format == "json":
        sys.stdout.write(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
    elif args.format == "csv":
        sys.stdout.write(to_csv(rows))
    elif not rows:
        sys.stdout.write(f"class {args.name}: no assignments or no trainees yet\n")
    else:
        _table(rows)
    return 0


def _table(rows: list) -> None:  # type: ignore[type-arg]
    from trainer.cli.util import display_width, pad

    width = max(12, *(display_width(r.trainee) for r in rows))
    for r in rows:
        score = "  -" if r.best_score is None else f"{r.best_score:3d}"
        found = ", ".join(f"{c}×{n}" for c, n in r.findings)
        sys.stdout.write(
            f"{r.assignment.id}  {pad(r.assignment.scenario_id, 28)} {pad(r.trainee, width)}"
            f" {pad(r.state, 11)} {score}  {r.attempts} tries  {r.last_session or '-'}"
            f"{'  ' + found if found else ''}\n"
        )


def cmd_assign(args: argparse.Namespace) -> int:
    """``trainer assign SCENARIO --class C``: give a class a scenario to practise."""
    from trainer.cli.records import _content

    due = iso_date(args.due, "--due")
    scenarios = _content(args).scenarios
    if args.scenario not in scenarios:
        raise UsageError(f"no scenario {args.scenario!r} in the content (trainer list shows them)")
    with _open(args) as store:
        made = store.create_assignment(
            args.class_name, args.scenario, due=due, pass_mark=args.pass_mark
        )
    sys.stdout.write(
        f"assignment {made.id}: {made.scenario_id} for class {made.class_name}"
        f"{f', due {made.due}' if made.due else ''}"
        f"{f', pass mark {made.pass_mark}' if made.pass_mark is not None else ''}\n"
    )
    return 0


def signed_in(store: SqlStore, token: str | None) -> Member:
    """The member a token (or ``$TRAINER_TOKEN``) belongs to; UsageError when none."""
    import os

    token = token or os.environ.get("TRAINER_TOKEN")
    if not token:
        raise UsageError("sign in with --token TOKEN (or $TRAINER_TOKEN)")
    member = store.member_for_token(token)
    if member is None:
        raise UsageError("the sign-in token is not valid (ask the instructor for a new one)")
    return member


def cmd_assignments(args: argparse.Namespace) -> int:
    """``trainer assignments --token T``: my assignments and where I stand."""
    from trainer.records.classroom import TraineeStore
    from trainer.services.classroom import standing

    scorer = _scorer(args)
    with _open(args) as store:
        member = signed_in(store, args.token)
        mine = TraineeStore(store, member.name)
        rows = [
            standing(a, member.name, mine, scorer) for a in store.assignments(member.class_name)
        ]
    if args.format == "json":
        sys.stdout.write(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
        return 0
    sys.stdout.write(f"{member.name} ({member.class_name})\n")
    if not rows:
        sys.stdout.write("no assignments yet\n")
    for r in rows:
        due = f"due {r.assignment.due}" if r.assignment.due else "no due date"
        score = "" if r.best_score is None else f", best {r.best_score}"
        sys.stdout.write(
            f"  {r.assignment.scenario_id}  ({due}): {r.state}{score}"
            f" — trainer play {r.assignment.scenario_id} --token …\n"
        )
    return 0
