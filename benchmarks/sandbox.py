"""The cost of one sandboxed run, as a ratio to a bare `python -I` run of the same program.

Run: python benchmarks/sandbox.py [--runs N]. Each program is run N times bare and N times
through sandbox.run_program under each runner that works here, interleaved in this one run;
the ratio of the medians is printed (lower is better; below 1.0 the sandbox is the faster).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from collections.abc import Callable

from quizzer import sandbox
from quizzer.model import Verdict

PROGRAMS = {
    "print": "print('hello')\n",
    "asyncio": (
        "import asyncio\n\n"
        "async def main():\n"
        "    await asyncio.sleep(0)\n"
        "    print('done')\n\n"
        "asyncio.run(main())\n"
    ),
}


def bare(*flags: str) -> Callable[[str], float]:
    def timed(source: str) -> float:
        started = time.perf_counter()
        subprocess.run(
            [sandbox.card_python(), *flags, "-c", source],
            stdout=subprocess.DEVNULL,
            check=True,
            env={},
        )
        return time.perf_counter() - started

    return timed


def sandboxed(mode: str) -> Callable[[str], float]:
    def timed(source: str) -> float:
        os.environ[sandbox.MODE_ENV] = mode
        started = time.perf_counter()
        run = sandbox.run_program(source)
        seconds = time.perf_counter() - started
        if run.verdict != Verdict.OK:
            raise SystemExit(f"{mode}: {run.verdict}: {run.stderr}")
        return seconds

    return timed


def runners() -> dict[str, Callable[[str], float]]:
    # The sandbox starts python with -S too (no site-packages): the second baseline shows
    # what that alone saves where site-packages hold slow .pth files.
    found = {"bare python -I": bare("-I"), "bare python -I -S": bare("-I", "-S")}
    for mode in sandbox.MODES:
        if mode == "auto":
            continue
        os.environ[sandbox.MODE_ENV] = mode
        try:
            sandbox.isolation()
            sandbox.bwrap_path()
        except Exception as error:  # a runner that cannot work here is left out, and said so
            print(f"skipping {mode}: {error}")
            continue
        found[f"sandbox ({mode})"] = sandboxed(mode)
    os.environ.pop(sandbox.MODE_ENV, None)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="runs of each program per runner")
    runs = parser.parse_args().runs
    cases = runners()
    for run in cases.values():  # warm up: caches, the bwrap probe, any server
        run(PROGRAMS["print"])
    os.environ.pop(sandbox.MODE_ENV, None)
    print(f"isolation by default: {sandbox.isolation()}  ({runs} runs each, median)")
    for program, source in PROGRAMS.items():
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(runs):
            for name, run in cases.items():
                times[name].append(run(source))
        base = statistics.median(times["bare python -I"])
        for name, samples in times.items():
            median = statistics.median(samples)
            print(
                f"{program:8} {name:26} median {median * 1000:6.1f} ms   ratio {median / base:.2f}x"
            )


if __name__ == "__main__":
    main()
