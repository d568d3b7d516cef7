"""The built-in asyncio deck: every entry of the sheet is a card, and every card proves itself."""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import write_deck

from quizzer import judge
from quizzer.deck import load_deck
from quizzer.model import SHEET_FIX_TAG, Card, Deck, Kind
from quizzer.verify import check_mutants, recall_code, verify_cards

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


def test_cards_are_mostly_runnable_and_runnable_ones_carry_a_program(deck: Deck) -> None:
    # Recall cards on the why and when of a section are prose (issue 13): they need no program.
    kinds = Counter(card.kind for card in deck.cards)
    assert kinds[Kind.WRITE] + kinds[Kind.PREDICT] >= 2 / 3 * len(deck.cards)
    missing = [card.id for card in deck.cards if card.kind != Kind.RECALL and not card.program]
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


def test_every_card_verifies(deck: Deck) -> None:
    failures = [(c.card.id, c.detail) for c in verify_cards(deck.cards) if not c.ok]
    assert failures == []


# --- Deck v2 (deck-a: sections 1-5, and the deck-wide judge checks) ---------------------------

MIN_RECALL = 3
MIN_RUNNABLE = 3  # write or predict cards


def test_every_section_has_three_recall_and_three_runnable_cards(deck: Deck) -> None:
    """`quizzer test` needs recall distractors in every section, and drills need code."""
    for section in deck.sections:
        kinds = Counter(card.kind for card in section.cards)
        assert kinds[Kind.RECALL] >= MIN_RECALL, section.name
        assert kinds[Kind.WRITE] + kinds[Kind.PREDICT] >= MIN_RUNNABLE, section.name


def test_every_recall_back_is_prose(deck: Deck) -> None:
    """A recall back is what the learner recalls, in words: no Python comments posing as prose."""
    recalls = [card for card in deck.cards if card.kind == Kind.RECALL]
    assert recalls
    for card in recalls:
        lines = [line.strip() for line in card.back.splitlines() if line.strip()]
        assert lines, card.id
        assert not any(line.startswith("#") for line in lines), card.id
        assert recall_code(card.back) == [], card.id  # the judge reads it as prose, not code


def test_sheet_fix_cards_and_only_they_carry_a_sheet_proof(deck: Deck) -> None:
    mine = {card.id for card in deck.cards if card.section in SECTIONS[:5]}
    for card in deck.cards:
        fixes = SHEET_FIX_TAG in card.tags
        assert (card.sheet_program is not None) <= fixes, card.id
        if fixes and card.id in mine:
            assert card.sheet_program, card.id
            assert (card.sheet_error is None) != (card.sheet_output is None), card.id


def test_the_sheet_fixes_of_sections_one_to_five_are_proven(deck: Deck) -> None:
    cards = [c for c in deck.cards if c.section in SECTIONS[:5] and SHEET_FIX_TAG in c.tags]
    assert len(cards) >= 8
    checks = verify_cards(cards)
    assert [(c.card.id, c.sheet.detail if c.sheet else "no proof") for c in checks] == [
        (c.id, "") for c in cards
    ]


def test_write_cards_of_sections_one_to_five_carry_wrong_examples(deck: Deck) -> None:
    """At least a faked output and a learner's mistake, which verify proves the judge refuses."""
    for card in deck.cards:
        if card.section in SECTIONS[:5] and card.kind == Kind.WRITE:
            assert len(card.wrong) >= 2, card.id


def test_beyond_sheet_cards_are_runnable_and_carry_wrong_examples(deck: Deck) -> None:
    beyond = [card for card in deck.cards if "beyond-sheet" in card.tags]
    assert len(beyond) >= 11
    for card in beyond:
        assert card.kind in (Kind.WRITE, Kind.PREDICT) and card.wrong, card.id


_CLAIMED_FIX = '''
deck = "claims"
section = "Task"

[[card]]
id = "cancel-says-was-canceled"
front = "Request cancellation of `task`"
back = "task.cancel()"
kind = "predict"
tags = ["sheet-fix"]
program = "print('cancel')"
output = "cancel"
note = "The sheet's line is wrong."
sheet-program = """
import asyncio

async def main():
    task = asyncio.create_task(asyncio.sleep(0))
    was_canceled = task.cancel()
    print(was_canceled)

asyncio.run(main())
"""
sheet-error = "SyntaxError"

[[card]]
id = "set-name-on-one-line"
front = "Rename `task`"
back = "task.set_name('MyTask')"
kind = "predict"
tags = ["sheet-fix"]
program = "print('name')"
output = "name"
sheet-program = """
task.set_name('MyTask') name = task.get_name()
"""
sheet-error = "SyntaxError"
'''


def test_a_sheet_fix_whose_sheet_text_works_fails_verify(tmp_path: Path) -> None:
    """The proof runs the sheet's own text: a claim that it fails, where it works, is caught."""
    cards = load_deck(write_deck(tmp_path, "claims.toml", _CLAIMED_FIX)).cards
    wrong_claim, true_claim = verify_cards(cards)
    assert not wrong_claim.ok
    assert wrong_claim.sheet is not None and not wrong_claim.sheet.ok
    assert "ran without error" in wrong_claim.sheet.detail
    assert true_claim.ok and true_claim.sheet is not None and true_claim.sheet.ok


def _judge_write_card(card: Card) -> list[str]:
    """What the judge gets wrong on one write card: fakes it accepts, right answers it refuses."""
    fake = f"print({(card.output or '').rstrip()!r})"
    fakes = {
        "print of its output": fake,
        "print of its output, then exit": f"import sys\n{fake}\nsys.exit()",
        "print of its output, then raise SystemExit": f"{fake}\nraise SystemExit",
    }
    rights = {"back": card.back} | {f"right[{n}]": code for n, code in enumerate(card.right)}
    rulings = judge.judge_programs(card, [*rights.values(), *fakes.values()])
    problems = [
        f"{card.id}: {name} judged wrong: {ruling.reason}"
        for name, ruling in zip(rights, rulings, strict=False)
        if not ruling.right
    ]
    problems += [
        f"{card.id}: the {name} judged right"
        for name, ruling in zip(fakes, rulings[len(rights) :], strict=True)
        if ruling.right
    ]
    return problems


def test_the_judge_refuses_faked_output_and_accepts_the_right_answers(deck: Deck) -> None:
    """Deck-wide: printing a write card's output (alone, or then exiting) is wrong on every write
    card (each program has a {{seed}} or checks more than output); its back and `right` examples
    are right. Cards run in parallel, as verify runs them."""
    cards = [
        c for c in deck.cards if c.kind == Kind.WRITE and judge.python_supports(c.requires_python)
    ]
    assert len(cards) >= 60
    with ThreadPoolExecutor(max_workers=4 * max(1, os.cpu_count() or 1)) as pool:
        problems = [problem for found in pool.map(_judge_write_card, cards) for problem in found]
    assert problems == []


def test_no_mutant_of_sections_one_to_five_survives(deck: Deck) -> None:
    """verify --mutants: an await dropped, time.sleep, a sibling function, a print of the output...
    each made from a write card's back, is judged wrong (or the card lists it under `right`)."""
    cards = [c for c in deck.cards if c.section in SECTIONS[:5] and c.kind == Kind.WRITE]
    with ThreadPoolExecutor(max_workers=4 * max(1, os.cpu_count() or 1)) as pool:
        checks = dict(zip((c.id for c in cards), pool.map(check_mutants, cards), strict=True))
    assert sum(check.tried for check in checks.values()) >= len(cards)
    survivors = {card_id: check.messages for card_id, check in checks.items() if check.survivors}
    assert survivors == {}
