"""The built-in deck's sections 06 to 11 (Streams to Async Context Managers), card format v2.

The deck-wide checks (every card verifies, its wrong examples judged wrong) live in
test_builtin_deck.py; these pin what issue 13 asks of each of these sections.
"""

from __future__ import annotations

import re

import pytest

from quizzer import paths
from quizzer.deck import load_deck
from quizzer.judge import judge_programs
from quizzer.model import SHEET_FIX_TAG, Card, Deck, Kind
from quizzer.verify import recall_code

SECTIONS = [
    "Streams",
    "Semaphores, Events and Conditions",
    "Locks",
    "Queues",
    "Async Generators and Iterators",
    "Async Context Managers",
]

# Where the sheet's own text, run as written, fails or does something else than it says; each of
# these cards proves it with its sheet-program. Wording the sheet could put better ("blocking",
# "thread", "expression") is not a sheet-fix: its code works.
SHEET_FIXES = {
    "stream-open-connection",  # open_connection without asyncio.: NameError
    "stream-start-server",  # start_server without asyncio.: NameError
    "queue-qsize",  # "current capacity" is the number of items
    "queue-maxsize",  # the capacity is maxsize, not qsize()
    "async-context-manager-define",  # `def __exit__` with await in it: SyntaxError
    "async-context-manager-use",  # CustomClass is never defined: NameError
}

# What the sections touch but the sheet does not teach (issue 13), each a write or predict card.
BEYOND_SHEET = {
    "stream-readuntil",
    "stream-readexactly",
    "stream-incomplete-read",
    "stream-serve-forever",
    "bounded-semaphore",
    "queue-worker-task-done",
    "queue-task-done-count",
    "async-generator-aclose",
    "async-generator-aclosing",
    "asynccontextmanager-define",
    "aexit-suppress",
}

# An exception's message printed by a program: str(e), f"{e}", or e as an argument of print.
_MESSAGE_PRINTED = re.compile(r"str\(e\)|\{e\}|print\(\s*e\s*\)|print\([^)]*,\s*e\s*[,)]")


@pytest.fixture(scope="module")
def cards() -> list[Card]:
    deck: Deck = load_deck(paths.builtin_deck_dir())
    return [card for card in deck.cards if card.section in SECTIONS]


def test_each_section_has_three_recall_and_three_runnable_cards(cards: list[Card]) -> None:
    for section in SECTIONS:
        kinds = [card.kind for card in cards if card.section == section]
        assert kinds.count(Kind.RECALL) >= 3, section
        assert kinds.count(Kind.WRITE) + kinds.count(Kind.PREDICT) >= 3, section


def test_recall_backs_are_prose_and_proved_by_a_program(cards: list[Card]) -> None:
    recalls = [card for card in cards if card.kind == Kind.RECALL]
    assert len(recalls) >= 3 * len(SECTIONS)
    for card in recalls:
        assert recall_code(card.back) == [], card.id
        assert not any(line.lstrip().startswith("#") for line in card.back.splitlines()), card.id
        assert card.program and card.output, card.id  # what the back says, shown by running


def test_write_cards_vary_with_a_seed_and_carry_two_wrong_examples(cards: list[Card]) -> None:
    writes = [card for card in cards if card.kind == Kind.WRITE]
    for card in writes:
        assert card.has_seed, card.id
        assert len(card.wrong) >= 2, card.id
        assert card.back not in card.wrong, card.id


def test_predict_cards_print_exception_types_not_messages(cards: list[Card]) -> None:
    for card in cards:
        if card.kind == Kind.PREDICT:
            assert not _MESSAGE_PRINTED.search(card.program or ""), card.id
            assert len(card.wrong) >= 2, card.id


def test_sheet_fix_is_where_the_sheets_text_fails_and_carries_the_proof(
    cards: list[Card],
) -> None:
    fixes = {card.id for card in cards if SHEET_FIX_TAG in card.tags}
    assert fixes == SHEET_FIXES
    for card in cards:
        if card.id in SHEET_FIXES:
            assert card.sheet_program and card.note and card.source, card.id
            assert (card.sheet_error is None) != (card.sheet_output is None), card.id
        else:
            assert card.sheet_program is None, card.id


def test_beyond_sheet_cards_are_runnable_with_wrong_examples(cards: list[Card]) -> None:
    beyond = {card.id: card for card in cards if "beyond-sheet" in card.tags}
    assert set(beyond) == BEYOND_SHEET
    for card in beyond.values():
        assert card.kind in (Kind.WRITE, Kind.PREDICT), card.id
        assert card.wrong, card.id
        assert card.source is None, card.id  # not an entry of the sheet


def test_card_ids_of_the_sheets_entries_are_kept(cards: list[Card]) -> None:
    ids = {card.id for card in cards}
    kept = {
        "stream-open-connection",
        "stream-start-server",
        "stream-readline",
        "stream-write",
        "stream-drain",
        "stream-close",
        "semaphore-create",
        "semaphore-acquire-release",
        "semaphore-context-manager",
        "event-set",
        "event-is-set",
        "event-wait",
        "condition-acquire-release",
        "condition-wait",
        "condition-wait-for",
        "condition-notify",
        "condition-notify-all",
        "lock-create",
        "lock-race-without-lock",
        "lock-acquire-release",
        "lock-context-manager",
        "queue-kinds",
        "queue-create",
        "queue-create-bounded",
        "queue-put",
        "queue-get",
        "queue-empty",
        "queue-full",
        "queue-qsize",
        "queue-maxsize",
        "queue-task-done",
        "queue-join",
        "async-generator-define",
        "async-iterator-define",
        "async-iterator-use",
        "async-iterator-plain-for",
        "async-context-manager-define",
        "async-context-manager-enter-result",
        "async-context-manager-use",
    }
    assert kept <= ids  # review history is keyed on these


def test_printing_the_output_is_wrong_and_the_back_is_right(cards: list[Card]) -> None:
    writes = [card for card in cards if card.kind == Kind.WRITE]
    failures = []
    for card in writes:
        fake = f"print({(card.output or '').strip()!r})"
        answers = [fake, f"{fake}\nraise SystemExit", card.back]
        fake_print, fake_exit, back = judge_programs(card, answers)
        if fake_print.right or fake_exit.right or not back.right:
            failures.append((card.id, fake_print.right, fake_exit.right, back.detail))
    assert failures == []
