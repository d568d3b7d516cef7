"""Write imported cards as a deck folder (one TOML file per section), or merge them into the
folder an earlier import wrote.

Ids are stable: a slug of the card's front (or the id a quizzer export carries), made unique in
sheet order, so importing the same source again finds the same cards. A re-import updates the
cards whose text changed, adds the new ones, and leaves every other card (and, since the store
keys history on (deck, id), all review history) alone. Nothing is written until the whole
resulting deck loads: a new deck is written to a temporary folder and moved into place; an
existing one has each changed file replaced atomically, under the deck's lock.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quizzer import atomic
from quizzer.deck import load_deck, load_decks
from quizzer.deck_writer import (
    append_card_text,
    deck_lock,
    refuse_builtin,
    render_card,
    section_file_name,
    slugify,
    unique_id,
)
from quizzer.errors import QuizzerError
from quizzer.importers import Draft
from quizzer.model import Deck

FILE_MODE = 0o644


@dataclass(frozen=True)
class Change:
    """What an import does to one card."""

    action: str  # "added" | "updated" | "unchanged"
    section: str
    card_id: str
    front: str

    def to_dict(self) -> dict[str, object]:
        return {
            "action": self.action,
            "section": self.section,
            "id": self.card_id,
            "front": self.front,
        }


@dataclass
class Plan:
    """An import worked out but not yet written: the folder, each draft's id, the changes, and
    the new text of every file that changes."""

    deck: str
    folder: Path
    new_folder: bool
    ids: list[str]
    changes: list[Change]
    kept: int  # cards already in the folder that the import leaves as they are
    texts: dict[str, str] = field(default_factory=dict)  # file name in the folder -> text

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)


def deck_folder_for(deck: str, parent: Path) -> Path:
    """The folder a deck named `deck` is imported into, under `parent`."""
    return parent / slugify(deck, max_length=40, fallback="imported")


def plan_import(deck: str, sections: dict[str, str], drafts: Sequence[Draft], folder: Path) -> Plan:
    """Work out what importing `drafts` into the deck folder `folder` changes."""
    refuse_builtin(folder)
    existing = _existing_deck(folder, deck)
    old_tables = _old_tables(existing)
    ids = assign_ids(drafts)
    plan = Plan(deck, folder, existing is None, ids, [], 0)
    files = {s.name: s.path for s in existing.sections if s.path} if existing else {}
    texts: dict[str, str] = {}
    new_sections: dict[str, list[dict[str, Any]]] = {}
    updates: dict[Path, list[dict[str, Any]]] = {}
    appends: dict[Path, list[dict[str, Any]]] = {}
    imported_ids = set(ids)
    for draft, card_id in zip(drafts, ids, strict=True):
        table = draft.table(card_id)
        old = old_tables.get(card_id)
        if old is not None:
            old_path, old_table = old
            action = "unchanged" if _same(old_table, table) else "updated"
            if action == "updated":
                updates.setdefault(old_path, []).append(table)
            plan.changes.append(Change(action, draft.section, card_id, draft.front))
            continue
        plan.changes.append(Change("added", draft.section, card_id, draft.front))
        section_file = _section_file(files, draft.section)
        if section_file is None:
            new_sections.setdefault(draft.section, []).append(table)
        else:
            appends.setdefault(section_file, []).append(table)
    plan.kept = sum(1 for key in old_tables if key not in imported_ids)
    for path in {*updates, *appends}:
        text = path.read_text(encoding="utf-8")
        text = _updated_text(text, updates.get(path, []))
        for table in appends.get(path, []):
            text = append_card_text(text, table)
        texts[path.relative_to(folder).as_posix()] = text
    number = len(list(folder.glob("*.toml"))) if existing else 0
    for name, tables in new_sections.items():
        if existing is None:
            number += 1
            file_name = f"{number:02d}-{slugify(name, max_length=40, fallback='section')}.toml"
        else:
            file_name = section_file_name(name, folder)
            while file_name in texts:
                file_name = file_name.replace(".toml", "-2.toml")
        texts[file_name] = _section_text(deck, name, sections.get(name, ""), tables)
    plan.texts = texts
    return plan


def assign_ids(drafts: Sequence[Draft]) -> list[str]:
    """Each draft's id: the one it carries, else a slug of its front; made unique in sheet
    order ("-2", "-3"...), so a second import of the same source finds the cards of the first.
    """
    ids: list[str] = []
    taken: set[str] = set()
    for draft in drafts:
        base = draft.card_id or slugify(draft.front)
        card_id = base if draft.card_id and base not in taken else unique_id(base, taken)
        taken.add(card_id)
        ids.append(card_id)
    return ids


def write_plan(plan: Plan, merged_roots: Sequence[Path] = ()) -> None:
    """Write what `plan` changes; nothing at all unless the deck, read together with the decks
    in `merged_roots` (merged by name), loads."""
    if not plan.texts:
        return
    parent = plan.folder.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise QuizzerError(f"{parent}: cannot create the folder: {error.strerror}") from None
    if plan.new_folder:
        _write_new_folder(plan, merged_roots)
        return
    with deck_lock(plan.folder):
        with tempfile.TemporaryDirectory(prefix=".quizzer-import-", dir=parent) as scratch:
            trial = Path(scratch) / plan.folder.name
            shutil.copytree(plan.folder, trial, ignore=shutil.ignore_patterns(".*"))
            _write_texts(trial, plan.texts)
            _check_loads(trial, plan.folder, merged_roots)
        for name, text in plan.texts.items():
            target = plan.folder / name
            try:
                atomic.write_bytes(target, text.encode("utf-8"), mode=FILE_MODE)
            except OSError as error:
                raise QuizzerError(f"{target}: cannot write: {error.strerror}") from None


def _write_new_folder(plan: Plan, merged_roots: Sequence[Path]) -> None:
    """Write the deck to a temporary folder beside its place, check it, move it into place."""
    parent = plan.folder.parent
    try:
        scratch = Path(tempfile.mkdtemp(prefix=f".{plan.folder.name}.", dir=parent))
    except OSError as error:
        raise QuizzerError(f"{parent}: cannot write: {error.strerror}") from None
    try:
        _write_texts(scratch, plan.texts)
        _check_loads(scratch, plan.folder, merged_roots)
        scratch.chmod(0o755)
        try:
            scratch.rename(plan.folder)  # fails, rather than merge, if a folder appeared there
        except OSError as error:
            raise QuizzerError(f"{plan.folder}: cannot create: {error.strerror}") from None
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)


def _write_texts(folder: Path, texts: dict[str, str]) -> None:
    for name, text in texts.items():
        path = folder / name
        try:
            path.write_text(text, encoding="utf-8")
            path.chmod(FILE_MODE)
        except OSError as error:
            raise QuizzerError(f"{folder / name}: cannot write: {error.strerror}") from None


def _check_loads(trial: Path, final: Path, merged_roots: Sequence[Path]) -> None:
    """Raise unless the deck in `trial` loads, alone and with the decks it is merged with."""
    deck = load_deck(trial)
    others = [root for root in merged_roots if root.exists() and root.resolve() != final.resolve()]
    try:
        loaded = load_decks(others) if others else []
    except QuizzerError:
        return  # another deck of the user's does not load: its commands say why, not this one
    if any(other.name == deck.name for other in loaded):
        load_decks([*others, trial])  # merged by name: ids and sections must not clash


def _existing_deck(folder: Path, deck: str) -> Deck | None:
    if not folder.exists():
        return None
    if not folder.is_dir():
        raise QuizzerError(f"{folder}: exists and is not a deck folder")
    if not any(folder.rglob("*.toml")):
        raise QuizzerError(f"{folder}: exists and holds no deck; remove it or use --into")
    existing = load_deck(folder)
    if existing.name != deck:
        raise QuizzerError(
            f"{folder} holds deck {existing.name!r}, not {deck!r}; "
            "import with --deck to merge into it, or --into another folder"
        )
    return existing


def _old_tables(deck: Deck | None) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Every card of the folder as its raw table, by id."""
    import tomllib

    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    if deck is None:
        return found
    for section in deck.sections:
        if section.path is None:
            continue
        data = tomllib.loads(section.path.read_text(encoding="utf-8"))
        for table in data.get("card", []):
            found[table["id"]] = (section.path, table)
    return found


def _section_file(files: Mapping[str, Path], section: str) -> Path | None:
    wanted = section.strip().casefold()
    return next((path for name, path in files.items() if name.casefold() == wanted), None)


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    def plain(table: dict[str, Any]) -> dict[str, Any]:
        return {
            key: value.strip("\n") if isinstance(value, str) else value
            for key, value in table.items()
            if not (key == "kind" and value == "recall")
        }

    return plain(old) == plain(new)


def _updated_text(text: str, tables: list[dict[str, Any]]) -> str:
    """`text` (a section file) with the cards of `tables` given their new fields, in place."""
    if not tables:
        return text
    import tomlkit

    document = tomlkit.parse(text)
    by_id = {str(card["id"]): card for card in document["card"]}
    for table in tables:
        card = by_id[str(table["id"])]
        fresh = tomlkit.parse(render_card(table))["card"][0]
        for key in [key for key in card if key not in table]:
            del card[key]
        for key, value in fresh.items():
            card[key] = value
    return tomlkit.dumps(document)


def _section_text(deck: str, section: str, about: str, tables: list[dict[str, Any]]) -> str:
    import tomlkit

    header = tomlkit.document()
    header["deck"] = deck
    header["section"] = section
    if about:
        header["about"] = about
    return tomlkit.dumps(header) + "".join("\n" + render_card(table) for table in tables)
