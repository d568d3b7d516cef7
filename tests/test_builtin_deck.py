"""The built-in asyncio deck: every entry of the sheet is a card, and every card proves itself."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from quizzer import judge
from quizzer.deck import load_deck
from quizzer.model import Deck, Kind
from quizzer.verify import verify_cards

SECTIONS = [
    "Coroutine",
    "Async Comprehensions and Loops",
    "Task",
    "Tasks",
    "Subprocesses",
    "Streams",
    "Semaphores, Events and Conditions",
    "Locks",
    "Queues",
    "Async Generators and Iterators",
    "Async Context Managers",
]
# Entries of ../shared/seed/asyncio-cheatsheet.txt per section, counted by hand from the sheet.
SHEET_ENTRIES = [6, 3, 13, 10, 6, 6, 10, 2, 9, 3, 2]


@pytest.fixture(scope="module")
def deck(builtin_deck: Path) -> Deck:
    return load_deck(builtin_deck)


@pytest.fixture(scope="module")
def builtin_deck() -> Path:  # module scope, so the deck loads once
    from quizzer import paths

    return paths.builtin_deck_dir()


def test_sections_follow_the_sheet(deck: Deck) -> None:
    assert deck.name == "asyncio"
    assert [section.name for section in deck.sections] == SECTIONS


def test_every_sheet_entry_has_a_card(deck: Deck) -> None:
    for section, entries in zip(deck.sections, SHEET_ENTRIES, strict=True):
        assert len(section.cards) >= entries, section.name
    assert len(deck.cards) >= sum(SHEET_ENTRIES)


def test_cards_are_mostly_runnable_and_all_carry_a_program(deck: Deck) -> None:
    kinds = Counter(card.kind for card in deck.cards)
    assert kinds[Kind.WRITE] + kinds[Kind.PREDICT] >= 0.75 * len(deck.cards)
    missing = [card.id for card in deck.cards if not card.program]
    assert missing == []


def test_sheet_fixes_explain_themselves(deck: Deck) -> None:
    fixes = [card for card in deck.cards if "sheet-fix" in card.tags]
    assert len(fixes) >= 8  # the sheet has at least this many real mistakes
    for card in fixes:
        assert card.note and card.source, card.id


def test_programs_stay_off_the_network_and_are_quick(deck: Deck) -> None:
    for card in deck.cards:
        program = card.program or ""
        assert "google.com" not in program and "'ls'" not in program, card.id
        assert "sleep(1)" not in program, card.id


# Main's deck predates the sheet-fix proof (card format v2): its sheet-fix cards do not carry a
# sheet-program yet. The deck branches add them and then drop this allowance.
NO_SHEET_PROOF_YET = "a sheet-fix card needs a sheet-program that shows the error"


def test_every_card_verifies(deck: Deck) -> None:
    checks = verify_cards(deck.cards)
    failures = [
        (c.card.id, c.detail) for c in checks if not c.ok and c.detail != NO_SHEET_PROOF_YET
    ]
    assert failures == []


def test_faked_answers_are_judged_wrong_on_every_write_card(deck: Deck) -> None:
    """Printing the card's output then exiting is wrong everywhere; printing it alone is wrong
    wherever the program has a {{seed}} (the deck branches give every write card one)."""
    accepted = []
    for card in deck.cards:
        if card.kind != Kind.WRITE or not judge.python_supports(card.requires_python):
            continue
        printed = f"print({(card.output or '')!r})"
        fakes = [f"{printed}\nimport sys\nsys.exit(0)", f"{printed}\nraise SystemExit"]
        if card.has_seed:
            fakes.append(printed)
        for fake, ruling in zip(fakes, judge.judge_programs(card, fakes), strict=True):
            if ruling.right:
                accepted.append((card.id, fake))
    assert accepted == []
