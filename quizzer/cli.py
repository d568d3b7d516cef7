"""The `quizzer` command: a click group whose subcommands load on first use.

Each command lives in quizzer/commands/; this module imports only click, so `quizzer --help`
stays as fast as click itself.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

import click

from quizzer import __version__
from quizzer.errors import QuizzerError

# name -> (module under quizzer.commands, attribute, the line --help shows); the order is the
# order of --help. The line is kept here so that `quizzer --help` imports no command module;
# tests/test_cli.py checks that it is each command's own short help.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "study": ("study", "study", "Study the cards that are due, then new ones (spaced repetition)."),
    "test": ("quiz", "test", "Take a scored test over the SECTIONs named, or over the whole deck."),
    "stats": ("study", "stats", "Show new, learning and review cards, what is due, and retention."),
    "add": ("add", "add", "Add a card to a deck of yours, checked before it is saved."),
    "edit": (
        "edit",
        "edit",
        "Edit a card in $EDITOR, checked as add checks it before it is saved.",
    ),
    "sections": ("browse", "sections", "List the sections of the decks, with their card counts."),
    "list": ("browse", "list_cards", "List the cards (of one SECTION: a unique prefix will do)."),
    "search": (
        "browse",
        "search",
        "Find the cards whose front, back, program, note or tags contain TEXT.",
    ),
    "show": (
        "browse",
        "show",
        "Show one card in full, with its state, schedule and review history.",
    ),
    "suspend": (
        "manage",
        "suspend",
        "Keep cards out of study and test until they are unsuspended.",
    ),
    "unsuspend": ("manage", "unsuspend", "Let suspended cards back into study and test."),
    "bury": ("manage", "bury", "Hide cards from study and test until the next study day (4 am)."),
    "reset": ("manage", "reset", "Forget the scheduling of cards: they become new again."),
    "verify": ("verify", "verify", "Check that every card's program prints what the card says."),
    "run": ("run", "run", "Run a Python FILE in the sandbox, as card programs run."),
    "import": ("import_", "import_", "Import cheat sheets or Anki decks as verified decks."),
    "export": ("export", "export", "Export decks for Anki: an .apkg package or a .tsv file."),
    "doctor": ("doctor", "doctor", "Show the sandbox in force and why, data dir and card Python."),
}


class UserError(click.ClickException):
    """A QuizzerError on its way out: its lines on stderr, its exit code."""

    def __init__(self, error: QuizzerError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code  # type: ignore[misc]  # click reads it per instance

    def show(self, file: Any = None) -> None:
        # File names, card ids and a program's stderr reach errors: the terminal sees no control.
        lines = [_visible(line) for line in self.message.splitlines()] or ["unknown error"]
        if len(lines) == 1:
            click.echo(f"Error: {lines[0]}", err=True)
            return
        for line in lines:
            click.echo(line, err=True)
        click.echo(f"Error: {len(lines)} problems (listed above)", err=True)


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        import importlib

        module_name, attribute, _summary = COMMANDS[cmd_name]
        module = importlib.import_module(f"quizzer.commands.{module_name}")
        command: click.Command = getattr(module, attribute)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        # Shell completion parses resiliently: an unknown word there completes to nothing.
        if name and name not in COMMANDS and not name.startswith("-") and not ctx.resilient_parsing:
            import difflib

            close = difflib.get_close_matches(name, COMMANDS, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            ctx.fail(f"No such command '{name}'.{hint}")
        return super().resolve_command(ctx, args)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.NoArgsIsHelpError as error:
            _show_help(error)
        except click.UsageError as error:
            message = f"{_visible(error.format_message().strip())} (see 'quizzer --help')"
            raise click.UsageError(message) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, summary) for name, (_module, _attribute, summary) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QuizzerError as error:
            raise UserError(error) from error
        except click.exceptions.NoArgsIsHelpError as error:  # `quizzer export` alone
            _show_help(error)
        except click.UsageError as error:
            # Raised again without a context, click prints no usage block: the error is one line.
            message = _visible(error.format_message().strip())  # it may quote a file name
            if error.ctx is not None and error.ctx.command is not self:
                message += f" (see '{error.ctx.command_path} --help')"
            raise click.UsageError(message) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:  # Ctrl-C where a command does not take it: the shell's 130
            click.echo("\nInterrupted.", err=True)
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError as error:
            if _stdout_closed():
                raise  # output piped into `head` that had enough: click's main exits 1 quietly
            raise _internal_error(ctx, error) from error
        except Exception as error:  # the last resort: a bug, never a user's mistake
            raise _internal_error(ctx, error) from error


def _show_help(error: click.UsageError) -> NoReturn:
    """A group called with nothing to do: its help, as --help shows it (not as an error)."""
    assert error.ctx is not None
    click.echo(error.ctx.get_help())
    raise click.exceptions.Exit(0)


def _internal_error(ctx: click.Context, error: Exception) -> click.exceptions.Exit:
    """Report a bug in one line (or its traceback with --debug); the exit to raise."""
    if ctx.obj and ctx.obj.get("debug"):
        import traceback

        traceback.print_exception(error)
    else:
        click.echo(
            _visible(
                f"Error: internal error ({type(error).__name__}: {error}); "
                "run with --debug for the traceback and please report it"
            ),
            err=True,
        )
    return click.exceptions.Exit(1)


def _visible(text: str) -> str:
    """ui.text.visible, imported when an error is printed (not by `quizzer --help`)."""
    from quizzer.ui.text import visible

    return visible(text)


def _stdout_closed() -> bool:
    """Whether stdout is a pipe whose reader has gone."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _fd, events in poller.poll(0))
    except (OSError, ValueError):  # no real file descriptor (a test's captured output)
        return False


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="quizzer")
@click.option(
    "--home",
    envvar="QUIZZER_HOME",
    help="Folder for your decks and review history [env: QUIZZER_HOME; "
    "default: the platform's user data folder].",
)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.pass_context
def cli(ctx: click.Context, home: str | None, debug: bool) -> None:
    """Flashcards and quizzes for code cheat sheets.

    Answers are judged by running them: code you type is run in a sandbox
    and its output compared with the reference answer's.

    Start with `quizzer study`, or `quizzer test [SECTION]...` for a scored quiz.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if home:
        os.environ["QUIZZER_HOME"] = home


def main() -> None:
    """Entry point of the console script."""
    for stream in (sys.stdout, sys.stderr):
        # Under an ASCII or Latin-1 locale, a '·' or a card's text must not end the command.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    cli(prog_name="quizzer")
