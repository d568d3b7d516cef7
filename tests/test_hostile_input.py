"""Hostile input outside the sandbox: deck files, file names and program output that try to
drive the terminal, decks that make the loader work out of proportion, a review database
that is a link. Each is judged from outside: the bytes that reach a real terminal, the exit
and the one error line, the files left on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from click.testing import CliRunner
from conftest import write_deck

from quizzer import paths
from quizzer.cli import cli
from quizzer.deck import MAX_DECK_BYTES

# What a terminal would act on: set its title (OSC ... BEL), clear it (CSI 2J), ring the bell.
HOSTILE = "\x1b]0;owned\x07\x1b[2J"
ACTED_ON = (b"\x1b]", b"\x1b[2J", b"\x07", b"\x9b")

CARD = """
[[card]]
id = "ok"
front = "Front"
back = "Back"
"""


def terminal_bytes(args: list[str], home: Path) -> tuple[bytes, int]:
    """Run quizzer in a real pseudo-terminal; every byte it wrote there, and its exit code."""
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm", paths.HOME_ENV: str(home)}
    child = pexpect.spawn(
        sys.executable, ["-m", "quizzer", *args], env=env, dimensions=(50, 200), timeout=60
    )
    child.expect(pexpect.EOF)
    child.close()
    output: bytes = child.before
    return output, child.exitstatus if child.exitstatus is not None else -1


def assert_inert(output: bytes) -> None:
    for sequence in ACTED_ON:
        assert sequence not in output, output
    assert b"\\x1b" in output, output  # shown, as an escape


@pytest.mark.terminal
def test_a_deck_file_name_in_an_error_cannot_drive_the_terminal(tmp_path: Path, home: Path) -> None:
    write_deck(tmp_path / "deck", f"bad{HOSTILE}.toml", "deck = [unclosed\n")
    output, code = terminal_bytes(["verify", "--deck", str(tmp_path / "deck")], home)
    assert code == 2
    assert b"invalid TOML" in output
    assert_inert(output)


@pytest.mark.terminal
def test_a_card_id_in_an_error_cannot_drive_the_terminal(tmp_path: Path, home: Path) -> None:
    text = 'deck = "d"\nsection = "s"\n' + CARD.replace('"ok"', '"x\\u001b]0;owned\\u0007y"')
    write_deck(tmp_path / "deck", "s.toml", text)
    output, code = terminal_bytes(["list", "--deck", str(tmp_path / "deck")], home)
    assert code == 2
    assert_inert(output)


@pytest.mark.terminal
def test_a_programs_stderr_quoted_by_add_cannot_drive_the_terminal(
    tmp_path: Path, home: Path
) -> None:
    write_deck(tmp_path / "deck", "s.toml", 'deck = "d"\nsection = "s"\n' + CARD)
    program = (
        f"{{{{answer}}}}\nimport sys\nsys.stderr.write({HOSTILE!r} * 3)\nraise SystemExit(3)\n"
    )
    args = ["add", "--deck", str(tmp_path / "deck"), "--section", "s", "--kind", "write"]
    args += ["--front", "F", "--back", "x = 1", "--program", program, "--output", "1"]
    output, code = terminal_bytes(args, home)
    assert code == 1
    assert b"fails its check" in output
    assert_inert(output)


def test_json_output_escapes_c1_controls(runner: CliRunner, tmp_path: Path) -> None:
    write_deck(tmp_path / "deck", "s.toml", 'deck = "d"\nsection = "s"\n' + CARD)
    folder = tmp_path / "deck\x9b2J"
    (tmp_path / "deck").rename(folder)
    args = ["add", "--deck", str(folder), "--section", "s", "--front", "F", "--back", "B"]
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert "\x9b" not in result.output  # a terminal's CSI, in the file name
    assert json.loads(result.output)["file"] == str(folder / "s.toml")


# --- work out of proportion to the input ---

LOAD = """
import sys
from quizzer.deck import DeckError, load_deck
try:
    load_deck(__import__("pathlib").Path(sys.argv[1]))
except DeckError as error:
    print(len(error.problems), str(error).splitlines()[-1])
"""


@pytest.mark.parametrize("where", ["card", "top"])
def test_many_unknown_keys_are_reported_in_linear_time(tmp_path: Path, where: str) -> None:
    # 100,000 unknown keys: scanning the block once per key, as before, is 10^10 line checks
    # (hours); once in all, a second. The generous timeout fails only the quadratic loader.
    keys = "".join(f"unknown{n} = 1\n" for n in range(100_000))
    text = 'deck = "d"\nsection = "s"\n'
    text += (keys + CARD) if where == "top" else (CARD + keys)
    write_deck(tmp_path, "many.toml", text)
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(tmp_path / "many.toml")],
        capture_output=True,
        text=True,
        timeout=180,
    )
    count, last = done.stdout.split(" ", 1)
    assert int(count) == 100_000, done.stderr
    assert last.strip() == "... and 99800 more problems"


def test_a_deck_too_large_in_all_its_files_is_one_error_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    for name in ("a.toml", "b.toml", "c.toml"):  # each below the per-file cap, not together
        with (folder / name).open("wb") as handle:
            handle.truncate(MAX_DECK_BYTES // 2)  # sparse: no disk used; never read
    result = runner.invoke(cli, ["list", "--deck", str(folder)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Error: {folder}: too large for a deck (24 MiB in 3 files; at most 16 MiB)"
    ]


# --- the review database ---


@pytest.mark.parametrize("suffix", ["", "-wal"])
def test_a_review_database_that_is_a_link_is_refused(
    runner: CliRunner, tmp_path: Path, home: Path, suffix: str
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    target = tmp_path / "elsewhere" / f"target{suffix}"
    target.parent.mkdir()
    link = home / f"reviews.sqlite3{suffix}"
    link.symlink_to(target)
    result = runner.invoke(cli, ["stats"])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        f"Error: {link} is a symbolic link; the review database must be a regular file"
    ]
    assert list(target.parent.iterdir()) == []  # nothing made where it points
    assert [p.name for p in home.glob("reviews.sqlite3*")] == [link.name]


def test_rich_output_shows_control_characters_as_escapes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Whatever renderable carries deck text, a path or program output, the consoles escape it.
    from rich.table import Table
    from rich.text import Text

    from quizzer.ui import render

    table = Table("file")
    table.add_row(Text(f"deck{HOSTILE}.toml"))
    render.console().print(table)
    render.error_console().print(f"warning {HOSTILE}", markup=False)
    captured = capsys.readouterr()
    for stream in (captured.out, captured.err):
        assert "\x1b]" not in stream and "\x07" not in stream
        assert "\\x1b]0;owned" in stream  # (rich drops the bell itself)


@pytest.mark.terminal
def test_an_export_file_name_cannot_drive_the_terminal(tmp_path: Path, home: Path) -> None:
    write_deck(tmp_path / "deck", "s.toml", 'deck = "d"\nsection = "s"\n' + CARD)
    out = tmp_path / f"out{HOSTILE}.tsv"
    args = ["export", "tsv", "--deck", str(tmp_path / "deck"), "-o", str(out)]
    output, code = terminal_bytes(args, home)
    assert code == 0, output
    assert out.exists()
    assert_inert(output)
