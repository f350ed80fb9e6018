"""CLI: ``play``, ``test``, ``explore`` and ``graph`` — the instructor's tools.

Nothing heavy is imported at module level (``transitions``, the recogniser and
the rulebook load inside the handlers), so ``trainer --help`` stays fast.
Exit codes: 0 success, 1 a failing golden transcript or incomplete coverage,
2 bad usage or unreadable input (one line per problem, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from trainer.cli.util import MAX_SEED, Handler, UsageError, guard, whole_number

if TYPE_CHECKING:
    from trainer.engine.events import Event
    from trainer.engine.session import Grader, Session
    from trainer.records.classroom import TraineeStore
    from trainer.records.sqlbase import SqlStore as Store
    from trainer.scenarios.loader import ContentSet, Loaded
    from trainer.scenarios.model import Scenario


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the engine's sub-commands to the ``trainer`` parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--content", metavar="DIR", help="content folder to use instead of the shipped content"
    )
    common.add_argument(
        "--shipped-libraries",
        action="store_true",
        help="with --content: also load the shipped personas, intents, wording and"
        " scorecards (not their scenarios), so the pack can use them without copying",
    )
    common.add_argument(
        "--rules",
        metavar="NAME|PATH",
        help="rulebook for grading (default: the scenario's locale; 'none' to switch grading off)",
    )

    play = subparsers.add_parser(
        "play",
        parents=[common],
        help="play a scenario in the terminal or from a script",
        description="Play a call. Without --script on a terminal: a line-by-line call"
        " (/options, /hint, /meters, /quit). With --script FILE (or - for stdin):"
        " one agent line per line (guided: option numbers), headless.",
    )
    play.add_argument(
        "scenario", metavar="SCENARIO", nargs="?", help="scenario id, or a path to a scenario file"
    )
    play.add_argument("--script", metavar="FILE|-", help="agent lines, one per line")
    play.add_argument("--guided", action="store_true", help="choose among numbered lines")
    play.add_argument(
        "--seed", type=whole_number(0, MAX_SEED), default=0, help="random seed (default 0)"
    )
    play.add_argument("--from", dest="from_node", metavar="NODE", help="start at this node")
    play.add_argument(
        "--set",
        dest="set_meters",
        metavar="METER=VALUE",
        action="append",
        default=[],
        help="start a meter at a value (repeatable)",
    )
    play.add_argument("--time", metavar="HH:MM", help="local time of the call")
    play.add_argument("--trainee", metavar="NAME", help="trainee name stored with the session")
    play.add_argument("--resume", metavar="ID", help="continue a saved session")
    play.add_argument("--no-save", action="store_true", help="do not save the session")
    play.add_argument(
        "--token",
        metavar="TOKEN",
        help="play as the class member this sign-in token belongs to: their sessions only"
        " (default: $TRAINER_TOKEN when set)",
    )
    play.add_argument("--format", choices=("text", "json"), default="text")
    play.set_defaults(handler=_guard(cmd_play))

    test = subparsers.add_parser(
        "test",
        parents=[common],
        help="run golden transcripts",
        description="Run the golden transcripts (*.golden.yaml) under PATH"
        " (default: the content folder).",
    )
    test.add_argument("path", metavar="PATH", nargs="?", help="golden file or folder")
    test.add_argument("--format", choices=("text", "json"), default="text")
    test.set_defaults(handler=_guard(cmd_test))

    explore = subparsers.add_parser(
        "explore",
        parents=[common],
        help="random playthroughs with coverage",
        description="Seeded random playthroughs speaking the intents' example lines;"
        " reports node, edge and ending coverage. Exit 1 if a node or"
        " ending was never reached.",
    )
    explore.add_argument("scenario", metavar="SCENARIO")
    explore.add_argument("--runs", type=whole_number(1, 1_000_000), default=200)
    explore.add_argument("--seed", type=whole_number(0, MAX_SEED), default=0)
    explore.add_argument("--format", choices=("text", "json"), default="text")
    explore.set_defaults(handler=_guard(cmd_explore))

    graph = subparsers.add_parser(
        "graph",
        parents=[common],
        help="draw a scenario as Mermaid or DOT",
        description="Print the dialogue tree with intents on the edges and endings marked.",
    )
    graph.add_argument("scenario", metavar="SCENARIO")
    graph.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    graph.set_defaults(handler=_guard(cmd_graph))


def _expected() -> tuple[type[BaseException], ...]:
    """This area's own error types, imported only when an error happens."""
    from trainer.engine.session import EngineError
    from trainer.records import StoreError

    return (EngineError, StoreError)


def _guard(handler: Handler) -> Handler:
    """Turn expected errors into one line on stderr and exit code 2."""
    return guard(handler, _expected)


# ---------------------------------------------------------------- loading


def _content_roots(args: argparse.Namespace) -> list[Path]:
    from trainer.paths import content_root, shipped_libraries

    if getattr(args, "content", None):
        root = Path(args.content)
        if not root.exists():
            raise UsageError(f"{root}: no such content folder")
        return [root, *(shipped_libraries() if args.shipped_libraries else [])]
    try:
        return [content_root()]
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None


def load_scenario(args: argparse.Namespace, ref: str) -> tuple[Scenario, ContentSet]:
    """The scenario named by id (in --content or the shipped content) or by file path."""
    from trainer.scenarios.loader import context_for
    from trainer.services.content import load_content

    roots = _content_roots(args)
    path = Path(ref)
    if ref.endswith((".yaml", ".yml")) or path.is_file():
        if not path.is_file():
            raise UsageError(f"{ref}: no such scenario file")
        content, diags = load_content([path], context=[*context_for([path]), *roots])
        ours = [d for d in diags if d.severity == "error"]
        if ours:
            from trainer.diagnostics import ContentError

            raise ContentError(ours)
        found = [
            s
            for s in content.scenarios.values()
            if (doc := content.sources.get(s.id)) is not None
            and Path(doc.file).resolve() == path.resolve()
        ]
        if not found:
            raise UsageError(f"{ref}: not a scenario file")
        return found[0], content
    content, diags = load_content(roots)
    scenario = content.scenarios.get(ref)
    if scenario is None:
        import difflib

        close = difflib.get_close_matches(ref, list(content.scenarios), n=1)
        hint = (
            f" — did you mean '{close[0]}'?"
            if close
            else (f" (known: {', '.join(sorted(content.scenarios)) or 'none'})")
        )
        raise UsageError(f"unknown scenario '{ref}'{hint}")
    source = content.sources.get(ref)
    errors = [
        d for d in diags if d.severity == "error" and source is not None and d.file == source.file
    ]
    from trainer.scenarios.lint import unsafe_patterns

    if not errors and unsafe_patterns(content, scenario):  # written in another file
        errors = [d for d in diags if d.code == "R312"]
    if errors:
        from trainer.diagnostics import ContentError

        raise ContentError(errors)
    return scenario, content


_GRADERS: dict[str, Any] = {}


def load_grader(args: argparse.Namespace, locale: str) -> Grader | None:
    """The rulebook for ``locale`` (or --rules); None when grading is off or unavailable."""
    choice = getattr(args, "rules", None)
    if choice and choice.lower() == "none":
        return None
    name = choice or locale
    if name in _GRADERS:
        return _GRADERS[name]  # type: ignore[no-any-return]
    from trainer.diagnostics import ContentError
    from trainer.services.rulebooks import load_rulebook

    try:
        grader = load_rulebook(name)
    except (FileNotFoundError, KeyError, LookupError) as exc:
        if choice:
            raise UsageError(f"rulebook {choice!r}: {exc}") from None
        sys.stderr.write(f"note: no rulebook for {locale}; lines are not checked\n")
        grader = None
    except ContentError as exc:
        if choice:
            raise
        sys.stderr.write(f"note: the {locale} rulebook has errors, lines are not checked: {exc}\n")
        grader = None
    _GRADERS[name] = grader
    return grader


def _meters(pairs: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = int(value)
        except ValueError:
            raise UsageError(f"--set {pair!r}: write METER=NUMBER, e.g. --set anger=70") from None
    return out


# ---------------------------------------------------------------- play


def cmd_play(args: argparse.Namespace) -> int:
    """``trainer play``: a call in the terminal or from a script."""
    from trainer.engine.session import Session
    from trainer.records.stores import open_store

    if not args.scenario and not args.resume:
        raise UsageError("name a SCENARIO (or --resume ID)")
    opened = None if args.no_save else open_store(getattr(args, "store", None), args.home)
    store: Store | TraineeStore | None = opened
    if opened is not None and (args.token or os.environ.get("TRAINER_TOKEN")):
        from trainer.cli.classroom import signed_in
        from trainer.records.classroom import TraineeStore

        try:
            member = signed_in(opened, args.token)
        except BaseException:
            opened.close()
            raise
        store = TraineeStore(opened, member.name)
        args.trainee = member.name
    try:
        if args.resume:
            if store is None:
                raise UsageError("--resume needs the session store (drop --no-save)")
            record = store.load(args.resume)
            scenario, content = load_scenario(args, args.scenario or record.scenario_id)
            session = Session.resume(
                store, record.id, content, load_grader(args, scenario.locale), scenario=scenario
            )
            if session.stale:
                sys.stderr.write("note: the scenario changed since this session was saved\n")
            if session.finished:
                raise UsageError(f"session {record.id} has already ended")
            opening: list[Event] = []
        else:
            scenario, content = load_scenario(args, args.scenario)
            trainee = (
                args.trainee
                if args.trainee is not None
                else (store.get_setting("name", "") if store is not None else "")
            )
            session = Session.new(
                scenario,
                content,
                seed=args.seed,
                mode="guided" if args.guided else "free",
                grader=load_grader(args, scenario.locale),
                store=store,
                trainee=trainee or "",
                call_time=args.time,
                from_node=args.from_node,
                meters=_meters(args.set_meters),
            )
            opening = session.start()
        if session.id is not None:
            where = f" in {store.path}" if store is not None else ""
            sys.stderr.write(f"session {session.id}{where}\n")
        script = args.script
        if script is None and not sys.stdin.isatty():
            script = "-"
        if script is None or args.format == "text":
            _print_briefing(scenario, session, sys.stdout)
        if script is None:
            return _interactive(session, opening)
        return _scripted(session, opening, script, args.format)
    finally:
        if store is not None:
            store.close()


#: The words ``trainer play`` prints around the call, in the scenario's language.
PLAY_WORDS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "intro": "输入您要说的话。命令:/options 选项 /hint 提示 /meters 状态 /quit 退出",
        "customer": "客户",
        "agent": "坐席",
        "prompt": "坐席> ",
        "ending": "通话结束",
        "good": "好结果",
        "bad": "坏结果",
        "unfinished": "(通话未结束:停在节点 {node})",
        "saved": "已保存。继续练习:trainer play --resume {id}",
        "no_options": "(这里没有可选的话术:请自己输入)",
        "hint": "提示",
        "why": "原因",
        "no_hint": "(这里没有提示)",
        "instead": "更好的说法",
    },
    "en-US": {
        "intro": "Type what you would say. Commands: /options /hint /meters /quit",
        "customer": "customer",
        "agent": "agent",
        "prompt": "agent> ",
        "ending": "ending",
        "good": "good",
        "bad": "bad",
        "unfinished": "(call not finished: at node {node})",
        "saved": "Saved. Continue with: trainer play --resume {id}",
        "no_options": "(no options here: type your line)",
        "hint": "hint",
        "why": "why",
        "no_hint": "(no hint here)",
        "instead": "instead",
    },
}


def play_words(locale: str) -> dict[str, str]:
    """`PLAY_WORDS` for ``locale`` (English when the locale has none)."""
    return PLAY_WORDS.get(locale, PLAY_WORDS["en-US"])


def _print_briefing(scenario: Scenario, session: Session, out: TextIO) -> None:
    """The account card and objectives, shared with the app's briefing screen, so the
    trainee knows who is called and for what before the debtor's first line."""
    from trainer.services.briefing import briefing_lines

    title = f"{scenario.title} ({scenario.id})"
    clock = session.call_time
    lines = briefing_lines(
        scenario.locale, scenario, clock.strftime("%H:%M") if clock is not None else None
    )
    out.write("\n".join([title, *lines]) + "\n\n")


def _script_lines(script: str) -> Iterator[tuple[int, str]]:
    """Numbered agent lines, read as they arrive (a pipe can feed a live call).

    Blank lines and lines starting with ``#`` are skipped.
    """
    try:
        stream = sys.stdin if script == "-" else open(script, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"{script}: cannot read script: {exc.strerror}") from None
    try:
        number = 0
        while True:
            try:
                raw = stream.readline()
            except UnicodeDecodeError:
                raise UsageError(f"{script}:{number + 1}: not UTF-8 text") from None
            if not raw:
                return
            number += 1
            line = raw.strip()
            if line and not line.startswith("#"):
                yield number, line
    finally:
        if stream is not sys.stdin:
            stream.close()


def _act(session: Session, line: str, where: str) -> list[Event]:
    """One script or terminal line: a choice number/intent in guided mode, else free text."""
    from trainer.engine.session import EngineError

    if session.mode == "guided":
        options = session.options()
        if line.isdigit():
            number = int(line)
            if not 1 <= number <= len(options):
                raise UsageError(
                    f"{where}: choice {number} is not between 1 and {len(options)}"
                    f" at node '{session.node}'"
                )
            return session.choose(number - 1)
        for index, option in enumerate(options):
            if option.intent == line:
                return session.choose(index)
        if options:
            raise UsageError(
                f"{where}: guided mode expects an option number 1-{len(options)}, got {line!r}"
            )
    try:
        return session.say(line)
    except EngineError as exc:
        raise UsageError(f"{where}: {exc}") from None


def _scripted(session: Session, opening: list[Event], script: str, fmt: str) -> int:
    out = sys.stdout
    if fmt == "text":
        _print_events(opening, session, out)
    for number, line in _script_lines(script):
        if session.finished:
            sys.stderr.write(f"{script}:{number}: the call has ended; remaining lines ignored\n")
            break
        events = _act(session, line, f"{script}:{number}")
        if fmt == "text":
            _print_events(events, session, out)
            out.flush()
    if fmt == "json":
        json.dump(session.to_json(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif not session.finished:
        out.write(play_words(session.scenario.locale)["unfinished"].format(node=session.node))
        out.write("\n")
    return 0


def _interactive(session: Session, opening: list[Event]) -> int:
    out = sys.stdout
    words = play_words(session.scenario.locale)
    out.write(words["intro"] + "\n")
    _print_events(opening, session, out)
    while not session.finished:
        if session.mode == "guided":
            _print_options(session, out)
        try:
            line = input(words["prompt"]).strip()
        except EOFError:
            line = "/quit"
        if not line:
            continue
        if line in ("/quit", "/q", "/exit"):
            if session.id is not None:
                out.write(words["saved"].format(id=session.id) + "\n")
            return 0
        if line == "/options":
            _print_options(session, out)
            continue
        if line == "/hint":
            hint = session.hint()
            out.write(
                f"  {words['hint']}: {hint.text}\n  {words['why']}: {hint.why}\n"
                if hint
                else f"  {words['no_hint']}\n"
            )
            continue
        if line == "/meters":
            out.write("  " + "  ".join(f"{k}={v}" for k, v in session.meters.items()) + "\n")
            continue
        try:
            events = _act(session, line, "input")
        except UsageError as exc:
            out.write(f"  {exc}\n")
            continue
        _print_events(events, session, out)
    return 0


def _print_options(session: Session, out: TextIO) -> None:
    options = session.options()
    if not options:
        out.write(f"  {play_words(session.scenario.locale)['no_options']}\n")
    for number, option in enumerate(options, start=1):
        out.write(f"  {number}. {option.text}\n")


def _print_events(events: list[Event], session: Session, out: TextIO) -> None:
    """Text rendering of a turn's events (the TUI renders the same events richly)."""
    from trainer.cli.util import display_width, pad
    from trainer.engine.events import (
        EndingEvent,
        FindingEvent,
        MeterEvent,
        RecognitionEvent,
        TurnEvent,
    )
    from trainer.scoring.render import outcome_label

    locale = session.scenario.locale
    words = play_words(locale)
    width = max(display_width(words["customer"]), display_width(words["agent"]))
    meters: list[str] = []
    for event in events:
        if isinstance(event, TurnEvent):
            if meters:
                out.write("        " + ", ".join(meters) + "\n")
                meters = []
            who = pad(words["customer"] if event.speaker == "customer" else words["agent"], width)
            out.write(f"[{event.node}] {who}: {event.text}\n")
        elif isinstance(event, RecognitionEvent):
            agent = [t for t in session.turns if t.speaker == "agent"]
            moves = list(agent[-1].moves) if agent else []
            if event.intent is not None:
                more = [m for m in moves if m != event.intent]
                extra = " + " + " + ".join(more) if more else ""
                out.write(f"        = {event.intent}{extra} ({event.score:.2f})\n")
            elif moves:  # said where no node expected it: understood, "not now"
                out.write(f"        ~ {' + '.join(moves)} (understood, not what was expected)\n")
            else:
                heard = f"; closest {event.closest}" if event.closest else ""
                out.write(f"        ? not understood (score {event.score:.2f}{heard})\n")
        elif isinstance(event, FindingEvent):
            f = event.finding
            out.write(
                f"        ! {f.rule} {f.category} ({f.severity}): {f.match!r} — {f.message}\n"
            )
            if f.suggestion:
                out.write(f"          {words['instead']}: {f.suggestion}\n")
        elif isinstance(event, MeterEvent):
            meters.append(f"{event.name} {event.old}→{event.new}")
        elif isinstance(event, EndingEvent):
            if meters:
                out.write("        " + ", ".join(meters) + "\n")
                meters = []
            verdict = words["good"] if event.good else words["bad"]
            outcome = outcome_label(locale, event.outcome)
            out.write(f"== {words['ending']}: {event.id} ({outcome}, {verdict})\n")
    if meters:
        out.write("        " + ", ".join(meters) + "\n")


# ---------------------------------------------------------------- test


def cmd_test(args: argparse.Namespace) -> int:
    """``trainer test``: run golden transcripts; exit 1 when one fails."""
    from trainer.records.sqlite import Store
    from trainer.scoring.golden import Golden, run_transcript
    from trainer.services.content import load_content

    roots = _content_roots(args)
    if args.path:
        target = Path(args.path)
        if not target.exists():
            raise UsageError(f"{target}: no such file or folder")
        content, diags = load_content([target], context=roots)
    else:
        content, diags = load_content(roots)
    goldens = content.of_kind("golden")
    if args.path:
        goldens = _goldens_for(Path(args.path), goldens, content)
    golden_files = {loaded.doc.file for loaded in goldens}
    fatal = [
        d
        for d in diags
        if d.severity == "error"
        and (
            d.file in golden_files
            or d.file.endswith((".golden.yaml", ".golden.yml"))
            or d.code.startswith("T7")
        )
    ]
    for diag in fatal:
        sys.stderr.write(diag.format() + "\n")
    if fatal:
        return 2
    if not goldens:  # every golden file holds at least one transcript (its schema says so)
        # A CI gate must not pass with nothing tested: one line, exit 1.
        where = args.path or ", ".join(str(root) for root in roots)
        sys.stderr.write(
            f"trainer test: no golden transcripts found in {where}"
            " (they live beside each scenario as <scenario>.golden.yaml)\n"
        )
        return 1
    results = []
    for loaded in goldens:
        golden = loaded.obj
        assert isinstance(golden, Golden)
        scenario = content.scenarios[golden.scenario]
        grader = load_grader(args, scenario.locale)
        for index, transcript in enumerate(golden.transcripts):
            line, _ = loaded.doc.where(("transcripts", index))
            with Store(":memory:") as scratch:
                results.append(
                    run_transcript(
                        scenario,
                        content,
                        transcript,
                        grader,
                        store=scratch,
                        file=loaded.doc.file,
                        line=line,
                    )
                )
    failed = [r for r in results if not r.passed]
    if args.format == "json":
        json.dump(
            [
                {
                    "scenario": r.scenario,
                    "name": r.name,
                    "file": r.file,
                    "line": r.line,
                    "passed": r.passed,
                    "step": r.step,
                    "action": r.action,
                    "error": r.error,
                    "mismatches": [m.__dict__ for m in r.mismatches],
                    "notes": r.notes,
                }
                for r in results
            ],
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
    else:
        for result in results:
            sys.stdout.write(result.format() + "\n")
        sys.stdout.write(f"{len(results) - len(failed)} passed, {len(failed)} failed\n")
    return 1 if failed else 0


def _goldens_for(target: Path, goldens: list[Loaded], content: ContentSet) -> list[Loaded]:
    """The golden files that PATH names: a golden file, a scenario's own, or those under a folder.

    Loading a single file pulls in its locale folder for references, so the
    golden files found must be narrowed to what the instructor asked for.
    """
    target = target.resolve()

    def under(file: str) -> bool:
        path = Path(file).resolve()
        return path == target or target in path.parents

    chosen = [g for g in goldens if under(g.doc.file)]
    if chosen or not target.is_file():
        return chosen
    from trainer.scoring.golden import Golden

    ids = {sid for sid, doc in content.sources.items() if Path(doc.file).resolve() == target}
    return [g for g in goldens if isinstance(g.obj, Golden) and g.obj.scenario in ids]


# ---------------------------------------------------------------- explore, graph


def cmd_explore(args: argparse.Namespace) -> int:
    """``trainer explore``: coverage of random playthroughs; exit 1 when incomplete."""
    from trainer.engine.explore import explore

    if args.runs < 1:
        raise UsageError("--runs must be at least 1")
    scenario, content = load_scenario(args, args.scenario)
    report = explore(
        scenario, content, runs=args.runs, seed=args.seed, grader=load_grader(args, scenario.locale)
    )
    if args.format == "json":
        json.dump(report.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report.format() + "\n")
    return 0 if report.complete else 1


def cmd_graph(args: argparse.Namespace) -> int:
    """``trainer graph``: the tree as Mermaid or DOT on stdout."""
    from trainer.engine.graph import to_dot, to_mermaid

    scenario, _ = load_scenario(args, args.scenario)
    sys.stdout.write(to_mermaid(scenario) if args.format == "mermaid" else to_dot(scenario))
    return 0
