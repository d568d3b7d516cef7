"""Options and helpers shared by several commands."""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from quizzer import paths
from quizzer.errors import QuizzerError
from quizzer.model import Card, Deck

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from quizzer.store import Store

F = TypeVar("F", bound=Callable[..., Any])

deck_option = click.option(
    "--deck",
    "deck_path",
    type=click.Path(path_type=Path),
    help="A deck folder (one TOML file per section) or one TOML file "
    "[default: the built-in deck and your own decks].",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def tag_options(function: F) -> F:
    """--tag and --skip-tag: choose cards by their tags (e.g. the sheet alone, or more)."""
    function = click.option(
        "--skip-tag",
        "skip_tags",
        multiple=True,
        metavar="TAG",
        shell_complete=complete_tag,
        help="Leave out cards with this tag (repeat for several), "
        "e.g. --skip-tag beyond-sheet for the cheat sheet alone.",
    )(function)
    return click.option(
        "--tag",
        "tags",
        multiple=True,
        metavar="TAG",
        shell_complete=complete_tag,
        help="Only cards with this tag (repeat: cards with any of them).",
    )(function)


class FiniteFloatRange(click.FloatRange):
    """click's FloatRange, refusing nan too (it passes every comparison, so every range)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number.", param, ctx)
        return number


def deck_roots(deck_path: Path | None) -> list[Path]:
    """The deck folders a command reads: the one given, or the built-in deck and the user's."""
    if deck_path is not None:
        return [deck_path]
    roots = [paths.builtin_deck_dir()]
    user_dir = paths.user_decks_dir()
    if user_dir.is_dir():
        roots += sorted(p for p in user_dir.iterdir() if p.is_dir() and any(p.rglob("*.toml")))
    return roots


def selected_decks(deck_path: Path | None) -> list[Deck]:
    """Load the decks a command works on (see `deck_roots`)."""
    # Imported here, so that commands which read no deck (run, doctor) do not load the loader.
    from quizzer.deck import load_decks

    return load_decks(deck_roots(deck_path))


def all_cards(decks: list[Deck]) -> list[Card]:
    return [card for deck in decks for card in deck.cards]


def find_card(cards: list[Card], wanted: str) -> Card:
    """The card called `wanted` ("id" or "deck/id")."""
    deck, _, card_id = wanted.rpartition("/")
    found = [c for c in cards if c.id == card_id and (not deck or c.deck == deck)]
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(f"{c.deck}/{c.id}" for c in found)
        raise QuizzerError(f"{wanted!r} is in several decks; name one: {names}")
    raise QuizzerError(f"no card {wanted!r} (see `quizzer list`)")


def without_held(cards: list[Card], store: Store, now: datetime) -> list[Card]:
    """`cards` less those suspended, or buried until after `now`: study and test never ask them."""
    held = store.holds({card.deck for card in cards}, now)
    return [card for card in cards if card.key not in held]


# -- shell completion: section names, card ids and tags of the decks a command would read ------


def _completion_decks(ctx: click.Context) -> list[Deck]:
    """The decks the command being completed reads (its --deck, else the default ones); none when
    they do not load, so a broken deck never spills an error into the shell."""
    deck_path = ctx.params.get("deck_path")
    try:
        return selected_decks(deck_path if isinstance(deck_path, Path) else None)
    except QuizzerError:
        return []


def complete_section(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Section names that start with what is typed (case-insensitively)."""
    from click.shell_completion import CompletionItem

    names = dict.fromkeys(s.name for deck in _completion_decks(ctx) for s in deck.sections)
    typed = incomplete.casefold()
    return [CompletionItem(name) for name in names if name.casefold().startswith(typed)]


def complete_card_id(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Card ids that start with what is typed, with their front as help."""
    from click.shell_completion import CompletionItem

    cards = all_cards(_completion_decks(ctx))
    return [CompletionItem(c.id, help=c.front) for c in cards if c.id.startswith(incomplete)]


def complete_tag(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Tags of the cards that start with what is typed."""
    from click.shell_completion import CompletionItem

    tags = sorted({tag for card in all_cards(_completion_decks(ctx)) for tag in card.tags})
    return [CompletionItem(tag) for tag in tags if tag.startswith(incomplete)]


def warn_if_unsandboxed() -> None:
    """Print one warning line on stderr when card programs would run without a sandbox."""
    from quizzer import sandbox
    from quizzer.ui import render

    warning = render.isolation_warning(sandbox.isolation())
    if warning:
        # Off: the reason can hold paths or error text that rich would read as markup.
        render.error_console().print(warning, style="yellow", markup=False)


def start_sandbox() -> None:
    """Warn when programs run unsandboxed, and let the sandbox warm up while the user reads."""
    from quizzer import sandbox

    warn_if_unsandboxed()
    sandbox.warm_up()  # the fork server starts in the background while the first card shows


def echo_json(data: object, *, err: bool = False) -> None:
    """Print `data` as JSON on stdout (stderr with `err`): indented for a person, one compact
    line for a pipe."""
    # json's C encoder only runs without indent: compact is many times faster for large output.
    indent = 2 if (sys.stderr if err else sys.stdout).isatty() else None
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    # json escapes C0 controls but not DEL and C1 (U+0080..U+009F, a terminal's CSI among them).
    click.echo(_C1_CONTROLS.sub(lambda found: f"\\u{ord(found.group()):04x}", text), err=err)


_C1_CONTROLS = re.compile("[\x7f-\x9f]")
