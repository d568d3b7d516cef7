"""Exports of cards to Anki, and what a card looks like there (shared by both formats).

A card becomes one note with the fields Front, Back, Program, Output, Note and Source, all HTML:
deck text escaped, code highlighted with inline styles (so it reads the same in an .apkg, which
carries quizzer's note type and CSS, and in a text import onto the stock Basic note type).
Identity is explicit: a note's guid comes from (deck, card id), its Anki deck is "Deck::Section".
"""

from __future__ import annotations

import contextlib
import functools
import html
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeAlias

from quizzer.errors import QuizzerError
from quizzer.model import Card, Kind

# The back of a card, after the answer: (field, heading), in the order shown.
BACK_PARTS = (
    ("Program", "Program"),
    ("Output", "Prints"),
    ("Note", "Note"),
    ("Source", "The sheet writes"),
)
FIELD_NAMES = ("Front", "Back", *(field for field, _heading in BACK_PARTS))

# Where an export goes: a file, or a binary stream such as stdout.
Target: TypeAlias = Path | BinaryIO

# Inline styles rather than classes: a text import lands on a note type without our CSS, and an
# explicit text colour keeps the light code box readable in Anki's night mode.
_BOX = (
    "text-align: left; white-space: pre-wrap; padding: 0.5em 0.75em; border-radius: 4px;"
    " color: #1f2328; background: #f6f8fa;"
)
CODE_STYLE = _BOX
OUTPUT_STYLE = _BOX + " border-left: 3px solid #8c959f;"
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
# What Anki would take as markup or as a separator, or a terminal as a command: never in a tag
# or a deck name that comes from a deck file ("::" nests decks, so a name keeps single colons).
_NOT_IN_TAGS = re.compile(r'[\s"<>\x00-\x1f\x7f-\x9f]+')
_NOT_IN_DECK_NAMES = re.compile(r'[<>"\x00-\x1f\x7f-\x9f]+')
_NESTING = re.compile(r":{2,}")


@dataclass(frozen=True)
class NoteFields:
    """One card's note fields, as HTML."""

    front: str
    back: str
    program: str
    output: str
    note: str
    source: str

    def as_list(self) -> list[str]:
        """The fields in FIELD_NAMES order."""
        return [self.front, self.back, self.program, self.output, self.note, self.source]

    def back_side(self) -> str:
        """The answer and whichever further parts are set, each under its heading."""
        parts = [f'<div class="quizzer-back">{self.back}</div>']
        values = dict(zip(FIELD_NAMES, self.as_list(), strict=True))
        for field, heading in BACK_PARTS:
            if values[field]:
                parts.append(f"<h4>{heading}</h4>{values[field]}")
        return "\n".join(parts)


@dataclass(frozen=True)
class Exported:
    """What an export wrote; `path` is None when it went to a stream (stdout)."""

    path: Path | None
    format: str
    notes: int
    decks: tuple[str, ...]

    def summary(self) -> str:
        decks = "deck" if len(self.decks) == 1 else "decks"
        where = "stdout" if self.path is None else self.path
        return f"Wrote {self.notes} notes in {len(self.decks)} Anki {decks} to {where}"

    def to_dict(self) -> dict[str, object]:
        return {
            "path": None if self.path is None else str(self.path),  # None: stdout
            "format": self.format,
            "notes": self.notes,
            "decks": list(self.decks),
        }


def note_fields(card: Card) -> NoteFields:
    """The card as note fields: a predict card asks about its program, so that goes on the front.

    Output and Source stay empty where they would only repeat the answer.
    """
    front = text_html(card.front)
    if card.kind == Kind.PREDICT:
        back = output_html(card.back)
        program = ""
        if card.program:
            front += "\n" + code_html(card.program)
    else:
        back = code_html(card.back)
        program = code_html(card.program) if card.program else ""
    output = ""
    if card.output is not None and card.output.strip() != card.back.strip():
        output = output_html(card.output)
    note = text_html(card.note) if card.note else ""
    source = ""
    if card.source and card.source.strip() != card.back.strip():
        source = output_html(card.source)  # the sheet's words, quoted as they are
    return NoteFields(front, back, program, output, note, source)


def text_html(text: str) -> str:
    """Deck prose as HTML: escaped, `backticks` as <code>, line breaks kept."""
    escaped = html.escape(text.strip(), quote=False)
    return _INLINE_CODE.sub(r"<code>\1</code>", escaped).replace("\n", "<br>")


def code_html(code: str) -> str:
    """Python code highlighted with inline styles, in a <pre> box; pygments escapes it."""
    from pygments import highlight  # type: ignore[import-untyped]  # pygments ships no hints

    lexer, formatter = _highlighter()
    spans = highlight(code.strip("\n"), lexer, formatter)
    return f'<pre class="quizzer-code" style="{CODE_STYLE}"><code>{spans.rstrip()}</code></pre>'


@functools.cache
def _highlighter() -> tuple[Any, Any]:
    """One lexer and formatter for every block: building the formatter's styles is not cheap."""
    from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
    from pygments.lexers import PythonLexer  # type: ignore[import-untyped]

    return PythonLexer(), HtmlFormatter(noclasses=True, nowrap=True)


def output_html(text: str) -> str:
    """Program output (or other verbatim text) escaped, in a <pre> box."""
    escaped = html.escape(text.strip("\n"), quote=False)
    return f'<pre class="quizzer-output" style="{OUTPUT_STYLE}">{escaped}</pre>'


def deck_name(card: Card) -> str:
    """The Anki deck of a card: "Deck::Section" (see `anki_deck_name`)."""
    return anki_deck_name(card.deck, card.section)


def anki_deck_name(deck: str, section: str) -> str:
    """The Anki deck name of a deck's section, each part reduced to plain text (see
    `_NOT_IN_DECK_NAMES`) and unable to nest decks of its own."""
    return "::".join(_deck_name_part(part) for part in (deck, section))


def _deck_name_part(text: str) -> str:
    plain = _NESTING.sub(":", _NOT_IN_DECK_NAMES.sub("_", text)).strip()
    return plain or "_"


def note_guid(card: Card) -> str:
    """The note's guid: from (deck, card id) only, so edits and moves keep the note's identity."""
    import genanki

    guid: str = genanki.guid_for(card.deck, card.id)
    return guid


def anki_tags(card: Card) -> list[str]:
    """The card's tags and its section, made valid Anki tags (no spaces), without repeats.

    Anki compares tags case-insensitively, so "task" and "Task" are one tag.
    """
    tags: list[str] = []
    seen: set[str] = set()
    for tag in (*card.tags, card.section):
        cleaned = _NOT_IN_TAGS.sub("_", tag.strip())
        if cleaned and cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            tags.append(cleaned)
    return tags


def decks_of(cards: Iterable[Card]) -> tuple[str, ...]:
    """The Anki deck names of `cards`, in first-seen order."""
    return tuple(dict.fromkeys(deck_name(card) for card in cards))


def write_export(target: Target, write: Callable[[Path], None], *, overwrite: bool = True) -> None:
    """Write an export to a file (see `write_atomically`) or to a binary stream.

    Either way `write` makes the whole export first, so a failed export writes nothing.
    """
    if isinstance(target, Path):
        write_atomically(target, write, overwrite=overwrite)
        return
    name = str(getattr(target, "name", "output")).strip("<>")  # sys.stdout's is "<stdout>"
    with tempfile.TemporaryDirectory(prefix="quizzer-export-") as folder:
        temporary = Path(folder) / "export"
        try:
            write(temporary)
            with temporary.open("rb") as file:
                shutil.copyfileobj(file, target)
            target.flush()
        except BrokenPipeError:
            raise  # the reader had enough (`| head`): the CLI ends quietly
        except OSError as error:
            raise QuizzerError(f"{name}: cannot write: {error.strerror}") from error


def path_of(target: Target) -> Path | None:
    """The file an export to `target` writes, or None for a stream."""
    return target if isinstance(target, Path) else None


def check_output(path: Path, *, overwrite: bool) -> None:
    """Refuse `path` unless it is absent, or a regular file and `overwrite` is set.

    Never followed: a symlink (dangling or not), folder, device, fifo or socket is refused, as
    the export would replace it with a file (or, through a link, write somewhere unexpected).
    """
    try:
        mode = path.lstat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing there; a missing folder is reported when the file is written
    except OSError as error:
        raise QuizzerError(f"{path}: cannot write: {error.strerror}") from error
    if not stat.S_ISREG(mode):
        raise QuizzerError(f"{path} is {_file_kind(mode)}, not a regular file; name a file with -o")
    if not overwrite:
        raise QuizzerError(f"{path} already exists; use --force to overwrite it")


def _file_kind(mode: int) -> str:
    kinds = [
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((kind for test, kind in kinds if test(mode)), "not a file")


def write_atomically(path: Path, write: Callable[[Path], None], *, overwrite: bool = True) -> None:
    """Call `write` on a temporary file next to `path`, then move it into place.

    A failed export leaves any earlier file at `path` as it was. `path` must pass
    `check_output`, both before the write and just before the move.
    """
    check_output(path, overwrite=overwrite)
    folder = path.parent
    if not folder.is_dir():
        raise QuizzerError(f"{path}: no such folder {folder}")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise QuizzerError(f"{path}: cannot write: {error.strerror}") from error
    os.close(handle)
    try:
        write(Path(temporary))
        Path(temporary).chmod(0o666 & ~_umask())  # mkstemp's 0600 is too private for a deck
        # Again: the write can take a while, and a rename replaces whatever is there by then.
        check_output(path, overwrite=overwrite)
        Path(temporary).replace(path)
    except OSError as error:
        raise QuizzerError(f"{path}: cannot write: {error.strerror}") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            Path(temporary).unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
