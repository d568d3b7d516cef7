"""Time to the first card of `quizzer study` with 100,000 reviews in the database.

Run: python benchmarks/study.py [--reviews N] [--runs N]. Fills a review database (in a temporary
QUIZZER_HOME) with N review rows over the built-in deck's cards plus many removed cards, then
times `quizzer study` until its first card is on screen, against the same with an empty
database, in this run. Target: the first card within 1 s, and within 1.2x of the empty database.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from quizzer import paths
from quizzer.deck import load_deck
from quizzer.store import connect

DAY = 86_400.0


def fill_database(home: Path, reviews: int, removed_cards: int = 9_000) -> None:
    """Write `reviews` review rows and a card_state row per card (real and removed ones)."""
    deck = load_deck(paths.builtin_deck_dir())
    keys = [("asyncio", card.id) for card in deck.cards]
    keys += [("asyncio", f"removed-{n}") for n in range(removed_cards)]
    now = time.time()
    rng = random.Random(7)
    connection = connect(home / "reviews.sqlite3")
    with connection:
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO card_state (deck, card_id, phase, step, stability, difficulty, due,"
            " last_review, introduced, reps) VALUES (?, ?, 2, NULL, 10.0, 5.0, ?, ?, ?, 12)",
            [
                (deck_name, card_id, now + rng.uniform(-5, 30) * DAY, now - DAY, now - 90 * DAY)
                for deck_name, card_id in keys
            ],
        )
        connection.executemany(
            "INSERT INTO review (deck, card_id, grade, reviewed_at, duration_ms, phase_before,"
            " previous, source) VALUES (?, ?, ?, ?, 4000, 2, NULL, 'study')",
            [
                (*rng.choice(keys), rng.choice((1, 3, 3, 3, 4)), now - rng.uniform(0, 365) * DAY)
                for _ in range(reviews)
            ],
        )
        connection.execute("COMMIT")
    connection.close()


def first_card_seconds(home: Path) -> float:
    """Seconds from starting `quizzer study` (plain mode) to its first card on stdout."""
    env = {**os.environ, "QUIZZER_HOME": str(home)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "quizzer", "study"],
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None and process.stdin is not None
    for line in process.stdout:
        if line.startswith("── card 1 of"):
            break
    seconds = time.perf_counter() - started
    process.stdin.write("q\n")
    process.stdin.close()
    process.wait()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as full:
        fill_database(Path(full), args.reviews)
        empty_times, full_times = [], []
        for _ in range(args.runs):
            empty_times.append(first_card_seconds(Path(empty)))
            full_times.append(first_card_seconds(Path(full)))
        base, loaded = statistics.median(empty_times), statistics.median(full_times)
        print(f"first card, empty database        median {base * 1000:6.0f} ms")
        print(
            f"first card, {args.reviews:,} reviews  median {loaded * 1000:6.0f} ms"
            f"   ratio {loaded / base:.2f}x"
        )


if __name__ == "__main__":
    main()
