"""Judge program outputs, check one card, verify a whole deck in parallel."""

from __future__ import annotations

import ast
import difflib
import doctest
import os
import re
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from quizzer import sandbox
from quizzer.deck import parse_requires_python
from quizzer.model import ANSWER_SLOT, Card, Kind, Match, Run, Verdict

MAX_DIFF_LINES = 2000  # difflib is quadratic: beyond this many lines a diff takes seconds
REGEX_TIMEOUT = 3.0  # seconds a deck's regex may take to match one output, in the sandbox
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_TASK_NAME = re.compile(r"\bTask-\d+\b")
_TOP_LEVEL_AWAIT = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
# Matches a deck's regex against an output: a pattern can backtrack for ever, so it runs in
# the sandbox like any other deck code. Pattern and text come in as files, never as source.
_REGEX_PROGRAM = """\
import re

with open("pattern.txt", encoding="utf-8") as file:
    pattern = file.read()
with open("text.txt", encoding="utf-8") as file:
    text = file.read()
print("match" if re.fullmatch(pattern, text, re.DOTALL) else "no match")
"""


@dataclass(frozen=True)
class Check:
    """The result of checking one card (or one answer to it)."""

    card: Card
    ok: bool
    verdict: Verdict | None  # None when nothing ran (a recall card with no program, a skip)
    seconds: float
    detail: str  # why it failed, or a diff; empty when ok
    run: Run | None = None
    skipped: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.card.id,
            "section": self.card.section,
            "ok": self.ok,
            "verdict": str(self.verdict) if self.verdict else None,
            "seconds": round(self.seconds, 4),
            "detail": self.detail,
        }


def normalize_output(text: str, normalizers: Iterable[str]) -> str:
    """Replace what asyncio prints differently from run to run with stable placeholders."""
    for name in normalizers:
        if name == "addresses":
            text = _ADDRESS.sub("0x...", text)
        elif name == "task-names":
            text = _TASK_NAME.sub("Task-N", text)
    return text


def outputs_match(
    expected: str, actual: str, rule: Match = Match.EXACT, normalizers: Iterable[str] = ()
) -> bool:
    """Whether `actual` output satisfies `expected` under `rule`.

    Pure for every rule but regex, whose pattern (deck content) is matched in the sandbox.
    """
    normalizers = tuple(normalizers)
    expected = normalize_output(expected, normalizers)
    actual = normalize_output(actual, normalizers)
    want, got = _lines(expected), _lines(actual)
    if rule == Match.EXACT:
        return want == got
    if rule == Match.UNORDERED:
        return Counter(want) == Counter(got)
    if rule == Match.ELLIPSIS:
        checker = doctest.OutputChecker()
        return checker.check_output("\n".join(want) + "\n", "\n".join(got) + "\n", doctest.ELLIPSIS)
    return regex_fullmatch(expected.strip(), "\n".join(got))


def regex_fullmatch(pattern: str, text: str) -> bool:
    """Whether `pattern` matches all of `text` (dot matches newlines), matched in the sandbox.

    A pattern that is invalid or does not finish within REGEX_TIMEOUT matches nothing.
    """
    files = {"pattern.txt": _utf8(pattern), "text.txt": _utf8(text)}
    run = sandbox.run_program(_REGEX_PROGRAM, timeout=REGEX_TIMEOUT, files=files)
    return run.verdict == Verdict.OK and run.stdout.strip() == "match"


def output_diff(expected: str, actual: str) -> str:
    """A unified diff from the expected output to the actual one (of the first lines only)."""
    want, got = _lines(expected), _lines(actual)
    diff = "\n".join(
        difflib.unified_diff(
            want[:MAX_DIFF_LINES], got[:MAX_DIFF_LINES], "expected", "actual", lineterm="", n=2
        )
    )
    if max(len(want), len(got)) > MAX_DIFF_LINES:
        note = f"(diff truncated: only the first {MAX_DIFF_LINES} lines of each are compared)"
        diff = f"{diff}\n{note}" if diff else note
    return diff


def fill_program(program: str, answer: str) -> str:
    """Put `answer` in place of the program's {{answer}} line, indented as that line is."""
    body = textwrap.dedent(answer.expandtabs(4)).strip("\n").splitlines() or ["pass"]
    lines: list[str] = []
    for line in program.splitlines():
        if line.strip() == ANSWER_SLOT:
            indent = line[: len(line) - len(line.lstrip())]
            lines.extend(indent + part if part.strip() else part for part in body)
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def compile_problem(code: str) -> str | None:
    """Why `code` does not compile (top-level await allowed), or None when it does."""
    try:
        compile(code, "<answer>", "exec", flags=_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as error:
        return f"line {error.lineno}: {error.msg}" if error.lineno else error.msg
    except ValueError as error:  # for instance a NUL byte in the code
        return str(error)
    except (RecursionError, MemoryError):  # the compiler's own limits: 'a.' * 300000
        return "too deeply nested to compile"
    return None


def python_supports(specifier: str | None, version: tuple[int, ...] | None = None) -> bool:
    """Whether the card Python (default: this one) satisfies a requires-python specifier."""
    if not specifier:
        return True
    clauses = parse_requires_python(specifier)
    if clauses is None:
        return False
    have = tuple(version or sys.version_info[:3])
    for operator, need in clauses:
        mine = have[: len(need)]
        checks = {
            ">=": mine >= need,
            "<=": mine <= need,
            "==": mine == need,
            "!=": mine != need,
            ">": mine > need,
            "<": mine < need,
        }
        if not checks[operator]:
            return False
    return True


def check_card(card: Card) -> Check:
    """Run a card's program with its own back as the answer and compare with its output."""
    if not python_supports(card.requires_python):
        reason = f"needs Python {card.requires_python}"
        return Check(card, True, None, 0.0, reason, skipped=True)
    if card.kind == Kind.RECALL:
        problem = compile_problem(card.back)
        if problem:
            return Check(card, False, None, 0.0, f"back does not compile: {problem}")
        if card.program is None:
            return Check(card, True, None, 0.0, "")
    return judge_program(card, card.back)


def judge_program(card: Card, answer: str) -> Check:
    """Run the card's program with `answer` in its slot; right when its output is the card's."""
    assert card.program is not None
    source = fill_program(card.program, answer) if card.has_slot else card.program
    run = sandbox.run_program(source, timeout=card.timeout)
    expected = card.output or ""
    if run.verdict != Verdict.OK:
        detail = f"{run.verdict}: {_last_line(run.stderr) or f'exit code {run.exit_code}'}"
        return Check(card, False, run.verdict, run.seconds, detail, run)
    if card.output is None or outputs_match(expected, run.stdout, card.match, card.normalize):
        return Check(card, True, run.verdict, run.seconds, "", run)
    diff = output_diff(
        normalize_output(expected, card.normalize), normalize_output(run.stdout, card.normalize)
    )
    return Check(card, False, run.verdict, run.seconds, diff or "output differs", run)


def judge_prediction(card: Card, prediction: str, actual: str) -> bool:
    """Whether a typed prediction matches what the program really printed.

    Line order matters unless the card's rule is unordered; the card's own pattern (ellipsis,
    regex) is accepted too, so a prediction may leave out what changes from run to run.
    """
    rule = Match.UNORDERED if card.match == Match.UNORDERED else Match.EXACT
    if outputs_match(actual, prediction, rule, card.normalize):
        return True
    return card.output is not None and outputs_match(
        card.output, prediction, card.match, card.normalize
    )


def verify_cards(
    cards: Sequence[Card],
    *,
    jobs: int | None = None,
    progress: Callable[[Check], None] | None = None,
) -> list[Check]:
    """Check every card, `jobs` at a time (default: one per core); results in deck order."""
    workers = jobs or max(1, os.cpu_count() or 1)
    results: list[Check] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for check in pool.map(check_card, cards):
            results.append(check)
            if progress:
                progress(check)
    return results


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip().splitlines()]


def _utf8(text: str) -> str:
    """`text` with anything UTF-8 cannot hold (lone surrogates) replaced, so it can be a file."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
