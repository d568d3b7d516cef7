"""`quizzer run FILE`: run a Python file the way card programs are run."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from quizzer.commands.common import (
    FiniteFloatRange,
    echo_json,
    json_option,
    warn_if_unsandboxed,
)
from quizzer.errors import QuizzerError
from quizzer.model import Run, Verdict

MAX_SOURCE_BYTES = 4 * 1024 * 1024


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option(
    "--timeout",
    type=FiniteFloatRange(min=0, min_open=True, max=600),
    default=5.0,
    show_default=True,
    help="Wall-clock seconds before the program is killed.",
)
@json_option
def run(file: Path, timeout: float, as_json: bool) -> None:
    """Run a Python FILE in the sandbox, as card programs run.

    FILE may be '-' to read the program from stdin.

    Exits 0 when the program ran to a clean exit, 1 otherwise.
    """
    from quizzer import sandbox

    source = _read_source(file)
    if not as_json:
        warn_if_unsandboxed()  # before the program runs, so it does not land after its output
    result = sandbox.run_program(source, timeout=timeout)
    if as_json:
        echo_json(result.to_dict())
    else:
        _echo_run(result)
    if result.verdict != Verdict.OK:
        raise click.exceptions.Exit(1)


def _echo_run(result: Run) -> None:
    """The program's stdout on stdout and its stderr on stderr, as `python FILE` would show
    them, then the verdict on stderr. On a terminal, control characters are shown as escapes."""
    from quizzer.ui import render
    from quizzer.ui.text import visible

    for text, stream in ((result.stdout, sys.stdout), (result.stderr, sys.stderr)):
        if text:  # not click.echo, which would strip colour codes the program printed
            stream.write(visible(text) if stream.isatty() else text)
            stream.flush()
    render.error_console().print(render.run_summary(result))


def _read_source(file: Path) -> str:
    try:
        # Read one byte past the cap, so /dev/zero or a huge file cannot fill memory.
        with click.open_file(str(file), "rb") as stream:
            raw: bytes = stream.read(MAX_SOURCE_BYTES + 1)
    except FileNotFoundError:
        raise QuizzerError(f"{file}: no such file") from None
    except RuntimeError:  # click's answer to '-' with stdin closed
        raise QuizzerError("-: cannot read the program from stdin (it is closed)") from None
    except OSError as error:
        raise QuizzerError(f"{file}: cannot read: {error.strerror}") from None
    if len(raw) > MAX_SOURCE_BYTES:
        raise QuizzerError(f"{file}: too large to run (over {MAX_SOURCE_BYTES // 1024} KiB)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise QuizzerError(f"{file}: not UTF-8 text") from None
