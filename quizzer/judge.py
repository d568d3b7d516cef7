"""Decide whether an answer is right, by running it: the one judge of study, test, verify and add.

A write card's answer goes into the card's program, which runs in the sandbox. It is right only
when, under every seed the card is judged under, the program ran to its end (marks the answer
cannot know show it), said nothing on stderr that the reference answer (the card's `back`) does
not, and printed what the reference prints. A predict card's answer is compared with what the
card's program really prints (under seed 0). Reference runs are cached per card and seed, so a
card judged again in the same process runs only the answer.
"""

from __future__ import annotations

import ast
import difflib
import doctest
import os
import re
import secrets
import sys
import textwrap
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from quizzer import sandbox
from quizzer.deck import parse_requires_python
from quizzer.model import ANSWER_SLOT, SEED_SLOT, Card, Judgement, Kind, Match, Run, Verdict

DEFAULT_VARIATIONS = 3  # seeds a write card whose program has {{seed}} is judged under
MAX_VARIATIONS = 10
MAX_DIFF_LINES = 2000  # difflib is quadratic: beyond this many lines a diff takes seconds
REGEX_TIMEOUT = 3.0  # seconds a deck's regex may take to match one output, in the sandbox
REFERENCE_CACHE_SIZE = 512  # reference runs kept per process (card, seed)
EARLY_EXIT = "the program stopped before its end (an early exit?)"
LEFT_THE_ANSWER = "the program's code after your answer did not run (a return or exit in it?)"
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_TASK_NAME = re.compile(r"\bTask-\d+\b")
_TOP_LEVEL_AWAIT = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
# What varies in stderr from run to run, or between the answer and the reference, without
# meaning anything: where a warning was raised, file names and line numbers, numbers with a dot.
_WARNING_PLACE = re.compile(r"^\S+\.py:\d+: (?=\w*(?:Warning|Error)\b)")
_FILE_PLACE = re.compile(r"[\w./<>-]+\.py(?::\d+|\", line \d+)")
_DECIMAL = re.compile(r"\b\d+\.\d+\b")
# A line of stderr that reports a warning or an error (a program may print other things there).
_SIGNAL = re.compile(
    r"Warning|Error|Exception|exception|Traceback|Cancelled|never awaited|never retrieved"
    r"|destroyed|pending|Exit\b|Interrupt"
)
_NOT_SIGNALS = (
    "Traceback (most recent call last):",
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
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
# Seed 0 gives a card's `output`; the others are drawn once per process, so the learner cannot
# know them in advance, and a card judged again meets the same seeds (and its cached reference).
_SEEDS = (0, *(1 + secrets.randbelow(2**31 - 2) for _ in range(MAX_VARIATIONS - 1)))


@dataclass(frozen=True)
class Outcome:
    """One run of a card's program, its marks read and taken out of its output."""

    run: Run  # stdout without the marks
    reached_end: bool  # the program's last line ran
    reached_answer_end: bool  # the line right after the {{answer}} block ran (at least once)
    signals: tuple[str, ...]  # stderr's warnings and errors, normalized, in order

    @property
    def stdout(self) -> str:
        return self.run.stdout


@dataclass(frozen=True)
class Ruling:
    """The judge's decision on one answer."""

    right: bool
    reason: str  # one line saying why it is wrong; "" when right
    diff: str = ""  # expected -> actual output under seed 0, when they differ
    run: Run | None = None  # the answer's run under seed 0 (stdout without marks)

    @property
    def output(self) -> str | None:
        return self.run.stdout if self.run is not None else None

    @property
    def detail(self) -> str:
        """The reason, then the diff: what a learner or a deck author is shown."""
        return "\n".join(part for part in (self.reason, self.diff) if part)


# --- outputs -------------------------------------------------------------------------------


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


def prediction_matches(card: Card, prediction: str, actual: str) -> bool:
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


# --- programs ------------------------------------------------------------------------------


def fill_program(program: str, answer: str, after: str | None = None) -> str:
    """Put `answer` in place of the program's {{answer}} line, indented as that line is.

    `after`, when given, is a line put right after the answer, at the same indentation.
    """
    body = textwrap.dedent(answer.expandtabs(4)).strip("\n").splitlines() or ["pass"]
    lines: list[str] = []
    for line in program.splitlines():
        if line.strip() == ANSWER_SLOT:
            indent = line[: len(line) - len(line.lstrip())]
            lines.extend(indent + part if part.strip() else part for part in body)
            if after is not None:
                lines.append(indent + after)
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def with_seed(program: str, seed: int) -> str:
    """The program with every {{seed}} replaced by `seed`."""
    return program.replace(SEED_SLOT, str(seed))


def seeds_for(card: Card) -> tuple[int, ...]:
    """The seeds a card is judged under: 0 first (its `output`), more for a {{seed}} write card."""
    if card.kind != Kind.WRITE or not card.has_seed:
        return (0,)
    return _SEEDS[: card.variations or DEFAULT_VARIATIONS]


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


def stderr_signals(stderr: str) -> tuple[str, ...]:
    """The warnings and errors in a program's stderr, one line each, in order, normalized.

    Lines at the margin that name a warning or an error are kept (a warning, an exception,
    asyncio's "Task exception was never retrieved"...); a traceback's frames (indented) and
    headers are not, and file names, line numbers, addresses, task names and decimals are made
    alike.
    """
    found: list[str] = []
    for line in stderr.splitlines():
        if not line.strip() or line[0].isspace() or line.strip() in _NOT_SIGNALS:
            continue
        if not _SIGNAL.search(line):
            continue
        line = _WARNING_PLACE.sub("", line.rstrip())
        line = _FILE_PLACE.sub("<file>", line)
        line = _DECIMAL.sub("<n>", normalize_output(line, ("addresses", "task-names")))
        found.append(line)
    return tuple(found)


def run_marked(card: Card, answer: str | None, seed: int) -> Outcome:
    """Run the card's program under `seed` (with `answer` in its slot), marks in place.

    One random mark ends the program, another follows the answer block: the answer cannot
    print them, so their absence means the program stopped early or left the answer early.
    """
    assert card.program is not None
    end_mark, answer_mark = _mark(), _mark()
    source = with_seed(card.program, seed)
    if answer is not None and ANSWER_SLOT in source:
        source = fill_program(source, answer, after=_print_mark(answer_mark))
    elif not source.endswith("\n"):
        source += "\n"
    source += _print_mark(end_mark) + "\n"
    run = sandbox.run_program(source, timeout=card.timeout)
    stdout = run.stdout
    reached_end, reached_answer_end = end_mark in stdout, answer_mark in stdout
    for mark in (end_mark, answer_mark):
        stdout = stdout.replace(mark + "\n", "").replace(mark, "")
    return Outcome(
        replace(run, stdout=stdout), reached_end, reached_answer_end, stderr_signals(run.stderr)
    )


# --- the reference and the pool the runs share ----------------------------------------------

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_references: OrderedDict[tuple[Card, int], Future[Outcome]] = OrderedDict()
_references_lock = threading.Lock()


def _runs() -> ThreadPoolExecutor:
    """The threads that run programs for the judge (the fork server serves them in parallel)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            workers = max(4, 2 * (os.cpu_count() or 1))
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="quizzer-judge")
        return _pool


def reference(card: Card, seed: int = 0) -> Future[Outcome]:
    """The run of the card's program with its own back as the answer, under `seed` (cached)."""
    key = (card, seed)
    with _references_lock:
        found = _references.get(key)
        if found is not None:
            _references.move_to_end(key)
            return found
        future = _runs().submit(run_marked, card, card.back, seed)
        _references[key] = future
        while len(_references) > REFERENCE_CACHE_SIZE:
            _references.popitem(last=False)
        return future


def prepare(card: Card) -> None:
    """Start the card's reference runs in the background (while its answer is being typed)."""
    if card.program is not None and card.kind in (Kind.WRITE, Kind.PREDICT):
        for seed in seeds_for(card):
            reference(card, seed)


def forget_references() -> None:
    """Drop the cached reference runs (a test that changes what a program does needs this)."""
    with _references_lock:
        _references.clear()


# --- judging ---------------------------------------------------------------------------------


def judge_programs(card: Card, answers: Sequence[str]) -> list[Ruling]:
    """Judge each answer to a card whose program has {{answer}}, all their runs at once."""
    seeds = seeds_for(card)
    references = {seed: reference(card, seed) for seed in seeds}
    runs = [{seed: _runs().submit(run_marked, card, a, seed) for seed in seeds} for a in answers]
    return [_rule(card, seeds, references, futures) for futures in runs]


def judge_program(card: Card, answer: str) -> Ruling:
    """Judge one answer to a card whose program has {{answer}} (or run a program without one)."""
    return judge_programs(card, [answer])[0]


def judge_prediction(card: Card, prediction: str) -> Ruling:
    """Judge a typed prediction against what the card's program prints under seed 0.

    A program that cannot run here still has the output its card promises.
    """
    outcome = reference(card, 0).result()
    run = outcome.run
    if run.verdict != Verdict.OK:
        run = replace(run, stdout=card.output or "")
    if prediction_matches(card, prediction, run.stdout):
        return Ruling(True, "", run=run)
    return Ruling(False, "", output_diff(run.stdout, prediction), run)


def runs_answers(card: Card) -> bool:
    """Whether the card's answer is judged by running a program here (else self-graded)."""
    return card.kind in (Kind.WRITE, Kind.PREDICT) and python_supports(card.requires_python)


def judge_answer(card: Card, answer: str) -> Judgement:
    """Judge a typed answer by running it (write) or the card's program (predict), sandboxed.

    An empty answer is "show me": wrong, with nothing run.
    """
    if card.kind == Kind.WRITE:
        if not answer.strip():
            return Judgement(card, "", False)
        ruling = judge_program(card, answer)
        return Judgement(card, answer, ruling.right, ruling.output, ruling.detail)
    if card.kind == Kind.PREDICT:
        if not answer.strip():
            return Judgement(card, "", False, judge_prediction(card, "").output)
        ruling = judge_prediction(card, answer)
        return Judgement(card, answer, ruling.right, ruling.output, ruling.detail)
    return Judgement(card, answer, None)


def _rule(
    card: Card,
    seeds: Sequence[int],
    references: dict[int, Future[Outcome]],
    answers: dict[int, Future[Outcome]],
) -> Ruling:
    """The ruling on one answer from its runs and the reference's, seed 0 first."""
    first = answers[seeds[0]].result()
    known = {signal for seed in seeds for signal in references[seed].result().signals}
    expected = card.output if card.output is not None else references[seeds[0]].result().stdout
    diff = ""
    if first.run.verdict == Verdict.OK and not outputs_match(
        expected, first.stdout, card.match, card.normalize
    ):
        diff = output_diff(
            normalize_output(expected, card.normalize),
            normalize_output(first.stdout, card.normalize),
        )
        diff = diff or "(the output differs)"
    for seed in seeds:
        got, want = answers[seed].result(), references[seed].result()
        reason = _run_problem(got, want, known)
        if reason is None and seed == seeds[0] and diff:
            reason = "it printed something else than expected:"
        if reason is None and seed != seeds[0]:
            reason = _seed_problem(card, got.stdout, want.stdout)
        if reason is not None:
            return Ruling(False, reason, diff, first.run)
    return Ruling(True, "", "", first.run)


def _run_problem(got: Outcome, want: Outcome, known: set[str]) -> str | None:
    """Why one run of an answer is wrong whatever it printed: it failed, stopped early, warned."""
    if got.run.verdict != Verdict.OK:
        last = _last_line(got.run.stderr) or f"exit code {got.run.exit_code}"
        return f"{got.run.verdict}: {last}"
    if want.reached_end and not got.reached_end:
        return EARLY_EXIT
    if want.reached_answer_end and not got.reached_answer_end:
        return LEFT_THE_ANSWER
    for signal in got.signals:
        if signal not in known:
            return f"stderr: {signal}"
    return None


def _seed_problem(card: Card, got: str, want: str) -> str | None:
    """Why an answer's output under another seed is not the reference's, in one line, or None.

    Outputs under other seeds are compared line for line (as a multiset for unordered cards),
    after the card's normalizers, whatever the card's match rule for seed 0.
    """
    rule = Match.UNORDERED if card.match == Match.UNORDERED else Match.EXACT
    if outputs_match(want, got, rule, card.normalize):
        return None
    mine = _lines(normalize_output(got, card.normalize))
    theirs = _lines(normalize_output(want, card.normalize))
    for index in range(max(len(mine), len(theirs))):
        a = mine[index] if index < len(mine) else "(nothing)"
        b = theirs[index] if index < len(theirs) else "(nothing)"
        if a != b:
            return (
                f"under another seed it printed {_short(a)} where the reference printed {_short(b)}"
            )
    return "under another seed its output differs from the reference's"


def _short(line: str, width: int = 60) -> str:
    text = line if len(line) <= width else line[: width - 3] + "..."
    return repr(text)


def _mark() -> str:
    return f"quizzer-mark-{secrets.token_hex(12)}"


def _print_mark(mark: str) -> str:
    # Through builtins and flushed: a program (or answer) may shadow `print`, and a mark must
    # be in the output even when the program is later ended without its buffers flushed.
    return f'__import__("builtins").print({mark!r}, flush=True)'


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip().splitlines()]


def _utf8(text: str) -> str:
    """`text` with anything UTF-8 cannot hold (lone surrogates) replaced, so it can be a file."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
