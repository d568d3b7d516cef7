"""The deck loader: valid decks load, every kind of bad deck is reported as FILE:LINE."""

from __future__ import annotations

import json
import pathlib
import pickle
from pathlib import Path

import pytest
from conftest import write_deck

from quizzer import deck_cache
from quizzer.deck import (
    MAX_PROBLEMS_SHOWN,
    DeckError,
    cards_in_section,
    deck_files,
    load_deck,
    load_decks,
    match_section,
    parse_requires_python,
)
from quizzer.errors import QuizzerError
from quizzer.model import Kind, Match

GOOD = '''\
deck = "demo"
section = "Basics"
about = "Small things."

[[card]]
id = "add"
front = "Add one and two"
back = "print(1 + 2)"
kind = "write"
tags = ["math"]
program = """
{{answer}}
"""
output = "3"

[[card]]
id = "hello"
front = "What does this print?"
back = "hello"
kind = "predict"
program = "print('hello')"
output = "hello"
match = "unordered"
timeout = 2
'''


def card_file(body: str, section: str = "Basics") -> str:
    return f'deck = "demo"\nsection = "{section}"\n\n[[card]]\n{body}'


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(DeckError) as caught:
        load_decks([folder])
    return caught.value.problems


def test_good_deck_loads_with_every_field(tmp_path: Path) -> None:
    write_deck(tmp_path, "basics.toml", GOOD)
    deck = load_deck(tmp_path)
    assert deck.name == "demo"
    assert [s.name for s in deck.sections] == ["Basics"]
    add, hello = deck.cards
    assert add.kind == Kind.WRITE and add.tags == ("math",) and add.has_slot
    assert add.line == 5 and add.path == tmp_path / "basics.toml"
    assert hello.kind == Kind.PREDICT and hello.match == Match.UNORDERED
    assert hello.timeout == 2.0 and not hello.has_slot


def test_sections_load_in_file_name_order_and_group_by_deck(tmp_path: Path) -> None:
    write_deck(tmp_path, "02-b.toml", card_file('id = "b"\nfront = "B"\nback = "b"\n', "Second"))
    write_deck(tmp_path, "01-a.toml", card_file('id = "a"\nfront = "A"\nback = "a"\n', "First"))
    deck = load_deck(tmp_path)
    assert [s.name for s in deck.sections] == ["First", "Second"]


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ('id = "x"\nfront = "F"\nback = "b"\nkind = "essay"\n', 8, "unknown kind 'essay'"),
        (
            'id = "x"\nfront = "F"\nback = "b"\nkind = "write"\nprogram = "print(1)"\n'
            'output = "1"\n',
            9,
            "a write card's program needs {{answer}}",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\nkind = "predict"\nprogram = "print(1)"\n',
            4,
            "a predict card needs an output",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\nkind = "predict"\noutput = "1"\n',
            4,
            "a predict card needs a program",
        ),
        ('id = "x"\nfront = "F"\nback = 3\n', 7, "'back' must be a string"),
        (
            'id = "x"\nfront = "F"\nback = "b"\ntags = "one"\n',
            8,
            "'tags' must be a list of strings",
        ),
        ('id = "x"\nfront = "F"\nback = "b"\ntimeout = -1\n', 8, "'timeout' must be a number"),
        ('id = "x"\nfront = "F"\nback = "b"\nmatch = "fuzzy"\n', 8, "unknown match rule 'fuzzy'"),
        ('id = "x"\nfront = "F"\nback = "b"\nouptut = "1"\n', 8, "unknown field 'ouptut'"),
        ('id = "x y"\nfront = "F"\nback = "b"\n', 5, "must be letters, digits"),
        ('front = "F"\nback = "b"\n', 4, "missing 'id'"),
        (
            'id = "x"\nfront = "F"\nback = "b"\nrequires-python = "3.12+"\n',
            8,
            "is not like '>=3.12'",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\nkind = "write"\noutput = "1"\n'
            'program = "x = {{answer}}"\n',
            10,
            "must stand alone on its line",
        ),
        ('id = "x"\nfront = "F"\nback = "b"\nkind = ["write"]\n', 8, "'kind' must be a string"),
        ('id = "x"\nfront = "F"\nback = "b"\nmatch = {a = 1}\n', 8, "'match' must be a string"),
        (
            'id = "x"\nfront = "F"\nback = "b"\noutput = "(unclosed"\nmatch = "regex"\n',
            8,
            "'output' is not a valid regex: missing ), unterminated subpattern",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\nmatch = "regex"\noutput = "a{99999999999}"\n',
            9,
            "'output' is too large or too deeply nested a regex",
        ),
        (
            f'id = "x"\nfront = "F"\nback = "b"\nmatch = "regex"\noutput = "{"(" * 10**5}a'
            f'{")" * 10**5}"\n',
            9,
            "'output' is too large or too deeply nested a regex",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\nrequires-python = ">=3..1"\n',
            8,
            "is not like '>=3.12'",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\nrequires-python = ">=3.1234567890"\n',
            8,
            "is not like '>=3.12'",
        ),
        (
            'id = "x"\nfront = "F \\u001b]0;owned\\u0007"\nback = "b"\n',
            6,
            "'front' holds the control character U+001B, which a terminal would act on",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\nnote = "clear \\u001b[2J"\n',
            8,
            "'note' holds the control character U+001B",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b\\rover"\n',
            7,
            "'back' holds the control character U+000D",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\nprogram = "print(1)\\u009b"\n',
            8,
            "'program' holds the control character U+009B",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\ntags = ["\\u0007"]\n',
            8,
            "a tag contains a control character",
        ),
    ],
)
def test_schema_problem_is_reported_at_its_line(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    file = write_deck(tmp_path, "bad.toml", card_file(body))
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{file}:{line}: ")
    assert message in problem


def test_text_keeps_tabs_newlines_and_any_printable_character(tmp_path: Path) -> None:
    body = (
        'id = "x"\nfront = "Tab\\there → é ✓"\nback = "a\\r\\nb"\n'
        'program = "if True:\\n\\tprint(1)\\r\\n"\n'
    )
    write_deck(tmp_path, "ok.toml", card_file(body))
    [card] = load_deck(tmp_path).cards
    assert card.front == "Tab\there → é ✓" and card.back == "a\r\nb"


def test_control_characters_in_the_header_are_reported_in_file_order(tmp_path: Path) -> None:
    text = (
        'deck = "d\\u001b"\nsection = "s\\u0007"\nabout = "a\\u009b"\n\n[[card]]\nid = "x"\n'
        'front = "F"\nback = "b"\n'
    )
    file = write_deck(tmp_path, "bad.toml", text)
    assert [problem.split(": ")[0] for problem in problems_of(tmp_path)] == [
        f"{file}:1",
        f"{file}:2",
        f"{file}:3",
    ]


def test_a_byte_order_mark_is_read_past(tmp_path: Path) -> None:
    (tmp_path / "bom.toml").write_bytes(
        "\ufeff".encode() + card_file('id = "x"\nfront = "F"\nback = "b"\n').encode()
    )
    assert [card.id for card in load_deck(tmp_path).cards] == ["x"]


def test_a_control_character_in_a_section_name_is_refused(tmp_path: Path) -> None:
    file = write_deck(
        tmp_path,
        "bad.toml",
        card_file('id = "x"\nfront = "F"\nback = "b"\n', section="S\\u001b[31m"),
    )
    [problem] = problems_of(tmp_path)
    message = "'section' holds the control character U+001B, which a terminal would act on"
    assert problem == f"{file}:2: {message}"


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    write_deck(tmp_path, "a.toml", card_file('id = "x"\nfront = "F"\nback = "b"\nkind = "?"\n'))
    write_deck(tmp_path, "b.toml", "deck = [\n")
    write_deck(tmp_path, "c.toml", card_file('id = "y"\nfront = ""\nback = "b"\n', "Other"))
    problems = problems_of(tmp_path)
    assert len(problems) == 3
    assert [Path(p.split(":")[0]).name for p in problems] == ["a.toml", "b.toml", "c.toml"]


def test_duplicate_ids_across_files_of_one_deck(tmp_path: Path) -> None:
    write_deck(tmp_path, "a.toml", card_file('id = "same"\nfront = "A"\nback = "a"\n', "One"))
    body = 'id = "same"\nfront = "B"\nback = "b"\n'
    second = write_deck(tmp_path, "b.toml", card_file(body, "Two"))
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{second}:4: duplicate id 'same' in deck 'demo'")
    assert "a.toml:4" in problem


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    file = write_deck(tmp_path, "bad.toml", 'deck = "demo"\nsection = "S"\n[[card]\nid = 1\n')
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{file}:3: invalid TOML")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'deck = "caf\xe9"\n', "not UTF-8 text"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00binary", "not a text file"),
        (b"x = " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "invalid TOML"),
    ],
    ids=["latin-1", "binary", "deep-nesting"],
)
def test_unreadable_content_is_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "junk.toml").write_bytes(content)
    [problem] = problems_of(tmp_path)
    assert message in problem and "\n" not in problem


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(QuizzerError, match="no such file or folder"):
        deck_files(tmp_path / "nope")
    with pytest.raises(QuizzerError, match=r"no deck files \(\*\.toml\)"):
        deck_files(tmp_path)


@pytest.mark.parametrize(
    ("query", "expected"),
    [("queue", "Queues"), ("TASK", "Task"), ("tasks", "Tasks"), ("generators", "Async Generators")],
)
def test_match_section_by_case_and_prefix(query: str, expected: str) -> None:
    names = ["Task", "Tasks", "Queues", "Async Generators", "Async Locks"]
    assert match_section(names, query) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("async", "ambiguous"),
        ("zzz", "no section"),
        ("", "the section name is empty"),
        ("  ", "the section name is empty"),
    ],
)
def test_match_section_errors_list_the_sections(query: str, message: str) -> None:
    with pytest.raises(QuizzerError, match=message) as caught:
        match_section(["Async Generators", "Async Locks", "Queues"], query)
    assert "Async Locks" in str(caught.value)


def test_cards_in_section(tmp_path: Path) -> None:
    write_deck(tmp_path, "basics.toml", GOOD)
    decks = load_decks([tmp_path])
    assert [c.id for c in cards_in_section(decks, "bas")] == ["add", "hello"]
    assert len(cards_in_section(decks, None)) == 2


def test_cache_serves_unchanged_files_and_misses_edited_ones(tmp_path: Path, home: Path) -> None:
    file = write_deck(tmp_path, "basics.toml", GOOD)
    first = load_deck(tmp_path)
    [entry] = (home / "cache").glob("*.json")
    stored = json.loads(entry.read_text(encoding="utf-8"))
    assert [card["line"] for card in stored["cards"]] == [5, 16]

    # A hit is served from the entry: change the entry and the change shows.
    stored["cards"][0]["table"]["front"] = "From the cache"
    entry.write_text(json.dumps(stored), encoding="utf-8")
    cached = load_deck(tmp_path)
    assert cached.cards[0].front == "From the cache"
    assert cached.cards[0].line == 5 and cached.cards[0].path == file
    assert cached.cards[1] == first.cards[1]

    file.write_text(GOOD.replace("Add one and two", "Add 1 and 2"), encoding="utf-8")
    assert load_deck(tmp_path).cards[0].front == "Add 1 and 2"


def test_the_cache_keeps_one_entry_per_deck_file_however_often_it_is_edited(
    tmp_path: Path, home: Path
) -> None:
    file = write_deck(tmp_path, "basics.toml", GOOD)
    for n in range(5):
        file.write_text(
            GOOD.replace("Add one and two", f"Add one and two, take {n}"), encoding="utf-8"
        )
        assert load_deck(tmp_path).cards[0].front == f"Add one and two, take {n}"
    [entry] = (home / "cache").glob("*")
    assert "take 4" in entry.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"deck": "demo"}',
        b'{"deck": "demo", "section": "Basics", "about": "", "cards": [{"table": {}, "line": 5}]}',
        b'{"deck": "demo", "section": "Basics", "about": "", "cards": [{"table": {"id": "a",'
        b' "front": "F", "back": "b", "kind": ["x"]}, "line": 5}]}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["text", "not-utf8", "list", "no-cards", "empty-table", "bad-kind", "deep"],
)
def test_a_corrupt_cache_entry_is_a_miss(tmp_path: Path, home: Path, content: bytes) -> None:
    write_deck(tmp_path, "basics.toml", GOOD)
    first = load_deck(tmp_path)
    [entry] = (home / "cache").glob("*.json")
    entry.write_bytes(content)
    again = load_deck(tmp_path)
    assert again == first and [c.line for c in again.cards] == [5, 16]
    assert json.loads(entry.read_text(encoding="utf-8"))["section"] == "Basics"  # rewritten


class _Touch:
    """Unpickling this creates a file: what a planted pickle could do (or anything worse)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (pathlib.Path.touch, (self.marker,))


def test_the_cache_never_unpickles(tmp_path: Path, home: Path) -> None:
    file = write_deck(tmp_path, "basics.toml", GOOD)
    marker = tmp_path / "ran-outside-the-sandbox"
    key = deck_cache.key_for(file, file.read_bytes())
    (home / "cache").mkdir(parents=True)
    for name in (f"{key.slot}.pickle", f"{key.slot}.json"):
        (home / "cache" / name).write_bytes(pickle.dumps(_Touch(marker)))
    assert load_deck(tmp_path).cards[0].id == "add"
    assert not marker.exists()
    entry = json.loads((home / "cache" / f"{key.slot}.json").read_text(encoding="utf-8"))
    assert entry["cards"][0]["table"]["id"] == "add"  # replaced by a real entry


def test_bad_files_are_never_cached(tmp_path: Path, home: Path) -> None:
    write_deck(tmp_path, "bad.toml", card_file('id = "x"\nfront = "F"\n'))
    problems_of(tmp_path)
    assert problems_of(tmp_path)
    assert not list((home / "cache").glob("*"))


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    with (tmp_path / "huge.toml").open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: 64 MiB of NUL bytes, no disk used
    [problem] = problems_of(tmp_path)
    assert problem.endswith("huge.toml: too large for a deck file (over 16 MiB)")


def test_a_huge_bad_file_is_reported_quickly_and_capped(tmp_path: Path) -> None:
    bad_cards = "".join(
        f'[[card]]\nid = "c{n}"\nfront = "F"\nback = "b"\nkind = "essay"\n' for n in range(20_000)
    )
    file = write_deck(tmp_path, "big.toml", f'deck = "demo"\nsection = "Big"\n{bad_cards}')
    with pytest.raises(DeckError) as caught:
        load_decks([tmp_path])
    assert len(caught.value.problems) == 20_000
    assert caught.value.problems[-1].startswith(f"{file}:{3 + 5 * 19_999 + 4}: card c19999:")
    lines = str(caught.value).splitlines()
    assert len(lines) == MAX_PROBLEMS_SHOWN + 1
    assert lines[-1] == f"... and {20_000 - MAX_PROBLEMS_SHOWN} more problems"


def test_requires_python_has_one_grammar() -> None:
    assert parse_requires_python(">=3.11, <3.13.1") == [(">=", (3, 11)), ("<", (3, 13, 1))]
    for bad in ("", ">=3..1", "==3.", "3.12", ">=3.12.0.1", ">=" + "9" * 5000):
        assert parse_requires_python(bad) is None, bad


V2 = '''\
deck = "demo"
section = "Basics"

[[card]]
id = "double"
front = "Double n"
back = "result = n * 2"
kind = "write"
tags = ["math", "sheet-fix"]
program = """
import random
n = random.Random({{seed}}).randint(10, 99)
{{answer}}
print(result)
"""
output = "98"
variations = 4
wrong = ["print(98)", "result = n + n + 1"]
right = ["result = n + n"]
sheet-program = "result = n ** 2"
sheet-error = "NameError"

[[card]]
id = "shown"
front = "What does this print?"
back = "1"
kind = "predict"
tags = ["sheet-fix"]
program = "print(1)"
output = "1"
wrong = ["2"]
sheet-program = "print(2)"
sheet-output = "2"
'''


def test_format_v2_fields_load(tmp_path: Path) -> None:
    write_deck(tmp_path, "v2.toml", V2)
    double, shown = load_deck(tmp_path).cards
    assert double.wrong == ("print(98)", "result = n + n + 1")
    assert double.right == ("result = n + n",) and double.variations == 4 and double.has_seed
    assert (double.sheet_program, double.sheet_error) == ("result = n ** 2", "NameError")
    assert shown.sheet_output == "2" and shown.wrong == ("2",) and not shown.has_seed
    assert double.to_dict()["sheet-error"] == "NameError" and double.to_dict()["right"] == [
        "result = n + n"
    ]


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (
            'id = "x"\nfront = "F"\nback = "b"\nwrong = ["a"]\n',
            8,
            "'wrong' is for write and predict",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\nkind = "predict"\nprogram = "print(1)"\n'
            'output = "1"\nright = "1"\n',
            11,
            "'right' must be a list of strings",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\nkind = "predict"\nprogram = "print(1)"\n'
            'output = "1"\nwrong = ["2", " "]\n',
            11,
            "wrong[1] is empty",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\nkind = "write"\nprogram = "{{answer}}"\n'
            'output = "1"\nvariations = 3\n',
            11,
            "'variations' needs {{seed}} in the program",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\nkind = "write"\n'
            'program = "{{answer}}\\nprint({{seed}})"\noutput = "1"\nvariations = 11\n',
            11,
            "'variations' must be a whole number from 2 to 10",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\nsheet-program = "x"\nsheet-error = "E"\n',
            8,
            "a card with a 'sheet-program' must be tagged 'sheet-fix'",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\ntags = ["sheet-fix"]\nsheet-program = "x"\n',
            9,
            "needs exactly one of 'sheet-error' (the exception it raises) or 'sheet-output'",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\ntags = ["sheet-fix"]\nsheet-program = "x"\n'
            'sheet-error = "E"\nsheet-output = "o"\n',
            11,
            "needs exactly one of 'sheet-error'",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\ntags = ["sheet-fix"]\nsheet-output = "o"\n',
            9,
            "'sheet-output' needs a 'sheet-program' to run",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\ntags = ["sheet-fix"]\nsheet-program = "x"\n'
            'sheet-error = "no such"\n',
            10,
            "'sheet-error' 'no such' is not an exception class name",
        ),
        (
            'id = "x"\nfront = "F"\nback = "b"\nkind = "predict"\nprogram = "print(1)"\n'
            'output = "1"\nwrong = ["\\u001b[2J"]\n',
            11,
            "'wrong[0]' holds the control character U+001B",
        ),
    ],
)
def test_format_v2_problems_are_reported_at_their_line(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    file = write_deck(tmp_path, "bad.toml", card_file(body))
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{file}:{line}: ")
    assert message in problem
