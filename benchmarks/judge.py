"""Judging one typed answer, as a ratio to a single sandboxed run of the filled program (what the
judge did before it checked end marks, stderr and seeds).

Three ways are timed in this one run, interleaved, over the write cards of the built-in deck and
a card with {{seed}} (3 seeds): one run of the filled program (the old judge); the judge with an
empty reference cache (the first time a card is seen: the reference runs too, all at once); the
judge with the reference cached (study judging a card again, or any card: study starts the
reference runs with `judge.prepare` while the answer is typed). Target: the cold judge within 2x.

Run: python benchmarks/judge.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from quizzer import judge, paths, sandbox
from quizzer.deck import load_decks
from quizzer.model import Card, Kind

SEEDED = Card(
    deck="bench",
    section="S",
    id="seeded",
    front="Gather the three results",
    back="results = await asyncio.gather(*(work(n) for n in numbers))",
    kind=Kind.WRITE,
    program="""
import asyncio
import random

rng = random.Random({{seed}})
numbers = [rng.randint(1, 99) for _ in range(3)]

async def work(n):
    await asyncio.sleep(0.001)
    return n * 2

async def main():
    {{answer}}
    print(results)

asyncio.run(main())
""",
    output="[100, 196, 108]",
)


def one_run(card: Card) -> None:
    """The old judge: the filled program once, its output compared."""
    assert card.program is not None
    source = judge.fill_program(judge.with_seed(card.program, 0), card.back)
    run = sandbox.run_program(source, timeout=card.timeout)
    judge.outputs_match(card.output or "", run.stdout, card.match, card.normalize)


def cold(card: Card) -> None:
    judge.forget_references()
    assert judge.judge_program(card, card.back).right


def warm(card: Card) -> None:
    assert judge.judge_program(card, card.back).right


def timed(step: Callable[[Card], None], cards: list[Card]) -> float:
    started = time.perf_counter()
    for card in cards:
        step(card)
    return (time.perf_counter() - started) / len(cards)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="timings of each way")
    options = parser.parse_args()
    decks = load_decks([paths.builtin_deck_dir()])
    plain = [c for d in decks for c in d.cards if c.kind == Kind.WRITE and not c.has_seed]
    plain = [c for c in plain if judge.python_supports(c.requires_python)][:20]
    sandbox.warm_up()
    for name, cards in (
        ("write cards without {{seed}}", plain),
        ("a card with {{seed}}", [SEEDED]),
    ):
        times: dict[str, list[float]] = {"one run": [], "cold": [], "warm": []}
        for card in cards:  # the first run of anything pays for imports and threads
            one_run(card)
        for _ in range(options.rounds):
            times["one run"].append(timed(one_run, cards))
            times["cold"].append(timed(cold, cards))
            warm(cards[0])
            times["warm"].append(timed(warm, cards))
        base = statistics.median(times["one run"])
        print(f"{name} ({len(cards)}): one run of the program {base * 1000:6.1f} ms per answer")
        for way in ("cold", "warm"):
            mine = statistics.median(times[way])
            print(
                f"  judge, reference {way:4}  {mine * 1000:6.1f} ms   ratio {mine / base:.2f}x"
                f"{'   (target <= 2x)' if way == 'cold' else ''}"
            )


if __name__ == "__main__":
    main()
