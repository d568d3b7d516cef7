"""`quizzer add` and the deck writer: cards checked before they are saved, files kept intact."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner
from conftest import write_deck

from quizzer import deck_writer, paths, sandbox
from quizzer.cli import cli
from quizzer.commands import add as add_command
from quizzer.deck import load_deck
from quizzer.errors import QuizzerError

# Comments, odd spacing, single quotes, a trailing comment and no final newline: all of it must
# survive an added card byte for byte.
ODD_DECK = '''\
# My asyncio notes   (keep this comment)
deck   = "notes"   # the deck's name
section="Basics"
about = 'Odd layout on purpose'

[[card]]
  id = "sum"     # an indented key
front = "Sum two numbers"
back  = 'total = 1 + 2'
kind = "write"
program = """
{{answer}}
print(total)"""
output = "3"

# the end of the file, without a newline'''

GATHER_PROGRAM = """\
import asyncio

async def one():
    return 1

async def two():
    return 2

async def main():
    {{answer}}
    print(results)

asyncio.run(main())
"""


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    """A deck folder holding one hand-written section file."""
    write_deck(tmp_path / "notes", "basics.toml", ODD_DECK)
    return tmp_path / "notes"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes (a lock file would be one: none is made)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def gather_args(deck: Path | None, *extra: str) -> list[str]:
    args = [
        "add",
        "--section",
        "Basics",
        "--kind",
        "write",
        "--front",
        "Run one() and two() at once; collect their results",
        "--back",
        "results = await asyncio.gather(one(), two())",
        "--program",
        GATHER_PROGRAM,
        *extra,
    ]
    return [*args, "--deck", str(deck)] if deck else args


def test_add_appends_the_card_and_keeps_the_file_byte_for_byte(
    runner: CliRunner, deck: Path
) -> None:
    file = deck / "basics.toml"
    before = file.read_bytes()
    result = runner.invoke(cli, gather_args(deck, "--output", "[1, 2]", "--tag", "gather"))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"Added card 'run-one-and-two-at-once-collect-their-results' to {file} (Basics; verified)"
    )
    after = file.read_bytes()
    assert after.startswith(before)
    assert after[len(before) :].lstrip(b"\n").startswith(b"[[card]]\n")
    cards = load_deck(deck).cards
    assert [card.id for card in cards] == ["sum", "run-one-and-two-at-once-collect-their-results"]
    added = cards[1]
    assert (added.kind, added.program, added.output, added.tags) == (
        "write",
        GATHER_PROGRAM,
        "[1, 2]",
        ("gather",),
    )
    assert added.section == "Basics"


def test_section_is_matched_case_insensitively(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(
        cli,
        [
            "add",
            "--deck",
            str(deck),
            "--section",
            "BASICS",
            "--front",
            "Sleep",
            "--back",
            "import time",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(snapshot(deck)) == ["basics.toml"]
    assert load_deck(deck).sections[0].cards[-1].id == "sleep"


def test_json_names_the_card_and_its_file(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(cli, gather_args(deck, "--output", "[1, 2]", "--id", "gather", "--json"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "id": "gather",
        "deck": "notes",
        "section": "Basics",
        "file": str(deck / "basics.toml"),
        "verified": True,
    }


def test_cards_go_to_the_own_deck_by_default(runner: CliRunner, home: Path) -> None:
    result = runner.invoke(
        cli,
        [
            "add",
            "--section",
            "My tricks",
            "--front",
            "Import asyncio",
            "--back",
            "import asyncio",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    file = home / "decks" / "mine" / "my-tricks.toml"
    assert json.loads(result.stdout)["file"] == str(file)
    assert file.read_text() == (
        'deck = "mine"\nsection = "My tricks"\n\n'
        '[[card]]\nid = "import-asyncio"\nfront = "Import asyncio"\nback = "import asyncio"\n'
        'kind = "recall"\n'
    )
    listed = runner.invoke(cli, ["list", "My tricks", "--json"])
    assert [(c["deck"], c["id"]) for c in json.loads(listed.stdout)] == [("mine", "import-asyncio")]


def test_a_new_section_gets_the_next_numbered_file(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "numbered"
    folder.mkdir()
    shutil.copy(paths.builtin_deck_dir() / "01-coroutine.toml", folder / "01-coroutine.toml")
    (folder / "07-last.toml").write_text(
        ODD_DECK.replace('"notes"', '"asyncio"').replace('"sum"', '"sum-odd"')
    )
    before = snapshot(folder)
    result = runner.invoke(
        cli,
        [
            "add",
            "--deck",
            str(folder),
            "--section",
            "Error handling!",
            "--front",
            "Catch a timeout",
            "--back",
            "except TimeoutError: pass",
        ],
    )
    assert result.exit_code == 1  # a recall card's back must compile, and this one does not
    assert snapshot(folder) == before
    result = runner.invoke(
        cli,
        [
            "add",
            "--deck",
            str(folder),
            "--section",
            "Error handling!",
            "--front",
            "Catch a timeout",
            "--back",
            "try:\n    pass\nexcept TimeoutError:\n    pass",
        ],
    )
    assert result.exit_code == 0, result.output
    new_file = folder / "08-error-handling.toml"
    assert snapshot(folder) == {**before, new_file.name: new_file.read_bytes()}
    deck = load_deck(folder)
    assert deck.name == "asyncio"
    assert [s.name for s in deck.sections][-1] == "Error handling!"


def test_id_defaults_to_a_slug_of_the_front_made_unique(runner: CliRunner, deck: Path) -> None:
    for _ in range(3):
        result = runner.invoke(
            cli,
            [
                "add",
                "--deck",
                str(deck),
                "--section",
                "Basics",
                "--front",
                "Sum two numbers!",
                "--back",
                "1 + 2",
            ],
        )
        assert result.exit_code == 0, result.output
    ids = [card.id for card in load_deck(deck).cards]
    assert ids == ["sum", "sum-two-numbers", "sum-two-numbers-2", "sum-two-numbers-3"]


def test_add_refuses_a_duplicate_id(runner: CliRunner, deck: Path) -> None:
    before = snapshot(deck)
    result = runner.invoke(
        cli,
        [
            "add",
            "--deck",
            str(deck),
            "--section",
            "Basics",
            "--id",
            "sum",
            "--front",
            "Again",
            "--back",
            "1 + 2",
        ],
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: duplicate id 'sum': deck 'notes' already has it ({deck / 'basics.toml'}:6); "
        "choose another --id"
    ]
    assert snapshot(deck) == before


def test_a_card_whose_output_differs_is_refused_with_the_diff(
    runner: CliRunner, deck: Path
) -> None:
    before = snapshot(deck)
    result = runner.invoke(cli, gather_args(deck, "--output", "[2, 1]"))
    assert result.exit_code == 1
    assert "-[2, 1]" in result.stderr and "+[1, 2]" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: card 'run-one-and-two")
    assert "nothing was written" in result.stderr
    assert snapshot(deck) == before


def test_a_card_whose_program_fails_is_refused(runner: CliRunner, home: Path) -> None:
    result = runner.invoke(
        cli,
        [
            "add",
            "--section",
            "S",
            "--front",
            "Broken",
            "--kind",
            "write",
            "--back",
            "x = undefined_name",
            "--program",
            "{{answer}}",
            "--output",
            "1",
        ],
    )
    assert result.exit_code == 1
    assert "NameError: name 'undefined_name' is not defined" in result.stderr
    assert not (home / "decks" / "mine").exists() or not snapshot(home / "decks" / "mine")


def test_no_verify_saves_a_failing_card_with_a_warning(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(cli, gather_args(deck, "--output", "[2, 1]", "--no-verify", "--json"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verified"] is False
    assert "Warning: saved without running the card (--no-verify)" in result.stderr
    assert load_deck(deck).cards[-1].output == "[2, 1]"
    checked = runner.invoke(cli, ["verify", "--deck", str(deck), "--json"])
    assert checked.exit_code == 1
    assert json.loads(checked.stdout)["failed"] == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--kind", "write", "--program", "print(1)", "--output", "1"], "needs {{answer}}"),
        (["--kind", "predict", "--program", "{{answer}}", "--output", "1"], "must not contain"),
        (["--kind", "predict", "--program", "print(1)"], "a predict card needs an output"),
        (["--id", "-bad id"], "must be letters, digits"),
        (["--front", "   "], "the card's front is empty (--front)"),
        (["--back", ""], "the card's back is empty (--back)"),
        (["--tag", ""], "a --tag is empty"),
        (["--tag", "ok", "--tag", " "], "a --tag is empty"),
        (["--output", "1"], "this recall card has no program"),
        (["--match", "regex"], "the card has no --output"),
    ],
)
def test_an_invalid_card_is_refused_before_anything_runs(
    runner: CliRunner, deck: Path, options: list[str], message: str
) -> None:
    before = snapshot(deck)
    args = ["add", "--deck", str(deck), "--section", "Basics", "--front", "F", "--back", "1"]
    result = runner.invoke(cli, [*args, *options])
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(deck) == before


def test_an_invalid_card_is_named_in_plain_words(runner: CliRunner, deck: Path) -> None:
    args = [
        "add",
        "--deck",
        str(deck),
        "--section",
        "Basics",
        "--kind",
        "write",
        "--front",
        "F",
        "--back",
        "x = 1",
        "--output",
        "1",
    ]
    generated = runner.invoke(cli, args)
    assert generated.stderr == (
        "Error: cannot add the card: a write card's program needs {{answer}}\n"
    )
    named = runner.invoke(cli, [*args, "--id", "mine"])
    assert named.stderr == (
        "Error: cannot add card 'mine': a write card's program needs {{answer}}\n"
    )


def test_an_empty_option_is_refused_before_anything_is_asked(runner: CliRunner, deck: Path) -> None:
    # Without a terminal the missing fields could not be asked; the empty tag is said first,
    # as it would be in a terminal, instead of after every question.
    result = runner.invoke(cli, ["add", "--deck", str(deck), "--tag", ""], input="")
    assert (result.exit_code, result.stderr) == (
        2,
        "Error: a --tag is empty: give each tag a name, or leave it out\n",
    )


# Decks are merged by name across the built-in deck and every folder of the user's: a card must
# fit the merged deck, or every command that reads the default decks would stop working.


def _add(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, ["add", *args, "--json"])
    return result.exit_code, result.stdout if result.exit_code == 0 else result.stderr


def _default_decks_load(runner: CliRunner) -> dict[str, int]:
    """The sections of the default decks with their card counts, asserting that they load."""
    result = runner.invoke(cli, ["sections", "--json"])
    assert result.exit_code == 0, result.stderr
    return {f"{s['deck']}/{s['name']}": s["cards"] for s in json.loads(result.stdout)}


SHARED_MINE = 'deck = "mine"\nsection = "Shared"\n\n[[card]]\nid = "foo"\nfront = "F"\nback = "1"\n'


def test_a_generated_id_is_unique_across_the_files_of_the_deck(
    runner: CliRunner, home: Path
) -> None:
    assert _add(runner, "--section", "A", "--front", "What is 1+1", "--back", "2")[0] == 0
    assert _add(runner, "--section", "B", "--front", "Other", "--back", "3")[0] == 0
    file_b = home / "decks" / "mine" / "b.toml"
    code, out = _add(runner, "--deck", str(file_b), "--front", "What is 1+1", "--back", "2")
    assert code == 0, out
    assert json.loads(out)["id"] == "what-is-1-1-2"
    assert _default_decks_load(runner)["mine/B"] == 2


def test_a_generated_id_is_unique_across_the_folders_of_the_deck(
    runner: CliRunner, home: Path
) -> None:
    write_deck(home / "decks" / "shared", "s.toml", SHARED_MINE)  # another folder, deck "mine"
    code, out = _add(runner, "--section", "Other", "--front", "foo", "--back", "1")
    assert code == 0, out
    assert json.loads(out)["id"] == "foo-2"
    assert _default_decks_load(runner)["mine/Other"] == 1


@pytest.mark.parametrize("where", ["same folder", "other folder", "built-in deck"])
def test_an_id_taken_anywhere_in_the_merged_deck_is_refused(
    runner: CliRunner, home: Path, builtin_deck: Path, where: str
) -> None:
    decks = home / "decks"
    if where == "same folder":  # written to one file of a deck whose other file has the id
        assert _add(runner, "--section", "A", "--front", "What is 1+1", "--back", "2")[0] == 0
        assert _add(runner, "--section", "B", "--front", "Other", "--back", "3")[0] == 0
        target, card_id, first = decks / "mine" / "b.toml", "what-is-1-1", decks / "mine/a.toml:4"
        deck, section = "mine", []
    elif where == "other folder":
        write_deck(decks / "shared", "s.toml", SHARED_MINE)
        write_deck(decks / "mine", "o.toml", SHARED_MINE.replace("Shared", "O").replace("foo", "o"))
        target, card_id, first, deck = decks / "mine", "foo", decks / "shared/s.toml:4", "mine"
        section = ["--section", "O"]
    else:  # a folder of the user's that carries the built-in deck's name
        write_deck(decks / "more", "s.toml", SHARED_MINE.replace('"mine"', '"asyncio"'))
        target, card_id, deck = decks / "more", "create-task", "asyncio"
        first, section = builtin_deck / "03-task.toml:5", ["--section", "Shared"]
    before = snapshot(decks)
    code, err = _add(
        runner,
        "--deck",
        str(target),
        *section,
        "--id",
        card_id,
        "--front",
        "What is 1+1",
        "--back",
        "2",
    )
    assert (code, err) == (
        2,
        f"Error: duplicate id {card_id!r}: deck {deck!r} already has it ({first}); "
        "choose another --id\n",
    )
    assert snapshot(decks) == before
    _default_decks_load(runner)


def test_a_section_in_another_folder_of_the_deck_is_refused(runner: CliRunner, home: Path) -> None:
    shared = write_deck(home / "decks" / "shared", "s.toml", SHARED_MINE)
    before = snapshot(home / "decks")
    code, err = _add(runner, "--section", "shared", "--front", "Bar", "--back", "1")
    assert (code, err) == (
        2,
        (
            f"Error: deck 'mine' already has section 'Shared' in {shared}, outside "
            f"{home / 'decks' / 'mine'}; add to it with --deck {shared}, or choose another section "
            "name\n"
        ),
    )
    assert snapshot(home / "decks") == before
    code, err = _add(
        runner,
        "--section",
        "Task",
        "--front",
        "Bar",
        "--back",
        "1",
        "--deck",
        str(home / "decks" / "asyncio"),
    )
    assert code == 2
    assert err.endswith(
        "outside " + str(home / "decks" / "asyncio") + "; choose another section name\n"
    )
    assert snapshot(home / "decks") == before


def test_a_copy_of_the_builtin_deck_elsewhere_keeps_its_ids(
    runner: CliRunner, tmp_path: Path, builtin_deck: Path
) -> None:
    # Outside the data folder no default command reads it, so it merges with nothing.
    fork = tmp_path / "fork"
    fork.mkdir()
    shutil.copy(builtin_deck / "03-task.toml", fork / "03-task.toml")
    code, out = _add(
        runner,
        "--deck",
        str(fork),
        "--section",
        "Task",
        "--front",
        "Create a task",
        "--back",
        "1",
        "--id",
        "create-task-2",
    )
    assert code == 0, out
    assert [c.id for c in load_deck(fork).cards][-1] == "create-task-2"


def test_a_card_that_another_folder_took_meanwhile_is_not_written(home: Path) -> None:
    # The last check, with the new file in place, loads the whole merged deck again: an id that
    # another writer took in another folder after the first check is still caught.
    roots = [paths.builtin_deck_dir(), home / "decks" / "shared"]
    shared = write_deck(roots[1], "s.toml", SHARED_MINE)
    (home / "decks" / "mine").mkdir()
    target = deck_writer.merged_target(deck_writer.find_target(None), roots)
    shared.write_text(SHARED_MINE + '\n[[card]]\nid = "late"\nfront = "L"\nback = "1"\n')
    table = {"id": "late", "front": "Late", "back": "1", "kind": "recall"}
    duplicate = r"shared/s\.toml:9: duplicate id 'late' in deck 'mine' \(first at \S+/new\.toml:4"
    with pytest.raises(QuizzerError, match=duplicate) as error:
        deck_writer._add_locked(target, "New", table)
    assert ".tmp" not in str(error.value)
    assert snapshot(home / "decks" / "mine") == {}


def test_another_deck_that_does_not_load_stops_the_add(runner: CliRunner, home: Path) -> None:
    broken = write_deck(home / "decks" / "shared", "s.toml", 'deck = "mine"\nsection = "S\n')
    result = runner.invoke(cli, ["add", "--section", "A", "--front", "F", "--back", "1"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {broken}:2: invalid TOML")
    assert not (home / "decks" / "mine").exists()


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_line_ends_of_the_text_given_are_stored_as_lf(
    runner: CliRunner, home: Path, newline: str
) -> None:
    program = "print(1)\nprint(2)\n".replace("\n", newline)
    for front in ("First", "Second"):  # a new section file, then an append to it
        result = runner.invoke(
            cli,
            [
                "add",
                "--section",
                "P",
                "--kind",
                "predict",
                "--front",
                f"{front}{newline}card",
                "--back",
                f"1{newline}2",
                "--program",
                program,
                "--output",
                f"1{newline}2",
            ],
        )
        assert result.exit_code == 0, result.output
    file = home / "decks" / "mine" / "p.toml"
    assert b"\r" not in file.read_bytes()
    assert "\\r" not in file.read_text()  # no escaped one-liner either
    cards = load_deck(file).cards
    assert [(c.front, c.back, c.program, c.output) for c in cards] == [
        (f"{front}\ncard", "1\n2", "print(1)\nprint(2)\n", "1\n2") for front in ("First", "Second")
    ]


def test_a_deck_file_that_does_not_parse_is_left_alone(runner: CliRunner, deck: Path) -> None:
    broken = deck / "basics.toml"
    broken.write_text(ODD_DECK.replace('section="Basics"', 'section="Basics'))
    before = snapshot(deck)
    result = runner.invoke(
        cli, ["add", "--deck", str(deck), "--section", "Basics", "--front", "F", "--back", "1"]
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {broken}:3: invalid TOML")
    assert snapshot(deck) == before
    assert not deck_writer.lock_path(deck).exists()


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make `folder` unwritable, even for root (who ignores permission bits)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a folder unwritable")
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"chattr +i failed here: {made.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_an_unwritable_folder_ends_in_one_line_and_changes_nothing(
    runner: CliRunner, deck: Path
) -> None:
    before = snapshot(deck)
    with read_only(deck):
        result = runner.invoke(cli, gather_args(deck, "--output", "[1, 2]"))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: {deck}: cannot write to this folder: Operation not permitted"
        if os.geteuid() == 0
        else f"Error: {deck}: cannot write to this folder: Permission denied"
    ]
    assert snapshot(deck) == before


def test_a_deck_folder_that_cannot_be_made_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    result = runner.invoke(
        cli,
        [
            "add",
            "--deck",
            str(tmp_path / "a-file" / "deck"),
            "--section",
            "S",
            "--front",
            "F",
            "--back",
            "1",
        ],
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: {tmp_path / 'a-file' / 'deck'}: cannot write to this folder: Not a directory"
    ]


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for name, data in snapshot(folder).items():
        digest.update(name.encode() + b"\0" + data)
    return digest.hexdigest()


@pytest.mark.parametrize("where", ["folder", "file"])
def test_the_builtin_deck_is_never_written(
    runner: CliRunner, builtin_deck: Path, where: str
) -> None:
    before = _tree_digest(builtin_deck)
    target = builtin_deck if where == "folder" else builtin_deck / "03-task.toml"
    result = runner.invoke(
        cli,
        [
            "add",
            "--deck",
            str(target),
            "--section",
            "Task",
            "--front",
            "F",
            "--back",
            "1",
            "--no-verify",
        ],
    )
    assert result.exit_code == 2
    assert "the built-in deck is read-only" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _tree_digest(builtin_deck) == before
    assert not deck_writer.lock_path(builtin_deck).exists()


def test_missing_fields_without_a_terminal_name_the_options(runner: CliRunner, home: Path) -> None:
    result = runner.invoke(cli, ["add", "--front", "F"], input="")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: missing --section, --back (stdin is not a terminal, so nothing can be asked)"
    )
    assert not home.exists()


def test_a_section_file_as_deck_takes_its_section(runner: CliRunner, deck: Path) -> None:
    file = deck / "basics.toml"
    result = runner.invoke(cli, ["add", "--deck", str(file), "--front", "F", "--back", "1"])
    assert result.exit_code == 0, result.output
    assert load_deck(file).cards[-1].id == "f"
    before = snapshot(deck)
    other = runner.invoke(
        cli, ["add", "--deck", str(file), "--section", "Other", "--front", "G", "--back", "1"]
    )
    assert other.exit_code == 2
    assert "holds only section 'Basics'; pass the deck folder" in other.stderr
    assert snapshot(deck) == before


def _add_in_a_process(deck: Path, front: str, value: int) -> subprocess.Popen[bytes]:
    args = [
        "--deck",
        str(deck),
        "--section",
        "Crowd",
        "--kind",
        "write",
        "--front",
        front,
        "--back",
        f"x = {value}",
        "--program",
        "{{answer}}\nprint(x)",
        "--output",
        str(value),
    ]
    return subprocess.Popen(
        [sys.executable, "-m", "quizzer", "add", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("same_front", [False, True])
def test_concurrent_adds_all_land(deck: Path, same_front: bool) -> None:
    before = (deck / "basics.toml").read_bytes()
    fronts = ["Same front" if same_front else f"Card {i}" for i in range(8)]
    processes = [_add_in_a_process(deck, front, i) for i, front in enumerate(fronts)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in processes if p.stderr]
    for process in processes:
        assert process.stdout is not None
        process.stdout.close()
        assert process.stderr is not None
        process.stderr.close()
    assert [code for code, _ in results] == [0] * 8, results
    crowd = next(s for s in load_deck(deck).sections if s.name == "Crowd")
    assert sorted(card.output or "" for card in crowd.cards) == [str(i) for i in range(8)]
    expected = (
        ["same-front", *(f"same-front-{n}" for n in range(2, 9))]
        if same_front
        else [f"card-{i}" for i in range(8)]
    )
    assert sorted(card.id for card in crowd.cards) == sorted(expected)
    assert (deck / "basics.toml").read_bytes() == before
    # Only the deck files: the lock lives in quizzer's own folder, not among the user's files.
    assert sorted(p.name for p in deck.iterdir()) == ["basics.toml", "crowd.toml"]
    assert deck_writer.lock_path(deck).parent == paths.data_home() / "locks"


# The deck writer's engine, directly.


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Schedule a task (high-level API)", "schedule-a-task-high-level-api"),
        ("  Café: naïve `await`?  ", "cafe-naive-await"),
        ("¿¡!!", "card"),
        ("Straße", "strasse"),
        ("Ærø œuvre, Łódź", "aero-oeuvre-lodz"),
        ("ＦＵＬＬ ｗｉｄｔｈ ①", "full-width-1"),
        ("日本語", "card"),
        ("a" * 60, "a" * 48),
        ("word " * 20, "-".join(["word"] * 9)),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert deck_writer.slugify(text) == slug


def test_a_front_without_ascii_letters_still_gets_an_id(runner: CliRunner, home: Path) -> None:
    for front in ("Straße", "日本語", "日本"):
        assert (
            runner.invoke(cli, ["add", "--section", "S", "--front", front, "--back", "1"]).exit_code
            == 0
        )
    assert [c.id for c in load_deck(home / "decks" / "mine").cards] == ["strasse", "card", "card-2"]


def test_unique_id_counts_up() -> None:
    assert deck_writer.unique_id("a", []) == "a"
    assert deck_writer.unique_id("a", ["a", "a-2"]) == "a-3"


@pytest.mark.parametrize(
    "value",
    [
        'has """ triple quotes """',
        "a back\\slash and \\n\n",
        "\nstarts with a newline\n",
        "tab\tand ünicode\n",
        "ends without a newline\nsecond line",
        "'''\n",
    ],
)
def test_rendered_cards_read_back_exactly(value: str) -> None:
    table = {"id": "x", "front": value, "back": value, "program": value}
    assert tomllib.loads(deck_writer.render_card(table)) == {"card": [table]}


def test_multi_line_text_starts_on_its_own_line() -> None:
    rendered = deck_writer.render_card({"id": "x", "front": "F", "back": "a\nb\n"})
    assert 'back = """\na\nb\n"""\n' in rendered


def test_appending_follows_crlf_line_endings() -> None:
    text = ODD_DECK.replace("\n", "\r\n") + "\r\n"
    table = {"id": "new", "front": "F", "back": "a\nb\n"}
    result = deck_writer.append_card_text(text, table)
    assert result.startswith(text)
    assert "\n" not in result.replace("\r\n", "")
    assert tomllib.loads(result)["card"][-1] == table


def test_appending_to_an_inline_card_array_falls_back_to_tomlkit() -> None:
    text = 'deck = "d"\nsection = "s"\ncard = [{id = "a", front = "A", back = "1"}]\n'
    table = {"id": "b", "front": "B", "back": "2"}
    result = deck_writer.append_card_text(text, table)
    assert tomllib.loads(result)["card"] == [{"id": "a", "front": "A", "back": "1"}, table]


def test_a_held_lock_makes_another_writer_wait_then_give_up(tmp_path: Path) -> None:
    with (
        deck_writer.deck_lock(tmp_path),
        pytest.raises(QuizzerError, match="locked by another quizzer"),
        deck_writer.deck_lock(tmp_path, timeout=0.1),
    ):
        pass
    with deck_writer.deck_lock(tmp_path, timeout=0.1):  # released: taken at once
        pass


@pytest.mark.parametrize("folder", ["mine", "shared"])
def test_an_add_to_any_folder_of_the_user_s_decks_waits_for_the_others(
    runner: CliRunner, home: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    # Two folders of one merged deck: each add must see the other's cards, so they take turns.
    monkeypatch.setattr(deck_writer, "LOCK_TIMEOUT", 0.1)
    decks = home / "decks"
    (decks / folder).mkdir(parents=True)
    with deck_writer.deck_lock(decks):  # another quizzer adding to some other folder
        result = runner.invoke(
            cli,
            [
                "add",
                "--deck",
                str(decks / folder),
                "--section",
                "S",
                "--front",
                "F",
                "--back",
                "x = 1",
            ],
        )
    assert result.exit_code == 2
    assert "locked by another quizzer" in result.output
    assert not list((decks / folder).glob("*.toml"))


def test_no_temporary_file_is_left_when_the_deck_would_not_load(deck: Path) -> None:
    target = deck_writer.find_target(deck)
    file = deck / "basics.toml"
    text = file.read_text() + '\n[[card]]\nid = "sum"\nfront = "dup"\nback = "1"\n'
    with pytest.raises(QuizzerError, match="duplicate id 'sum'"):
        deck_writer._write_checked(target, file, text.encode(), 0o644, "sum")
    assert sorted(p.name for p in deck.iterdir()) == ["basics.toml"]
    assert file.read_text() == ODD_DECK


def test_section_file_names_follow_the_folder(tmp_path: Path) -> None:
    assert deck_writer.section_file_name("Task groups", tmp_path) == "task-groups.toml"
    (tmp_path / "task-groups.toml").write_text("")
    assert deck_writer.section_file_name("Task groups", tmp_path) == "task-groups-2.toml"
    numbered = tmp_path / "numbered"
    numbered.mkdir()
    for name in ("001-a.toml", "009-b.toml"):
        (numbered / name).write_text("")
    assert deck_writer.section_file_name("Streams", numbered) == "010-streams.toml"


# The interactive flow, in a real terminal.

DOWN, ENTER, FINISH_MULTILINE = "\x1b[B", "\r", "\x1b\r"


def _spawn_add(args: list[str], editor: Path | None) -> pexpect.spawn:
    env = {key: value for key, value in os.environ.items() if key not in ("EDITOR", "VISUAL")}
    env.update(NO_COLOR="1", TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    if editor is not None:
        env["EDITOR"] = str(editor)
    return pexpect.spawn(
        sys.executable,
        ["-m", "quizzer", "add", *args],
        env=env,
        dimensions=(50, 120),
        encoding="utf-8",
        timeout=30,
    )


@pytest.mark.terminal
def test_interactive_write_card_with_the_program_from_the_editor(
    deck: Path, tmp_path: Path
) -> None:
    program_file = tmp_path / "program.py"
    program_file.write_text(GATHER_PROGRAM)
    editor = tmp_path / "editor.sh"  # an "editor" that writes the program into the file it opens
    editor.write_text(f'#!/bin/sh\ncat "{program_file}" > "$1"\n')
    editor.chmod(0o755)
    before = (deck / "basics.toml").read_bytes()

    child = _spawn_add(["--deck", str(deck)], editor)
    child.expect("Section")
    child.send(DOWN + ENTER)  # past "Basics", to "+ a new section"
    child.expect("Name of the new section")
    child.send("Gather" + ENTER)
    child.expect("Kind of card")
    child.send(DOWN + ENTER)  # write
    child.expect("Front")
    child.send("Run one() and two() at once" + ENTER)
    child.expect("The answer")
    child.send("results = await asyncio.gather(one(), two())" + ENTER)
    child.expect(r"\[1, 2\]")  # what the program really prints, run in the sandbox
    child.expect("Use what it printed as the card's output")
    child.send("y")
    child.expect("Tags")
    child.send("gather, tasks" + ENTER)
    child.expect("notes · Gather · run-one-and-two-at-once")  # the preview, with its id
    child.expect("Save this card")
    child.send("y")
    child.expect("Added card 'run-one-and-two-at-once' to a new section file")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    assert (deck / "basics.toml").read_bytes() == before
    gather = next(s for s in load_deck(deck).sections if s.name == "Gather")
    assert gather.path == deck / "gather.toml"
    (card,) = gather.cards
    assert (card.id, card.kind, card.back, card.program, card.output, card.tags) == (
        "run-one-and-two-at-once",
        "write",
        "results = await asyncio.gather(one(), two())",
        GATHER_PROGRAM,
        "[1, 2]",
        ("gather", "tasks"),
    )


@pytest.mark.terminal
def test_interactive_predict_card_typed_in_the_multi_line_prompt(home: Path) -> None:
    child = _spawn_add([], editor=None)
    child.expect("Name of the new section")  # the own deck is new: no sections to choose from
    child.send("Printing" + ENTER)
    child.expect("Kind of card")
    child.send(DOWN + DOWN + ENTER)  # predict
    child.expect("Front")
    child.send("What does this print?" + ENTER)
    child.expect("The card's program")
    # The template is there to edit; add a line after it, then finish with Esc, Enter.
    child.send('print("bye")' + FINISH_MULTILINE)
    child.expect("Use what it printed as the card's output")
    child.send("y")
    child.expect("Back")
    child.send(FINISH_MULTILINE)  # accept the output offered as the answer
    child.expect("Tags")
    child.send(ENTER)
    child.expect("Save this card")
    child.send("y")
    child.expect("Added card 'what-does-this-print'")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    (card,) = load_deck(home / "decks" / "mine").cards
    assert (card.deck, card.section, card.kind, card.tags) == ("mine", "Printing", "predict", ())
    assert card.program is not None and card.program.endswith('asyncio.run(main())\nprint("bye")\n')
    assert card.output == "hello\nbye\n"
    assert card.back.strip() == "hello\nbye"


@pytest.mark.terminal
@pytest.mark.parametrize(
    ("key", "said", "code"),
    [("\x03", "Interrupted.", 130), ("\x04", "Aborted!", 1)],  # Ctrl-C: the shell's 130
    ids=["ctrl-c", "ctrl-d"],
)
def test_interrupting_the_interactive_flow_writes_nothing(
    deck: Path, key: str, said: str, code: int
) -> None:
    before = snapshot(deck)
    child = _spawn_add(["--deck", str(deck), "--section", "Basics", "--kind", "recall"], None)
    child.expect("Front")
    child.send(key)
    child.expect(said)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == code
    assert snapshot(deck) == before


def test_a_symlinked_deck_file_stays_a_symlink(runner: CliRunner, tmp_path: Path) -> None:
    real = write_deck(tmp_path / "dotfiles", "basics.toml", ODD_DECK)
    (tmp_path / "deck").mkdir()
    (tmp_path / "deck" / "basics.toml").symlink_to(real)
    result = runner.invoke(
        cli,
        [
            "add",
            "--deck",
            str(tmp_path / "deck"),
            "--section",
            "Basics",
            "--front",
            "F",
            "--back",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "deck" / "basics.toml").is_symlink()
    assert real.read_text().startswith(ODD_DECK)
    assert [card.id for card in load_deck(tmp_path / "deck").cards] == ["sum", "f"]
    assert sorted(p.name for p in real.parent.iterdir()) == ["basics.toml"]


@pytest.fixture
def builtin_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy standing in for the built-in deck, so that a failing test cannot damage the real
    one in the checkout."""
    copy = tmp_path / "builtin-cards"
    shutil.copytree(paths.builtin_deck_dir(), copy)
    monkeypatch.setattr(paths, "builtin_deck_dir", lambda: copy)
    return copy


@pytest.mark.parametrize("link", ["file", "folder"])
def test_a_link_into_the_builtin_deck_is_never_written_through(
    runner: CliRunner, home: Path, builtin_copy: Path, link: str
) -> None:
    own = paths.own_deck_dir()
    if link == "file":  # the user's deck holds a section of the built-in deck by a symlink
        own.mkdir(parents=True)
        own.joinpath("03-task.toml").symlink_to(builtin_copy / "03-task.toml")
        linked = builtin_copy / "03-task.toml"
    else:  # or the user's deck folder is a symlink to the built-in deck
        own.parent.mkdir(parents=True)
        own.symlink_to(builtin_copy, target_is_directory=True)
        linked = builtin_copy
    before = _tree_digest(builtin_copy)
    result = runner.invoke(
        cli, ["add", "--section", "Task", "--front", "F", "--back", "1", "--no-verify"]
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "the built-in deck is read-only" in result.stderr
    assert f"(a link to {linked})" in result.stderr
    assert _tree_digest(builtin_copy) == before
    assert not deck_writer.lock_path(builtin_copy).exists()


def test_a_special_file_as_deck_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    fifo = tmp_path / "deck.toml"
    os.mkfifo(fifo)
    result = runner.invoke(
        cli,
        [
            "add",
            "--deck",
            str(fifo),
            "--section",
            "S",
            "--front",
            "F",
            "--back",
            "1",
            "--no-verify",
        ],
    )
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: {fifo}: not a deck folder or TOML file\n",
    )


def test_add_warns_when_the_card_runs_unsandboxed(
    runner: CliRunner, deck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(sandbox.MODE_ENV, "none")  # a plain print: safe to run unsandboxed
    result = runner.invoke(cli, gather_args(deck, "--output", "[1, 2]"))
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("warning: card programs are not sandboxed (")
    # Nothing runs with --no-verify and every field given: nothing to warn of.
    quiet = runner.invoke(
        cli, gather_args(deck, "--output", "[1, 2]", "--id", "quiet", "--no-verify")
    )
    assert quiet.exit_code == 0, quiet.output
    assert "not sandboxed" not in quiet.stderr


def test_add_under_the_sandbox_does_not_warn(runner: CliRunner, deck: Path) -> None:
    if sandbox.isolation() != "bwrap":
        pytest.skip(f"no sandbox here: {sandbox.isolation()}")
    result = runner.invoke(cli, gather_args(deck, "--output", "[1, 2]"))
    assert (result.exit_code, result.stderr) == (0, ""), result.output


def test_add_command_leaves_the_questions_to_the_ui() -> None:
    # The command decides what to ask and checks the card; quizzer.ui.add_prompts asks.
    assert "questionary" not in Path(add_command.__file__).read_text(encoding="utf-8")


@pytest.mark.terminal
def test_the_card_is_checked_before_its_preview_is_offered(deck: Path) -> None:
    before = snapshot(deck)
    child = _spawn_add(
        [
            "--deck",
            str(deck),
            "--section",
            "Basics",
            "--kind",
            "recall",
            "--id",
            "sum",
            "--tag",
            "t",
        ],
        None,
    )
    child.expect("Front")
    child.send("Another sum" + ENTER)
    child.expect("Back")
    child.send("1 + 2" + ENTER)
    child.expect("Add a program")
    child.send("n")
    # The id is taken: said at once, not after the card was shown and saving confirmed.
    assert child.expect(["Save this card", "duplicate id 'sum'"]) == 1
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert snapshot(deck) == before


def test_add_writes_wrong_and_right_examples_the_judge_agrees_with(
    runner: CliRunner, deck: Path
) -> None:
    early = "results = [1, 2]\nraise SystemExit"
    args = gather_args(deck, "--output", "[1, 2]", "--wrong", "results = [one(), two()]")
    args += ["--wrong", early, "--right", "results = await asyncio.gather(*[one(), two()])"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    added = load_deck(deck).cards[-1]
    assert added.wrong == ("results = [one(), two()]", early)
    assert added.right == ("results = await asyncio.gather(*[one(), two()])",)
    text = (deck / "basics.toml").read_text(encoding="utf-8")
    assert 'wrong = [\n    "results = [one(), two()]",\n    """\nresults = [1, 2]\nraise' in text


def test_add_refuses_a_card_whose_wrong_example_the_judge_accepts(
    runner: CliRunner, deck: Path
) -> None:
    before = snapshot(deck)
    args = gather_args(
        deck, "--output", "[1, 2]", "--wrong", "results = list(await asyncio.gather(one(), two()))"
    )
    result = runner.invoke(cli, [*args, "--right", "results = [2, 1]"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(
        "Error: card 'run-one-and-two-at-once-collect-their-results' fails its check: "
        "wrong[0] was judged right; right[0] was judged wrong: its output is not the expected "
        "output"
    )
    assert snapshot(deck) == before


def test_add_refuses_examples_on_a_recall_card_and_takes_a_sheet_proof(
    runner: CliRunner, deck: Path
) -> None:
    base = ["add", "--deck", str(deck), "--section", "Basics", "--front", "Why?"]
    refused = runner.invoke(cli, [*base, "--back", "Because.", "--wrong", "No."])
    assert refused.exit_code != 0
    assert "'wrong' is for write and predict cards (this one is recall)" in refused.stderr
    proof = ["--tag", "sheet-fix", "--sheet-program", "x = (", "--sheet-error", "SyntaxError"]
    added = runner.invoke(cli, [*base, "--back", "Close the bracket.", *proof])
    assert added.exit_code == 0, added.output
    card = load_deck(deck).cards[-1]
    assert (card.sheet_program, card.sheet_error) == ("x = (", "SyntaxError")
    wrong_claim = [
        "--tag",
        "sheet-fix",
        "--sheet-program",
        "x = ()",
        "--sheet-error",
        "SyntaxError",
    ]
    failed = runner.invoke(cli, [*base, "--id", "w", "--back", "Close it.", *wrong_claim])
    assert failed.exit_code == 1
    assert (
        "the sheet's text ran without error; the card says it raises SyntaxError" in failed.stderr
    )
