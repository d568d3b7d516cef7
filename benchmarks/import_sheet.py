"""`quizzer import` of a markdown sheet of 100 examples, as a ratio to the naive floor.

The sheet: 10 sections of 10 examples (doctest blocks, blocks with `# ` output lines, blocks
with a separate output block; one in ten shows a wrong output). The floor: one fresh
`python -I` per example, one after another, running the example and nothing else (no sandbox,
no comparing, no writing). quizzer runs every example in the sandbox (in parallel), checks the
cards it makes as `quizzer verify` would, and writes the deck. Both are timed in this one run,
interleaved, N times; the medians and their ratio are printed.

Run: python benchmarks/import_sheet.py [--runs N] [--examples N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import timed

from quizzer import sandbox


def example(number: int) -> tuple[str, str]:
    """The markdown of example `number`, and its program."""
    program = f"values = [n * {number} for n in range(4)]\nprint(sum(values), max(values))"
    right = f"{6 * number} {3 * number}"
    shown = right if number % 10 else f"{6 * number + 1} {3 * number}"  # every tenth is wrong
    style = number % 3
    if style == 0:
        text = (
            f"Sum and max, doctest {number}:\n\n"
            f"    >>> values = [n * {number} for n in range(4)]\n"
            f"    >>> print(sum(values), max(values))\n    {shown}\n"
        )
    elif style == 1:
        text = f"Sum and max, comment {number}:\n\n```python\n{program}\n# {shown}\n```\n"
    else:
        text = (
            f"Sum and max, output block {number}:\n\n```python\n{program}\n```\n\n"
            f"```output\n{shown}\n```\n"
        )
    return text, program


def sheet(examples: int) -> tuple[str, list[str]]:
    parts, programs = ["# Benchmark sheet\n"], []
    for number in range(1, examples + 1):
        if number % 10 == 1:
            parts.append(f"## Section {number // 10 + 1}\n")
        text, program = example(number)
        parts.append(text)
        programs.append(program)
    return "\n".join(parts), programs


def floor(programs: list[str]) -> float:
    started = time.perf_counter()
    for program in programs:
        subprocess.run(
            [sandbox.card_python(), "-I", "-c", program], check=True, stdout=subprocess.DEVNULL
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="timings of each side")
    parser.add_argument("--examples", type=int, default=100, help="examples in the sheet")
    options = parser.parse_args()
    text, programs = sheet(options.examples)
    script = shutil.which("quizzer", path=str(Path(sys.executable).parent))
    quizzer = [script] if script else [sys.executable, "-m", "quizzer"]
    import_times, floor_times = [], []
    with tempfile.TemporaryDirectory(prefix="quizzer-bench-") as folder:
        source = Path(folder) / "sheet.md"
        source.write_text(text, encoding="utf-8")
        for run in range(options.runs):
            home = Path(folder) / f"home-{run}"  # a fresh deck each time: every example runs
            env = {**os.environ, "QUIZZER_HOME": str(home)}
            import_times.append(timed([*quizzer, "import", str(source)], env))
            floor_times.append(floor(programs))
        env = {**os.environ, "QUIZZER_HOME": str(Path(folder) / "home-report")}
        report = subprocess.run(
            [*quizzer, "import", str(source)], capture_output=True, text=True, env=env
        )
        print(report.stdout.strip())
    base = statistics.median(floor_times)
    mine = statistics.median(import_times)
    print(f"naive floor ({len(programs)} x python -I)        median {base:6.2f} s")
    print(
        f"quizzer import ({len(programs)} examples)      median {mine:6.2f} s   "
        f"ratio {mine / base:.2f}x"
    )


if __name__ == "__main__":
    main()
