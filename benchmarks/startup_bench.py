"""Start-up benchmark: light commands as whole processes, cold and warm cache, one run.

Run: ``python benchmarks/startup_bench.py [--runs N] [--trainer CMD]``

Each command is started as a fresh ``python -m trainer …`` process (what a user
waits for: interpreter start, imports, work, exit), ``--runs`` times (default 5),
and the median wall time (and CPU time, the steadier figure on a shared machine) is
reported for three states of the content cache:

* **off**: ``TRAINER_NO_CACHE=1``, what every run cost before the cache;
* **cold**: the cache folder emptied before each run (the first run after an
  install, an upgrade or an edit of every file);
* **warm**: the cache filled by one earlier run of the same command.

Goals (issue #14): ``trainer list`` and ``trainer validate`` ≤ 150 ms warm and
≤ 1.2 s cold. The cache lives in a temporary folder, never the user's.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS: tuple[tuple[str, ...], ...] = (
    ("list",),
    ("validate",),
    ("--help",),
    ("rules", "list"),
)
#: Goal in seconds per (command, state); the others are only reported.
GOALS = {
    ("list", "warm"): 0.150,
    ("validate", "warm"): 0.150,
    ("list", "cold"): 1.2,
    ("validate", "cold"): 1.2,
}


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU time (user + system) of one whole process, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def measure(
    base: list[str], args: tuple[str, ...], runs: int, folder: Path
) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of ``args`` with the cache off, cold and warm."""
    command = [*base, *args]
    env = dict(os.environ, TRAINER_CACHE_DIR=str(folder))
    env.pop("TRAINER_NO_CACHE", None)
    # An installed package has its bytecode compiled; without it every run would time
    # Python compiling trainer's modules, so let the untimed first run write it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    run_once(command, env)
    times: dict[str, list[tuple[float, float]]] = {"off": [], "cold": [], "warm": []}
    for _ in range(runs):  # interleaved, so a busy moment touches every state alike
        times["off"].append(run_once(command, {**env, "TRAINER_NO_CACHE": "1"}))
        shutil.rmtree(folder, ignore_errors=True)
        times["cold"].append(run_once(command, env))
        times["warm"].append(run_once(command, env))
    return {
        state: (
            statistics.median(wall for wall, _ in values),
            statistics.median(cpu for _, cpu in values),
        )
        for state, values in times.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command and state")
    parser.add_argument(
        "--trainer",
        default=f"{sys.executable} -m trainer",
        help="how to start trainer (default: this interpreter's -m trainer)",
    )
    args = parser.parse_args()
    base = args.trainer.split()
    print(f"medians of {args.runs} whole-process runs, seconds of wall time (CPU time)")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'command':<16} {'off':>15} {'cold':>15} {'warm':>15}  goals")
    missed = 0
    with tempfile.TemporaryDirectory(prefix="trainer-bench-") as tmp:
        for command in COMMANDS:
            result = measure(base, command, args.runs, Path(tmp) / "cache")
            name = " ".join(command)
            notes = []
            for state in ("cold", "warm"):
                goal = GOALS.get((name, state))
                if goal is not None:
                    met = result[state][0] <= goal
                    missed += not met
                    notes.append(f"{state} ≤ {goal:g} s {'met' if met else 'NOT MET'}")
            cells = " ".join(f"{wall:7.3f} ({cpu:5.3f})" for wall, cpu in result.values())
            print(f"{name:<16} {cells}  {'; '.join(notes)}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
