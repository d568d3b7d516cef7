"""`quizzer test`: the engine's scoring and distractors, --record, and the command."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_deck
from fake_ui import ENTER, INTERRUPT, FakeClock, FakeUI

from quizzer import paths, quiz
from quizzer.cli import cli
from quizzer.deck import load_decks
from quizzer.model import Card, Grade
from quizzer.prompts import Command
from quizzer.quiz import TEST_SOURCE, Recorder, TestResult, distractors, run_test
from quizzer.schedule import Scheduler
from quizzer.store import Store, open_store

QUEUES = '''
deck = "aio"
section = "Queues"

[[card]]
id = "put"
front = "Put item on the queue, waiting for a free slot"
back = "await queue.put(item)"

[[card]]
id = "get"
front = "Take the next item"
back = "item = await queue.get()"

[[card]]
id = "get-nowait"
front = "Take an item without waiting"
back = "item = queue.get_nowait()"

[[card]]
id = "join"
front = "Wait until every item is done"
back = "await queue.join()"

[[card]]
id = "join-again"
front = "The same answer, spaced differently"
back = "await  queue.join()"

[[card]]
id = "size"
front = "Print how many items wait in `queue`"
back = "print(queue.qsize())"
kind = "write"
program = """
import asyncio
queue = asyncio.Queue()
queue.put_nowait(1)
{{answer}}
"""
output = "1"

[[card]]
id = "full"
front = "What does this print?"
back = "True"
kind = "predict"
program = """
import asyncio
queue = asyncio.Queue(maxsize=1)
queue.put_nowait(1)
print(queue.full())
"""
output = "True"
'''

TASKS = """
deck = "aio"
section = "Tasks"

[[card]]
id = "gather"
front = "Run a() and b() at once and collect both results"
back = "results = await asyncio.gather(a(), b())"

[[card]]
id = "sleep"
front = "Pause for a second"
back = "await asyncio.sleep(1)"

[[card]]
id = "lonely-poem"
front = "A card whose back is long prose"
back = '''
line one
line two
line three
line four
line five
line six
line seven
'''
"""

# Another deck, with answers that look just like the Queues ones: never a distractor there.
LOOKALIKE = """
deck = "other"
section = "Queues"

[[card]]
id = "put"
front = "Put, in another deck"
back = "await queue.put(thing)"

[[card]]
id = "get"
front = "Get, in another deck"
back = "thing = await queue.get()"
"""

ALONE = """
deck = "alone"
section = "Solo"

[[card]]
id = "only"
front = "The only card of its deck"
back = "42"

[[card]]
id = "second"
front = "Another one"
back = "43"
"""


@pytest.fixture
def deck_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    write_deck(folder / "aio", "queues.toml", QUEUES)
    write_deck(folder / "aio", "tasks.toml", TASKS)
    write_deck(folder / "other", "queues.toml", LOOKALIKE)
    write_deck(folder / "alone", "solo.toml", ALONE)
    return folder


@pytest.fixture
def cards(deck_dir: Path) -> dict[tuple[str, str], Card]:
    decks = load_decks([deck_dir / "aio", deck_dir / "other", deck_dir / "alone"])
    return {card.key: card for deck in decks for card in deck.cards}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "reviews.sqlite3") as db:
        yield db


def aio(cards: dict[tuple[str, str], Card], *ids: str) -> list[Card]:
    return [cards[("aio", card_id)] for card_id in ids]


def pick_right(card: Card, choices: list[str]) -> int:
    return choices.index(card.back)


def pick_wrong(card: Card, choices: list[str]) -> int:
    return next(n for n, choice in enumerate(choices) if choice != card.back)


def take(
    cards: list[Card], pool: list[Card], *responses: object, recorder: Recorder | None = None
) -> tuple[FakeUI, TestResult]:
    ui = FakeUI(list(responses))
    result = run_test(
        cards,
        pool,
        ui,
        section="Queues",
        clock=FakeClock(),
        rng=random.Random(3),
        recorder=recorder,
    )
    assert ui.responses == []
    return ui, result


def test_distractors_are_similar_backs_of_the_same_deck(cards: dict[tuple[str, str], Card]) -> None:
    pool = list(cards.values())
    wrong = distractors(cards[("aio", "get")], pool)
    assert len(wrong) == 3
    # The other queue calls of the same section come before anything else.
    assert set(wrong[:2]) == {"item = queue.get_nowait()", "await queue.put(item)"}
    assert not {"await queue.put(thing)", "thing = await queue.get()"} & set(wrong)


def test_distractors_never_repeat_the_right_answer(cards: dict[tuple[str, str], Card]) -> None:
    wrong = distractors(cards[("aio", "join")], list(cards.values()), count=10)
    normal = [" ".join(w.split()) for w in wrong]
    assert "await queue.join()" not in normal
    assert len(set(normal)) == len(normal)


def test_distractors_leave_out_answers_of_a_very_different_size(
    cards: dict[tuple[str, str], Card],
) -> None:
    assert "line one" not in "".join(
        distractors(cards[("aio", "sleep")], list(cards.values()), count=20)
    )
    assert distractors(cards[("aio", "lonely-poem")], list(cards.values())) == []


def test_distractors_read_each_answer_once(
    cards: dict[tuple[str, str], Card], monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[str] = []
    calls = quiz._calls
    monkeypatch.setattr(quiz, "_calls", lambda code: read.append(code) or calls(code))
    card = cards[("aio", "get")]
    candidates = [other for other in cards.values() if other.deck == "aio" and other != card]
    distractors(card, list(cards.values()))
    assert sorted(read) == sorted([card.back] + [other.back for other in candidates])


def test_a_test_is_scored_and_lists_what_was_missed(cards: dict[tuple[str, str], Card]) -> None:
    test_cards = aio(cards, "get", "put", "size", "full")
    ui, result = take(
        test_cards, list(cards.values()), pick_right, pick_wrong, "print(queue.qsize())", "False"
    )
    assert [answer.right for answer in result.answers] == [True, False, True, False]
    assert [answer.how for answer in result.answers] == ["choice", "choice", "run", "output"]
    assert (result.right, result.total, result.percent) == (2, 4, 50.0)
    assert [answer.card.id for answer in result.missed] == ["put", "full"]
    data = result.to_dict()
    assert data["score"] == "2/4" and data["recorded"] is False
    assert data["missed"][0]["answer"] == "await queue.put(item)"  # type: ignore[index]
    # Each multiple choice holds the right answer once, among backs of its own deck.
    for card, choices in ui.choice_prompts:
        assert choices.count(card.back) == 1 and len(choices) == 4
    assert [p.right_so_far for _, p in ui.shown] == [0, 1, 1, 2]


def test_enter_alone_means_show_me_and_counts_as_missed(cards: dict[tuple[str, str], Card]) -> None:
    _, result = take(aio(cards, "get", "size"), list(cards.values()), ENTER, ENTER)
    assert result.right == 0 and [a.given for a in result.answers] == ["", ""]


def test_a_deck_without_good_distractors_is_self_graded(cards: dict[tuple[str, str], Card]) -> None:
    solo = [cards[("alone", "only")], cards[("alone", "second")]]
    ui, result = take(solo, list(cards.values()), ENTER, ENTER, ENTER, False)
    assert ui.choice_prompts == []
    assert [(a.how, a.right) for a in result.answers] == [("self", True), ("self", False)]


def test_ctrl_c_stops_with_the_partial_score(cards: dict[tuple[str, str], Card]) -> None:
    _, result = take(aio(cards, "get", "put", "join"), list(cards.values()), pick_right, INTERRUPT)
    assert result.stopped and result.total == 3 and result.to_dict()["score"] == "1/1"


def test_quit_and_undo_in_a_test(cards: dict[tuple[str, str], Card]) -> None:
    ui, result = take(
        aio(cards, "get", "put", "join"),
        list(cards.values()),
        pick_wrong,
        Command.UNDO,
        pick_right,
        pick_right,
        Command.QUIT,
    )
    assert [card.id for card, _ in ui.shown] == ["get", "put", "get", "put", "join"]
    assert [a.right for a in result.answers] == [True, True] and result.stopped


def test_record_turns_answers_into_reviews(
    cards: dict[tuple[str, str], Card], store: Store
) -> None:
    scheduler = Scheduler(fuzzing=False)
    test_cards = aio(cards, "get", "put", "join")
    recorder = Recorder(store, scheduler, test_cards)
    # get right, put wrong; at join, undo put's answer (and its review), put right, join wrong.
    take(
        test_cards,
        list(cards.values()),
        pick_right,
        pick_wrong,
        Command.UNDO,
        pick_right,
        pick_wrong,
        recorder=recorder,
    )
    with closing(sqlite3.connect(store.path)) as connection:
        rows = connection.execute("SELECT card_id, grade, source FROM review ORDER BY id")
        assert list(rows) == [
            ("get", Grade.GOOD, TEST_SOURCE),
            ("put", Grade.GOOD, TEST_SOURCE),
            ("join", Grade.AGAIN, TEST_SOURCE),
        ]
    now = FakeClock().now
    record = store.record(("aio", "get"))
    assert record is not None and record.state == scheduler.review(None, Grade.GOOD, now)


def test_undo_of_an_answer_reviewed_elsewhere_meanwhile_keeps_it(
    cards: dict[tuple[str, str], Card], store: Store
) -> None:
    scheduler = Scheduler(fuzzing=False)
    test_cards = aio(cards, "get", "put", "join")
    recorder = Recorder(store, scheduler, test_cards)

    def another_session_reviews_get_then_undo(card: Card, choices: list[str]) -> Command:
        with open_store(store.path) as other:
            before = other.record(("aio", "get"))
            after = scheduler.review(before.state if before else None, Grade.EASY, FakeClock().now)
            other.record_review(("aio", "get"), before, after, Grade.EASY, FakeClock().now)
        return Command.UNDO

    ui, result = take(
        test_cards,
        list(cards.values()),
        pick_right,
        another_session_reviews_get_then_undo,
        pick_right,
        Command.QUIT,
        recorder=recorder,
    )
    assert [(a.card.id, a.right) for a in result.answers] == [("get", True), ("put", True)]
    assert ui.notices == ["card aio/get was reviewed again since; not undone"]
    assert [card.id for card, _ in ui.shown] == ["get", "put", "put", "join"]
    with closing(sqlite3.connect(store.path)) as connection:
        rows = connection.execute("SELECT card_id, grade FROM review ORDER BY id")
        assert list(rows) == [("get", Grade.GOOD), ("get", Grade.EASY), ("put", Grade.GOOD)]


# -- the command -------------------------------------------------------------------------------


def reviews_in_database() -> list[tuple[str, int, str]] | None:
    if not paths.database_path().exists():
        return None
    with closing(sqlite3.connect(paths.database_path())) as connection:
        rows = connection.execute("SELECT card_id, grade, source FROM review ORDER BY id")
        return [(str(a), int(b), str(c)) for a, b, c in rows]


def test_the_command_prints_score_time_and_missed(runner: CliRunner, deck_dir: Path) -> None:
    # In deck order: put (choice), get (choice), get-nowait, join, join-again, size, full.
    args = ["test", "queues", "--deck", str(deck_dir / "aio"), "--no-shuffle", "--count", "2"]
    result = runner.invoke(cli, args, input="\n\n")
    assert result.exit_code == 0, result.output
    assert "Score: 0/2 (0%) in " in result.output
    missed = result.output.split("Missed:")[1]
    assert "put: Put item on the queue" in missed and "await queue.put(item)" in missed
    assert reviews_in_database() is None  # without --record, no schedule is touched


def test_the_command_json_and_record(runner: CliRunner, deck_dir: Path) -> None:
    args = ["test", "Q", "--deck", str(deck_dir / "aio"), "--no-shuffle", "--json", "--record"]
    typed = "\n" * 5 + "print(queue.qsize())\n\n" + "True\n\n"  # 5 x show me, then 2 right
    result = runner.invoke(cli, args, input=typed)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["score"], data["total"], data["recorded"]) == ("2/7", 7, True)
    assert [c["id"] for c in data["cards"]] == [
        "put",
        "get",
        "get-nowait",
        "join",
        "join-again",
        "size",
        "full",
    ]
    recorded = reviews_in_database()
    assert recorded is not None and len(recorded) == 7
    assert {(card, grade) for card, grade, _ in recorded} >= {("size", 3), ("full", 3), ("put", 1)}
    assert {source for _, _, source in recorded} == {"test"}


def test_shuffle_changes_the_order_but_asks_every_card_once(
    runner: CliRunner, deck_dir: Path
) -> None:
    orders = set()
    for _ in range(6):
        result = runner.invoke(
            cli, ["test", "queues", "--deck", str(deck_dir / "aio"), "--json"], input="\n" * 20
        )
        ids = [card["id"] for card in json.loads(result.stdout)["cards"]]
        assert sorted(ids) == sorted(
            ["put", "get", "get-nowait", "join", "join-again", "size", "full"]
        )
        orders.add(tuple(ids))
    assert len(orders) > 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no section 'nope'; sections are: Queues; Tasks"),
        (["Queues", "--count", "0"], "Invalid value for '--count'"),
        (["Queues", "--count", "two"], "'two' is not a valid integer"),
        (["Queues", "nope"], "no section 'nope'; sections are: Queues; Tasks"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    runner: CliRunner, deck_dir: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(cli, ["test", *args, "--deck", str(deck_dir / "aio")], input="")
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_an_ambiguous_section_lists_the_candidates(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "two"
    write_deck(folder, "a.toml", QUEUES)
    write_deck(
        folder,
        "b.toml",
        QUEUES.replace('"Queues"', '"Queue Tricks"').replace('deck = "aio"', 'deck = "tricks"'),
    )
    result = runner.invoke(cli, ["test", "que", "--deck", str(folder)], input="")
    assert result.exit_code == 2
    assert "section 'que' is ambiguous: it could be Queues; Queue Tricks" in result.stderr
