"""The browsing, run and verify commands through click's CliRunner."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import write_deck

from quizzer import __version__
from quizzer.cli import COMMANDS, cli

DECK = '''\
deck = "demo"
section = "Numbers"

[[card]]
id = "double"
front = "Double x"
back = "y = x * 2"
kind = "write"
program = """
x = 21
{{answer}}
print(y)
"""
output = "42"

[[card]]
id = "power"
front = "What does this print?"
back = "1024"
kind = "predict"
program = "print(2 ** 10)"
output = "1024"
'''

BROKEN_CARD = """
[[card]]
id = "wrong"
front = "Wrong on purpose"
back = "print(1)"
kind = "predict"
program = "print(1)"
output = "2"
"""


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    write_deck(tmp_path / "demo", "numbers.toml", DECK)
    return tmp_path / "demo"


def test_help_lists_every_command_with_one_line(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:")[1].splitlines()
    # A name stands two spaces in; a summary too long for the width wraps deeper.
    names = [line.split()[0] for line in listed if line[:3].strip() and line.startswith("  ")]
    assert names == list(COMMANDS)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_line_kept_in_cli_is_the_command_s_own(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    assert COMMANDS[name][2] == command.get_short_help_str(200)


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.output.strip() == f"quizzer, version {__version__}"


def test_sections_json(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(cli, ["sections", "--deck", str(deck), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output) == [{"name": "Numbers", "cards": 2, "deck": "demo"}]


def test_list_json_and_table(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(cli, ["list", "num", "--deck", str(deck), "--json"])
    rows = json.loads(result.output)
    assert [(r["id"], r["kind"], r["section"], r["deck"]) for r in rows] == [
        ("double", "write", "Numbers", "demo"),
        ("power", "predict", "Numbers", "demo"),
    ]
    assert "Double x" in runner.invoke(cli, ["list", "--deck", str(deck)]).output


def test_show_prints_the_whole_card(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(cli, ["show", "double", "--deck", str(deck)])
    assert result.exit_code == 0
    for text in ("Double x", "y = x * 2", "print(y)", "42"):
        assert text in result.output
    shown = runner.invoke(cli, ["show", "demo/power", "--deck", str(deck), "--json"])
    data = json.loads(shown.output)
    assert data["program"] == "print(2 ** 10)" and data["output"] == "1024"


def test_builtin_and_user_decks_are_both_listed(runner: CliRunner, home: Path) -> None:
    write_deck(home / "decks" / "mine", "numbers.toml", DECK.replace('"demo"', '"mine"'))
    names = {row["deck"] for row in json.loads(runner.invoke(cli, ["sections", "--json"]).output)}
    assert names == {"asyncio", "mine"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "nope"], "Error: no card 'nope' (see `quizzer list`)"),
        (["list", "zzz"], "Error: no section 'zzz'; sections are: Numbers"),
        (["sections", "--deck", "/no/such/deck"], "Error: /no/such/deck: no such file or folder"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    runner: CliRunner, deck: Path, args: list[str], message: str
) -> None:
    if "--deck" not in args:
        args = [*args, "--deck", str(deck)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert result.output.strip() == message
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--home", "~no-such-user-here", "sections"],
            "Error: QUIZZER_HOME=~no-such-user-here: no such user's home to expand",
        ),
        (["--home", "/dev/null", "stats"], "Error: QUIZZER_HOME=/dev/null: not a folder"),
        (["list", "--deck", "/dev/null"], "Error: /dev/null: not a deck file or folder"),
    ],
)
def test_a_home_or_deck_that_cannot_be_one_is_one_line(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(cli, args)
    assert (result.exit_code, result.output.strip()) == (2, message)


def test_run_from_a_closed_stdin_is_one_line() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "quizzer", "run", "-"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(0),
    )
    assert done.returncode == 2
    assert done.stderr == "Error: -: cannot read the program from stdin (it is closed)\n"


def test_bad_deck_lists_every_problem_and_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    write_deck(tmp_path, "a.toml", 'deck = "d"\nsection = "S"\n[[card]]\nid = "x"\nfront = "F"\n')
    write_deck(tmp_path, "b.toml", "deck = \n")
    result = runner.invoke(cli, ["list", "--deck", str(tmp_path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"{tmp_path / 'a.toml'}:3: card x: missing 'back'")
    assert lines[1].startswith(f"{tmp_path / 'b.toml'}:1: invalid TOML")
    assert lines[-1] == "Error: 2 problems (listed above)"
    assert "Traceback" not in result.output


def test_run_json_reports_the_run(runner: CliRunner, tmp_path: Path) -> None:
    program = tmp_path / "hello.py"
    program.write_text("import asyncio\nasync def main():\n    print('hi')\nasyncio.run(main())\n")
    result = runner.invoke(cli, ["run", str(program), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert set(data) == {
        "verdict",
        "exit_code",
        "stdout",
        "stderr",
        "seconds",
        "truncated",
        "isolation",
    }
    assert (data["verdict"], data["exit_code"], data["stdout"]) == ("ok", 0, "hi\n")


@pytest.mark.parametrize(
    ("source", "verdict"),
    [("raise ValueError('no')", "error"), ("import time\ntime.sleep(10)", "timeout")],
)
def test_run_exits_1_when_the_program_fails(
    runner: CliRunner, tmp_path: Path, source: str, verdict: str
) -> None:
    program = tmp_path / "bad.py"
    program.write_text(source)
    result = runner.invoke(cli, ["run", str(program), "--timeout", "0.5", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["verdict"] == verdict


def test_run_reads_stdin_and_refuses_missing_files(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["run", "-", "--json"], input="print(6 * 7)\n")
    assert json.loads(result.output)["stdout"] == "42\n"
    missing = runner.invoke(cli, ["run", "/no/such.py"])
    assert missing.exit_code == 2 and missing.output.strip() == "Error: /no/such.py: no such file"
    bad_timeout = runner.invoke(cli, ["run", "-", "--timeout", "0"])
    assert bad_timeout.exit_code == 2


def test_run_shows_the_program_s_streams_as_printed(runner: CliRunner, tmp_path: Path) -> None:
    program = tmp_path / "streams.py"
    program.write_text(
        "import sys\nprint('a' * 150)\nprint('  spaced   out   ')\n"
        "print('\\x1b[31mred', file=sys.stderr)\n"
    )
    result = runner.invoke(cli, ["run", str(program)])
    assert result.exit_code == 0
    assert result.stdout == "a" * 150 + "\n  spaced   out   \n"  # not wrapped, nothing added
    # Its stderr on stderr (a pipe: byte for byte), then the verdict.
    assert result.stderr.startswith("\x1b[31mred\nverdict ok  exit 0  ")


def test_verify_passes_then_reports_a_broken_card(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(cli, ["verify", "--deck", str(deck), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["passed"], data["failed"]) == (2, 0)
    assert {card["id"] for card in data["cards"]} == {"double", "power"}
    keys = {"id", "section", "ok", "verdict", "seconds", "detail", "examples", "sheet", "mutants"}
    assert set(data["cards"][0]) == keys
    assert isinstance(data["isolation"], str) and data["isolation"]

    file = deck / "numbers.toml"
    file.write_text(file.read_text() + BROKEN_CARD)
    result = runner.invoke(cli, ["verify", "--deck", str(deck), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    [failed] = [card for card in data["cards"] if not card["ok"]]
    assert failed["id"] == "wrong" and "-2" in failed["detail"] and "+1" in failed["detail"]
    table = runner.invoke(cli, ["verify", "--deck", str(deck)])
    assert table.exit_code == 1 and "wrong" in table.output and "2 passed, 1 failed" in table.output


def test_verify_one_section_by_prefix(runner: CliRunner, deck: Path) -> None:
    result = runner.invoke(cli, ["verify", "--deck", str(deck), "--section", "NUM", "--json"])
    assert json.loads(result.output)["passed"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show"], "Error: Missing argument 'CARD_ID'. (see 'quizzer show --help')"),
        (["list", "--bogus"], "Error: No such option '--bogus'. (see 'quizzer list --help')"),
        (["stduy"], "Error: No such command 'stduy'. Did you mean 'study'?"),
        (["xyzzy"], "Error: No such command 'xyzzy'."),
        (["run", "-", "--timeout", "soon"], "Error: Invalid value for '--timeout': 'soon' is not"),
        (["run", "-", "--timeout", "nan"], "Error: Invalid value for '--timeout': 'nan' is not a"),
        (["export", "anki", "--forse"], "Error: No such option '--forse'. Did you mean '--force'?"),
    ],
)
def test_usage_errors_are_one_line(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(cli, args, prog_name="quizzer")
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith(message)


@pytest.mark.parametrize(("args", "heading"), [([], "Commands:"), (["export"], "anki")])
def test_a_group_called_alone_shows_its_help(
    runner: CliRunner, args: list[str], heading: str
) -> None:
    result = runner.invoke(cli, args, prog_name="quizzer")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: quizzer {' '.join(args)}".rstrip() + " [OPTIONS]")
    assert heading in result.stdout and "Error" not in result.output


def test_run_refuses_an_endless_file(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["run", "/dev/zero"])
    assert result.exit_code == 2
    assert result.output.strip() == "Error: /dev/zero: too large to run (over 4096 KiB)"


def test_group_option_errors_are_one_line(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--nope"], prog_name="quizzer")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: No such option '--nope'. Did you mean '--home'? (see 'quizzer --help')"
    )


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("args", [["show", "create-task"], ["study", "--limit", "1"]])
def test_a_narrow_output_encoding_does_not_end_the_command(
    tmp_path: Path, encoding: str, args: list[str]
) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "quizzer", *args],
        input="\n\n",
        capture_output=True,
        env={**os.environ, "QUIZZER_HOME": str(tmp_path), "PYTHONIOENCODING": encoding},
        timeout=60,
        text=True,
        encoding=encoding,
    )
    assert done.returncode == 0, done.stderr
    assert "create-task" in done.stdout or "card 1 of 1" in done.stdout
    if encoding == "ascii":
        assert "?" in done.stdout  # the '·' it lacks, replaced


def test_ctrl_c_during_verify_ends_it_with_130(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    write_deck(
        tmp_path / "slow",
        "slow.toml",
        """deck = "slow"
section = "Slow"

[[card]]
id = "nap"
front = "F"
back = "b"
kind = "predict"
program = "import time\\ntime.sleep(2)\\nprint(1)"
output = "1"
""",
    )
    verify = subprocess.Popen(
        [sys.executable, "-m", "quizzer", "verify", "--deck", str(tmp_path / "slow")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QUIZZER_HOME": str(tmp_path)},
    )
    # Once quizzer has started a sandbox, the command is running: interrupt it then.
    # The sandbox may be started by any of its threads, so look at the children of each.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _has_children(verify.pid):
        time.sleep(0.02)
    assert verify.poll() is None, "verify ended before a sandbox was seen"
    verify.send_signal(signal.SIGINT)
    out, err = verify.communicate(timeout=30)
    assert verify.returncode == 130
    assert err.strip() == "Interrupted." and out == ""


def test_output_closed_early_is_quiet(tmp_path: Path) -> None:
    import subprocess
    import sys

    cards = "".join(
        f'[[card]]\nid = "c{n}"\nfront = "Card number {n}"\nback = "x = {n}"\n\n'
        for n in range(2000)
    )  # about 200 KiB of JSON: more than a pipe holds, so the writer meets the closed end
    write_deck(tmp_path / "big", "big.toml", f'deck = "big"\nsection = "Big"\n\n{cards}')
    listing = subprocess.Popen(
        [sys.executable, "-m", "quizzer", "list", "--json", "--deck", str(tmp_path / "big")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "QUIZZER_HOME": str(tmp_path)},
    )
    assert listing.stdout is not None and listing.stderr is not None
    listing.stdout.close()  # like `| head` that has already had enough
    stderr = listing.stderr.read().decode()
    assert listing.wait() == 1
    assert stderr == ""


def test_internal_errors_are_one_line_and_debug_shows_the_traceback(
    runner: CliRunner, deck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import quizzer.commands.browse as browse

    def broken(card: object) -> dict[str, object]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(browse, "_summary", broken)
    result = runner.invoke(cli, ["list", "--deck", str(deck), "--json"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: internal error (RuntimeError: a bug); "
        "run with --debug for the traceback and please report it"
    )
    debug = runner.invoke(cli, ["--debug", "list", "--deck", str(deck), "--json"])
    assert debug.exit_code == 1 and "Traceback" in debug.output and "a bug" in debug.output


# --- deck text, paths and error text are shown as written, never read as rich markup ---

MARKUP_DECK = """\
deck = "demo"
section = "S [/bold]"

[[card]]
id = "close"
front = "A closing tag [/red] in the front"
back = "print(1)"
kind = "predict"
program = "print(1)"
output = "2"
"""

BRACKETS_DECK = """\
deck = "demo"
section = "Queues [advanced]"

[[card]]
id = "queue"
front = "Make a queue"
back = "q = asyncio.Queue()"
note = "See [bold]the docs[/bold]"
"""


@pytest.fixture
def markup_deck(tmp_path: Path) -> Path:
    folder = tmp_path / "markup"
    write_deck(folder, "s.toml", MARKUP_DECK)
    write_deck(folder, "queues.toml", BRACKETS_DECK)
    return folder


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["sections"], ["S [/bold]", "Queues [advanced]"]),
        (["list"], ["S [/bold]", "Queues [advanced]", "A closing tag [/red] in the front"]),
        (["show", "close"], ["S [/bold]", "A closing tag [/red] in the front"]),
        (["show", "queue"], ["Queues [advanced]", "See [bold]the docs[/bold]"]),
        (["stats"], ["S [/bold]", "Queues [advanced]"]),
        (["verify"], ["S [/bold]"]),  # the failures table: the predict card prints 1, not 2
    ],
)
def test_brackets_in_deck_text_are_shown_as_written(
    runner: CliRunner, markup_deck: Path, args: list[str], shown: list[str]
) -> None:
    result = runner.invoke(cli, [*args, "--deck", str(markup_deck)])
    assert result.exit_code == (1 if args == ["verify"] else 0), result.output
    for text in shown:
        assert text in result.output


def test_doctor_shows_a_data_folder_with_brackets(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "h[" / "x]"
    monkeypatch.setenv("QUIZZER_HOME", str(home))
    result = runner.invoke(cli, ["doctor"])
    assert "internal error" not in result.output
    assert result.exit_code in (0, 1) and f"data folder   {home}" in result.output


@pytest.mark.parametrize("command", [["verify"], ["run", "-"], ["study"], ["test", "numbers"]])
def test_the_unsandboxed_warning_is_one_line_as_written(
    runner: CliRunner, deck: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    from quizzer import sandbox
    from quizzer.sandbox.bwrap import Found

    # bwrap's own error text names its path, which may hold brackets.
    monkeypatch.delenv("QUIZZER_SANDBOX", raising=False)
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: Found(None, "/opt/b[/x]/bwrap: failed"))
    args = [*command] if command[0] == "run" else [*command, "--deck", str(deck)]
    result = runner.invoke(cli, args, input="print(6 * 7)\n" if command[0] == "run" else "q\n")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: card programs are not sandboxed (/opt/b[/x]/bwrap: failed)"]


@pytest.mark.parametrize("name", ["run", "doctor"])
def test_commands_that_read_no_deck_do_not_load_the_deck_loader(name: str) -> None:
    import subprocess
    import sys

    probe = (
        "import sys\nfrom quizzer.cli import cli\ntry:\n    cli([sys.argv[1], '--help'])\n"
        "except SystemExit:\n    pass\nprint('quizzer.deck' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, name], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "False"


def _has_children(pid: int) -> bool:
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "children").read_text().strip():
                return True
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
    return False
