"""Append one card to a deck on disk, keeping every byte of what the user wrote.

The new card is rendered with tomlkit and appended after the file's last byte, so comments and
layout elsewhere in the file are untouched. The write is atomic (a temporary file in the same
folder, fsync, rename, fsync of the folder) and happens under an exclusive lock on the deck, held
from reading the deck to renaming the file, so concurrent `quizzer add` runs all land.

Decks are merged by their `deck` name across folders (the built-in deck and every folder of the
user's), so a card is checked against the whole merged deck it joins, not only the folder it is
written to: an id or a section taken anywhere in that deck would break every command reading it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import tempfile
import time
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from quizzer import paths
from quizzer.deck import DeckError, card_problems, deck_files, load_deck, load_decks
from quizzer.errors import QuizzerError
from quizzer.model import Card, Deck, Kind, Match, Section

OWN_DECK_NAME = "mine"
OVERRIDES_DIR = "overrides"  # under the user's decks: their edits of built-in cards
LOCK_TIMEOUT = 30.0  # seconds to wait for another `quizzer add` before giving up
NEW_FILE_MODE = 0o644
# The order fields are written in, as in the built-in deck.
FIELD_ORDER = (
    "id", "front", "back", "kind", "tags", "program", "output", "match", "normalize",
    "requires-python", "timeout", "note", "source", "wrong", "right", "variations",
    "sheet-program", "sheet-error", "sheet-output",
)  # fmt: skip
_NUMBERED_FILE = re.compile(r"^(\d+)-")
# Latin letters NFKD does not take apart into an ASCII letter and marks.
_ASCII_FOLDS = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "þ": "th",
                              "ł": "l", "ı": "i", "ħ": "h", "ŧ": "t"})  # fmt: skip


@dataclass(frozen=True)
class DeckTarget:
    """A place `add_card` can write to: a deck folder or one section file, and what it holds."""

    path: Path
    name: str
    deck: Deck | None  # None while the folder holds no deck file yet
    # The deck files the default commands load besides the target's, and the sections among
    # them that carry the target's deck name (merged with it into one deck).
    other_files: tuple[Path, ...] = ()
    merged_sections: tuple[Section, ...] = ()

    @property
    def is_file(self) -> bool:
        return self.path.is_file()

    def section_names(self) -> list[str]:
        return [section.name for section in self.deck.sections] if self.deck else []

    def section_named(self, name: str) -> str | None:
        """The deck's spelling of section `name` (compared case-insensitively), or None."""
        wanted = name.strip().casefold()
        return next((s for s in self.section_names() if s.casefold() == wanted), None)

    def merged_cards(self) -> dict[str, Card]:
        """Every card of the merged deck by id: the target's and those of its name elsewhere."""
        cards = [*(self.deck.cards if self.deck else ()),
                 *(card for section in self.merged_sections for card in section.cards)]  # fmt: skip
        found: dict[str, Card] = {}
        for card in cards:
            found.setdefault(card.id, card)
        return found


@dataclass(frozen=True)
class AddedCard:
    """A card that is now on disk."""

    card: Card
    file: Path
    new_section: bool


def normalize_newlines(text: str) -> str:
    """`text` with every CRLF and lone CR turned into LF (TOML reads a CRLF in a multi-line
    string as LF, so a stored CR would not survive a round trip)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def slugify(text: str, max_length: int = 48, fallback: str = "card") -> str:
    """A lowercase ASCII slug of `text` (words joined by '-'), cut at a word, or `fallback`.

    Letters are folded to ASCII (casefold and NFKD: "Straße" is "strasse", "é" is "e").
    """
    folded = unicodedata.normalize("NFKD", text).casefold().translate(_ASCII_FOLDS)
    plain = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", plain)
    slug = ""
    for word in words:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > max_length:
            break
        slug = longer
    if not slug and words:
        slug = words[0][:max_length]
    return slug or fallback


def unique_id(base: str, taken: Iterable[str]) -> str:
    """`base`, or `base-2`, `base-3`... whichever is not taken yet."""
    used = set(taken)
    candidate, number = base, 2
    while candidate in used:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def section_file_name(section: str, folder: Path) -> str:
    """A free file name in `folder` for a new section, following the folder's naming.

    When every deck file there is numbered ("03-task.toml"), the new one takes the next number.
    """
    existing = sorted(p.name for p in folder.glob("*.toml"))
    numbers = [found for name in existing if (found := _NUMBERED_FILE.match(name))]
    slug = slugify(section, max_length=40, fallback="section")
    stem = slug
    if existing and len(numbers) == len(existing):
        width = max(len(found.group(1)) for found in numbers)
        stem = f"{max(int(found.group(1)) for found in numbers) + 1:0{width}d}-{slug}"
    name, number = f"{stem}.toml", 2
    while (folder / name).exists():
        name, number = f"{stem}-{number}.toml", number + 1
    return name


def find_target(path: Path | None) -> DeckTarget:
    """Load what the deck at `path` (default: the user's own deck) holds now.

    Refuses the built-in deck, and a deck whose files do not load.
    """
    return _load_target(*_writable_path(path))


def merged_target(target: DeckTarget, merged_roots: Sequence[Path]) -> DeckTarget:
    """`target` with the rest of the deck it belongs to: when the commands that read the default
    decks (`merged_roots`, merged by deck name) read the target too, the files of those roots
    and the sections among them of the target's name.

    Raises when those decks do not load.
    """
    if not _read_by_default(target.path, merged_roots):  # e.g. a copy of the built-in deck
        return target
    # A file is the target's however it is reached (a root may hold the target, or be it).
    seen = {file.resolve() for file in deck_files(target.path)} if target.deck else set()
    others: list[Path] = []
    for root in merged_roots:
        for file in deck_files(root):
            if file.resolve() not in seen:
                seen.add(file.resolve())
                others.append(file)
    sections = [s for deck in load_decks(others) if deck.name == target.name for s in deck.sections]
    return replace(target, other_files=tuple(others), merged_sections=tuple(sections))


def in_builtin(path: Path) -> bool:
    """Whether `path` is the built-in deck or inside it, also through a symlink."""
    builtin = paths.builtin_deck_dir().resolve()
    resolved = path.resolve()
    return resolved == builtin or builtin in resolved.parents


def refuse_builtin(path: Path) -> None:
    """Raise when `path` is the built-in deck or inside it, also through a symlink: it is never
    written."""
    if in_builtin(path):
        resolved = path.resolve()
        through = "" if path.absolute() == resolved else f" (a link to {resolved})"
        raise QuizzerError(
            f"{path}{through}: the built-in deck is read-only; add cards to your own deck "
            "(leave out --deck) or to another deck folder"
        )


def add_card(path: Path | None, section: str, table: Mapping[str, Any], *,
             merged_roots: Sequence[Path]) -> AddedCard:  # fmt: skip
    """Append the card `table` to `section` of the deck at `path` (default: the user's own).

    Without an "id", the card gets a slug of its front, unique in the deck merged across
    `merged_roots` (see `merged_target`). A new section gets a file of its own. Nothing is written
    unless the whole resulting deck, and every deck in `merged_roots` with it, loads.
    """
    path, own = _writable_path(path)
    section = normalize_newlines(section)
    if path.is_file():
        folder = path.parent
    else:
        folder = path
        _make_folder(folder)
    with _deck_locks(folder, path, merged_roots):
        target = merged_target(_load_target(path, own), merged_roots)
        return _add_locked(target, section, dict(table))


@contextlib.contextmanager
def _deck_locks(folder: Path, path: Path, merged_roots: Sequence[Path]) -> Iterator[None]:
    """The lock of `folder` and, for a deck the default commands read, that of the user's decks
    folder too: two adds to different folders of one merged deck must not both take an id.
    Taken in path order, so that two writers never each hold the lock the other waits for."""
    folders = {folder.resolve()}
    if _read_by_default(path, merged_roots):
        decks = paths.user_decks_dir()
        _make_folder(decks)
        folders.add(decks.resolve())
    with contextlib.ExitStack() as locks:
        for each in sorted(folders):
            locks.enter_context(deck_lock(each, LOCK_TIMEOUT))
        yield


def _writable_path(path: Path | None) -> tuple[Path, bool]:
    """The deck path to write to (`path`, else the user's own deck) and whether it is the own
    one; raises unless it is a deck file or a folder (new or not) outside the built-in deck."""
    own = path is None
    path = paths.own_deck_dir() if path is None else path
    refuse_builtin(path)
    if path.exists() and not (path.is_file() or path.is_dir()):
        raise QuizzerError(f"{path}: not a deck folder or TOML file")
    if not path.exists() and path.suffix == ".toml":
        raise QuizzerError(f"{path}: no such deck file (pass a folder to start a new deck)")
    return path, own


def _load_target(path: Path, own: bool) -> DeckTarget:
    if path.is_file() or (path.is_dir() and any(path.rglob("*.toml"))):
        deck = load_deck(path)
        return DeckTarget(path, deck.name, deck)
    return DeckTarget(path, OWN_DECK_NAME if own else path.resolve().name, None)


def _read_by_default(path: Path, roots: Sequence[Path]) -> bool:
    """Whether the commands that read the default decks (`roots`) read `path` too, or will once
    a card is in it: it is in the user's decks folder, or in one of `roots` (through a link)."""
    resolved = path.resolve()
    homes = {paths.user_decks_dir().resolve(), *(root.resolve() for root in roots)}
    return any(resolved == home or home in resolved.parents for home in homes)


def lock_path(folder: Path) -> Path:
    """The lock file of the deck in `folder`: in quizzer's own locks folder, named after the
    deck folder's real path, so deck folders hold nothing but the user's files."""
    import hashlib

    digest = hashlib.sha256(os.fsencode(folder.resolve())).hexdigest()[:24]
    return paths.data_home() / "locks" / f"{digest}.lock"


@contextlib.contextmanager
def deck_lock(folder: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive lock on the deck in `folder` (its lock file); wait up to `timeout`."""
    lock = lock_path(folder)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, NEW_FILE_MODE)
    except OSError as error:
        raise _write_error(lock.parent, error) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise QuizzerError(
                        f"{folder}: the deck is locked by another quizzer (waited {timeout:g}s;"
                        f" if none is running, remove {lock})"
                    ) from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def render_card(table: Mapping[str, Any]) -> str:
    """One ``[[card]]`` table as TOML text, fields in the deck's order, multi-line strings kept."""
    import tomlkit

    card = tomlkit.table()
    for key in sorted(table, key=lambda k: FIELD_ORDER.index(k) if k in FIELD_ORDER else 99):
        card[key] = _toml_value(table[key])
    cards = tomlkit.aot()
    cards.append(card)
    document = tomlkit.document()
    document["card"] = cards
    return tomlkit.dumps(document)


def new_section_text(deck: str, section: str, table: Mapping[str, Any]) -> str:
    """The text of a new section file holding one card."""
    import tomlkit

    header = tomlkit.document()
    header["deck"] = deck
    header["section"] = section
    return tomlkit.dumps(header) + "\n" + render_card(table)


def append_card_text(text: str, table: Mapping[str, Any]) -> str:
    """`text` (a section file) with the card `table` after its last byte.

    The file's bytes stay a prefix of the result; its line endings are followed. Falls back to
    tomlkit's own editing when plain appending would not parse (cards written as an inline array).
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    block = render_card(table).replace("\n", newline)
    if not text or text.endswith(newline * 2):
        result = text + block
    elif text.endswith("\n"):
        result = text + newline + block
    else:
        result = text + newline * 2 + block
    if _appended_cleanly(text, result, table):
        return result
    import tomlkit

    document = tomlkit.parse(text)
    document["card"].append(dict(table))
    result = tomlkit.dumps(document)
    if not _appended_cleanly(text, result, table):
        raise QuizzerError("cannot append a card to this file without changing its other cards")
    return result


def check_addition(target: DeckTarget, section: str,
                   table: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:  # fmt: skip
    """Raise what stops `table` joining `section` of `target`; else the table as it is to be
    written (its text with LF line ends, its id), and the deck's spelling of the section (None
    for a new section).
    """
    if not section.strip():
        raise QuizzerError("the section name is empty")
    table = {key: _normalized(value) for key, value in table.items()}
    refuse_meaningless(table)
    taken = target.merged_cards()
    if "id" in table:
        first = taken.get(table["id"])
        if first is not None:
            raise QuizzerError(
                f"duplicate id {table['id']!r}: deck {target.name!r} already has it "
                f"({first.path}:{first.line}); choose another --id"
            )
        with_id = table
    else:
        with_id = {"id": unique_id(slugify(str(table.get("front", ""))), taken), **table}
    problems = card_problems(with_id)
    if problems:
        which = f"card {table['id']!r}" if "id" in table else "the card"
        raise QuizzerError(f"cannot add {which}: {'; '.join(problems)}")
    existing = target.section_named(section)
    if target.is_file and existing is None:
        raise QuizzerError(
            f"{target.path} holds only section {target.section_names()[0]!r}; "
            "pass the deck folder to add a new section"
        )
    if existing is None:
        _refuse_section_elsewhere(target, section)
    return with_id, existing


def _normalized(value: Any) -> Any:
    """A card field's value with its line ends made LF (strings, and lists of strings)."""
    if isinstance(value, str):
        return normalize_newlines(value)
    if isinstance(value, list):
        return [normalize_newlines(item) if isinstance(item, str) else item for item in value]
    return value


def refuse_empty_fields(table: Mapping[str, Any]) -> None:
    """Raise for a front, back or tag of the card `table` that is given but blank."""
    for key in ("front", "back"):
        value = table.get(key)
        if isinstance(value, str) and not value.strip():
            raise QuizzerError(f"the card's {key} is empty (--{key})")
    tags = table.get("tags")
    if isinstance(tags, list) and any(isinstance(t, str) and not t.strip() for t in tags):
        raise QuizzerError("a --tag is empty: give each tag a name, or leave it out")


def refuse_meaningless(table: Mapping[str, Any]) -> None:
    """Raise for a field that is given but says nothing: blank, or with nothing to act on."""
    refuse_empty_fields(table)
    recall = table.get("kind", str(Kind.RECALL)) == Kind.RECALL
    if "output" in table and "program" not in table and recall:
        raise QuizzerError(
            "--output is what the card's program prints, and this recall card has no "
            "program (give it one with --program, or leave out --output)"
        )
    if "output" not in table and table.get("match", str(Match.EXACT)) != Match.EXACT:
        raise QuizzerError("--match says how to compare the program's output with --output, "
                           "and the card has no --output")  # fmt: skip


def _refuse_section_elsewhere(target: DeckTarget, section: str) -> None:
    """Raise when the merged deck has `section` in a file outside the target: a second file for
    one section breaks the deck."""
    wanted = section.strip().casefold()
    other = next((s for s in target.merged_sections if s.name.casefold() == wanted), None)
    if other is None:
        return
    read_only = other.path is None or in_builtin(other.path)
    where = "" if read_only else f"add to it with --deck {other.path}, or "
    raise QuizzerError(
        f"deck {target.name!r} already has section {other.name!r} in {other.path}, outside "
        f"{target.path}; {where}choose another section name"
    )


def _add_locked(target: DeckTarget, section: str, table: dict[str, Any]) -> AddedCard:
    table, existing = check_addition(target, section, table)
    if existing is not None:
        assert target.deck is not None
        file = next(s.path for s in target.deck.sections if s.name == existing and s.path)
        new_text = append_card_text(_read_text(file), table)
        mode = file.stat().st_mode & 0o7777
    else:
        file = target.path / section_file_name(section, target.path)
        new_text = new_section_text(target.name, section.strip(), table)
        mode = NEW_FILE_MODE
    card = _write_checked(target, file, new_text.encode("utf-8"), mode, table["id"])
    return AddedCard(card, file, new_section=existing is None)


def _write_checked(target: DeckTarget, file: Path, data: bytes, mode: int, card_id: str) -> Card:
    """Write `data` to `file` atomically, once the deck with it in place loads; the new card."""
    real_file = file.resolve()  # a symlinked deck file stays a symlink: its target is replaced
    refuse_builtin(file)  # ... unless that target is in the built-in deck
    folder = real_file.parent
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{real_file.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise _write_error(folder, error) from None
    temp = Path(temp_name)
    try:
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fchmod(stream.fileno(), mode)
                os.fsync(stream.fileno())
        except OSError as error:
            raise _write_error(folder, error) from None
        deck = _load_with(target, file, temp)
        card = next(c for c in deck.cards if c.id == card_id)
        try:
            temp.replace(real_file)
            _fsync_folder(folder)
        except OSError as error:
            raise _write_error(folder, error) from None
    finally:
        temp.unlink(missing_ok=True)
    return replace(card, path=file)


def _load_with(target: DeckTarget, file: Path, temp: Path) -> Deck:
    """The deck as it will be once `temp` replaces `file`, loaded and checked in full, merged
    with the rest of the decks the default commands read (so an id or section taken in another
    folder of the same deck is caught too)."""
    own = [] if target.is_file or target.deck is None else deck_files(target.path)
    own_files = [*(f for f in own if f != file), temp]
    try:
        decks = load_decks([*own_files, *target.other_files])
    except DeckError as error:
        raise DeckError([p.replace(str(temp), str(file)) for p in error.problems]) from None
    names = {s.deck for deck in decks for s in deck.sections if s.path in own_files}
    if len(names) != 1:
        raise QuizzerError(f"{target.path}: would hold {len(names)} decks after adding the card")
    return next(deck for deck in decks if deck.name in names)


def _appended_cleanly(text: str, result: str, table: Mapping[str, Any]) -> bool:
    """Whether `result` holds exactly what `text` held, plus the card `table` at the end."""
    try:
        before, after = tomllib.loads(text), tomllib.loads(result)
    except tomllib.TOMLDecodeError:
        return False
    cards = after.pop("card", None)
    old_cards = before.pop("card", [])
    return before == after and cards == [*old_cards, dict(table)]


def _toml_value(value: Any) -> Any:
    import tomlkit
    from tomlkit.items import String, Trivia

    if isinstance(value, str) and "\n" in value:
        # Start the text on a line of its own, as the built-in deck does: TOML drops a newline
        # right after the opening quotes, so one more leaves the value as it is.
        plain = tomlkit.string(value, multiline=True)
        quotes = len(plain.type.value)
        body = plain.as_string()[quotes:-quotes]
        return String(plain.type, value, body if body.startswith("\n") else "\n" + body, Trivia())
    if isinstance(value, list) and any(isinstance(item, str) and "\n" in item for item in value):
        items = tomlkit.array()  # one item a line, code kept as it reads: wrong/right examples
        items.extend(_toml_value(item) for item in value)
        return items.multiline(True)
    return value


def _read_text(file: Path) -> str:
    try:
        return file.read_bytes().decode("utf-8")
    except OSError as error:
        raise QuizzerError(f"{file}: cannot read: {error.strerror}") from None


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _write_error(folder, error) from None


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_error(folder: Path, error: OSError) -> QuizzerError:
    reason = error.strerror or errno.errorcode.get(error.errno or 0, str(error))
    return QuizzerError(f"{folder}: cannot write to this folder: {reason}")


# -- editing a card in place, or overriding a built-in one ------------------------------------


def card_text(card: Card) -> str:
    """The card's ``[[card]]`` table as its file holds it, comments and layout kept: from its
    header to the next card's (or the end of the file), less the blank lines at its end."""
    assert card.path is not None and card.line is not None
    text = _read_text(card.path)
    start, end = _card_span(text, card.line)
    return text[start:end]


def parse_card_text(text: str) -> dict[str, Any]:
    """The one card table `text` holds (as `card_text` gives it, edited); raises QuizzerError
    when it is not TOML or not exactly one ``[[card]]`` table."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise QuizzerError(f"the card is not valid TOML: {error}") from None
    cards = data.pop("card", None)
    if data or not isinstance(cards, list) or len(cards) != 1 or not isinstance(cards[0], dict):
        raise QuizzerError("the text must hold one [[card]] table and nothing else")
    table: dict[str, Any] = cards[0]
    return table


def replace_card(card: Card, text: str, before: str, merged_roots: Sequence[Path]) -> Path:
    """Put `text` (one ``[[card]]`` table) in place of `card` in its file, the rest of the file
    kept byte for byte; atomic, under the deck's lock, and only when every deck of
    `merged_roots` still loads with it. `before` is the card's text as the edit started: a file
    changed meanwhile is refused, not overwritten. Returns the file written."""
    assert card.path is not None and card.line is not None
    file = card.path
    refuse_builtin(file)
    with deck_lock(file.parent):
        old = _read_text(file)
        start, end = _card_span(old, card.line)
        if old[start:end] != before:
            raise QuizzerError(f"{file}: the card changed in its file while you edited it")
        new = old[:start] + _block(text, old) + old[end:]
        _check_replaced(old, new, _card_index(old, card.line), parse_card_text(text))
        _write_deck_file(file, new, merged_roots)
    return file


def write_override(card: Card, text: str, merged_roots: Sequence[Path]) -> Path:
    """Save `text` as the user's override of the built-in `card` (same deck and id), which the
    merged deck uses in its place: appended to the deck's file in the user's overrides folder."""
    folder = paths.user_decks_dir() / OVERRIDES_DIR
    _make_folder(folder)
    file = folder / f"{slugify(card.deck, fallback='deck')}.toml"
    with deck_lock(folder):
        if file.exists():
            old = _read_text(file)
            body = old if old.endswith("\n") or not old else old + "\n"
            new = body + ("\n" if body and not body.endswith("\n\n") else "") + _block(text, old)
            new += "\n"
        else:
            import tomlkit

            header = tomlkit.document()
            header.add(tomlkit.comment("Your edits of built-in cards (quizzer edit): each card"))
            header.add(tomlkit.comment("here is used in place of the built-in card with its id."))
            header["deck"] = card.deck
            header["override"] = True
            new = tomlkit.dumps(header) + "\n" + _block(text, "") + "\n"
        _write_deck_file(file, new, merged_roots)
    return file


def _block(text: str, file_text: str) -> str:
    """An edited card's text as it goes into a file: the file's line ends, no blank lines
    around it (those of the file stay)."""
    newline = "\r\n" if "\r\n" in file_text else "\n"
    return normalize_newlines(text).strip("\n").replace("\n", newline)


_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*card[ \t]*\]\]", re.MULTILINE)


def _card_span(text: str, line: int) -> tuple[int, int]:
    """Where the card whose header is on `line` (1-based) starts and ends in `text`."""
    starts = [0, *(i + 1 for i, char in enumerate(text) if char == "\n")]
    if line > len(starts) or not _HEADER.match(text, starts[line - 1]):
        raise QuizzerError(f"no [[card]] at line {line} any more: the file changed; try again")
    start = starts[line - 1]
    following = _HEADER.search(text, start + 1)
    end = following.start() if following else len(text)
    while end > start and text[end - 1] in "\r\n \t":  # leave the blank lines between cards
        end -= 1
    return start, end


def _card_index(text: str, line: int) -> int:
    """Which card of the file (from 0) has its header on `line`."""
    before = "\n".join(text.split("\n")[: line - 1])
    return len(_HEADER.findall(before))


def _check_replaced(old: str, new: str, index: int, table: dict[str, Any]) -> None:
    """Refuse `new` unless it is `old` with card `index` (and nothing else) now `table`."""
    try:
        before, after = tomllib.loads(old), tomllib.loads(new)
    except tomllib.TOMLDecodeError as error:
        raise QuizzerError(f"the edited card does not fit in its file: {error}") from None
    expected = before.get("card", [])
    if not 0 <= index < len(expected):
        raise QuizzerError("the card is no longer where it was in its file; try again")
    expected[index] = table
    if after != {**before, "card": expected}:
        raise QuizzerError("the edited card would change more of its file than the card")


def _write_deck_file(file: Path, text: str, merged_roots: Sequence[Path]) -> None:
    """Replace `file` with `text` atomically, once every deck of `merged_roots` loads with it."""
    from quizzer import atomic

    real = file.resolve()  # a symlinked deck file stays a symlink: its target is replaced
    refuse_builtin(real)
    mode = real.stat().st_mode & 0o7777 if real.exists() else NEW_FILE_MODE
    try:
        with atomic.replacing(real, mode=mode, durable=True) as temp:
            temp.write_bytes(text.encode("utf-8"))
            files: list[Path] = []
            for root in merged_roots:
                files += [temp if f.resolve() == real else f for f in deck_files(root)]
            if temp not in files:
                files.append(temp)
            try:
                load_decks(dict.fromkeys(files))
            except DeckError as error:
                raise DeckError([p.replace(str(temp), str(file)) for p in error.problems]) from None
    except OSError as error:
        raise _write_error(real.parent, error) from None
