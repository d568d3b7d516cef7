"""The judge's rules, each with an answer that only that rule refuses, and right answers that
every rule lets through. Programs run in the real sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from quizzer import judge, sandbox
from quizzer.judge import EARLY_EXIT, LEFT_THE_ANSWER, judge_answer, judge_program, seeds_for
from quizzer.model import Card, Kind, Match, Run


def make_card(**fields: object) -> Card:
    base: dict[str, object] = {"deck": "t", "section": "S", "id": "c", "front": "F"}
    base.update(fields)
    return Card(**base)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def fresh_references() -> Iterator[None]:
    judge.forget_references()
    yield
    judge.forget_references()


# A card whose output could be faked: no {{seed}}, so only the marks and stderr guard it.
SUM = make_card(
    kind=Kind.WRITE,
    back="total = sum(values)",
    program="""
async def main():
    values = [1, 2, 3]
    {{answer}}
    print(total)

import asyncio
asyncio.run(main())
""",
    output="6",
)

# The same task, with values the learner cannot see in advance.
SEEDED_SUM = make_card(
    kind=Kind.WRITE,
    back="total = sum(values)",
    program="""
import random

rng = random.Random({{seed}})
values = [rng.randint(10, 99) for _ in range(3)]
{{answer}}
print(total)
""",
    output="137",  # random.Random(0) draws 59, 63, 15
)

# The answer prints the result itself: "print the output" is the obvious fake.
SEEDED_PRINT = make_card(
    kind=Kind.WRITE,
    back="print(sum(values))",
    program=SEEDED_SUM.program.replace("{{answer}}\nprint(total)", "{{answer}}")
    if SEEDED_SUM.program
    else None,
    output="137",
)

AWAIT = make_card(
    kind=Kind.WRITE,
    back="await work()",
    program="""
import asyncio

async def work():
    await asyncio.sleep(0)

async def main():
    {{answer}}
    print("done")

asyncio.run(main())
""",
    output="done",
)

GATHER = make_card(
    kind=Kind.WRITE,
    back="results = await asyncio.gather(a(), b())",
    program="""
import asyncio

async def a():
    await asyncio.sleep(0.01)
    return 1

async def b():
    return 2

async def main():
    {{answer}}
    print(results)

asyncio.run(main())
""",
    output="[1, 2]",
)


@pytest.mark.parametrize(
    ("card", "answer", "reason"),
    [
        (SEEDED_PRINT, "print(137)", "under another seed it printed '137' where the reference"),
        (SEEDED_SUM, "total = 137", "under another seed it printed '137' where the reference"),
        (SUM, "print(6)\nimport sys\nsys.exit()", EARLY_EXIT),
        (SUM, "print(6)\nimport sys\nsys.exit(0)", EARLY_EXIT),
        (SUM, "print(6, flush=True)\nimport os\nos._exit(0)", EARLY_EXIT),
        (SUM, "print(6)\nraise SystemExit", EARLY_EXIT),
        (SUM, "print(6)\nreturn", LEFT_THE_ANSWER),
        (AWAIT, "work()", "stderr: RuntimeWarning: coroutine 'work' was never awaited"),
        (
            AWAIT,
            "async def boom():\n    raise ValueError('lost')\n"
            "task = asyncio.ensure_future(boom())\nawait asyncio.sleep(0)\ndel task",
            "stderr: Task exception was never retrieved",
        ),
        (AWAIT, "await work()\nraise KeyError('k')", "error: KeyError: 'k'"),
        (GATHER, "results = [await b(), await a()]", "it printed something else than expected"),
    ],
)
def test_each_rule_refuses_its_wrong_answer_with_one_line(
    card: Card, answer: str, reason: str
) -> None:
    ruling = judge_program(card, answer)
    assert not ruling.right
    assert ruling.reason.startswith(reason)
    assert "\n" not in ruling.reason


@pytest.mark.parametrize(
    ("card", "answer"),
    [
        (SUM, "total = sum(values)"),
        (SUM, "total = 0\nfor value in values:\n    total += value"),
        (SUM, "total = 6"),  # no {{seed}}: a constant is right here, as the card cannot tell
        (SUM, "import sys\ntotal = sum(values)\nprint('note', file=sys.stderr, end='') or 0"),
        (SEEDED_SUM, "total = 0\nfor value in values:\n    total += value"),
        (SEEDED_SUM, "total = values[0] + values[1] + values[2]"),
        (SEEDED_PRINT, "print(values[0] + sum(values[1:]))"),
        (AWAIT, "await asyncio.create_task(work())"),
        (AWAIT, "await asyncio.wait_for(work(), timeout=5)"),
        (GATHER, "results = await asyncio.gather(*[a(), b()])"),
        (GATHER, "results = list(await asyncio.gather(a(), b(), return_exceptions=True))"),
        (GATHER, "ta = asyncio.create_task(a())\nresults = [await ta, await b()]"),
    ],
)
def test_right_answers_spelled_differently_stay_right(card: Card, answer: str) -> None:
    ruling = judge_program(card, answer)
    assert ruling.right, ruling.detail
    assert ruling.output is not None and "quizzer-mark" not in ruling.output


def test_an_answer_whose_stderr_line_is_new_is_wrong_but_the_references_own_is_not() -> None:
    noisy = make_card(
        kind=Kind.WRITE,
        back="import warnings\nwarnings.warn('old API', DeprecationWarning)\nx = 1",
        program="import warnings\nwarnings.simplefilter('always')\n{{answer}}\nprint(x)\n",
        output="1",
    )
    assert judge_program(noisy, "x = 1\nwarnings.warn('old API', DeprecationWarning)").right
    other = judge_program(noisy, "x = 1\nwarnings.warn('other', UserWarning)")
    assert not other.right and other.reason == "stderr: UserWarning: other"


def test_a_mark_the_reference_never_prints_is_not_required() -> None:
    returns = make_card(
        kind=Kind.WRITE,
        back="return sum(values)",
        program="def total(values):\n    {{answer}}\n\nprint(total([1, 2]))\nraise SystemExit(0)\n",
        output="3",
    )
    assert judge_program(returns, "return values[0] + values[1]").right
    assert judge_program(returns, "return values[0] + values[1]\nprint('never')").right
    assert not judge_program(returns, "return 4").right


def test_a_partial_last_line_keeps_its_place_when_the_marks_come_out() -> None:
    ruling = judge_program(SUM, "total = sum(values)\nprint('to', end='')")
    assert not ruling.right and ruling.output == "to6\n"


def test_seeds_are_zero_for_predict_cards_and_the_variations_for_write_cards() -> None:
    assert seeds_for(SUM) == (0,)
    assert len(seeds_for(SEEDED_SUM)) == judge.DEFAULT_VARIATIONS
    assert seeds_for(SEEDED_SUM)[0] == 0 and len(set(seeds_for(SEEDED_SUM))) == 3
    five = make_card(**{**SEEDED_SUM.__dict__, "variations": 5})
    assert len(seeds_for(five)) == 5 and seeds_for(five)[:3] == seeds_for(SEEDED_SUM)
    predict = make_card(kind=Kind.PREDICT, program="print({{seed}} + 1)", output="1", back="1")
    assert seeds_for(predict) == (0,)
    assert judge_answer(predict, "1").right and not judge_answer(predict, "2").right


def test_reference_runs_are_cached_per_card_and_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    sources: list[str] = []
    real_run = sandbox.run_program

    def counted(source: str, **options: object) -> Run:
        sources.append(source)
        return real_run(source, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(sandbox, "run_program", counted)
    assert judge_program(SEEDED_SUM, "total = sum(values)").right
    assert len(sources) == 2 * 3  # the reference and the answer, under each of three seeds
    assert not judge_program(SEEDED_SUM, "total = 0").right
    assert len(sources) == 2 * 3 + 3  # only the answer ran again
    seeds = [s.split("random.Random(", 1)[1].split(")", 1)[0] for s in sources]
    assert sorted(set(seeds)) == sorted(str(seed) for seed in seeds_for(SEEDED_SUM))
    sources.clear()
    judge.prepare(SEEDED_PRINT)  # as study does when it shows the card
    for seed in seeds_for(SEEDED_PRINT):
        judge.reference(SEEDED_PRINT, seed).result()
    assert len(sources) == 3
    assert judge_program(SEEDED_PRINT, "print(sum(values))").right and len(sources) == 6


def test_judge_answer_speaks_the_ui_protocol() -> None:
    shown = judge_answer(SUM, "   ")
    assert shown.right is False and shown.answer == "" and shown.output is None
    wrong = judge_answer(SUM, "print(6)\nraise SystemExit")
    assert wrong.right is False and wrong.detail == EARLY_EXIT and wrong.output == "6\n"
    diff = judge_answer(SUM, "total = 7")
    assert diff.detail.splitlines()[0] == "it printed something else than expected:"
    assert "-6" in diff.detail and "+7" in diff.detail
    predict = make_card(kind=Kind.PREDICT, program="print(2)\nprint(1)", output="2\n1", back="")
    judged = judge_answer(predict, "1\n2")
    assert judged.right is False and judged.output == "2\n1\n" and "+1" in judged.detail
    unordered = make_card(**{**predict.__dict__, "match": Match.UNORDERED})
    assert judge_answer(unordered, "1\n2").right


def test_stderr_signals_ignore_places_addresses_and_frames() -> None:
    stderr = (
        "/tmp/x/main.py:12: RuntimeWarning: coroutine 'work' was never awaited\n"
        "  work()\n"
        "Task exception was never retrieved\n"
        "future: <Task finished name='Task-7' coro=<boom() done, defined at main.py:3>"
        " exception=ValueError('x') at 0x7f00aa>\n"
        "Traceback (most recent call last):\n"
        '  File "main.py", line 4, in boom\n'
        "ValueError: took 0.123 seconds\n"
    )
    assert judge.stderr_signals(stderr) == (
        "RuntimeWarning: coroutine 'work' was never awaited",
        "Task exception was never retrieved",
        "future: <Task finished name='Task-N' coro=<boom() done, defined at <file>>"
        " exception=ValueError('x') at 0x...>",
        "ValueError: took <n> seconds",
    )
