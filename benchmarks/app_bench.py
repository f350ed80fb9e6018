"""App benchmark: Enter on the start screen → the scenario list shown, cold and warm cache.

Run: ``python benchmarks/app_bench.py [--runs N] [--delay S]``

Each run is a fresh process that starts the trainee app headless (Textual's pilot,
shipped content, a temporary data folder), presses Enter on the start screen as
soon as it is shown (the worst case: the content starts loading when the app
starts, so a trainee who types a name first waits less) and stops the clock when
the home screen's list holds the scenarios. Medians of ``--runs`` (default 5) for
an empty cache (cold) and a filled one (warm). Goal (issue #14): ≤ 250 ms warm.
The cache lives in a temporary folder, never the user's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 0.250


async def _enter_to_list(home: Path, delay: float) -> float:
    """Seconds from Enter on the start screen to a filled scenario list (in this process)."""
    from textual.widgets import Input, OptionList

    from trainer.tui.app import make_app
    from trainer.tui.screens.home import HomeScreen

    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        box = app.screen.query_one("#name", Input)
        box.value = "bench"
        box.focus()
        await asyncio.sleep(delay)  # a trainee typing a name
        start = time.perf_counter()
        await pilot.press("enter")
        while True:
            screen = app.screen
            if isinstance(screen, HomeScreen):
                listing = screen.query_one("#scenarios", OptionList)
                if listing.option_count and not listing.loading:
                    return time.perf_counter() - start
            await asyncio.sleep(0.002)


def _child(home: str, delay: float) -> None:
    print(f"{asyncio.run(_enter_to_list(Path(home), delay)):.4f}")


def _run(env: dict[str, str], home: Path, delay: float = 0.0) -> float:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(home), "--delay", str(delay)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return float(done.stdout.split()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--delay",
        type=float,
        default=0.0,
        metavar="S",
        help="seconds on the start screen before Enter (default 0: Enter at once)",
    )
    parser.add_argument("--child", metavar="HOME", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.delay)
        return 0
    with tempfile.TemporaryDirectory(prefix="trainer-bench-") as tmp:
        cache = Path(tmp) / "cache"
        env = dict(os.environ, TRAINER_CACHE_DIR=str(cache))
        env.pop("TRAINER_NO_CACHE", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # time the app, not compiling its modules
        _run(env, Path(tmp) / "home-first")
        times: dict[str, list[float]] = {"cold": [], "warm": []}
        for i in range(args.runs):
            shutil.rmtree(cache, ignore_errors=True)
            times["cold"].append(_run(env, Path(tmp) / f"home-cold-{i}", args.delay))
            times["warm"].append(_run(env, Path(tmp) / f"home-warm-{i}", args.delay))
    cold, warm = (statistics.median(times[state]) for state in ("cold", "warm"))
    met = warm <= GOAL
    print(f"Enter → scenario list, medians of {args.runs} fresh processes, seconds")
    print(f"cold {cold:.3f}   warm {warm:.3f}   warm ≤ {GOAL:g} s {'met' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
