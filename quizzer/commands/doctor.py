"""`quizzer doctor`: how card programs are sandboxed here, and where quizzer keeps its data."""

from __future__ import annotations

import click

from quizzer.commands.common import echo_json, json_option


@click.command()
@json_option
def doctor(as_json: bool) -> None:
    """Show the sandbox in force and why, data dir and card Python.

    Exits 0 when card programs run under bwrap, 1 when they would run unsandboxed.
    """
    from quizzer import paths, sandbox

    info = sandbox.report()
    info["data_dir"] = str(paths.data_home())
    if as_json:
        echo_json(info)
    else:
        from quizzer.ui import render

        out = render.console()
        sandboxed = info["bwrap"] is not None
        # markup=False: paths and error text (a QUIZZER_HOME of /tmp/h[/x]) are not rich markup.
        out.print(
            f"isolation     {info['isolation']}",
            style="green" if sandboxed else "red",
            markup=False,
        )
        rows = [
            ("why", info["reason"]),
            ("runner", info["runner"]),
            ("bwrap", info["bwrap"] or "-"),
            ("bwrap version", info["bwrap_version"] or "-"),
            ("syscalls", info["syscall_filter"]),
            ("memory", info["memory_limit"]),
            ("processes", info["process_limit"]),
            ("card python", f"{info['card_python']} (Python {info['card_python_version']})"),
            ("data folder", info["data_dir"]),
        ]
        for label, value in rows:
            out.print(f"{label:<13} {value}", soft_wrap=True, markup=False)
    if info["bwrap"] is None:
        raise click.exceptions.Exit(1)
