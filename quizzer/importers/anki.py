"""Anki decks: packages (.apkg, .colpkg) and Anki's text export (.tsv), read without Anki.

A package is a zip holding the collection as SQLite: `collection.anki21b` (zstd-compressed,
the current format), else `collection.anki21`, else `collection.anki2` (the oldest). Each note
becomes a recall card (its first field the front, the rest the back, HTML made plain text with
code blocks kept), its Anki subdeck the section, its tags kept, and its card's reviews (the
revlog) kept for the store. A note quizzer exported (its note type or its back says so) comes
back as the card it was: kind, program, output, note and, found through its guid, its id.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

from quizzer.errors import QuizzerError
from quizzer.importers import (
    MIB,
    Draft,
    Finding,
    ImportedReview,
    ImportedSource,
    normalizers_for,
    read_source_bytes,
    read_source_text,
)
from quizzer.model import Grade

COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")
MAX_COLLECTION_BYTES = 512 * MIB  # a collection unpacked; more is not a deck to study
QUIZZER_FIELDS = ("Front", "Back", "Program", "Output", "Note", "Source")
_BACK_HEADINGS = {
    "Program": "Program",
    "Prints": "Output",
    "Note": "Note",
    "The sheet writes": "Source",
}
_CLOZE = re.compile(r"\{\{c\d+::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
_SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}
_BLOCKS = {"div", "p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"}
KnownIds = Mapping[str, Iterable[str]]  # deck name -> the card ids it has


class _PlainText(HTMLParser):
    """HTML as plain text: block elements and <br> as line breaks, <pre> kept as it is,
    inline <code> in backticks; scripts and styles dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._pre = 0
        self._skip = 0
        self._code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "pre":
            self._pre += 1
            self.parts.append("\n")
        elif tag == "code" and not self._pre:
            self._code += 1
            self.parts.append("`")
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
            self.parts.append("\n")
        elif tag == "code" and self._code:
            self._code -= 1
            self.parts.append("`")
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if not self._pre:
            data = re.sub(r"[ \t\r\n]+", " ", data)
        self.parts.append(data.replace("\xa0", " "))


def html_to_text(html: str) -> str:
    """A note field's HTML as plain text (see `_PlainText`), blank lines at most one."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    lines = [line.rstrip() for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def read_package(
    path: Path, *, deck: str | None = None, known_ids: KnownIds | None = None
) -> ImportedSource:
    """Read an Anki .apkg or .colpkg into drafts with their reviews."""
    data = read_source_bytes(path)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise QuizzerError(f"{path}: not an Anki package (not a zip file)") from None
    with archive:
        names = set(archive.namelist())
        found = next((name for name in COLLECTIONS if name in names), None)
        if found is None:
            raise QuizzerError(f"{path}: a zip file, but not an Anki package (no collection in it)")
        with tempfile.TemporaryDirectory(prefix="quizzer-anki-") as folder:
            database = Path(folder) / "collection.sqlite3"
            _unpack(path, archive, found, database)
            try:
                connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
            except sqlite3.Error as error:
                raise QuizzerError(f"{path}: cannot open its collection ({error})") from None
            try:
                return _read_collection(path, connection, deck, known_ids or {})
            except sqlite3.DatabaseError as error:
                raise QuizzerError(f"{path}: not a readable Anki collection ({error})") from None
            finally:
                connection.close()


def _unpack(path: Path, archive: zipfile.ZipFile, name: str, database: Path) -> None:
    """Write the collection `name` of `archive` to `database`, decompressing zstd."""
    try:
        if archive.getinfo(name).file_size > MAX_COLLECTION_BYTES:
            raise QuizzerError(f"{path}: its collection is too large to import")
        with archive.open(name) as member, database.open("wb") as out:
            if name.endswith("21b"):
                import zstandard

                reader = zstandard.ZstdDecompressor().stream_reader(member)
                total = 0
                while chunk := reader.read(MIB):
                    total += len(chunk)
                    if total > MAX_COLLECTION_BYTES:
                        raise QuizzerError(f"{path}: its collection is too large to import")
                    out.write(chunk)
            else:
                while chunk := member.read(MIB):
                    out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
        raise QuizzerError(f"{path}: a damaged Anki package ({error})") from None
    except Exception as error:  # zstandard.ZstdError: not a zstd stream
        if type(error).__name__ != "ZstdError":
            raise
        raise QuizzerError(f"{path}: a damaged Anki package ({error})") from None


def _read_collection(
    path: Path, db: sqlite3.Connection, deck: str | None, known_ids: KnownIds
) -> ImportedSource:
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"notes", "cards", "revlog"} <= tables:
        raise QuizzerError(f"{path}: not an Anki collection (no notes, cards or revlog)")
    if "notetypes" in tables:  # the current schema: one row per deck, note type and field
        deck_names = {
            int(i): str(name).split("\x1f") for i, name in db.execute("SELECT id, name FROM decks")
        }
        types = {int(i): str(name) for i, name in db.execute("SELECT id, name FROM notetypes")}
        fields: dict[int, list[str]] = {}
        for ntid, name in db.execute("SELECT ntid, name FROM fields ORDER BY ntid, ord"):
            fields.setdefault(int(ntid), []).append(str(name))
    else:  # the legacy schema: JSON in the col table
        import json

        decks_json, models_json = db.execute("SELECT decks, models FROM col").fetchone()
        deck_names = {int(i): d["name"].split("::") for i, d in json.loads(decks_json).items()}
        models = json.loads(models_json)
        types = {int(i): m["name"] for i, m in models.items()}
        fields = {
            int(i): [f["name"] for f in sorted(m["flds"], key=lambda f: f["ord"])]
            for i, m in models.items()
        }
    notes = db.execute(
        "SELECT n.id, n.guid, n.mid, n.tags, n.flds, c.id,"
        " CASE WHEN c.odid != 0 THEN c.odid ELSE c.did END"
        " FROM notes n JOIN cards c ON c.nid = n.id"
        " WHERE c.id = (SELECT id FROM cards WHERE nid = n.id ORDER BY ord LIMIT 1)"
        " ORDER BY c.due, n.id"
    ).fetchall()
    if not notes:
        raise QuizzerError(f"{path}: the Anki collection holds no notes")
    # Sections in the order Anki lists its decks (by name); notes in their deck's order.
    notes.sort(key=lambda row: deck_names.get(int(row[6]), ["Default"]))
    tops = Counter(deck_names.get(int(row[6]), ["Default"])[0] for row in notes)
    top = tops.most_common(1)[0][0]
    name = deck or top
    kind = "colpkg" if path.suffix.lower() == ".colpkg" else "apkg"
    source = ImportedSource(path, kind, name)
    reviews = _reviews(db)
    for _nid, guid, mid, tags, flds, cid, did in notes:
        parts = deck_names.get(int(did), ["Default"])
        section = _section(parts, top)
        values = dict(zip(fields.get(int(mid), []), str(flds).split("\x1f"), strict=False))
        draft = _draft(
            section,
            types.get(int(mid), ""),
            values,
            str(tags).split(),
            str(guid),
            parts[0],
            known_ids,
        )
        if draft is None:
            source.findings.append(
                Finding("skipped", section, str(path), f"a note ({guid}): no text")
            )
            continue
        draft.reviews = reviews.get(int(cid), [])
        source.add(draft)
    return source


def _section(parts: list[str], top: str) -> str:
    """The section of a note in the Anki deck `parts` ("Python", "Lists"): the subdeck under
    the main deck `top`, else the whole deck name."""
    if parts[0] == top and len(parts) > 1:
        return "::".join(parts[1:])
    return "::".join(parts)


def _reviews(db: sqlite3.Connection) -> dict[int, list[ImportedReview]]:
    """Each card's graded reviews, oldest first; manual reschedules (ease 0) are not reviews."""
    found: dict[int, list[ImportedReview]] = {}
    rows = db.execute(
        "SELECT id, cid, ease, time FROM revlog WHERE ease BETWEEN 1 AND 4 AND type != 4"
        " ORDER BY cid, id"
    )
    for review_id, cid, ease, milliseconds in rows:
        when = datetime.fromtimestamp(int(review_id) / 1000, UTC)
        duration = int(milliseconds) if milliseconds and int(milliseconds) > 0 else None
        found.setdefault(int(cid), []).append(ImportedReview(Grade(int(ease)), when, duration))
    return found


def _draft(
    section: str,
    note_type: str,
    values: dict[str, str],
    tags: list[str],
    guid: str,
    deck: str,
    known_ids: KnownIds,
) -> Draft | None:
    """One note as a draft: quizzer's own notes as the card they were, others as recall cards."""
    if note_type == "quizzer" and set(QUIZZER_FIELDS) <= set(values):
        return _quizzer_card(section, values, tags, guid, deck, known_ids)
    if 'class="quizzer-back"' in values.get("Back", ""):  # a quizzer TSV export on Basic
        return _quizzer_card(section, _split_back(values), tags, guid, deck, known_ids)
    texts = [html_to_text(value) for value in values.values()]
    texts = [text for text in texts if text.strip()]
    if not texts:
        return None
    front, rest = texts[0], texts[1:]
    if _CLOZE.search(front):  # a cloze note: the gaps on the front, filled on the back
        back = _CLOZE.sub(lambda m: m.group(1), front)
        front = _CLOZE.sub(lambda m: f"[{m.group(2) or '...'}]", front)
        rest = [back, *rest]
    back = "\n\n".join(rest) or front
    if re.fullmatch(r"`[^`]+`", back.strip()):  # a field that is one <code>: the code itself
        back = back.strip()[1:-1]
    return Draft(section, front.strip(), back, tags=_clean_tags(tags))


def _quizzer_card(
    section: str,
    values: dict[str, str],
    tags: list[str],
    guid: str,
    deck: str,
    known_ids: KnownIds,
) -> Draft:
    """A note quizzer exported, back to its card (see quizzer.export.note_fields)."""
    front_html = values.get("Front", "")
    program_html = values.get("Program", "")
    kind = "recall"
    program: str | None = None
    if 'class="quizzer-code"' in front_html:  # a predict card shows its program on the front
        kind = "predict"
        split = front_html.index("<pre")
        program = html_to_text(front_html[split:])
        front_html = front_html[:split]
    elif program_html:
        program = html_to_text(program_html)
        if "{{answer}}" in program:
            kind = "write"
    front = html_to_text(front_html)
    back = html_to_text(values.get("Back", ""))
    output = html_to_text(values.get("Output", "")) or None
    if output is None and kind in ("write", "predict"):
        output = back  # left out of the note where it is the back itself
    note = html_to_text(values.get("Note", "")) or None
    source = html_to_text(values.get("Source", "")) or None
    # The export adds the section as the last tag, unless a tag of the card already is it.
    kept = _clean_tags(tags)
    if kept and kept[-1] == re.sub(r'[\s"\x00-\x1f]+', "_", section.strip()):
        kept = kept[:-1]
    return Draft(
        section,
        front,
        back,
        kind=kind,
        tags=kept,
        program=program,
        output=output,
        note=note,
        source=source,
        normalize=normalizers_for(output or ""),
        match="ellipsis" if output and "..." in output else None,
        card_id=_card_id(guid, deck, front, known_ids),
    )


def _split_back(values: dict[str, str]) -> dict[str, str]:
    """The fields of a quizzer note from its TSV back side (the back, then <h4> parts)."""
    back_side = values.get("Back", "")
    parts = re.split(r"<h4>(.*?)</h4>", back_side)
    fields = dict.fromkeys(QUIZZER_FIELDS, "")
    fields["Front"] = values.get("Front", "")
    fields["Back"] = parts[0]
    for heading, body in zip(parts[1::2], parts[2::2], strict=False):
        if heading in _BACK_HEADINGS:
            fields[_BACK_HEADINGS[heading]] = body
    return fields


def _card_id(guid: str, deck: str, front: str, known_ids: KnownIds) -> str | None:
    """The id whose guid quizzer gave the note: a known card of `deck`, or the slug of its front."""
    import genanki

    from quizzer.deck_writer import slugify

    base = slugify(front)
    candidates = [*known_ids.get(deck, ()), base, *(f"{base}-{n}" for n in range(2, 10))]
    return next((c for c in candidates if genanki.guid_for(deck, c) == guid), None)


def _clean_tags(tags: list[str]) -> list[str]:
    return [tag for tag in dict.fromkeys(tags) if tag.strip() and tag.casefold() != "leech"]


def read_tsv(
    path: Path, *, deck: str | None = None, known_ids: KnownIds | None = None
) -> ImportedSource:
    """Read Anki's text export (its '#key:value' header lines, then one note per row)."""
    text = read_source_text(path)
    lines = text.split("\n")
    headers: dict[str, str] = {}
    while lines and lines[0].startswith("#") and ":" in lines[0]:
        key, _colon, value = lines.pop(0)[1:].partition(":")
        headers[key.strip().lower()] = value.strip()
    separator = headers.get("separator", "tab")
    delimiter = _SEPARATORS.get(separator.lower(), separator[:1] or "\t")
    html = headers.get("html", "true").lower() != "false"
    rows = [row for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter) if row]
    if not rows:
        raise QuizzerError(f"{path}: no notes in this file")

    def column(name: str) -> int | None:
        value = headers.get(f"{name} column")
        return int(value) - 1 if value and value.isdigit() else None

    meta = {name: column(name) for name in ("guid", "deck", "tags", "notetype")}
    named = headers.get("columns", "").split(delimiter) if "columns" in headers else []
    counts: Counter[str] = Counter()
    parsed: list[tuple[str, list[str], str, dict[str, str]]] = []
    for row in rows:
        deck_path = (
            row[meta["deck"]] if meta["deck"] is not None and meta["deck"] < len(row) else ""
        )
        tags = (
            row[meta["tags"]].split()
            if meta["tags"] is not None and meta["tags"] < len(row)
            else []
        )
        guid = row[meta["guid"]] if meta["guid"] is not None and meta["guid"] < len(row) else ""
        positions = {i for i in meta.values() if i is not None}
        names = [n for i, n in enumerate(named) if i not in positions] if named else []
        field_values = [value for i, value in enumerate(row) if i not in positions]
        if not names:
            names = ["Front", "Back", *(f"Field {n}" for n in range(3, len(field_values) + 1))]
        if not html:
            import html as html_module

            field_values = [html_module.escape(v).replace("\n", "<br>") for v in field_values]
        values = dict(zip(names, field_values, strict=False))
        parsed.append((deck_path, tags, guid, values))
        counts[deck_path.split("::")[0] if deck_path else ""] += 1
    top = counts.most_common(1)[0][0]
    name = deck or top or path.stem
    source = ImportedSource(path, "tsv", name)
    for deck_path, tags, guid, values in parsed:
        parts = deck_path.split("::") if deck_path else [top or name]
        section = _section(parts, top)
        draft = _draft(section, "", values, tags, guid, parts[0], known_ids or {})
        if draft is None:
            what = f"a note ({guid})" if guid else "a note"
            source.findings.append(Finding("skipped", section, str(path), f"{what}: no text"))
        else:
            source.add(draft)
    if not source.drafts:
        raise QuizzerError(f"{path}: no notes in this file")
    return source
