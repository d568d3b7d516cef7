"""Anki packages (.apkg) of cards, written with genanki: one Anki deck per section.

Re-importing a newer export updates the notes Anki already has, because identity is stable:
the note type has a fixed id, a note's guid comes from (deck, card id), and a deck is matched by
its name. Anki updates a note only from a strictly newer one (whole seconds of its `mod` time),
so every note of an export carries the export's time, and each export is at least a second
past the one before (`export_stamp`).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import genanki

from quizzer.errors import QuizzerError
from quizzer.export import (
    BACK_PARTS,
    FIELD_NAMES,
    Exported,
    Target,
    anki_tags,
    deck_name,
    decks_of,
    note_fields,
    note_guid,
    path_of,
    text_html,
    write_atomically,
    write_export,
)
from quizzer.model import Card

# Fixed forever: Anki recognises quizzer's note type by this id on every later import.
MODEL_ID = 1_738_204_221
MODEL_NAME = "quizzer"

# A recorded export time at or past this (the year 36812) is damage, not a time: trusting it
# would stamp every later export past what SQLite and Anki can store.
_LAST_STAMP_LIMIT = 2**40

CSS = """\
.card {
  font-family: system-ui, -apple-system, "Segoe UI", sans-serif;
  font-size: 18px;
  line-height: 1.45;
  text-align: left;
  max-width: 46em;
  margin: 0 auto;
}
.quizzer-front { font-size: 1.1em; }
h4 {
  margin: 1.1em 0 0.3em;
  font-size: 0.75em;
  text-transform: uppercase;
  letter-spacing: 0.05em;
  opacity: 0.7;
}
pre { margin: 0.3em 0; overflow-x: auto; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; }
"""


def note_model() -> genanki.Model:
    """quizzer's note type: one card per note, the answer side showing every part that is set."""
    back = "".join(
        f"\n{{{{#{field}}}}}<h4>{heading}</h4>{{{{{field}}}}}{{{{/{field}}}}}"
        for field, heading in BACK_PARTS
    )
    template = {
        "name": "Card 1",
        "qfmt": '<div class="quizzer-front">{{Front}}</div>',
        "afmt": '{{FrontSide}}\n<hr id="answer">\n<div class="quizzer-back">{{Back}}</div>' + back,
    }
    return genanki.Model(
        MODEL_ID,
        MODEL_NAME,
        fields=[{"name": name} for name in FIELD_NAMES],
        templates=[template],
        css=CSS,
    )


def deck_id(name: str) -> int:
    """A stable id for the Anki deck `name`, below 2**53 so no JavaScript number rounds it."""
    digest = hashlib.sha256(f"quizzer deck {name}".encode()).digest()
    return (1 << 52) | (int.from_bytes(digest[:8], "big") >> 12)


def export_stamp(record: Path, now: float | None = None) -> float:
    """The time to stamp an export with: now, or a second past the last one kept in `record`.

    Anki compares whole seconds, so without this a second export within the same second (a
    quick fix, then export again) would be skipped on import. `record` is then updated; when it
    cannot be read or written, or holds no sane time, the stamp is simply now.
    """
    stamp = time.time() if now is None else now
    try:
        last = float(record.read_text(encoding="ascii"))
    except (OSError, ValueError):
        last = 0.0
    if not 0 <= last < _LAST_STAMP_LIMIT:  # nan, inf or absurd: a damaged record, not a time
        last = 0.0
    if int(stamp) <= int(last):
        stamp = float(int(last) + 1)

    def write(temporary: Path) -> None:
        temporary.write_text(repr(stamp), encoding="ascii")

    with contextlib.suppress(OSError, QuizzerError):
        record.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(record, write)
    return stamp


def write_package(
    cards: Sequence[Card],
    target: Target,
    *,
    descriptions: Mapping[str, str] | None = None,
    now: float | None = None,
    overwrite: bool = True,
) -> Exported:
    """Write `cards` as an Anki package to `target` (a file or a binary stream), one Anki deck
    per section ("Deck::Section").

    `descriptions` maps an Anki deck name to its description; `now` (default: the clock) is the
    modification time of every note, which a later export must exceed for Anki to update it.
    A file must be absent or, when `overwrite` is set, a regular file (see `check_output`).
    """
    model = note_model()
    decks: dict[str, genanki.Deck] = {}
    for position, card in enumerate(cards):
        name = deck_name(card)
        if name not in decks:
            about = text_html((descriptions or {}).get(name, ""))  # Anki shows it as HTML
            decks[name] = genanki.Deck(deck_id(name), name, description=about)
        note = genanki.Note(
            model=model,
            fields=note_fields(card).as_list(),
            tags=anki_tags(card),
            guid=note_guid(card),
            due=position,  # new cards come up in deck order
        )
        decks[name].add_note(note)
    package = genanki.Package(list(decks.values()))
    stamp = time.time() if now is None else now
    write_export(
        target, lambda temporary: _write_zip(package, temporary, stamp), overwrite=overwrite
    )
    return Exported(path_of(target), "apkg", len(cards), decks_of(cards))


def _write_zip(package: genanki.Package, path: Path, stamp: float) -> None:
    """What genanki's Package.write_to_file does, minus the temporary file it leaves behind."""
    with tempfile.TemporaryDirectory(prefix="quizzer-apkg-") as folder:
        database = Path(folder) / "collection.anki2"
        connection = sqlite3.connect(database)
        try:
            package.write_to_db(connection.cursor(), stamp, itertools.count(int(stamp * 1000)))
            connection.commit()
        finally:
            connection.close()
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.write(database, "collection.anki2")
            archive.writestr("media", "{}")  # no media files
