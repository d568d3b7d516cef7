"""Importers: cheat sheets and Anki decks turned into cards for a quizzer deck.

Each source kind has a module (markdown, sheet, anki) that reads a file into an `ImportedSource`:
card drafts grouped by section, what running the sheet's examples found, and, for Anki, the
review history. `deck_folder` gives the drafts stable ids and writes or merges the deck folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from quizzer.errors import QuizzerError
from quizzer.model import SHEET_FIX_TAG, Card, Grade, Kind, Match

MIB = 1024 * 1024
MAX_SOURCE_BYTES = 32 * MIB  # a cheat sheet or an Anki package is far smaller
EXAMPLE_TIMEOUT = 5.0  # seconds an example of a sheet may run
SHEET_FIX = SHEET_FIX_TAG
_TOP_LEVEL_AWAIT = 0x2000  # ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, without importing ast
# What changes from run to run in an output, as verify's normalizers name it.
ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")
TASK_NAME = re.compile(r"\bTask-\d+\b")
# Control characters a terminal would act on (the deck loader refuses them in a deck).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


@dataclass(frozen=True)
class ImportedReview:
    """One review of an imported card, from Anki's revlog."""

    grade: Grade
    reviewed_at: datetime  # UTC
    duration_ms: int | None


@dataclass
class Draft:
    """A card on its way into a deck: everything but its id (unless the source fixes one)."""

    section: str
    front: str
    back: str
    kind: str = "recall"
    tags: list[str] = field(default_factory=list)
    program: str | None = None
    output: str | None = None
    match: str | None = None
    normalize: list[str] = field(default_factory=list)
    note: str | None = None
    source: str | None = None
    sheet_program: str | None = None  # a sheet-fix card's proof: the sheet's text, runnable
    sheet_error: str | None = None  # ... the exception it raises
    sheet_output: str | None = None  # ... or what it really prints
    card_id: str | None = None  # an id the source carries (a note quizzer exported)
    reviews: list[ImportedReview] = field(default_factory=list)

    def card(self, deck: str, card_id: str) -> Card:
        """The draft as a Card of `deck` (to check it as `quizzer verify` will)."""
        return Card(
            deck=deck,
            section=self.section,
            id=card_id,
            front=self.front,
            back=self.back,
            kind=Kind(self.kind),
            tags=tuple(self.tags),
            program=self.program,
            output=self.output,
            match=Match(self.match or "exact"),
            normalize=tuple(self.normalize),
            note=self.note,
            source=self.source,
            sheet_program=self.sheet_program,
            sheet_error=self.sheet_error,
            sheet_output=self.sheet_output,
        )

    def table(self, card_id: str) -> dict[str, object]:
        """The card as a deck file's [[card]] table, with `card_id`, leaving out what is unset.

        Control characters in its text (from an Anki field, say) are dropped: a deck holding
        one would not load."""
        table: dict[str, object] = {
            "id": card_id,
            "front": without_control(self.front),
            "back": without_control(self.back),
        }
        table["kind"] = self.kind
        if self.tags:
            table["tags"] = list(dict.fromkeys(without_control(tag) for tag in self.tags))
        optional = {
            "program": self.program,
            "output": self.output,
            "match": self.match,
            "note": self.note,
            "source": self.source,
            "sheet-program": self.sheet_program,
            "sheet-error": self.sheet_error,
            "sheet-output": self.sheet_output,
        }
        table.update(
            {key: without_control(value) for key, value in optional.items() if value is not None}
        )
        if self.normalize:
            table["normalize"] = list(self.normalize)
        return table


@dataclass(frozen=True)
class Finding:
    """An example whose run did not bear out the sheet, or that could not be imported."""

    kind: str  # "sheet-claim" | "timeout" | "error" | "skipped"
    section: str
    where: str  # "FILE:LINE" of the example
    detail: str

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "section": self.section,
            "where": self.where,
            "detail": self.detail,
        }


@dataclass
class Example:
    """A runnable example of a sheet, waiting for its run: where it goes among the drafts, the
    program that runs it, and the output the sheet shows for it (None: it shows none)."""

    index: int  # its draft goes before the draft now at this index
    section: str
    front: str
    code: str  # the example as a learner reads it (a program, without >>> prompts)
    program: str  # what runs: `code`, with a shown expression's value printed
    shown: str | None
    shown_error: str | None  # the exception a doctest shows ("ValueError"), if any
    text: str  # the sheet's own text of the block(s)
    where: str


@dataclass
class ImportedSource:
    """What one source file gave: its deck name, sections (name -> about), drafts, findings."""

    path: Path
    format: str  # "markdown" | "sheet" | "apkg" | "colpkg" | "tsv"
    deck: str
    sections: dict[str, str] = field(default_factory=dict)
    drafts: list[Draft] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    confirmed: int = 0  # shown outputs that the real run printed
    examples: list[Example] = field(default_factory=list)  # still to run (markdown)

    def add(self, draft: Draft) -> None:
        self.sections.setdefault(draft.section, "")
        self.drafts.append(draft)


def read_source_bytes(path: Path) -> bytes:
    """The bytes of `path`, refusing a folder, a missing file and a huge one in one line."""
    try:
        if not path.is_file():
            raise QuizzerError(
                f"{path}: no such file" if not path.exists() else f"{path}: not a file"
            )
        with path.open("rb") as stream:
            data = stream.read(MAX_SOURCE_BYTES + 1)
    except OSError as error:
        raise QuizzerError(f"{path}: cannot read: {error.strerror}") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise QuizzerError(f"{path}: too large to import (over {MAX_SOURCE_BYTES // MIB} MiB)")
    return data


def read_source_text(path: Path) -> str:
    """The UTF-8 text of `path` (see `read_source_bytes`); one line when it is not text."""
    data = read_source_bytes(path)
    if b"\x00" in data:
        raise QuizzerError(f"{path}: not a text file (it contains NUL bytes)")
    try:
        return data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise QuizzerError(f"{path}:{line}: not UTF-8 text") from None


def has_control(text: str) -> bool:
    """Whether `text` holds a control character a terminal would act on."""
    return _CONTROL.search(text) is not None


def without_control(text: str) -> str:
    """`text` without the control characters a deck may not hold."""
    return _CONTROL.sub("", text)


def normalizers_for(output: str) -> list[str]:
    """The normalizers (as a card's `normalize` names them) an output needs to compare equal
    from run to run: object addresses, task names."""
    found = []
    if ADDRESS.search(output):
        found.append("addresses")
    if TASK_NAME.search(output):
        found.append("task-names")
    return found


def compiles(code: str) -> bool:
    """Whether `code` compiles as Python (top-level await allowed); nothing is run."""
    try:
        compile(code, "<sheet>", "exec", flags=_TOP_LEVEL_AWAIT, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def as_comments(text: str) -> str:
    """`text` as Python comment lines: how a recall back keeps code that does not compile (a
    signature, a fragment, the sheet's mistake), since code in a recall back must compile."""
    lines = text.strip("\n").splitlines()
    return "\n".join(f"# {line}" if line.strip() else "#" for line in lines)


def load_source(
    path: Path, *, deck: str | None = None, known_ids: Mapping[str, Iterable[str]] | None = None
) -> ImportedSource:
    """Read `path` by its kind (markdown, an HTML-flavoured sheet, an Anki package or TSV) into
    drafts; examples of a markdown sheet are not run yet (see `markdown.run_examples`).

    `known_ids` (deck name -> card ids) lets a note quizzer exported find the id it had."""
    suffix = path.suffix.lower()
    if suffix in (".apkg", ".colpkg"):
        from quizzer.importers import anki

        return anki.read_package(path, deck=deck, known_ids=known_ids)
    if suffix in (".tsv", ".csv") or (suffix == ".txt" and _looks_like_anki_text(path)):
        from quizzer.importers import anki

        return anki.read_tsv(path, deck=deck, known_ids=known_ids)
    if suffix in (".md", ".markdown"):
        from quizzer.importers import markdown

        return markdown.read_markdown(path, deck=deck)
    if suffix in (".txt", ".html", ".htm"):
        from quizzer.importers import sheet

        return sheet.read_sheet(path, deck=deck)
    raise QuizzerError(
        f"{path}: cannot tell what this is from its name; import a markdown sheet (.md), an "
        "HTML-flavoured sheet (.txt, .html), an Anki package (.apkg, .colpkg) or Anki text (.tsv)"
    )


def _looks_like_anki_text(path: Path) -> bool:
    """Whether a .txt file starts as Anki's text export does (a '#separator:' header line)."""
    try:
        with path.open("rb") as stream:
            return stream.read(64).startswith(b"#separator:")
    except OSError:
        return False
