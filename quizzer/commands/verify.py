"""`quizzer verify`: run every card's program and report the cards that fail."""

from __future__ import annotations

from pathlib import Path

import click

from quizzer.commands.common import (
    complete_section,
    deck_option,
    echo_json,
    json_option,
    selected_decks,
    warn_if_unsandboxed,
)
from quizzer.deck import cards_in_section


@click.command()
@deck_option
@click.option(
    "--section",
    shell_complete=complete_section,
    help="Only this section (a unique prefix will do).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="Cards checked at once [default: one per core].",
)
@click.option(
    "--mutants",
    is_flag=True,
    help="Also judge answers made from each write card's back that should be wrong (an await "
    "dropped, time.sleep, no try/finally, a sibling function, a print of the output); report "
    "the ones the judge accepts.",
)
@json_option
def verify(
    deck_path: Path | None, section: str | None, jobs: int | None, mutants: bool, as_json: bool
) -> None:
    """Check that every card's program prints what the card says.

    Each program runs in the sandbox with the card's answer in place of
    {{answer}}; the card's wrong and right examples are judged as study
    judges answers; a sheet-fix card's sheet-program must fail as it says;
    code in a recall back must compile. With --mutants, a write card whose
    mutant the judge accepts fails too. Exits 0 when every card passes, 1
    when some fail.
    """
    from quizzer import sandbox
    from quizzer.verify import verify_cards

    sandbox.warm_up()  # the fork server starts while the decks load
    cards = cards_in_section(selected_decks(deck_path), section)
    isolation = sandbox.isolation()
    if as_json:
        checks = verify_cards(cards, jobs=jobs, mutants=mutants)
    else:
        from quizzer.ui import progress

        warn_if_unsandboxed()
        with progress.bar("Verifying", total=len(cards)) as advance:
            checks = verify_cards(
                cards, jobs=jobs, progress=lambda check: advance(), mutants=mutants
            )
    failed = [check for check in checks if not check.ok]
    skipped = [check for check in checks if check.skipped]
    tried = sum(check.mutants.tried for check in checks if check.mutants)
    survived = sum(len(check.mutants.survivors) for check in checks if check.mutants)
    if as_json:
        report: dict[str, object] = {
            "cards": [check.to_dict() for check in checks],
            "passed": len(checks) - len(failed),
            "failed": len(failed),
            "isolation": isolation,
        }
        if mutants:
            report["mutants"] = {"tried": tried, "survived": survived}
        echo_json(report)
    else:
        from quizzer.ui import render

        out = render.console()
        if failed:
            out.print(render.failures_table(failed))
        seconds = sum(check.seconds for check in checks)
        summary = f"{len(checks) - len(failed)} passed, {len(failed)} failed"
        if skipped:
            summary += f" ({len(skipped)} skipped: not for this Python)"
        if mutants:
            summary += f"; {survived} of {tried} mutants survived"
        out.print(
            f"{summary} in {len(checks)} cards ({seconds:.1f}s of programs)",
            style="red" if failed else "green",
        )
    if failed:
        raise click.exceptions.Exit(1)
