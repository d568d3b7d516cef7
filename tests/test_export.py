"""`quizzer export`: packages and text files that the official `anki` package imports.

Every import here goes through Anki's own importer (the `anki` wheel from PyPI, headless) into a
fresh collection, so these tests see what a user's Anki would make of an export.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import socket
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from anki.collection import Collection
from anki.import_export_pb2 import (
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportCsvRequest,
)
from click.testing import CliRunner
from conftest import write_deck
from genanki import guid_for

from quizzer.cli import cli
from quizzer.deck import load_deck
from quizzer.errors import QuizzerError
from quizzer.export import (
    FIELD_NAMES,
    anki_tags,
    code_html,
    note_fields,
    text_html,
    write_atomically,
)
from quizzer.export.anki import MODEL_ID, MODEL_NAME, deck_id, export_stamp, write_package
from quizzer.model import Card, Kind

ODD_DECK = '''\
deck = "odd <deck>"
section = "Ünïcode & <Sections>"
about = "Cards whose text looks like HTML."

[[card]]
id = "script.1"
front = "What does `<script>alert(1)</script>` & \\"this\\" do?"
back = "x = '<b>bold</b>'  # & more"
kind = "write"
tags = ["two words", "html", "tab\\there"]
program = """
{{answer}}
print(x)
"""
output = "<b>bold</b>"
note = "Never <i>rendered</i> as HTML."

[[card]]
id = "predict-1"
front = "What does this print?"
back = "<script>"
kind = "predict"
program = "print('<script>')"
output = "<script>"
'''


# --- helpers: what Anki holds after an import ------------------------------------------------


@dataclass(frozen=True)
class Imported:
    """One note as Anki stores it."""

    fields: dict[str, str]
    tags: list[str]
    decks: set[str]
    notetype: str


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain(field: str) -> str:
    """A field's text as a reader sees it: tags dropped, entities decoded."""
    parser = _Text()
    parser.feed(field.replace("<br>", "\n"))
    parser.close()
    return "".join(parser.parts).strip()


def open_collection(folder: Path) -> Collection:
    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / "collection.anki2"))


@pytest.fixture
def collection(tmp_path: Path) -> Iterator[Collection]:
    """A fresh, empty Anki collection."""
    col = open_collection(tmp_path / "anki")
    yield col
    col.close()


def import_apkg(col: Collection, path: Path) -> Any:
    """Import a package as Anki's File > Import does by default (update notes if newer)."""
    request = ImportAnkiPackageRequest(
        package_path=str(path.resolve()), options=ImportAnkiPackageOptions()
    )
    return col.import_anki_package(request).log


def import_tsv(col: Collection, path: Path) -> Any:
    """Import a text file with the settings Anki reads from its header lines."""
    metadata = col.get_csv_metadata(str(path.resolve()), None)
    return col.import_csv(ImportCsvRequest(path=str(path.resolve()), metadata=metadata)).log


def notes_in(col: Collection) -> dict[str, Imported]:
    """Every note of the collection, by guid."""
    notes = {}
    for note_id in col.find_notes(""):
        note = col.get_note(note_id)
        notetype = note.note_type()
        assert notetype is not None
        notes[note.guid] = Imported(
            fields=dict(note.items()),
            tags=list(note.tags),
            decks={col.decks.name(card.did) for card in note.cards()},
            notetype=notetype["name"],
        )
    return notes


def folded(tags: list[str]) -> set[str]:
    return {tag.casefold() for tag in tags}


def expected_tags(card: Card) -> set[str]:
    return {tag.replace(" ", "_").casefold() for tag in (*card.tags, card.section)}


def copy_deck(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def edit_first_back(deck_folder: Path, extra: str) -> tuple[str, str]:
    """Append `extra` to the back of the first card of the first file: (deck, card id)."""
    file = sorted(deck_folder.glob("*.toml"))[0]
    document = tomlkit.parse(file.read_text(encoding="utf-8"))
    card = document["card"][0]  # type: ignore[index]
    card["back"] = str(card["back"]) + extra
    file.write_text(tomlkit.dumps(document), encoding="utf-8")
    return str(document["deck"]), str(card["id"])


def export(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli, ["export", *args])


# --- the built-in deck, through Anki's importer ----------------------------------------------


def check_note(card: Card, note: Imported) -> None:
    """What every exported card must look like once Anki has it."""
    assert note.decks == {f"{card.deck}::{card.section}"}
    assert expected_tags(card) <= folded(note.tags)
    assert plain(note.fields["Back"].split("<h4>")[0]).strip() == card.back.strip()
    if card.kind == Kind.PREDICT:
        assert card.program is not None
        assert card.program.strip() in plain(note.fields["Front"])


def test_apkg_of_the_builtin_deck_imports_every_card_as_a_note_in_its_section_deck(
    runner: CliRunner, builtin_deck: Path, tmp_path: Path, collection: Collection
) -> None:
    deck = load_deck(builtin_deck)
    out = tmp_path / "asyncio.apkg"
    result = export(runner, "anki", "--deck", str(builtin_deck), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Wrote {len(deck.cards)} notes in {len(deck.sections)} Anki decks to {out}\n"
    )

    log = import_apkg(collection, out)
    assert len(log.new) == len(deck.cards)
    notes = notes_in(collection)
    assert set(notes) == {guid_for(card.deck, card.id) for card in deck.cards}
    for card in deck.cards:
        note = notes[guid_for(card.deck, card.id)]
        assert note.notetype == MODEL_NAME
        assert list(note.fields) == list(FIELD_NAMES)
        assert note.fields == dict(zip(FIELD_NAMES, note_fields(card).as_list(), strict=True))
        check_note(card, note)
        if card.kind != Kind.PREDICT and card.program:
            assert plain(note.fields["Program"]) == card.program.strip()
        if card.note:
            assert plain(note.fields["Note"]) == card.note.strip().replace("`", "")
    # Anki renders the note type's templates: the question hides the answer, the back shows
    # the answer and the card's note.
    for note_id in collection.find_notes(""):
        anki_note = collection.get_note(note_id)
        card = next(c for c in deck.cards if guid_for(c.deck, c.id) == anki_note.guid)
        rendered = anki_note.cards()[0]
        assert "quizzer-back" not in rendered.question()
        answer = plain(rendered.answer())
        assert card.back.strip() in answer
        if card.note:
            assert card.note.strip().replace("`", "") in answer
    assert collection.models.get(MODEL_ID)["name"] == MODEL_NAME  # type: ignore[index]
    for section in deck.sections:
        anki_deck = collection.decks.by_name(f"{deck.name}::{section.name}")
        assert anki_deck is not None
        assert anki_deck["desc"] == section.about


def test_reexport_after_an_edit_updates_that_note_and_adds_none(
    builtin_deck: Path, tmp_path: Path, collection: Collection
) -> None:
    folder = copy_deck(builtin_deck, tmp_path / "deck")
    out = tmp_path / "asyncio.apkg"
    first = 1_800_000_000.0
    write_package(load_deck(folder).cards, out, now=first)
    count = len(import_apkg(collection, out).new)
    before = notes_in(collection)

    deck_name, card_id = edit_first_back(folder, "\n# edited")
    guid = guid_for(deck_name, card_id)
    edited = load_deck(folder).cards

    # Anki updates a note only from a newer one: an export stamped the same second is skipped,
    write_package(edited, out, now=first)
    log = import_apkg(collection, out)
    assert (len(log.new), len(log.updated)) == (0, 0)
    assert notes_in(collection)[guid] == before[guid]

    # and a later one (as every real re-export is) updates the note in place.
    write_package(edited, out, now=first + 60)
    log = import_apkg(collection, out)
    assert len(log.new) == 0
    assert len(log.updated) >= 1
    after = notes_in(collection)
    assert len(after) == count == len(edited)
    assert "# edited" in plain(after[guid].fields["Back"])
    assert "# edited" not in plain(before[guid].fields["Back"])
    assert after[guid].decks == before[guid].decks
    unchanged = [g for g in after if g != guid]
    assert all(after[g] == before[g] for g in unchanged)
    assert len([m for m in collection.models.all() if m["name"].startswith(MODEL_NAME)]) == 1


def test_the_command_stamps_notes_with_the_time_of_the_export(
    runner: CliRunner, odd_deck: Path, tmp_path: Path
) -> None:
    """What makes Anki take a later export as newer than the notes it has."""
    out = tmp_path / "odd.apkg"
    before = int(time.time())
    assert export(runner, "anki", "--deck", str(odd_deck), "-o", str(out)).exit_code == 0
    after = int(time.time())
    with zipfile.ZipFile(out) as archive:
        (tmp_path / "collection.anki2").write_bytes(archive.read("collection.anki2"))
    connection = sqlite3.connect(tmp_path / "collection.anki2")
    stamps = {row[0] for row in connection.execute("SELECT mod FROM notes")}
    connection.close()
    assert len(stamps) == 1
    assert before <= stamps.pop() <= after


def test_a_second_export_within_the_same_second_still_updates_anki(
    runner: CliRunner, odd_deck: Path, tmp_path: Path, collection: Collection
) -> None:
    out = tmp_path / "odd.apkg"
    assert export(runner, "anki", "--deck", str(odd_deck), "-o", str(out)).exit_code == 0
    count = len(import_apkg(collection, out).new)
    deck_name, card_id = edit_first_back(odd_deck, "\n# fixed at once")
    again = export(runner, "anki", "--deck", str(odd_deck), "-o", str(out), "--force")
    assert again.exit_code == 0, again.output
    log = import_apkg(collection, out)
    assert len(log.new) == 0 and len(log.updated) >= 1  # Anki counts every newer note
    notes = notes_in(collection)
    assert len(notes) == count
    assert "# fixed at once" in plain(notes[guid_for(deck_name, card_id)].fields["Back"])


def test_each_export_stamp_passes_the_last_one(tmp_path: Path) -> None:
    record = tmp_path / "stamp"
    assert export_stamp(record, now=1000.25) == 1000.25
    assert export_stamp(record, now=1000.75) == 1001.0  # same second: the next one
    assert export_stamp(record, now=1000.9) == 1002.0  # even with a clock a little behind
    assert export_stamp(record, now=5000.5) == 5000.5
    record.write_text("not a number")
    assert export_stamp(record, now=10.5) == 10.5
    # A record that is not a sane time is as good as none: the stamp is now, and now is kept.
    for corrupt in ("nan", "inf", "-inf", "1e300", str(2**40)):
        record.write_text(corrupt)
        assert export_stamp(record, now=20.5) == 20.5, corrupt
        assert float(record.read_text()) == 20.5
    (tmp_path / "a-file").write_text("")
    assert export_stamp(tmp_path / "a-file" / "stamp", now=7.0) == 7.0  # cannot be kept: now


def test_tsv_of_the_builtin_deck_imports_onto_basic_in_section_decks(
    runner: CliRunner, builtin_deck: Path, tmp_path: Path, collection: Collection
) -> None:
    deck = load_deck(builtin_deck)
    out = tmp_path / "asyncio.tsv"
    result = export(runner, "tsv", "--deck", str(builtin_deck), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"Wrote {len(deck.cards)} notes" in result.output
    header = out.read_text(encoding="utf-8").splitlines()[:6]
    assert header == [
        "#separator:tab",
        "#html:true",
        "#notetype:Basic",
        "#guid column:1",
        "#deck column:2",
        "#tags column:5",
    ]

    log = import_tsv(collection, out)
    assert len(log.new) == len(deck.cards)
    notes = notes_in(collection)
    assert set(notes) == {guid_for(card.deck, card.id) for card in deck.cards}
    for card in deck.cards:
        note = notes[guid_for(card.deck, card.id)]
        assert note.notetype == "Basic"
        fields = note_fields(card)
        assert note.fields == {"Front": fields.front, "Back": fields.back_side()}
        check_note(card, note)


def test_tsv_reimport_after_an_edit_updates_the_note_by_its_guid(
    runner: CliRunner, builtin_deck: Path, tmp_path: Path, collection: Collection
) -> None:
    folder = copy_deck(builtin_deck, tmp_path / "deck")
    out = tmp_path / "asyncio.tsv"
    assert export(runner, "tsv", "--deck", str(folder), "-o", str(out)).exit_code == 0
    count = len(import_tsv(collection, out).new)
    before = notes_in(collection)

    deck_name, card_id = edit_first_back(folder, "\n# edited")
    result = export(runner, "tsv", "--deck", str(folder), "-o", str(out), "--force")
    assert result.exit_code == 0, result.output
    log = import_tsv(collection, out)
    assert (len(log.new), len(log.updated)) == (0, 1)
    after = notes_in(collection)
    guid = guid_for(deck_name, card_id)
    assert len(after) == count
    assert "# edited" in plain(after[guid].fields["Back"])
    assert after[guid].decks == before[guid].decks


# --- text that looks like HTML --------------------------------------------------------------


@pytest.fixture
def odd_deck(tmp_path: Path) -> Path:
    write_deck(tmp_path / "odd", "odd.toml", ODD_DECK)
    return tmp_path / "odd"


@pytest.mark.parametrize("kind", ["anki", "tsv"])
def test_html_in_a_deck_is_escaped_and_tags_made_valid(
    runner: CliRunner, odd_deck: Path, tmp_path: Path, collection: Collection, kind: str
) -> None:
    out = tmp_path / f"odd.{'apkg' if kind == 'anki' else 'tsv'}"
    result = export(runner, kind, "--deck", str(odd_deck), "-o", str(out))
    assert result.exit_code == 0, result.output
    log = import_apkg(collection, out) if kind == "anki" else import_tsv(collection, out)
    assert len(log.new) == 2

    notes = notes_in(collection)
    script = notes[guid_for("odd <deck>", "script.1")]
    assert "<script>" not in "".join(script.fields.values())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in script.fields["Front"]
    assert plain(script.fields["Front"]) == 'What does <script>alert(1)</script> & "this" do?'
    assert "<b>bold</b>" not in "".join(script.fields.values())
    assert "x = '<b>bold</b>'  # & more" in plain(script.fields["Back"])
    assert "<i>" not in "".join(script.fields.values())
    assert {"two_words", "html", "tab_here"} <= set(script.tags)
    # Anki shows deck names as HTML: no markup; "::" would nest a deck of the file's making.
    assert script.decks == {"odd _deck_::Ünïcode & _Sections_"}

    predict = notes[guid_for("odd <deck>", "predict-1")]
    assert "<script>" not in "".join(predict.fields.values())
    assert "print('<script>')" in plain(predict.fields["Front"])


def test_rendering_escapes_code_and_prose() -> None:
    assert text_html("Use `a < b` & <i>x</i>\nnext") == (
        "Use <code>a &lt; b</code> &amp; &lt;i&gt;x&lt;/i&gt;<br>next"
    )
    highlighted = code_html('s = "<script>"')
    assert "&lt;script&gt;" in highlighted
    assert "<script>" not in highlighted
    assert 'style="color:' in highlighted  # inline styles: no CSS needed to read it
    assert plain(highlighted) == 's = "<script>"'


def test_tags_have_no_spaces_and_no_case_repeats() -> None:
    card = Card(
        deck="d",
        section="Async Things",
        id="c",
        front="f",
        back="b",
        tags=("async things", "two  words", "Two_Words", "x"),
    )
    assert anki_tags(card) == ["async_things", "two_words", "x"]


def test_deck_ids_are_stable_distinct_and_safe_for_javascript() -> None:
    names = [f"asyncio::Section {n}" for n in range(200)]
    ids = [deck_id(name) for name in names]
    assert ids == [deck_id(name) for name in names]
    assert len(set(ids)) == len(ids)
    assert all(1 < i < 2**53 for i in ids)


# --- the command's rules: output names, overwriting, bad input --------------------------------


@pytest.mark.parametrize("kind", ["anki", "tsv"])
def test_export_refuses_to_overwrite_without_force(
    runner: CliRunner, odd_deck: Path, tmp_path: Path, kind: str
) -> None:
    out = tmp_path / "existing.file"
    out.write_text("keep me", encoding="utf-8")
    result = export(runner, kind, "--deck", str(odd_deck), "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {out} already exists; use --force to overwrite it\n"
    assert out.read_text(encoding="utf-8") == "keep me"

    result = export(runner, kind, "--deck", str(odd_deck), "-o", str(out), "--force")
    assert result.exit_code == 0, result.output
    if kind == "anki":
        assert zipfile.ZipFile(out).namelist() == ["collection.anki2", "media"]
    else:
        assert out.read_text(encoding="utf-8").startswith("#separator:tab\n")


def make_symlink(folder: Path) -> Path:
    (folder / "ok.py").write_text("keep me", encoding="utf-8")
    (folder / "link").symlink_to("ok.py")
    return folder / "link"


def make_dangling_symlink(folder: Path) -> Path:
    (folder / "link").symlink_to("nowhere")
    return folder / "link"


def make_fifo(folder: Path) -> Path:
    os.mkfifo(folder / "fifo")
    return folder / "fifo"


def make_socket(folder: Path) -> Path:
    with socket.socket(socket.AF_UNIX) as server, contextlib.chdir(folder):
        server.bind("sock")  # relative: a socket's path is limited to about 100 bytes
    return folder / "sock"


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["", "force"])
@pytest.mark.parametrize(
    ("make", "kind_of_file"),
    [
        (make_symlink, "a symbolic link"),
        (make_dangling_symlink, "a symbolic link"),
        (make_fifo, "a named pipe"),
        (make_socket, "a socket"),
    ],
)
@pytest.mark.parametrize("kind", ["anki", "tsv"])
def test_only_a_regular_file_is_ever_replaced(
    runner: CliRunner,
    odd_deck: Path,
    tmp_path: Path,
    kind: str,
    make: Callable[[Path], Path],
    kind_of_file: str,
    force: list[str],
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = make(folder)
    before = {p.name: (p.lstat().st_mode, p.lstat().st_ino) for p in folder.iterdir()}
    link_target = out.readlink() if out.is_symlink() else None
    result = export(runner, kind, "--deck", str(odd_deck), "-o", str(out), *force)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {out} is {kind_of_file}, not a regular file; name a file with -o\n"
    )
    assert {p.name: (p.lstat().st_mode, p.lstat().st_ino) for p in folder.iterdir()} == before
    if link_target is not None:
        assert out.readlink() == link_target
    if (folder / "ok.py").exists():
        assert (folder / "ok.py").read_text(encoding="utf-8") == "keep me"


@pytest.fixture
def nothing_written_in_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any file made or moved into /dev fail the test before it happens.

    Run as root, a regression would otherwise replace the real /dev/null with a file.
    """
    real_mkstemp, real_replace, real_rename = tempfile.mkstemp, os.replace, os.rename

    def in_dev(path: Any) -> bool:
        return Path(path).absolute().parent == Path("/dev")

    def mkstemp(*args: Any, **kwargs: Any) -> Any:
        assert not in_dev(Path(kwargs.get("dir") or ".") / "x"), "a temporary file in /dev"
        return real_mkstemp(*args, **kwargs)

    def replace(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        assert not in_dev(target), f"{target} replaced"
        real_replace(source, target, *args, **kwargs)

    def rename(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        assert not in_dev(target), f"{target} replaced"
        real_rename(source, target, *args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "rename", rename)


@pytest.mark.skipif(not Path("/dev/null").is_char_device(), reason="no /dev/null")
@pytest.mark.usefixtures("nothing_written_in_dev")
@pytest.mark.parametrize("kind", ["anki", "tsv"])
def test_a_device_is_refused_even_with_force(runner: CliRunner, odd_deck: Path, kind: str) -> None:
    result = export(runner, kind, "--deck", str(odd_deck), "-o", "/dev/null", "--force")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: /dev/null is a character device, not a regular file; name a file with -o\n"
    )
    assert Path("/dev/null").is_char_device()


def test_a_symlink_that_appears_during_the_write_is_not_replaced(tmp_path: Path) -> None:
    out = tmp_path / "deck.tsv"
    (tmp_path / "ok.py").write_text("keep me", encoding="utf-8")

    def race(temporary: Path) -> None:
        temporary.write_text("new", encoding="utf-8")
        out.symlink_to("ok.py")

    with pytest.raises(QuizzerError, match="is a symbolic link, not a regular file"):
        write_atomically(out, race)
    assert out.readlink() == Path("ok.py")
    assert (tmp_path / "ok.py").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.tsv", "ok.py"]


def test_without_overwrite_a_file_that_appears_during_the_write_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "deck.tsv"

    def race(temporary: Path) -> None:
        temporary.write_text("new", encoding="utf-8")
        out.write_text("theirs", encoding="utf-8")

    with pytest.raises(QuizzerError, match="already exists"):
        write_atomically(out, race, overwrite=False)
    assert out.read_text(encoding="utf-8") == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["deck.tsv"]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current folder."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_default_output_is_named_after_the_deck_and_section(
    runner: CliRunner, builtin_deck: Path, workdir: Path
) -> None:
    assert export(runner, "anki", "--deck", str(builtin_deck)).exit_code == 0
    assert export(runner, "tsv", "--deck", str(builtin_deck)).exit_code == 0
    result = export(runner, "anki", "--deck", str(builtin_deck), "--section", "task")
    assert result.exit_code == 0, result.output
    assert result.output.endswith(" to asyncio-Task.apkg\n")
    made = sorted(p.name for p in workdir.iterdir())
    assert made == ["asyncio-Task.apkg", "asyncio.apkg", "asyncio.tsv"]


def test_section_option_exports_only_that_section(
    runner: CliRunner, builtin_deck: Path, tmp_path: Path
) -> None:
    tasks = [card for card in load_deck(builtin_deck).cards if card.section == "Task"]
    result = export(
        runner,
        "tsv",
        "--deck",
        str(builtin_deck),
        "--section",
        "Task",
        "--json",
        "-o",
        str(tmp_path / "t.tsv"),
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "path": str(tmp_path / "t.tsv"),
        "format": "tsv",
        "notes": len(tasks),
        "decks": ["asyncio::Task"],
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--section", "no such section"], "Error: no section 'no such section'; sections are: "),
        (["-o", "missing/folder/out.apkg"], "Error: missing/folder/out.apkg: no such folder"),
        (["-o", ""], "Error: Invalid value for '-o' / '--output': an empty path names no file"),
    ],
)
def test_bad_input_ends_in_one_line_and_exit_2(
    runner: CliRunner, odd_deck: Path, workdir: Path, args: list[str], message: str
) -> None:
    result = export(runner, "anki", "--deck", str(odd_deck), *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize("kind", ["anki", "tsv"])
def test_dash_writes_the_export_to_stdout_and_the_summary_to_stderr(
    runner: CliRunner,
    odd_deck: Path,
    workdir: Path,
    tmp_path: Path,
    collection: Collection,
    kind: str,
) -> None:
    (workdir / "-").write_text("keep me", encoding="utf-8")  # a file named "-" is not stdout
    result = export(runner, kind, "--deck", str(odd_deck), "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stderr == "Wrote 2 notes in 1 Anki deck to stdout\n"
    assert [p.name for p in workdir.iterdir()] == ["-"]
    assert (workdir / "-").read_text(encoding="utf-8") == "keep me"

    out = tmp_path / f"odd.{'apkg' if kind == 'anki' else 'tsv'}"
    out.write_bytes(result.stdout_bytes)
    log = import_apkg(collection, out) if kind == "anki" else import_tsv(collection, out)
    assert len(log.new) == 2
    if kind == "tsv":  # the very text a file gets
        as_file = tmp_path / "as-file.tsv"
        assert export(runner, kind, "--deck", str(odd_deck), "-o", str(as_file)).exit_code == 0
        assert as_file.read_bytes() == result.stdout_bytes


@pytest.mark.parametrize("kind", ["anki", "tsv"])
def test_dash_with_json_keeps_stdout_for_the_export(
    runner: CliRunner, odd_deck: Path, workdir: Path, kind: str
) -> None:
    result = export(runner, kind, "--deck", str(odd_deck), "-o", "-", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stderr) == {
        "path": None,
        "format": "apkg" if kind == "anki" else "tsv",
        "notes": 2,
        "decks": ["odd _deck_::Ünïcode & _Sections_"],
    }
    assert result.stdout_bytes.startswith(b"PK" if kind == "anki" else b"#separator:tab\n")
    assert list(workdir.iterdir()) == []


def test_a_file_named_dash_is_written_when_named_as_a_path(
    runner: CliRunner, odd_deck: Path, workdir: Path
) -> None:
    result = export(runner, "tsv", "--deck", str(odd_deck), "-o", "./-", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["path"] == "-"
    assert (workdir / "-").read_text(encoding="utf-8").startswith("#separator:tab\n")


def test_a_folder_as_output_is_refused(runner: CliRunner, odd_deck: Path, tmp_path: Path) -> None:
    result = export(runner, "tsv", "--deck", str(odd_deck), "-o", str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "deck.apkg"
    out.write_text("old", encoding="utf-8")

    def fail(temporary: Path) -> None:
        temporary.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(QuizzerError, match="No space left on device"):
        write_atomically(out, fail)
    assert out.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.apkg"]


def test_writing_a_package_leaves_no_temporary_files(
    odd_deck: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out = tmp_path / "out"
    out.mkdir()
    write_package(load_deck(odd_deck).cards, out / "odd.apkg")
    assert list(scratch.iterdir()) == []
    assert [p.name for p in out.iterdir()] == ["odd.apkg"]


HOSTILE_DECK = """\
deck = "evil::<img src=x onerror=alert(1)>"
section = "sec::tion <b>"
about = "<script>alert('about')</script> & <img src=x onerror=alert(2)>"

[[card]]
id = "one"
front = "Front"
back = "Back"
tags = ["<b>bold</b>", "a&b", "x\\"y"]
"""


@pytest.mark.parametrize("kind", ["anki", "tsv"])
def test_no_deck_text_reaches_anki_as_markup(
    runner: CliRunner, tmp_path: Path, collection: Collection, kind: str
) -> None:
    # Every text of a deck file that reaches the package (about, deck and section names, tags),
    # judged by what the official anki library holds after importing it.
    write_deck(tmp_path / "evil", "evil.toml", HOSTILE_DECK)
    out = tmp_path / f"evil.{'apkg' if kind == 'anki' else 'tsv'}"
    result = export(runner, kind, "--deck", str(tmp_path / "evil"), "-o", str(out))
    assert result.exit_code == 0, result.output
    (import_apkg if kind == "anki" else import_tsv)(collection, out)
    [note] = notes_in(collection).values()
    [deck] = note.decks
    assert deck.split("::") == ["evil:_img src=x onerror=alert(1)_", "sec:tion _b_"]
    assert not {"<", ">", '"'} & set("".join(note.tags)), note.tags
    assert {"_b_bold_/b_", "a&b", "x_y"} <= set(note.tags)
    names = [entry.name for entry in collection.decks.all_names_and_ids()]
    assert not [name for name in names if "<" in name or ">" in name], names
    if kind == "anki":
        description = collection.decks.by_name(deck)["desc"]  # type: ignore[index]
        assert "<script>" not in description and "<img" not in description
        assert (
            plain(description) == "<script>alert('about')</script> & <img src=x onerror=alert(2)>"
        )
    else:
        lines = [line for line in out.read_text().splitlines() if not line.startswith("#")]
        [(_guid, deck_column, _front, _back, tags_column)] = csv.reader(lines, delimiter="\t")
        assert deck_column == deck
        assert sorted(tags_column.split()) == sorted(note.tags)
