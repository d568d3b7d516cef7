"""`quizzer import`: markdown sheets proven in the sandbox, the seed sheet, Anki packages and
Anki's text export, re-import, and bad input.

The Anki packages are made here with the official `anki` library (notes in subdecks, cards
answered so the collection has a revlog), exported in both its current and legacy formats.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from quizzer import paths
from quizzer.cli import cli
from quizzer.deck import load_deck
from quizzer.importers import load_source
from quizzer.importers.markdown import run_examples
from quizzer.model import Kind
from quizzer.store import open_store

# The seed sheet the built-in deck was made from (a copy of shared/seed, so CI runs this too).
SEED = Path(__file__).resolve().parent / "data" / "asyncio-cheatsheet.txt"
SEED_IN_REPO = Path(__file__).resolve().parent.parent / "cards"

SHEET = """\
# Builtins

A sheet of my own.

## Sorting

Sort a list of numbers:

```python
print(sorted([3, 1, 2]))
# [1, 2, 3]
```

Sort in reverse:

```python
print(sorted([3, 1, 2], reverse=True))
# [1, 2, 3]
```

The largest and the smallest:

    >>> max([4, 9, 2])
    9
    >>> min("hello")
    'e'

## Strings

Join words:

```python
print("-".join(["a", "b"]))
```

```output
a-b
```

Parse a number (the sheet gets this wrong too):

```python
print(int("x"))
# 0
```

Loop for ever:

```python
while True:
    pass
print("done")
# done
```

Divide by zero (a doctest written unindented):

>>> 1 / 0
Traceback (most recent call last):
  ...
ZeroDivisionError: division by zero

## Signatures

Slice an iterator:

```python
itertools.islice(iterable, start, stop[, step])
```

Call a function the sheet never defines:

```python
frobnicate(42)
```

A shell command is not a card:

```bash
ls -l
```
"""


def plain(html: str) -> str:
    """An Anki field as the importer reads it (entities decoded)."""
    from quizzer.importers.anki import html_to_text

    return html_to_text(html)


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli, list(args), catch_exceptions=False)


def cards_of(folder: Path) -> dict[str, dict[str, Any]]:
    """Every card table of a deck folder, by id, with its section."""
    found: dict[str, dict[str, Any]] = {}
    for file in sorted(folder.glob("*.toml")):
        data = tomllib.loads(file.read_text(encoding="utf-8"))
        for table in data["card"]:
            found[table["id"]] = {**table, "section": data["section"]}
    return found


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    path = tmp_path / "builtins.md"
    path.write_text(SHEET, encoding="utf-8")
    return path


def test_markdown_sheet_gives_predict_cards_proven_by_running_and_flags_what_the_sheet_gets_wrong(
    runner: CliRunner, sheet: Path, home: Path
) -> None:
    result = invoke(runner, "import", str(sheet), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)["decks"][0]
    assert report["deck"] == "Builtins"
    assert report["kinds"] == {"recall": 5, "write": 0, "predict": 4}
    assert report["outputs_confirmed"] == 4  # sorted, the doctest, the output block, 1/0
    assert [c["where"].rsplit(":", 1)[1] for c in report["sheet_claims"]] == ["16"]
    assert len(report["timed_out"]) == 1 and "Loop for ever" in report["timed_out"][0]["detail"]
    assert any("NameError" in f["detail"] for f in report["failed"])
    cards = cards_of(home / "decks" / "builtins")
    assert {c["section"] for c in cards.values()} == {"Sorting", "Strings", "Signatures"}
    right = cards["sort-a-list-of-numbers"]
    assert (right["kind"], right["output"], right.get("tags")) == ("predict", "[1, 2, 3]", None)
    wrong = cards["sort-in-reverse"]
    assert wrong["kind"] == "predict" and wrong["output"] == "[3, 2, 1]"
    assert wrong["tags"] == ["sheet-fix"] and "`[1, 2, 3]`" in wrong["note"]
    assert (wrong["sheet-program"], wrong["sheet-output"]) == (wrong["program"], "[3, 2, 1]")
    doctest_card = cards["the-largest-and-the-smallest"]
    assert doctest_card["output"] == "9\n'e'"
    assert "print(repr(max([4, 9, 2])))" in doctest_card["program"]
    assert cards["join-words"]["output"] == "a-b"
    endless = cards["loop-for-ever"]
    # Not sheet-fix: verify proves every sheet-fix claim by running it, and this one never ends.
    assert endless["kind"] == "recall" and endless["tags"] == ["unproven"]
    assert "does not finish" in endless["note"] and "`done`" in endless["note"]
    parse = cards["parse-a-number-the-sheet-gets-this-wrong-too"]
    assert (parse["kind"], parse["tags"], parse["sheet-error"]) == (
        "recall",
        ["sheet-fix"],
        "ValueError",
    )
    assert "`0`" in parse["note"] and "raises ValueError" in parse["note"]
    raises = cards["divide-by-zero-a-doctest-written-unindented"]
    assert raises["kind"] == "recall" and "ZeroDivisionError" in raises["note"]
    signature = cards["slice-an-iterator"]
    assert signature["kind"] == "recall" and "islice(iterable" in signature["back"]
    assert cards["call-a-function-the-sheet-never-defines"]["back"] == "frobnicate(42)"
    assert not any("ls -l" in str(c) for c in cards.values())
    verified = invoke(runner, "verify", "--deck", str(home / "decks" / "builtins"), "--json")
    assert verified.exit_code == 0, verified.output


def test_reimport_after_an_edit_changes_only_the_edited_card_and_keeps_history(
    runner: CliRunner, sheet: Path, home: Path
) -> None:
    assert invoke(runner, "import", str(sheet)).exit_code == 0
    folder = home / "decks" / "builtins"
    before = {f.name: f.read_bytes() for f in folder.glob("*.toml")}
    # A review of one card, then the sheet changes one example and gains one.
    with sqlite3.connect(paths.database_path()) as db:
        db.execute("CREATE TABLE IF NOT EXISTS marker (x)")
    sheet.write_text(
        SHEET.replace('print("-".join(["a", "b"]))', 'print("+".join(["a", "b"]))').replace(
            "a-b", "a+b"
        )
        + "\nA new one:\n\n```python\nprint(2 ** 10)\n# 1024\n```\n",
        encoding="utf-8",
    )
    dry = json.loads(invoke(runner, "import", str(sheet), "--dry-run", "--json").output)
    changes = {(c["action"], c["id"]) for c in dry["decks"][0]["changes"]}
    assert changes == {("updated", "join-words"), ("added", "a-new-one")}
    assert {f.name: f.read_bytes() for f in folder.glob("*.toml")} == before  # dry run
    result = json.loads(invoke(runner, "import", str(sheet), "--json").output)["decks"][0]
    assert (result["added"], result["updated"], result["unchanged"]) == (1, 1, 8)
    after = {f.name: f.read_bytes() for f in folder.glob("*.toml")}
    assert after["01-sorting.toml"] == before["01-sorting.toml"]
    assert after["03-signatures.toml"] != before["03-signatures.toml"]  # the new card's section
    cards = cards_of(folder)
    assert cards["join-words"]["output"] == "a+b"
    assert cards["a-new-one"]["output"] == "1024"
    old = {t["id"]: t for t in tomllib.loads(before["02-strings.toml"].decode())["card"]}
    for card_id, table in old.items():
        if card_id != "join-words":
            assert {k: v for k, v in cards[card_id].items() if k != "section"} == table


def test_the_seed_sheet_gives_one_recall_card_per_entry_in_eleven_sections(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    source = load_source(SEED)
    assert len(source.sections) == 11
    assert all(d.kind == "recall" for d in source.drafts)
    fronts = [d.front for d in source.drafts]
    assert len(fronts) == 70  # every "label <code>" paragraph and every label above a block
    assert fronts[0] == "Import" and fronts[-1] == "Use asynchronous context manager"
    by_front = {d.front: d for d in source.drafts}
    assert by_front["Define a coroutine"].back == "async def custom_coroutine(): ..."
    fixes = {d.front: d for d in source.drafts if d.tags == ["sheet-fix"]}
    assert sorted(fixes) == [
        "Await comprehension",  # [r await a in awaitables]
        "Define asynchronous context manager",  # await in a plain def __exit__
        "Set and get task name",  # two statements on one line
        "Wait for all tasks with a timeout in seconds",  # "Try:"
        "Wait for awaitable with a timeout",  # try/except on one line
    ]
    assert all(
        d.sheet_error == "SyntaxError" and d.sheet_program == d.source for d in fixes.values()
    )
    assert fixes["Wait for all tasks with a timeout in seconds"].back.startswith("try:\n    done")
    result = invoke(runner, "import", str(SEED), "--into", str(tmp_path / "decks"))
    assert result.exit_code == 0, result.output
    assert "70 cards in 11 sections (70 recall)" in result.output
    deck = load_deck(tmp_path / "decks" / "asyncio-cheatsheet")
    assert len(deck.cards) == 70 and len(deck.sections) == 11
    verified = invoke(runner, "verify", "--deck", str(tmp_path / "decks" / "asyncio-cheatsheet"))
    assert verified.exit_code == 0, verified.output


# -- Anki ---------------------------------------------------------------------------------


def make_anki_collection(folder: Path) -> Iterator[Any]:
    from anki.collection import Collection

    folder.mkdir(parents=True, exist_ok=True)
    col = Collection(str(folder / "collection.anki2"))
    basic = col.models.by_name("Basic")
    notes = [
        ("Python::Lists", "Append to a list", "<pre><code>xs.append(1)</code></pre>", ["list"]),
        ("Python::Lists", "Sort in place", "xs.sort()", ["list", "sort"]),
        ("Python::Dicts", "Get with a default &amp; no KeyError", "d.get(k, 0)", ["dict"]),
    ]
    for deck_name, front, back, tags in notes:
        note = col.new_note(basic)
        note["Front"], note["Back"] = front, back
        note.tags = tags
        col.add_note(note, col.decks.id(deck_name))
    col.decks.select(col.decks.id("Python"))
    answered = 0
    for ease in (3, 1, 3):  # three answers: Good, Again, Good
        queued = col.sched.get_queued_cards()
        card = col.get_card(queued.cards[0].card.id)
        card.start_timer()
        col.sched.answerCard(card, ease)
        answered += 1
    assert col.db.scalar("SELECT COUNT(*) FROM revlog") == answered
    yield col
    col.close()


@pytest.fixture
def anki_collection(tmp_path: Path) -> Iterator[Any]:
    yield from make_anki_collection(tmp_path / "anki")


@pytest.mark.parametrize("legacy", [False, True], ids=["anki21b", "legacy"])
def test_an_anki_package_imports_its_notes_in_subdeck_sections_with_their_reviews(
    runner: CliRunner, anki_collection: Any, tmp_path: Path, home: Path, legacy: bool
) -> None:
    from anki.collection import DeckIdLimit, ExportAnkiPackageOptions

    package = tmp_path / "python.apkg"
    options = ExportAnkiPackageOptions(with_scheduling=True, legacy=legacy)
    limit = DeckIdLimit(anki_collection.decks.id("Python"))
    anki_collection.export_anki_package(out_path=str(package), options=options, limit=limit)
    inside = set(zipfile.ZipFile(package).namelist())
    assert ("collection.anki21b" in inside) is not legacy

    dry = json.loads(invoke(runner, "import", str(package), "--dry-run", "--json").output)
    assert (dry["decks"][0]["added"], dry["decks"][0]["reviews"]) == (3, 3)
    assert not (home / "decks" / "python").exists()
    result = invoke(runner, "import", str(package), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)["decks"][0]
    assert (report["deck"], report["cards"], report["sections"]) == ("Python", 3, 2)
    assert report["reviews"] == 3
    cards = cards_of(home / "decks" / "python")
    assert cards["append-to-a-list"]["back"] == "xs.append(1)"
    assert cards["append-to-a-list"]["section"] == "Lists"
    assert cards["get-with-a-default-no-keyerror"]["front"] == "Get with a default & no KeyError"
    assert cards["sort-in-place"]["tags"] == ["list", "sort"]
    stats = json.loads(invoke(runner, "stats", "--json").output)
    assert stats["reviews"] == 3
    python = [s for s in stats["sections"] if s["deck"] == "Python"]
    answered = anki_collection.db.scalar("SELECT COUNT(DISTINCT cid) FROM revlog")
    assert sum(s["new"] for s in python) == 3 - answered  # the rest were answered in Anki
    # Each answered card's state is its Anki reviews replayed through FSRS, ready to go on.
    fronts = {table["front"]: card_id for card_id, table in cards.items()}
    with open_store(paths.database_path()) as store:
        for cid, front in anki_collection.db.all(
            "SELECT c.id, n.sfld FROM cards c JOIN notes n ON n.id = c.nid"
        ):
            times = anki_collection.db.list("SELECT id FROM revlog WHERE cid = ? ORDER BY id", cid)
            record = store.record(("Python", fronts[plain(front)]))
            if not times:
                assert record is None
                continue
            assert record is not None and record.reps == len(times)
            assert record.state.last_review == datetime.fromtimestamp(times[-1] / 1000, UTC)
            assert record.state.due > record.state.last_review
    again = json.loads(invoke(runner, "import", str(package), "--json").output)["decks"][0]
    assert (again["unchanged"], again["reviews"]) == (3, 0)  # nothing twice
    assert json.loads(invoke(runner, "stats", "--json").output)["reviews"] == 3


def test_a_colpkg_in_the_current_format_imports_too(
    runner: CliRunner, anki_collection: Any, tmp_path: Path
) -> None:
    package = tmp_path / "all.colpkg"
    anki_collection.export_collection_package(str(package), include_media=False, legacy=False)
    anki_collection.reopen()
    assert "collection.anki21b" in zipfile.ZipFile(package).namelist()
    source = load_source(package)
    assert source.deck == "Python" and len(source.drafts) == 3
    assert sum(len(d.reviews) for d in source.drafts) == 3


@pytest.mark.parametrize("kind", ["anki", "tsv"])
def test_a_quizzer_export_comes_back_as_the_cards_it_was(
    runner: CliRunner, tmp_path: Path, home: Path, kind: str
) -> None:
    exported = tmp_path / f"asyncio.{'apkg' if kind == 'anki' else 'tsv'}"
    result = invoke(runner, "export", kind, "--deck", str(SEED_IN_REPO), "-o", str(exported))
    assert result.exit_code == 0, result.output
    # Under another deck name: the built-in deck already has these sections.
    result = invoke(runner, "import", str(exported), "--deck", "again", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)["decks"][0]
    assert report["failed"] == [] and report["cards"] == 83
    fixes = [c for c in load_deck(SEED_IN_REPO).cards if "sheet-fix" in c.tags]
    assert len(report["unproven"]) == len(fixes)  # a note carries no sheet-fix proof
    original = {card.id: card for card in load_deck(SEED_IN_REPO).cards}
    back = load_deck(home / "decks" / "again")
    assert {card.id for card in back.cards} == set(original)
    assert {s.name for s in back.sections} == {s.name for s in load_deck(SEED_IN_REPO).sections}
    for card in back.cards:
        was = original[card.id]
        assert (card.kind, card.section, card.front) == (was.kind, was.section, was.front)
        # Anki folds tags by case ("Lock" and "lock" are one tag), so they come back folded;
        # a note carries no sheet-fix proof, so the claim comes back tagged unproven.
        tags = {"sheet-fix" if t == "unproven" else t.casefold() for t in card.tags}
        assert tags == {t.casefold() for t in was.tags}
        if was.kind != Kind.RECALL:
            assert card.program is not None and was.program is not None
            assert (card.program.strip(), card.back.strip()) == (
                was.program.strip(),
                was.back.strip(),
            )
            assert (card.note or "").strip() == (was.note or "").strip()
    verified = invoke(runner, "verify", "--deck", str(home / "decks" / "again"))
    assert verified.exit_code == 0, verified.output


def test_anki_text_export_imports_with_decks_and_tags(runner: CliRunner, tmp_path: Path) -> None:
    tsv = tmp_path / "notes.txt"
    tsv.write_text(
        "#separator:tab\n#html:true\n#deck column:1\n#tags column:4\n"
        "Lang::Python\tReverse a list\t<code>xs[::-1]</code>\trev list\n"
        "Lang::Shell\tList files\tls -l<br>in long form\tshell\n"
        "Lang::Shell\tWhat is a shell?\tThe program that reads your commands\t\n"
        "Lang::Shell\t<img src='prompt.png'>\t\t\n",
        encoding="utf-8",
    )
    source = load_source(tsv)
    assert source.deck == "Lang" and list(source.sections) == ["Python", "Shell"]
    first, second, _prose = source.drafts
    assert (first.front, first.back, first.tags) == ("Reverse a list", "xs[::-1]", ["rev", "list"])
    assert second.back == "ls -l\nin long form"
    result = invoke(runner, "import", str(tsv), "--into", str(tmp_path / "decks"))
    assert result.exit_code == 0, result.output
    cards = cards_of(tmp_path / "decks" / "lang")
    assert cards["reverse-a-list"]["back"] == "xs[::-1]"
    # Code that does not compile is kept as comments (code in a recall back must compile).
    assert cards["list-files"]["back"] == "# ls -l\n# in long form"
    assert cards["what-is-a-shell"]["back"] == "The program that reads your commands"  # prose
    assert [f.kind for f in source.findings] == ["skipped"]  # the note with only an image


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.md", b"just words, no headings or code\n", "is this a cheat sheet?"),
        ("notes.md", b"\x89PNG\r\n\x1a\n\x00\x00", "not a text file"),
        ("deck.apkg", b"not a zip at all", "not an Anki package (not a zip file)"),
        ("notes.pdf", b"%PDF-1.4", "cannot tell what this is"),
    ],
)
def test_bad_input_ends_in_one_line_and_writes_nothing(
    runner: CliRunner, tmp_path: Path, home: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(cli, ["import", str(path)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (home / "decks").exists() or not any((home / "decks").iterdir())


def test_a_zip_that_is_not_an_anki_package_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "photos.apkg"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8")
    result = runner.invoke(cli, ["import", str(path)])
    assert result.exit_code == 2 and "not an Anki package (no collection in it)" in result.output


def test_a_huge_file_is_refused_before_it_is_read(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import quizzer.importers as importers

    monkeypatch.setattr(importers, "MAX_SOURCE_BYTES", 1000)
    path = tmp_path / "big.md"
    path.write_text("# Big\n\n```python\nprint(1)\n```\n" + "x" * 2000, encoding="utf-8")
    result = runner.invoke(cli, ["import", str(path)])
    assert result.exit_code == 2 and "too large to import" in result.output


def test_a_deck_that_would_clash_with_another_is_not_written_at_all(
    runner: CliRunner, tmp_path: Path, home: Path
) -> None:
    path = tmp_path / "tasks.md"
    path.write_text("# asyncio\n\n## Task\n\nA task:\n\n```python\nprint(1)\n```\n")
    result = runner.invoke(cli, ["import", str(path)])  # section Task is the built-in deck's
    assert result.exit_code == 2 and "already defined" in result.output
    assert not (home / "decks" / "asyncio").exists()
    assert not any(p.name.startswith(".") for p in (home / "decks").iterdir())


def test_examples_run_in_parallel_and_an_endless_one_only_costs_its_timeout(
    sheet: Path,
) -> None:
    source = load_source(sheet)
    run_examples(source, timeout=2.0)
    endless = next(d for d in source.drafts if d.front == "Loop for ever")
    assert "within 2 s" in (endless.note or "")


# -- in a real terminal ---------------------------------------------------------------------


@pytest.mark.terminal
@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_a_terminal_shows_a_progress_bar_and_ctrl_c_leaves_no_deck(
    tmp_path: Path, home: Path
) -> None:
    from test_terminal import Terminal

    slow = tmp_path / "slow.md"
    slow.write_text(
        "# Slow\n\n## Waiting\n\nSleep, then print:\n\n```python\nimport time\n"
        "time.sleep(2)\nprint('slept')\n# slept\n```\n\nLoop for ever:\n\n```python\n"
        "while True:\n    pass\n```\n",
        encoding="utf-8",
    )
    env = ["env", f"{paths.HOME_ENV}={home}", "TERM=xterm-256color"]
    command = [*env, sys.executable, "-m", "quizzer", "import", str(slow)]
    terminal = Terminal(command, tmp_path)
    try:
        terminal.wait_for("Running the examples")
        terminal.press("C-c")
        screen = terminal.wait_for("EXIT=")
        assert "Interrupted." in screen and "EXIT=130" in screen
        assert "Traceback" not in screen
    finally:
        terminal.close()
    assert not (home / "decks").exists() or not any((home / "decks").iterdir())

    terminal = Terminal([*env, sys.executable, "-m", "quizzer", "import", str(slow)], tmp_path)
    try:
        screen = terminal.wait_for("EXIT=", timeout=60)
        assert "Imported deck 'Slow': 2 cards in 1 section (1 recall, 1 predict)" in screen
        assert "EXIT=0" in screen
    finally:
        terminal.close()
