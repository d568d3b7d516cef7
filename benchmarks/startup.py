"""How long `quizzer --help` and `--version` take, as a ratio to the smallest click program.

Run: python benchmarks/startup.py [--runs N]. Both are timed in this run, interleaved, on the
same interpreter; the ratio of the medians is printed (target: at most 1.3).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

from timing import timed

BASELINE = """
import click

@click.command()
def main():
    \"\"\"The smallest click program.\"\"\"

main()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    # The console script, as people run it; `python -m quizzer` where it is not installed.
    script = shutil.which("quizzer", path=str(Path(sys.executable).parent))
    quizzer = [script] if script else [sys.executable, "-m", "quizzer"]
    cases = {
        "click --help (baseline)": [sys.executable, "-c", BASELINE, "--help"],
        "quizzer --help": [*quizzer, "--help"],
        "quizzer --version": [*quizzer, "--version"],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, argv in cases.items():
            times[name].append(timed(argv))
    base = statistics.median(times["click --help (baseline)"])
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:26} median {median * 1000:6.1f} ms   ratio {median / base:.2f}x")


if __name__ == "__main__":
    main()
