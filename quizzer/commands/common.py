"""Options and helpers shared by several commands."""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from quizzer import paths
from quizzer.model import Card, Deck

F = TypeVar("F", bound=Callable[..., Any])

deck_option = click.option(
    "--deck",
    "deck_path",
    type=click.Path(path_type=Path),
    help="A deck folder (one TOML file per section) or one TOML file "
    "[default: the built-in deck and your own decks].",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


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
