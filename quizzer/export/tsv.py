"""Cards as a tab-separated file in Anki's text import format, with its header lines.

The notes go onto Anki's stock Basic note type, which every collection has: Front is the
question, Back the answer with the program, output, note and source under it. The header names
the guid, deck and tags columns, so Anki puts every note in its "Deck::Section" deck and a
re-import updates the notes it already has instead of adding them again.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from quizzer.export import (
    Exported,
    Target,
    anki_tags,
    deck_name,
    decks_of,
    note_fields,
    note_guid,
    path_of,
    write_export,
)
from quizzer.model import Card

NOTETYPE = "Basic"
COLUMNS = ("guid", "deck", "Front", "Back", "tags")
HEADER = (
    "#separator:tab\n"
    "#html:true\n"
    f"#notetype:{NOTETYPE}\n"
    f"#guid column:{COLUMNS.index('guid') + 1}\n"
    f"#deck column:{COLUMNS.index('deck') + 1}\n"
    f"#tags column:{COLUMNS.index('tags') + 1}\n"
)


def rows(cards: Sequence[Card]) -> list[list[str]]:
    """One row per card, in COLUMNS order."""
    table = []
    for card in cards:
        fields = note_fields(card)
        values = {
            "guid": note_guid(card),
            "deck": deck_name(card),
            "Front": fields.front,
            "Back": fields.back_side(),
            "tags": " ".join(anki_tags(card)),
        }
        table.append([values[column] for column in COLUMNS])
    return table


def write_tsv(cards: Sequence[Card], target: Target, *, overwrite: bool = True) -> Exported:
    """Write `cards` in Anki's text import format (UTF-8) to `target`, a file or a binary stream.

    A file must be absent or, when `overwrite` is set, a regular file (see `check_output`).
    """
    table = rows(cards)

    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8", newline="") as file:
            file.write(HEADER)
            # Every field quoted: Anki skips a line that starts with '#' as a comment, and a guid
            # may start with '#'; quoting also keeps the tabs and newlines inside code intact.
            csv.writer(file, delimiter="\t", quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(
                table
            )

    write_export(target, write, overwrite=overwrite)
    return Exported(path_of(target), "tsv", len(table), decks_of(cards))
