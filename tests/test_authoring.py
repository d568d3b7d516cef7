"""The authoring engine (the dialogues of `add` and `edit`), driven without a terminal."""

from __future__ import annotations

import pytest
from fake_ui import ENTER, FakeAuthoring

from quizzer.authoring import Abandoned, CardFields, ask_fields, edit_until_accepted
from quizzer.errors import QuizzerError
from quizzer.model import Kind, Match, Verdict

GATHER = """\
import asyncio

async def main():
    {{answer}}
    print(results)

asyncio.run(main())
"""


def fields(**given: object) -> CardFields:
    values: dict[str, object] = {
        "section": None,
        "front": None,
        "back": None,
        "kind": None,
        "card_id": None,
    }
    values.update(given)
    return CardFields(**values)  # type: ignore[arg-type]


def test_add_asks_what_is_missing_runs_the_program_and_offers_its_output() -> None:
    ui = FakeAuthoring(
        answers=["Gather", "write", "Run two at once", "results = [1, 2]", True, ["gather"]],
        edits=[GATHER],
    )
    card = fields()
    ask_fields(card, ["Basics"], ui)
    assert card.table() == {
        "front": "Run two at once",
        "back": "results = [1, 2]",
        "kind": "write",
        "tags": ["gather"],
        "program": GATHER,
        "output": "[1, 2]",  # what the program printed in the sandbox, as offered
    }
    assert [run.verdict for run in ui.runs] == [Verdict.OK]  # type: ignore[attr-defined]
    assert ui.asked[-2:] == ["Use what it printed as the card's output?", "tags"]


def test_a_failing_program_is_edited_again_from_the_user_s_text() -> None:
    broken = GATHER.replace("print(results)", "print(results")
    ui = FakeAuthoring(answers=[True, ENTER], edits=[broken, lambda text: GATHER])
    card = fields(section="S", front="f", back="results = 3", kind=Kind.WRITE, tags=["t"])
    ask_fields(card, [], ui)
    assert ui.edited_from[1] == broken  # the second try starts from what the user wrote
    assert [run.verdict for run in ui.runs] == [Verdict.ERROR, Verdict.OK]  # type: ignore[attr-defined]
    assert card.output == "3" and card.match == Match.EXACT


def test_giving_up_on_a_failing_program_abandons_the_card() -> None:
    ui = FakeAuthoring(answers=[False], edits=["raise SystemExit(3)\n{{answer}}\n"])
    with pytest.raises(Abandoned):
        ask_fields(fields(section="S", front="f", back="x = 1", kind=Kind.WRITE), [], ui)


def _accept_numbers(text: str) -> int:
    if not text.strip().isdigit():
        raise QuizzerError(f"{text.strip()!r} is not a number")
    return int(text)


def test_an_edit_is_offered_again_keeping_the_user_s_text_until_it_passes() -> None:
    ui = FakeAuthoring(answers=[True], edits=["12a", lambda text: text.replace("a", "")])
    edited = edit_until_accepted("1", "note", _accept_numbers, ui, can_ask=True)
    assert (edited.accepted, edited.text) == (12, "12")
    assert ui.edited_from == ["1", "12a"]
    assert ui.told == ["'12a' is not a number"]


def test_an_edit_that_fails_without_a_terminal_is_not_offered_again() -> None:
    ui = FakeAuthoring(edits=["nope"])
    edited = edit_until_accepted("1", "note", _accept_numbers, ui, can_ask=False)
    assert (edited.accepted, edited.text, edited.problem) == (
        None,
        "nope",
        "'nope' is not a number",
    )
    assert ui.asked == []


def test_an_edit_declined_after_a_failure_is_not_accepted() -> None:
    ui = FakeAuthoring(answers=[False], edits=["x"])
    edited = edit_until_accepted("1", "note", _accept_numbers, ui, can_ask=True)
    assert edited.accepted is None and ui.asked == ["Edit it again?"]


def test_an_unchanged_text_is_reported_as_unchanged() -> None:
    ui = FakeAuthoring(edits=[lambda text: text])
    edited = edit_until_accepted("1\n", "note", _accept_numbers, ui, can_ask=True)
    assert edited.unchanged and edited.accepted is None


def test_ctrl_d_at_the_offer_to_edit_again_means_no() -> None:
    class Closed(FakeAuthoring):
        def confirm(self, message: str, *, default: bool) -> bool:
            raise EOFError

    edited = edit_until_accepted("1", "note", _accept_numbers, Closed(edits=["x"]), can_ask=True)
    assert (edited.accepted, edited.text) == (None, "x")
