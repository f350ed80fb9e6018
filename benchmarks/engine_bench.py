"""Engine benchmark: one agent turn on a 200-node scenario, and 1,000 live sessions.

Run: ``python benchmarks/engine_bench.py [--turns N] [--sessions N] [--rules none|zh-CN]``

Measures, on one core:
* one agent turn (recognise + grade + advance + pick the reply), p50/p99 —
  goal p99 < 5 ms;
* the memory of 1,000 concurrent in-memory sessions, each started and a few
  turns in (tracemalloc, Python allocations) — goal < 200 MB.

The scenario is generated: a chain of 200 nodes, each expecting three intents
(one forward, one sideways, one back) from the shipped zh-CN intent library,
with conditional and once-only lines, fallbacks and exits, so every code path
of a turn runs.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from typing import Any

from trainer.engine.session import Session
from trainer.paths import content_root
from trainer.scenarios.loader import ContentSet
from trainer.scenarios.model import Scenario
from trainer.services.content import load_content

STAGES = ("opening", "verification", "purpose", "reason", "negotiation", "promise", "close")


def build_scenario(content: ContentSet, nodes: int = 200) -> Scenario:
    """A generated zh-CN scenario with ``nodes`` nodes using the library's intents."""
    intents = sorted(content.intents.get("zh-CN", {}))
    if len(intents) < 3:
        raise SystemExit("the zh-CN intent library is missing")
    rng = random.Random(0)
    names = [f"n{i:03d}" for i in range(nodes)]
    data: dict[str, Any] = {
        "kind": "scenario",
        "id": "bench-200",
        "title": "benchmark",
        "locale": "zh-CN",
        "stage": "first_contact",
        "persona": "bench",
        "answerer": "debtor",
        "difficulty": "easy",
        "briefing": {
            "debtor_name": "李明",
            "honorific": "李先生",
            "institution": "华信银行信用卡中心",
            "unit": "账户管理部",
            "agent_name": "王",
            "amount_owed": 3256.4,
            "minimum_payment": 325.64,
            "days_past_due": 12,
            "bucket": "M1",
            "card_last4": "6688",
            "channel": "手机银行",
        },
        "meters": {"trust": {"start": 50}, "patience": {"start": 60}, "anger": {"start": 20}},
        "exits": [{"when": "anger >= 95", "ending": "complaint"}],
        "limits": {"max_turns": 500, "on_limit": "timeout"},
        "start": names[0],
        "nodes": {},
        "endings": {
            "done": {"outcome": "promise_to_pay", "say": ["好的,再见。"]},
            "complaint": {"outcome": "complaint", "say": ["我要投诉!"]},
            "timeout": {"outcome": "nothing_agreed", "say": ["先这样吧。"]},
        },
    }
    for i, name in enumerate(names):
        chosen = rng.sample(intents, 3)
        forward = names[i + 1] if i + 1 < nodes else "done"
        data["nodes"][name] = {
            "stage": STAGES[i * len(STAGES) // nodes],
            "say": [
                {"text": f"第{i}句,欠款{{amount_owed}}元。", "weight": 2},
                {"text": "嗯,您说。", "when": "trust >= 40"},
                {"text": "好吧。", "once": True},
            ],
            "moves": [
                {"intent": chosen[0], "goto": forward, "effects": {"trust": 1}},
                {"intent": chosen[1], "goto": names[(i + 7) % nodes], "when": "patience >= 10"},
                {"intent": chosen[2], "goto": names[max(i - 1, 0)], "effects": {"anger": 1}},
            ],
            "fallback": {"say": ["什么?"], "effects": {"patience": -1}},
        }
    return Scenario.model_validate(data)


def lines_for(content: ContentSet, scenario: Scenario) -> dict[str, list[str]]:
    """Per node: example lines of its expected intents (what a trainee might type)."""
    intents = content.intents_for(scenario)
    return {
        name: [ex for mv in node.moves for ex in intents[mv.intent].examples]
        for name, node in scenario.nodes.items()
    }


def bench_turns(
    scenario: Scenario, content: ContentSet, grader: Any, turns: int
) -> tuple[list[float], list[float]]:
    """Wall time and CPU time (this thread) of ``turns`` agent turns, in milliseconds.

    CPU time is what one core spends on the turn; wall time also counts the
    moments the OS gave the core to other processes (on a busy machine the
    wall-clock tail is mostly that).
    """
    lines = lines_for(content, scenario)
    rng = random.Random(1)
    times: list[float] = []
    cpu: list[float] = []
    session = Session.new(scenario, content, seed=1, grader=grader)
    session.start()
    while len(times) < turns:
        if session.finished:
            session = Session.new(scenario, content, seed=len(times), grader=grader)
            session.start()
        text = rng.choice(lines[session.node])
        start, start_cpu = time.perf_counter(), time.thread_time()
        session.say(text)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        times.append((time.perf_counter() - start) * 1000)
    return times, cpu


def bench_memory(scenario: Scenario, content: ContentSet, grader: Any, count: int) -> float:
    """MB allocated by ``count`` live sessions, each started and three turns in."""
    lines = lines_for(content, scenario)
    warm = Session.new(scenario, content, grader=grader)  # build the shared recogniser first
    warm.start()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    sessions = []
    for i in range(count):
        session = Session.new(scenario, content, seed=i, grader=grader)
        session.start()
        for _ in range(3):
            if not session.finished:
                session.say(lines[session.node][i % len(lines[session.node])])
        sessions.append(session)
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    total = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert len(sessions) == count
    return total / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=5000)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--rules", default="zh-CN", help="rulebook name, or 'none'")
    args = parser.parse_args()
    content, _ = load_content([content_root()])
    grader = None
    if args.rules != "none":
        from trainer.grading import load_rulebook

        grader = load_rulebook(args.rules)
    scenario = build_scenario(content)
    start = time.perf_counter()
    Session.new(scenario, content, grader=grader).start()
    build_ms = (time.perf_counter() - start) * 1000
    times, cpu = bench_turns(scenario, content, grader, args.turns)
    q = statistics.quantiles(times, n=100)
    c = statistics.quantiles(cpu, n=100)
    print(f"scenario: {len(scenario.nodes)} nodes, grader: {args.rules}")
    print(f"session build (first, incl. recogniser): {build_ms:.1f} ms")
    print(
        f"agent turn, CPU time over {len(cpu)} turns: p50 {c[49]:.3f} ms, p99 {c[98]:.3f} ms,"
        f" max {max(cpu):.3f} ms  (goal p99 < 5 ms)"
    )
    print(
        f"agent turn, wall clock: p50 {q[49]:.3f} ms, p99 {q[98]:.3f} ms,"
        f" max {max(times):.3f} ms  (includes time the OS ran other processes)"
    )
    megabytes = bench_memory(scenario, content, grader, args.sessions)
    print(
        f"{args.sessions} concurrent sessions: {megabytes:.1f} MB"
        f" ({megabytes * 1000 / args.sessions:.1f} KB each)  (goal < 200 MB)"
    )
    ok = c[98] < 5 and megabytes < 200
    print("goals met" if ok else "GOALS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
