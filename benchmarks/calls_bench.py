"""Recognition on blind calls: replay scripts written by people who had not read the
intents or scenarios, and count what the simulated customer understood.

    python benchmarks/calls_bench.py                # development calls (benchmarks/calls/dev)
    python benchmarks/calls_bench.py --held-out     # held-out calls: totals only
    python benchmarks/calls_bench.py -v             # development calls, every miss

Per locale:
* unrecognised: agent lines read as no move at all (``intent: null``);
* wrong move: lines none of whose recognised moves is one their author meant (lines
  the author labelled ``other`` only are not counted either way);
* extra move: lines recognised as a move the author meant plus one they did not;
* scenario move: lines read only as a scenario's own moves (not in the shared
  library, so unknown to the authors), counted apart and not judged;
* good endings: good-faith calls that reached an ending whose outcome counts as good.

Each call is replayed with the shipped content, its seed and the shipped rulebook,
every line as written, until the call ends (lines after an ending are not played).
The held-out calls are only ever reported as totals (see benchmarks/calls/README.md).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CALLS = ROOT / "benchmarks" / "calls"


def calls(kind: str, locale: str) -> list[dict[str, Any]]:
    """Every call document of one kind (dev / held) and locale."""
    found: list[dict[str, Any]] = []
    for path in sorted((CALLS / kind / locale).glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                doc["_file"] = path.name
                found.append(doc)
    return found


def replay(
    call: dict[str, Any], content: Any, books: dict[str, Any], verbose: bool
) -> Counter[str]:
    """Play one call; count lines, unrecognised lines, wrong moves and the ending."""
    from trainer.engine.session import Session

    shared = set(content.intents.get(content.scenarios[call["scenario"]].locale, {}))

    scenario = content.scenarios[call["scenario"]]
    session = Session.new(
        scenario, content, seed=int(call.get("seed", 0)), grader=books[scenario.locale]
    )
    session.start()
    tally: Counter[str] = Counter()
    for line in call["lines"]:
        if session.finished:
            break
        session.say(str(line["say"]))
        agent = [t for t in session.turns if t.speaker == "agent"][-1]
        made = list(agent.moves) or ([agent.intent] if agent.intent else [])
        meant = [str(m) for m in line.get("moves") or []]
        tally["lines"] += 1
        judged = [i for i in made if i in shared]
        extra = [i for i in judged if i not in meant]
        if not made:
            if meant != ["other"]:
                tally["unrecognised"] += 1
                if verbose:
                    print(f"  ?  {call['scenario']}: {line['say']}  (meant {meant})")
        elif meant != ["other"] and judged and not set(judged) & set(meant):
            tally["wrong"] += 1
            if verbose:
                print(f"  X  {call['scenario']}: {line['say']}  -> {made} (meant {meant})")
        elif meant != ["other"] and extra:
            tally["extra"] += 1
            if verbose:
                print(f"  +  {call['scenario']}: {line['say']}  -> {made} (meant {meant})")
        elif not judged:
            tally["local"] += 1
        if meant == ["other"]:
            tally["other"] += 1
    ending = session.ending
    tally["calls"] += 1
    if call.get("good_faith", True):
        tally["good_faith"] += 1
        if ending is not None and ending[1].good:
            tally["good_ending"] += 1
        elif verbose:
            print(
                f"  -  {call['scenario']} seed {call.get('seed')}: ended "
                f"{ending[0] if ending else 'open'}"
            )
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--held-out", action="store_true", help="held-out calls (totals only)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list misses (dev only)")
    args = parser.parse_args(argv)
    from trainer.grading import load_rulebook
    from trainer.paths import content_root
    from trainer.services.content import load_content

    content, _ = load_content([content_root()])
    kind = "held" if args.held_out else "dev"
    for locale in ("zh-CN", "en-US"):
        found = calls(kind, locale)
        if not found:
            print(f"{locale}: no {kind} calls")
            continue
        books = {locale: load_rulebook(locale)}
        total: Counter[str] = Counter()
        for call in found:
            total += replay(call, content, books, args.verbose and not args.held_out)
        counted = total["lines"] - total["other"]
        print(
            f"{locale} {kind}: {total['calls']} calls, {total['lines']} agent lines; "
            f"unrecognised {total['unrecognised'] / counted:.1%} ({total['unrecognised']}), "
            f"wrong move {total['wrong'] / counted:.1%} ({total['wrong']}), "
            f"good endings {total['good_ending']}/{total['good_faith']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
