"""Find, load and validate TOML decks.

A deck is a folder of TOML files, one per section (or a single TOML file). Every problem found is
reported as ``FILE:LINE: message``, all of them at once, in one `DeckError`.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from quizzer import deck_cache
from quizzer.errors import QuizzerError
from quizzer.model import ANSWER_SLOT, SEED_SLOT, SHEET_FIX_TAG, Card, Deck, Kind, Match, Section

MIB = 1024 * 1024
MAX_FILE_BYTES = 16 * MIB
MAX_DECK_BYTES = 16 * MIB  # all the files of one deck folder together
MAX_TIMEOUT = 60.0
VARIATIONS_RANGE = (2, 10)  # seeds a {{seed}} program may be judged under
NORMALIZERS = ("addresses", "task-names")
_KINDS = {str(kind): kind for kind in Kind}  # by value: faster than Kind(value) per card
_MATCHES = {str(match): match for match in Match}

TOP_LEVEL_KEYS = {"deck", "section", "about", "card", "override"}
CARD_KEYS = {
    "id",
    "front",
    "back",
    "kind",
    "tags",
    "program",
    "output",
    "match",
    "normalize",
    "requires-python",
    "timeout",
    "note",
    "source",
    "wrong",
    "right",
    "variations",
    "sheet-program",
    "sheet-error",
    "sheet-output",
}
STRING_KEYS = (
    "id",
    "front",
    "back",
    "kind",
    "match",
    "program",
    "output",
    "note",
    "source",
    "requires-python",
    "sheet-program",
    "sheet-error",
    "sheet-output",
)
EXAMPLE_KEYS = ("wrong", "right")
_EXCEPTION_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
MAX_PROBLEMS_SHOWN = 200  # a huge bad file must not bury the terminal
_SPECIFIER = re.compile(r"\s*(>=|<=|==|!=|>|<)\s*(\d{1,9}(?:\.\d{1,9}){0,2})\s*")
_CARD_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*card[ \t]*\]\]", re.MULTILINE)
_KEY_ASSIGNMENT = re.compile(r"""^\s*(?:"([^"\n]*)"|'([^'\n]*)'|([A-Za-z0-9_-]+))\s*=""")
# tomllib's work on one dotted key (`a.b.c = 1`, `[a.b.c]`) grows with the square of its parts:
# 100,000 parts (200 KB) took a minute. No deck needs more than a few, so longer ones are
# refused before parsing. The search stays linear on any text: runs of blanks are squeezed to
# one first, a chain is only tried from its first part (not after a dot or a key character,
# nor after a backslash, which no key follows), and every part is possessive.
MAX_KEY_PARTS = 64
_BLANKS = re.compile(r"[ \t]+")
_KEY_PART = r"""(?:[A-Za-z0-9_-]++|"(?:[^"\\\n]|\\.)*+"|'[^'\n]*+')"""
_DOT = r" ?+\. ?+"
_LONG_DOTTED_KEY = re.compile(
    rf"(?<![.\\A-Za-z0-9_-])(?<!\. ){_KEY_PART}{_DOT}(?:{_KEY_PART}{_DOT}){{{MAX_KEY_PARTS - 1}}}"
)
_SYNTAX_LINE = re.compile(r"\(at line (\d+), column \d+\)")
# Control characters a terminal would act on (colours, clearing it, setting its title): a shared
# deck must not reach the terminal with them. Tab and newline are text; so is \r before \n.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


class DeckError(QuizzerError):
    """One or more problems in deck files, each a ``FILE:LINE: message`` line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = self.problems[:MAX_PROBLEMS_SHOWN]
        hidden = len(self.problems) - len(shown)
        if hidden:
            shown.append(f"... and {hidden} more problem{'s' if hidden > 1 else ''}")
        super().__init__("\n".join(shown))


@dataclass(frozen=True)
class _Source:
    """A parsed deck file, with what is needed to point at its lines."""

    path: Path
    text: str
    data: dict[str, Any]

    @cached_property
    def lines(self) -> list[str]:
        """The text's lines, split once (numbered as `card_lines` counts them)."""
        return self.text.split("\n")

    @cached_property
    def card_lines(self) -> list[int]:
        """The line of each ``[[card]]`` header, in order (1-based)."""
        lines, position, line = [], 0, 1
        for found in _CARD_HEADER.finditer(self.text):
            line += self.text.count("\n", position, found.start())
            position = found.start()
            lines.append(line)
        return lines

    def card_line(self, index: int) -> int:
        """The line of the index-th ``[[card]]`` header, or 1."""
        return self.card_lines[index] if index < len(self.card_lines) else 1

    @cached_property
    def key_lines(self) -> dict[tuple[int, str], int]:
        """The first line assigning each key in each block (the top, or a card from its header
        line on): (the block's first line, key) -> line. Made in one pass, so that pointing at
        every problem of a file costs as much as reading it once."""
        found: dict[tuple[int, str], int] = {}
        block = 1
        for number, line in enumerate(self.lines, 1):
            if _CARD_HEADER.match(line):
                block = number
            elif assigned := _KEY_ASSIGNMENT.match(line):
                key = next(group for group in assigned.groups() if group is not None)
                found.setdefault((block, key), number)
        return found

    def key_line(self, key: str, after: int = 1) -> int:
        """The line that assigns `key` in the block starting at `after` (1: the top, or a
        card's header line), or `after`."""
        return self.key_lines.get((after, key), after)


def deck_files(path: Path) -> list[Path]:
    """The TOML files that make up the deck at `path` (a folder or one file)."""
    if not path.exists():
        raise QuizzerError(f"{path}: no such file or folder")
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise QuizzerError(f"{path}: not a deck file or folder")
    files = sorted(p for p in path.rglob("*.toml") if p.is_file())
    if not files:
        raise QuizzerError(f"{path}: no deck files (*.toml) in this folder")
    return files


def load_decks(paths: Iterable[Path]) -> list[Deck]:
    """Load and validate every deck file under `paths`, grouped into decks by their `deck` name."""
    problems: list[str] = []
    sections: dict[str, list[Section]] = {}
    roots: dict[str, Path] = {}
    overrides: list[Section] = []
    for root in paths:
        files = deck_files(root)
        if problem := _size_problem(root, files):
            problems.append(problem)
            continue
        for file in files:
            section = _load_section(file, problems)
            if section is not None and section.override:
                overrides.append(section)
            elif section is not None:
                sections.setdefault(section.deck, []).append(section)
                roots.setdefault(section.deck, root)
    for override in overrides:
        found = sections.get(override.deck)
        if found is None:
            problems.append(
                f"{override.path}:1: overrides cards of deck {override.deck!r},"
                " which is not loaded here"
            )
        else:
            sections[override.deck] = _overridden(found, override, problems)
    decks = [Deck(name, tuple(found), roots[name]) for name, found in sections.items()]
    for deck in decks:
        problems.extend(_deck_problems(deck))
    if problems:
        raise DeckError(problems)
    return decks


def _overridden(sections: list[Section], override: Section, problems: list[str]) -> list[Section]:
    """`sections` with each card of `override` in place of the card of its id (the user's edit
    of a built-in card); a card that replaces none, or one replaced twice, is a problem."""
    replacements = {card.id: card for card in override.cards}
    found: set[str] = set()
    result = []
    for section in sections:
        cards = []
        for card in section.cards:
            edited = replacements.get(card.id)
            if edited is not None:
                found.add(card.id)
            if edited is not None and not card.overridden:
                card = replace(edited, section=section.name, overridden=True)
            elif edited is not None:
                problems.append(
                    f"{edited.path}:{edited.line}: card {card.id}: already overridden in"
                    f" {card.path}"
                )
            cards.append(card)
        result.append(replace(section, cards=tuple(cards)))
    for card in override.cards:
        if card.id not in found:
            problems.append(
                f"{card.path}:{card.line}: card {card.id}: overrides no card of deck"
                f" {override.deck!r}"
            )
    return result


def _size_problem(root: Path, files: list[Path]) -> str | None:
    """Why the deck at `root` is too large to load (its files' total size), or None."""
    total = 0
    for file in files:
        with contextlib.suppress(OSError):  # an unreadable file is reported when it is read
            total += file.stat().st_size
    if total <= MAX_DECK_BYTES or len(files) == 1:  # one file: the per-file cap says it
        return None
    return (
        f"{root}: too large for a deck ({total / MIB:.0f} MiB in {len(files)} files;"
        f" at most {MAX_DECK_BYTES // MIB} MiB)"
    )


def load_deck(path: Path) -> Deck:
    """Load the one deck at `path`."""
    decks = load_decks([path])
    if len(decks) != 1:
        names = ", ".join(deck.name for deck in decks)
        raise QuizzerError(f"{path}: holds {len(decks)} decks ({names}); expected one")
    return decks[0]


def parse_requires_python(spec: str) -> list[tuple[str, tuple[int, ...]]] | None:
    """The (operator, version) clauses of a specifier like '>=3.11,<3.13'; None if it is not one.

    The one grammar of requires-python: the deck loader checks with it, verify decides with it.
    """
    clauses = []
    for part in spec.split(","):
        found = _SPECIFIER.fullmatch(part)
        if not found:
            return None
        operator, version = found.groups()
        clauses.append((operator, tuple(int(n) for n in version.split("."))))
    return clauses


def card_problems(table: dict[str, Any]) -> list[str]:
    """What is wrong with one card table, as plain messages (no file or line)."""
    return [message for _key, message in _card_table_problems(table)]


def card_from_table(
    table: dict[str, Any],
    deck: str,
    section: str,
    path: Path | None = None,
    line: int | None = None,
) -> Card:
    """Build a Card from a validated card table."""
    timeout = table.get("timeout")
    variations = table.get("variations")
    return Card(
        deck=deck,
        section=section,
        id=table["id"],
        front=table["front"],
        back=table["back"],
        kind=_KINDS[table.get("kind", Kind.RECALL)],
        tags=tuple(table.get("tags", ())),
        program=table.get("program"),
        output=table.get("output"),
        match=_MATCHES[table.get("match", Match.EXACT)],
        normalize=tuple(table.get("normalize", ())),
        requires_python=table.get("requires-python"),
        timeout=float(timeout) if timeout is not None else None,
        note=table.get("note"),
        source=table.get("source"),
        wrong=tuple(table.get("wrong", ())),
        right=tuple(table.get("right", ())),
        variations=int(variations) if variations is not None else None,
        sheet_program=table.get("sheet-program"),
        sheet_error=table.get("sheet-error"),
        sheet_output=table.get("sheet-output"),
        path=path,
        line=line,
    )


def _load_section(file: Path, problems: list[str]) -> Section | None:
    """One deck file as a validated Section, from the cache when its bytes are unchanged."""
    try:
        with file.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)  # no more: a huge file must not fill memory
    except OSError as error:
        problems.append(f"{file}: cannot read: {error.strerror}")
        return None
    key = deck_cache.key_for(file, raw)
    entry = deck_cache.get(key)
    section = _section_from_entry(file, entry) if entry is not None else None
    if section is not None:
        return section
    source = _parse(file, raw, problems)
    section = _section_from(source, problems) if source else None
    if source is not None and section is not None:
        deck_cache.put(key, _entry_for(source))
    return section


def _entry_for(source: _Source) -> dict[str, Any]:
    """What the cache keeps of a valid deck file: its top-level data and its card tables."""
    data = source.data
    cards = [{"line": source.card_line(i), "table": t} for i, t in enumerate(data["card"])]
    return {
        "deck": data["deck"],
        "section": data.get("section", ""),
        "about": data.get("about", ""),
        "override": data.get("override", False),
        "cards": cards,
    }


def _section_from_entry(file: Path, entry: dict[str, Any]) -> Section | None:
    """The Section a cache entry describes, or None when it is not shaped like one.

    Entries hold only tables that passed validation; they are rebuilt, not checked again
    (that would double the time of a cached load), and anything malformed is a miss.
    """
    deck, name, about, tables = (entry.get(k) for k in ("deck", "section", "about", "cards"))
    if not (isinstance(deck, str) and isinstance(name, str) and isinstance(about, str)):
        return None
    if not isinstance(tables, list) or not all(isinstance(item, dict) for item in tables):
        return None
    try:
        cards = tuple(
            card_from_table(item["table"], deck, name, file, int(item["line"])) for item in tables
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return Section(deck, name, about, cards, file, override=entry.get("override") is True)


def _parse(file: Path, raw: bytes, problems: list[str]) -> _Source | None:
    if len(raw) > MAX_FILE_BYTES:
        problems.append(f"{file}: too large for a deck file (over {MAX_FILE_BYTES // MIB} MiB)")
        return None
    if b"\x00" in raw:
        problems.append(f"{file}: not a text file (it contains NUL bytes)")
        return None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # the BOM some Windows editors write
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        problems.append(f"{file}:{line}: not UTF-8 text (byte 0x{raw[error.start]:02x})")
        return None
    if (long_key := _long_dotted_key_line(text)) is not None:
        problems.append(f"{file}:{long_key}: a dotted key of over {MAX_KEY_PARTS} parts")
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = _SYNTAX_LINE.search(str(error))
        line = int(found.group(1)) if found else 1
        message = _SYNTAX_LINE.sub("", str(error)).strip()
        problems.append(f"{file}:{line}: invalid TOML: {message}")
        return None
    except RecursionError:
        problems.append(f"{file}: invalid TOML: nesting too deep")
        return None
    return _Source(file, text, data)


def _long_dotted_key_line(text: str) -> int | None:
    """The line of the first dotted key of over MAX_KEY_PARTS parts in `text`, or None."""
    squeezed = _BLANKS.sub(" ", text)
    found = _LONG_DOTTED_KEY.search(squeezed)
    return None if found is None else squeezed.count("\n", 0, found.start()) + 1


def _section_from(source: _Source, problems: list[str]) -> Section | None:
    data, path = source.data, source.path
    before = len(problems)
    for key in sorted(set(data) - TOP_LEVEL_KEYS):
        problems.append(f"{path}:{source.key_line(key)}: unknown key {key!r}")
    override = data.get("override", False)
    if override is not True and override is not False:
        problems.append(f"{path}:{source.key_line('override')}: 'override' must be true or false")
    if override is True and "section" in data:
        problems.append(
            f"{path}:{source.key_line('section')}: an override file (override = true) has no"
            " section: each card replaces the card of its id, in that card's section"
        )
    for key in ("deck",) if override is True else ("deck", "section"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{path}:{source.key_line(key)}: {key!r} must be a non-empty string")
    if not isinstance(data.get("about", ""), str):
        problems.append(f"{path}:{source.key_line('about')}: 'about' must be a string")
    for key in ("deck", "section", "about"):  # in a fixed order, as the file has them
        if isinstance(data.get(key), str) and (problem := _control_problem(key, data[key])):
            problems.append(f"{path}:{source.key_line(key)}: {problem}")
    tables = data.get("card", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append(f"{path}:{source.key_line('card')}: 'card' must be an array of tables")
        return None
    if not tables:
        problems.append(f"{path}:1: no [[card]] tables")
    if len(problems) > before:
        return None

    cards = []
    for index, table in enumerate(tables):
        line = source.card_line(index)
        found = _card_table_problems(table)
        for field_name, message in found:
            where = line if field_name is None else source.key_line(field_name, after=line)
            problems.append(f"{path}:{where}: card {table.get('id', index + 1)!s}: {message}")
        if not found:
            cards.append(card_from_table(table, data["deck"], data.get("section", ""), path, line))
    if len(problems) > before:
        return None
    return Section(
        data["deck"],
        data.get("section", ""),
        data.get("about", ""),
        tuple(cards),
        path,
        override=override is True,
    )


def _card_table_problems(table: dict[str, Any]) -> list[tuple[str | None, str]]:
    """Problems of one card as (the key to point at, message)."""
    found: list[tuple[str | None, str]] = []
    for key in sorted(set(table) - CARD_KEYS):
        found.append((key, f"unknown field {key!r}"))
    for key in ("id", "front", "back"):
        if key not in table:
            found.append((None, f"missing {key!r}"))
    for key in STRING_KEYS:  # kind and match too: a list there is unhashable, not just unknown
        if key in table and not isinstance(table[key], str):
            found.append((key, f"{key!r} must be a string"))
    if found:
        return found

    for key in STRING_KEYS:
        if key in table and (problem := _control_problem(key, table[key])):
            found.append((key, problem))
    if any(_CONTROL.search(tag) for tag in table.get("tags", []) if isinstance(tag, str)):
        found.append(("tags", "a tag contains a control character"))
    if not ID_PATTERN.fullmatch(table["id"]):
        found.append(("id", f"id {table['id']!r} must be letters, digits, '.', '_' or '-'"))
    if not table["front"].strip():
        found.append(("front", "'front' is empty"))
    kind = table.get("kind", Kind.RECALL)
    if kind not in _KINDS:
        found.append(("kind", f"unknown kind {kind!r} (expected {_choices(Kind)})"))
    match = table.get("match", Match.EXACT)
    if match not in _MATCHES:
        found.append(("match", f"unknown match rule {match!r} (expected {_choices(Match)})"))
    elif match == Match.REGEX and "output" in table:
        problem = _regex_problem(table["output"])
        if problem:
            found.append(("output", problem))
    for key, allowed in (("tags", None), ("normalize", NORMALIZERS)):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            found.append((key, f"{key!r} must be a list of strings"))
        elif allowed and set(value) - set(allowed):
            unknown = ", ".join(sorted(set(value) - set(allowed)))
            found.append((key, f"unknown {key} {unknown} (expected {', '.join(allowed)})"))
    timeout = table.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 < timeout <= MAX_TIMEOUT
    ):
        found.append(("timeout", f"'timeout' must be a number of seconds in (0, {MAX_TIMEOUT:g}]"))
    spec = table.get("requires-python")
    if spec is not None and parse_requires_python(spec) is None:
        found.append(("requires-python", f"'requires-python' {spec!r} is not like '>=3.12'"))

    program: str | None = table.get("program")
    slot = program is not None and ANSWER_SLOT in program
    if (
        program is not None
        and slot
        and not all(
            line.strip() == ANSWER_SLOT for line in program.splitlines() if ANSWER_SLOT in line
        )
    ):
        found.append(("program", f"{ANSWER_SLOT} must stand alone on its line"))
    if kind == Kind.WRITE and not slot:
        found.append(("program", f"a write card's program needs {ANSWER_SLOT}"))
    if kind == Kind.PREDICT:
        if program is None:
            found.append((None, "a predict card needs a program"))
        elif slot:
            found.append(("program", f"a predict card's program must not contain {ANSWER_SLOT}"))
    if kind in (Kind.WRITE, Kind.PREDICT) and "output" not in table:
        found.append((None, f"a {kind} card needs an output"))
    if kind == Kind.RECALL and slot and "output" not in table:
        found.append((None, "a card whose program has {{answer}} needs an output"))
    found.extend(_example_problems(table, kind))
    found.extend(_variations_problems(table, kind))
    found.extend(_sheet_problems(table))
    return found


def _example_problems(table: dict[str, Any], kind: object) -> list[tuple[str | None, str]]:
    """Problems of the `wrong` and `right` lists: answers the judge must refuse or accept."""
    found: list[tuple[str | None, str]] = []
    for key in EXAMPLE_KEYS:
        if key not in table:
            continue
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            found.append((key, f"{key!r} must be a list of strings"))
        elif kind not in (Kind.WRITE, Kind.PREDICT):
            found.append((key, f"{key!r} is for write and predict cards (this one is {kind})"))
        else:
            for index, item in enumerate(value):
                if not item.strip():
                    found.append((key, f"{key}[{index}] is empty"))
                elif problem := _control_problem(f"{key}[{index}]", item):
                    found.append((key, problem))
    return found


def _variations_problems(table: dict[str, Any], kind: object) -> list[tuple[str | None, str]]:
    """Problems of `variations`: a number of seeds, for a write card whose program has one."""
    if "variations" not in table:
        return []
    value, (low, high) = table["variations"], VARIATIONS_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return [("variations", f"'variations' must be a whole number from {low} to {high}")]
    if kind != Kind.WRITE:
        return [("variations", f"'variations' is for write cards (this one is {kind})")]
    if SEED_SLOT not in table.get("program", ""):
        return [("variations", f"'variations' needs {SEED_SLOT} in the program")]
    return []


def _sheet_problems(table: dict[str, Any]) -> list[tuple[str | None, str]]:
    """Problems of the sheet-fix proof: `sheet-program` with one of `sheet-error`/`sheet-output`.

    A sheet-fix card without a sheet-program is verify's to report (it cannot prove its claim),
    not the loader's: the deck still loads.
    """
    found: list[tuple[str | None, str]] = []
    tags = table.get("tags", [])
    tagged = isinstance(tags, list) and SHEET_FIX_TAG in tags
    program = table.get("sheet-program")
    claims = [key for key in ("sheet-error", "sheet-output") if key in table]
    if program is None:
        for key in claims:
            found.append((key, f"{key!r} needs a 'sheet-program' to run"))
        return found
    if not tagged:
        found.append(
            ("sheet-program", f"a card with a 'sheet-program' must be tagged {SHEET_FIX_TAG!r}")
        )
    if not program.strip():
        found.append(("sheet-program", "'sheet-program' is empty"))
    elif ANSWER_SLOT in program:
        found.append(("sheet-program", f"'sheet-program' must not contain {ANSWER_SLOT}"))
    if len(claims) != 1:
        found.append(
            (
                "sheet-program" if not claims else claims[1],
                "a 'sheet-program' needs exactly one of 'sheet-error' (the exception it raises)"
                " or 'sheet-output' (what it prints)",
            )
        )
    error = table.get("sheet-error")
    if error is not None and not _EXCEPTION_NAME.fullmatch(error.strip()):
        found.append(("sheet-error", f"'sheet-error' {error!r} is not an exception class name"))
    return found


def _control_problem(key: str, text: str) -> str | None:
    """Why `text` must not be shown as it is: the control character it holds, or None."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    code = ord(found.group()[0])
    return f"{key!r} holds the control character U+{code:04X}, which a terminal would act on"


def _regex_problem(output: str) -> str | None:
    """Why a regex card's output is not a usable pattern, or None (flags as verify matches)."""
    try:
        re.compile(output.strip(), re.DOTALL)
    except re.error as error:
        return f"'output' is not a valid regex: {error}"
    except (RecursionError, OverflowError, MemoryError):
        return "'output' is too large or too deeply nested a regex"
    return None


def _deck_problems(deck: Deck) -> list[str]:
    problems = []
    seen_ids: dict[str, Card] = {}
    seen_sections: dict[str, Section] = {}
    for section in deck.sections:
        other = seen_sections.setdefault(section.name.casefold(), section)
        if other is not section:
            problems.append(
                f"{section.path}:1: section {section.name!r} is already defined in {other.path}"
            )
        for card in section.cards:
            first = seen_ids.setdefault(card.id, card)
            if first is not card:
                problems.append(
                    f"{card.path}:{card.line}: duplicate id {card.id!r} in deck {deck.name!r}"
                    f" (first at {first.path}:{first.line})"
                )
    return problems


def _choices(values: Iterable[str]) -> str:
    return ", ".join(str(value) for value in values)


def match_section(names: Iterable[str], query: str) -> str:
    """The one section `query` names: case-insensitive, whole name or a unique prefix.

    A query that starts no name may still start one word of exactly one name ("generators").
    """
    choices = list(dict.fromkeys(names))  # in deck order, each once
    wanted = query.strip().casefold()
    if not wanted:
        raise QuizzerError(f"the section name is empty; sections are: {'; '.join(choices)}")
    for name in choices:
        if name.casefold() == wanted:
            return name
    found = [name for name in choices if name.casefold().startswith(wanted)]
    if not found:
        found = [n for n in choices if any(w.startswith(wanted) for w in n.casefold().split())]
    if len(found) == 1:
        return found[0]
    if not found:
        raise QuizzerError(f"no section {query!r}; sections are: {'; '.join(choices)}")
    raise QuizzerError(f"section {query!r} is ambiguous: it could be {'; '.join(found)}")


def cards_in_section(decks: Iterable[Deck], query: str | None) -> list[Card]:
    """The cards of the section `query` names (all cards when it is None), in deck order."""
    cards = [card for deck in decks for card in deck.cards]
    if query is None:
        return cards
    name = match_section((card.section for card in cards), query)
    return [card for card in cards if card.section == name]


def cards_in_sections(decks: Iterable[Deck], queries: Sequence[str]) -> list[Card]:
    """The cards of every section `queries` name (all cards when there is none), in deck order."""
    cards = [card for deck in decks for card in deck.cards]
    if not queries:
        return cards
    names = {match_section((card.section for card in cards), query) for query in queries}
    return [card for card in cards if card.section in names]


def filter_tags(cards: Iterable[Card], tags: Sequence[str], skip_tags: Sequence[str]) -> list[Card]:
    """The cards that have any of `tags` (every card when none is given) and none of
    `skip_tags`; tags compare case-insensitively."""
    wanted = {tag.casefold() for tag in tags}
    unwanted = {tag.casefold() for tag in skip_tags}
    found = []
    for card in cards:
        has = {tag.casefold() for tag in card.tags}
        if (not wanted or has & wanted) and not has & unwanted:
            found.append(card)
    return found
