"""Large decks: listing a 10,000-card deck, and quizzer's own memory while verifying it.

Run: python benchmarks/large_deck.py [--cards N] [--files N] [--runs N] [--verify].
Prints the time to list the large deck as a ratio to listing the built-in deck (target: at most
3x), and with --verify, quizzer's peak memory while verifying the large deck (target: < 200 MiB).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import timed

from quizzer import paths

CARD = '''
[[card]]
id = "card-{n}"
front = "What does card {n} print?"
back = "{n}"
kind = "predict"
tags = ["generated"]
program = """
import asyncio

async def main():
    await asyncio.sleep(0)
    print({n})

asyncio.run(main())
"""
output = "{n}"
'''


def write_large_deck(folder: Path, cards: int, files: int) -> Path:
    """Write a deck of `cards` predict cards spread over `files` section files."""
    per_file = cards // files
    for f in range(files):
        body = "".join(CARD.format(n=n) for n in range(f * per_file, (f + 1) * per_file))
        text = f'deck = "large"\nsection = "Section {f:02d}"\nabout = "Generated."\n{body}'
        (folder / f"{f:02d}-section.toml").write_text(text, encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--verify", action="store_true", help="also measure verify's memory")
    args = parser.parse_args()
    quizzer = [sys.executable, "-m", "quizzer"]
    with tempfile.TemporaryDirectory() as tmp:
        large = write_large_deck(Path(tmp), args.cards, args.files)
        builtin = paths.builtin_deck_dir()
        for form in ([], ["--json"]):
            small_times, large_times = [], []
            for _ in range(args.runs):
                small_times.append(timed([*quizzer, "list", "--deck", str(builtin), *form]))
                large_times.append(timed([*quizzer, "list", "--deck", str(large), *form]))
            small, big = statistics.median(small_times), statistics.median(large_times)
            name = " ".join(["list", *form])
            print(f"{name:12} built-in deck     median {small * 1000:7.1f} ms")
            print(
                f"{name:12} {args.cards}-card deck  median {big * 1000:7.1f} ms"
                f"   ratio {big / small:.2f}x"
            )
        if args.verify:
            started = time.perf_counter()
            subprocess.run(
                [*quizzer, "verify", "--deck", str(large), "--json"],
                stdout=subprocess.DEVNULL,
                check=False,
            )
            seconds = time.perf_counter() - started
            # The largest waited-for descendant: quizzer itself (card programs are far smaller).
            peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"verify {args.cards} cards  {seconds:7.1f} s   peak memory {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
