"""`quizzer verify` of the built-in deck, as a ratio to the naive floor.

The floor: one fresh `python -I` process per card, one after another, each running
`import asyncio; asyncio.run(...)` and nothing else (no sandbox, no judging). quizzer verify runs
every card's real program in the sandbox and judges its output. Both are timed in this one run,
interleaved, N times; the ratio of the medians is printed (target: at most 0.3).

With --mutants, `quizzer verify --mutants` is timed too, as a ratio to plain `quizzer verify`.

Run: python benchmarks/verify.py [--runs N] [--mode auto|forkserver|bwrap|none] [--mutants]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from timing import timed

from quizzer import paths, sandbox
from quizzer.deck import load_decks

FLOOR_PROGRAM = "import asyncio\nasync def main():\n    pass\nasyncio.run(main())\n"


def floor(cards: int) -> float:
    started = time.perf_counter()
    for _ in range(cards):
        subprocess.run([sandbox.card_python(), "-I", "-c", FLOOR_PROGRAM], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="timings of each side")
    parser.add_argument(
        "--mode",
        default="auto",
        choices=sandbox.MODES,
        help="the sandbox runner quizzer verify uses",
    )
    parser.add_argument(
        "--mutants", action="store_true", help="also time verify --mutants against verify"
    )
    options = parser.parse_args()
    cards = len([c for d in load_decks([paths.builtin_deck_dir()]) for c in d.cards])
    script = shutil.which("quizzer", path=str(Path(sys.executable).parent))
    quizzer = [script] if script else [sys.executable, "-m", "quizzer"]
    argv = [*quizzer, "verify", "--deck", str(paths.builtin_deck_dir())]
    env = {**os.environ, sandbox.MODE_ENV: options.mode}
    check = subprocess.run([*argv, "--json"], capture_output=True, text=True, env=env)
    report = json.loads(check.stdout)
    print(
        f"{cards} cards: {report['passed']} passed, {report['failed']} failed; "
        f"isolation {report['isolation']!r}"
    )
    verify_times, floor_times, mutant_times = [], [], []
    for _ in range(options.runs):
        verify_times.append(timed(argv, env, check=False))
        floor_times.append(floor(cards))
        if options.mutants:
            mutant_times.append(timed([*argv, "--mutants"], env, check=False))
    base = statistics.median(floor_times)
    mine = statistics.median(verify_times)
    print(f"naive floor ({cards} x python -I, asyncio.run)  median {base:6.2f} s")
    print(
        f"quizzer verify (mode {options.mode:10})        median {mine:6.2f} s   "
        f"ratio {mine / base:.2f}x (target <= 0.30x)"
    )
    if mutant_times:
        slow = statistics.median(mutant_times)
        print(
            f"quizzer verify --mutants                 median {slow:6.2f} s   "
            f"ratio {slow / mine:.2f}x to verify"
        )


if __name__ == "__main__":
    main()
