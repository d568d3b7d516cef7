"""`quizzer import`: cheat sheets and Anki decks into verified quizzer decks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from quizzer.commands.common import echo_json, json_option

if TYPE_CHECKING:
    from quizzer.importers import Draft, Finding, ImportedSource
    from quizzer.importers.deck_folder import Plan


@dataclass
class _DeckImport:
    """One deck of the import: every source that names it, merged."""

    name: str
    sources: list[ImportedSource] = field(default_factory=list)

    @property
    def drafts(self) -> list[Draft]:
        return [draft for source in self.sources for draft in source.drafts]

    @property
    def sections(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for source in self.sources:
            for name, about in source.sections.items():
                if not merged.get(name):
                    merged[name] = about
        return merged

    @property
    def findings(self) -> list[Finding]:
        return [finding for source in self.sources for finding in source.findings]


@click.command("import")
@click.argument(
    "sources",
    nargs=-1,
    required=True,
    metavar="SOURCE...",
    type=click.Path(path_type=Path, dir_okay=False),
)
@click.option(
    "--deck",
    "deck_name",
    help="The deck's name [default: the sheet's top heading, the Anki deck, or the file name].",
)
@click.option(
    "--into",
    "into",
    type=click.Path(path_type=Path, file_okay=False),
    help="The folder to write the deck folder in [default: your decks folder].",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@json_option
def import_(
    sources: tuple[Path, ...],
    deck_name: str | None,
    into: Path | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Import cheat sheets or Anki decks as verified decks.

    SOURCE is a markdown sheet (.md), an HTML-flavoured sheet (.txt, .html), an Anki package
    (.apkg, .colpkg) or Anki's text export (.tsv). Every example of a sheet runs in the
    sandbox: a card's output is what really prints, and where the sheet shows another, the
    card says so (tag sheet-fix). Importing again updates changed cards, adds new ones and
    leaves the rest, and all review history, alone.
    """
    from quizzer import paths
    from quizzer.commands.common import deck_roots, warn_if_unsandboxed
    from quizzer.errors import QuizzerError
    from quizzer.importers import load_source
    from quizzer.importers.deck_folder import deck_folder_for, plan_import, write_plan

    if deck_name is not None and not deck_name.strip():
        raise click.BadParameter("the deck name is empty", param_hint="--deck")
    parent = into if into is not None else paths.user_decks_dir()
    default_roots = deck_roots(None) if into is None else []
    known = _known_ids(default_roots)
    decks: dict[str, _DeckImport] = {}
    for path in dict.fromkeys(path.resolve() for path in sources):  # each file once
        source = load_source(path, deck=deck_name, known_ids=known)
        decks.setdefault(source.deck, _DeckImport(source.deck)).sources.append(source)
    if any(source.examples for deck in decks.values() for source in deck.sources):
        warn_if_unsandboxed()
    _run_examples([source for deck in decks.values() for source in deck.sources])
    reports = []
    for deck in decks.values():
        folder = deck_folder_for(deck.name, parent)
        _recall_backs_compile(deck)
        plan = plan_import(deck.name, deck.sections, deck.drafts, folder)
        unstable = _verify(deck, plan)
        if unstable:
            plan = plan_import(deck.name, deck.sections, deck.drafts, folder)
        if not dry_run:
            try:
                write_plan(plan, default_roots)
            except QuizzerError as error:
                raise QuizzerError(f"{folder}: not imported: {error}") from None
        reviews = _import_reviews(deck, plan, dry_run=dry_run)
        reports.append(_report(deck, plan, reviews, dry_run))
    if as_json:
        echo_json({"dry_run": dry_run, "decks": reports})
        return
    for report in reports:
        _print_report(report)


def _known_ids(roots: list[Path]) -> dict[str, set[str]]:
    """The card ids of each deck the default commands read (for notes quizzer exported)."""
    from quizzer.deck import load_decks
    from quizzer.errors import QuizzerError

    try:
        decks = load_decks(roots)
    except QuizzerError:
        return {}  # a broken deck elsewhere is reported by the commands that read it
    return {deck.name: {card.id for card in deck.cards} for deck in decks}


def _run_examples(sources: list[ImportedSource]) -> None:
    """Run every example of the markdown sheets, with a progress bar on a terminal."""
    from quizzer.importers.markdown import run_examples
    from quizzer.ui.progress import bar

    total = sum(len(source.examples) for source in sources)
    if not total:
        return
    with bar("Running the examples", total) as advance:
        for source in sources:
            run_examples(source, progress=advance)


def _recall_backs_compile(deck: _DeckImport) -> None:
    """Keep code that does not compile (a signature, a fragment, the sheet's mistake) in a
    recall back as comment lines: code in a recall back must compile (prose may stay prose)."""
    from quizzer.importers import as_comments
    from quizzer.judge import compile_problem
    from quizzer.verify import recall_code

    for draft in deck.drafts:
        if draft.kind == "recall" and any(compile_problem(c) for c in recall_code(draft.back)):
            draft.back = as_comments(draft.back)


def _verify(deck: _DeckImport, plan: Plan) -> int:
    """Check the cards the import adds or changes as `quizzer verify` will, and make each that
    fails pass, saying so in its note and the report: a sheet-fix claim that cannot be proven
    (a quizzer export carries no proof) loses the tag; a program that does not print the same
    again becomes a recall card of its code. Returns how many cards were changed so."""
    from quizzer.model import SHEET_FIX_TAG
    from quizzer.verify import Check, verify_cards

    changed = {c.card_id for c in plan.changes if c.action != "unchanged"}
    drafts = [d for d, i in zip(deck.drafts, plan.ids, strict=True) if i in changed]
    ids = [i for i in plan.ids if i in changed]

    def failures(which: list[int]) -> list[tuple[int, Check]]:
        cards = [drafts[n].card(deck.name, ids[n]) for n in which]
        return [(n, c) for n, c in zip(which, verify_cards(cards), strict=True) if not c.ok]

    failed = failures(list(range(len(drafts))))
    unproven = [n for n, check in failed if check.sheet is not None and not check.sheet.ok]
    for n in unproven:
        draft = drafts[n]
        draft.sheet_program = draft.sheet_error = draft.sheet_output = None
        draft.tags = [t for t in draft.tags if t != SHEET_FIX_TAG] + ["unproven"]
    failed = [f for f in failed if f[0] not in unproven] + failures(unproven)
    for n, check in failed:
        draft = drafts[n]
        why = (check.detail.strip().splitlines() or ["it failed"])[0]
        draft.kind, draft.back = "recall", draft.program or draft.back
        draft.program = draft.output = draft.match = None
        draft.sheet_program = draft.sheet_error = draft.sheet_output = None
        draft.normalize = []
        draft.tags = [tag for tag in draft.tags if tag != SHEET_FIX_TAG]
        draft.note = f"Checked as quizzer verify checks it, it failed ({why}); recall the code."
        _report_finding(deck, draft, "unstable", why)
    for n in unproven:
        _report_finding(deck, drafts[n], "unproven", "its sheet-fix claim has no proof to run")
    if failed:
        _recall_backs_compile(deck)
    return len(failed) + len(unproven)


def _report_finding(deck: _DeckImport, draft: Draft, kind: str, detail: str) -> None:
    from quizzer.importers import Finding

    source = next(s for s in deck.sources if any(d is draft for d in s.drafts))
    source.findings.append(
        Finding(kind, draft.section, str(source.path), f"{draft.front}: {detail}")
    )


def _import_reviews(deck: _DeckImport, plan: Plan, *, dry_run: bool) -> int:
    """Put the Anki reviews of the deck's cards into the review store (with `dry_run`, only
    count those it would put there); returns how many."""
    pairs = [
        (card_id, draft.reviews)
        for draft, card_id in zip(deck.drafts, plan.ids, strict=True)
        if draft.reviews
    ]
    if not pairs:
        return 0
    from quizzer import paths
    from quizzer.importers.history import import_reviews, new_reviews
    from quizzer.settings import desired_retention
    from quizzer.store import open_store

    if dry_run and not paths.database_path().exists():
        return sum(len(reviews) for _id, reviews in pairs)
    with open_store(paths.database_path()) as store:
        if dry_run:
            return new_reviews(store, deck.name, pairs)
        return import_reviews(store, deck.name, pairs, retention=desired_retention(store))


def _report(deck: _DeckImport, plan: Plan, reviews: int, dry_run: bool) -> dict[str, object]:
    from collections import Counter

    kinds = Counter(draft.kind for draft in deck.drafts)
    findings = deck.findings
    return {
        "deck": deck.name,
        "folder": str(plan.folder),
        "sources": [
            {"path": str(s.path), "format": s.format, "cards": len(s.drafts)} for s in deck.sources
        ],
        "sections": len({draft.section for draft in deck.drafts}),
        "cards": len(deck.drafts),
        "kinds": {kind: kinds.get(kind, 0) for kind in ("recall", "write", "predict")},
        "sheet_fixes": sum(1 for d in deck.drafts if "sheet-fix" in d.tags),
        "outputs_confirmed": sum(s.confirmed for s in deck.sources),
        "added": plan.count("added"),
        "updated": plan.count("updated"),
        "unchanged": plan.count("unchanged"),
        "kept": plan.kept,
        "reviews": reviews,
        "sheet_claims": [f.to_dict() for f in findings if f.kind == "sheet-claim"],
        "timed_out": [f.to_dict() for f in findings if f.kind == "timeout"],
        "failed": [f.to_dict() for f in findings if f.kind in ("error", "unstable")],
        "skipped": [f.to_dict() for f in findings if f.kind == "skipped"],
        "unproven": [f.to_dict() for f in findings if f.kind == "unproven"],
        "changes": [c.to_dict() for c in plan.changes if c.action != "unchanged"],
        "dry_run": dry_run,
        "written": not dry_run and bool(plan.texts),
    }


def _print_report(report: dict[str, object]) -> None:
    from quizzer.ui.text import visible

    def echo(text: str) -> None:
        click.echo(visible(text))

    kinds = report["kinds"]
    assert isinstance(kinds, dict)
    by_kind = ", ".join(f"{count} {kind}" for kind, count in kinds.items() if count)
    verb = "Would import" if report["dry_run"] else "Imported"
    cards = _counted(report["cards"], "card")
    sections = _counted(report["sections"], "section")
    echo(f"{verb} deck {report['deck']!r}: {cards} in {sections} ({by_kind}) -> {report['folder']}")
    echo(
        f"  {report['added']} added, {report['updated']} updated, {report['unchanged']} "
        f"unchanged, {report['kept']} kept from before; {report['reviews']} reviews imported"
    )
    echo(
        f"  outputs confirmed by running: {report['outputs_confirmed']}; sheet-fix cards: "
        f"{report['sheet_fixes']}"
    )
    for key, title in (
        ("sheet_claims", "Sheet claims that did not hold"),
        ("timed_out", "Examples that timed out"),
        ("failed", "Examples that failed"),
        ("skipped", "Skipped"),
        ("unproven", "Sheet-fix claims with no proof to run (tagged unproven)"),
    ):
        items = report[key]
        assert isinstance(items, list)
        if items:
            echo(f"  {title} ({len(items)}):")
            for item in items:
                echo(f"    {item['where']}: {item['detail']}")
    changes = report["changes"]
    assert isinstance(changes, list)
    if report["dry_run"] and changes:
        echo("  Changes (dry run, nothing written):")
        for change in changes:
            echo(f"    {change['action']}: {change['section']} / {change['id']}")


def _counted(number: object, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
