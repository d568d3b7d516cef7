"""Mutants of a write card's back, and `quizzer verify --mutants` reporting the survivors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from conftest import write_deck

from quizzer.cli import cli
from quizzer.model import Card, Kind
from quizzer.mutants import mutants_of
from quizzer.verify import check_card


def make_card(back: str, **fields: object) -> Card:
    base: dict[str, object] = {"deck": "t", "section": "S", "id": "c", "front": "F"}
    base.update(kind=Kind.WRITE, back=back, program="{{answer}}", output="x")
    base.update(fields)
    return Card(**base)  # type: ignore[arg-type]


def codes(card: Card, kind: str) -> list[str]:
    return [mutant.code for mutant in mutants_of(card) if mutant.kind == kind]


def test_each_await_is_dropped_once() -> None:
    card = make_card("a = await one()\nb = await two()")
    assert codes(card, "drop-await") == ["a = one()\nb = await two()", "a = await one()\nb = two()"]
    described = [m.description for m in mutants_of(card) if m.kind == "drop-await"]
    assert described == ["one await dropped (line 1)", "one await dropped (line 2)"]


def test_asyncio_sleep_becomes_time_sleep() -> None:
    card = make_card("await asyncio.sleep(0.1)\nawait other.sleep(1)")
    assert codes(card, "time-sleep") == ["import time\ntime.sleep(0.1)\nawait other.sleep(1)"]


def test_the_try_finally_around_a_release_and_an_async_with_are_unwrapped() -> None:
    manual = make_card("await lock.acquire()\ntry:\n    await work()\nfinally:\n    lock.release()")
    assert codes(manual, "unwrap-finally") == ["await lock.acquire()\nawait work()\nlock.release()"]
    held = make_card("async with lock:\n    await work()")
    assert codes(held, "unwrap-async-with") == [
        "await lock.acquire()\nawait work()\nlock.release()"
    ]
    assert (
        codes(make_card("async with asyncio.timeout(1):\n    await work()"), "unwrap-async-with")
        == []
    )


def test_siblings_come_from_the_table() -> None:
    card = make_card("q = asyncio.Queue()\nawait asyncio.gather(a(), b())\nevent.set()")
    assert codes(card, "sibling") == [
        "q = asyncio.Queue()\nawait asyncio.wait(a(), b())\nevent.set()",
        "q = asyncio.LifoQueue()\nawait asyncio.gather(a(), b())\nevent.set()",
        "q = asyncio.PriorityQueue()\nawait asyncio.gather(a(), b())\nevent.set()",
        "q = asyncio.Queue()\nawait asyncio.gather(a(), b())\nevent.clear()",
    ]
    threads = make_card("await asyncio.to_thread(work, 1)")
    assert codes(threads, "sibling") == [
        "await asyncio.get_running_loop().run_in_executor(None, work, 1)"
    ]
    executor = make_card("await loop.run_in_executor(None, work, 1)")
    assert codes(executor, "sibling") == ["await asyncio.to_thread(work, 1)"]


def test_a_mutant_equal_to_the_back_or_a_right_example_is_left_out() -> None:
    card = make_card("await asyncio.gather(a(), b())", output="[1, 2]")
    assert codes(card, "print-output") == ["print('[1, 2]')"]
    assert "await asyncio.wait(a(), b())" in codes(card, "sibling")
    # the same code as a right example, spelled with other layout
    silenced = make_card(
        "await asyncio.gather(a(), b())",
        output="[1, 2]",
        right=("await  asyncio.wait( a(), b() )",),
    )
    assert codes(silenced, "sibling") == []
    assert mutants_of(make_card("x = 1", kind=Kind.PREDICT)) == []


GATHER_PROGRAM = """
import asyncio
import random

rng = random.Random({{seed}})
delays = [rng.choice([0.02, 0.04]) for _ in range(2)]

async def work(n):
    await asyncio.sleep(delays[n])
    return n

async def main():
    loop = asyncio.get_running_loop()
    started = loop.time()
    {{answer}}
    print(results, "at once" if loop.time() - started < sum(delays) else "one by one")

asyncio.run(main())
"""

WEAK_PROGRAM = """
import asyncio

async def work(n):
    await asyncio.sleep(0)
    return n

async def main():
    {{answer}}
    print(results)

asyncio.run(main())
"""

DECK = """
deck = "m"
section = "S"

[[card]]
id = "strong"
front = "Run work(0) and work(1) at once; their results as a list"
back = "results = await asyncio.gather(work(0), work(1))"
kind = "write"
program = '''{strong}'''
output = "[0, 1] at once"
right = ["results = list(await asyncio.gather(work(0), work(1)))"]

[[card]]
id = "weak"
front = "Sleep, then the results of work(0) and work(1)"
back = "await asyncio.sleep(0)\\nresults = [await work(0), await work(1)]"
kind = "write"
program = '''{weak}'''
output = "[0, 1]"
"""


def test_verify_mutants_reports_the_survivors_per_card(runner: CliRunner, tmp_path: Path) -> None:
    write_deck(tmp_path, "m.toml", DECK.format(strong=GATHER_PROGRAM, weak=WEAK_PROGRAM))
    plain = runner.invoke(cli, ["verify", "--deck", str(tmp_path), "--json"])
    assert plain.exit_code == 0, plain.output
    assert json.loads(plain.stdout)["cards"][0]["mutants"] is None

    result = runner.invoke(cli, ["verify", "--deck", str(tmp_path), "--mutants", "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    strong, weak = data["cards"]
    assert strong["ok"] and strong["mutants"]["survived"] == []
    assert strong["mutants"]["tried"] == 3  # its await dropped, wait for gather, a print
    assert not weak["ok"]
    survived = {(m["kind"], m["code"]) for m in weak["mutants"]["survived"]}
    # asyncio.sleep(0) without its await is caught by its warning; time.sleep(0) is not.
    assert survived == {
        ("time-sleep", "import time\ntime.sleep(0)\nresults = [await work(0), await work(1)]"),
    }
    assert weak["detail"].splitlines() == [
        "mutant survived (time.sleep instead of asyncio.sleep (line 1)): import time / "
        "time.sleep(0) / results = [await work(0), await work(1)]"
    ]
    assert data["mutants"] == {
        "tried": strong["mutants"]["tried"] + weak["mutants"]["tried"],
        "survived": 1,
    }

    text = runner.invoke(cli, ["verify", "--deck", str(tmp_path), "--mutants"])
    assert text.exit_code == 1
    assert "1 passed, 1 failed; 1 of" in text.stdout and "mutants survived" in text.stdout


def test_check_card_without_mutants_tries_none() -> None:
    card = make_card("print(1)", output="1")
    assert check_card(card).mutants is None
    tried = check_card(card, mutants=True).mutants
    assert tried is not None and tried.tried == 1 and len(tried.survivors) == 1  # print('1')
