"""Check one card, or a whole deck in parallel: that its program proves it, that the judge
refuses its `wrong` examples and accepts its `right` ones, that a sheet-fix card's sheet text
fails as it says, and that a recall back's code compiles."""

from __future__ import annotations

import itertools
import os
import re
import textwrap
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from quizzer import judge, sandbox
from quizzer.judge import compile_problem, python_supports
from quizzer.model import SHEET_FIX_TAG, Card, Kind, Run, Verdict

_FENCE = re.compile(r"^[ \t]*```[^\n`]*\n(.*?)^[ \t]*```[ \t]*$", re.MULTILINE | re.DOTALL)
# A recall back without a fence is code when its first line starts like code: a comment, a
# decorator, a lower-case keyword that opens a statement, or an assignment...
_CODE_START = re.compile(
    r"(?:#|@|(?:import|from|async|await|def|class|for|while|with|try|except|finally|if|elif"
    r"|else|return|raise|yield|del|assert|lambda|print|pass|break|continue|global|nonlocal)"
    r"(?=[\s(:\[]|$)"
    r"|[A-Za-z_][\w.]*(?:\[[^\]]*\])?\s*(?://|\*\*|>>|<<|[-+*/%|&^@])?=(?!=))"
)
# ... or when it has no two words side by side outside its string literals (prose has).
_STRING_LITERAL = re.compile(r"\"[^\"]*\"|'[^']*'")
_TWO_WORDS = re.compile(r"[A-Za-z]+ +[A-Za-z]+")
# An exception line of a traceback: the class (dotted, capitalized) and maybe its message,
# also inside an exception group's "| " frame.
_EXCEPTION_LINE = re.compile(r"^[\s|+]*((?:[A-Za-z_]\w*\.)*[A-Z]\w*)(?::\s.*|:)?$")


@dataclass(frozen=True)
class ExampleCheck:
    """How the judge ruled on one of a card's `wrong` or `right` examples."""

    name: str  # "wrong[0]", "right[1]"
    ok: bool  # the judge ruled as the card says it must
    reason: str  # the judge's reason when it ruled the answer wrong

    @property
    def expected_right(self) -> bool:
        return self.name.startswith("right")

    @property
    def message(self) -> str:
        """The failure as one line: `wrong[1] was judged right`."""
        if self.expected_right:
            return f"{self.name} was judged wrong: {self.reason}"
        return f"{self.name} was judged right"

    def to_dict(self) -> dict[str, object]:
        judged_right = self.ok == self.expected_right
        return {
            "example": self.name,
            "ok": self.ok,
            "judged": "right" if judged_right else "wrong",
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SheetCheck:
    """Whether a sheet-fix card's `sheet-program` does what the card says the sheet's text does."""

    ok: bool
    detail: str  # why not, when not
    verdict: Verdict | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "verdict": str(self.verdict) if self.verdict else None,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Check:
    """The result of checking one card."""

    card: Card
    ok: bool
    verdict: Verdict | None  # None when nothing ran (a recall card with no program, a skip)
    seconds: float
    detail: str  # why it failed, or a diff; empty when ok
    run: Run | None = None
    skipped: bool = False
    examples: tuple[ExampleCheck, ...] = ()
    sheet: SheetCheck | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.card.id,
            "section": self.card.section,
            "ok": self.ok,
            "verdict": str(self.verdict) if self.verdict else None,
            "seconds": round(self.seconds, 4),
            "detail": self.detail,
            "examples": [example.to_dict() for example in self.examples],
            "sheet": self.sheet.to_dict() if self.sheet else None,
        }


def recall_code(back: str) -> list[str]:
    """The code in a recall back, which must compile: each fenced block, or the whole back when
    it has no fence and its first line is code; prose is not code (README: recall backs)."""
    blocks = [textwrap.dedent(found.group(1)) for found in _FENCE.finditer(back)]
    if blocks or "```" in back:
        return blocks
    first = next((line.strip() for line in back.splitlines() if line.strip()), "")
    if _CODE_START.match(first) or not _TWO_WORDS.search(_STRING_LITERAL.sub("", first)):
        return [back]
    return []


def check_card(card: Card) -> Check:
    """Check a card: its program with its own back as the answer prints its output (under every
    seed it is judged under, each run ending well), then its sheet proof and its examples."""
    if not python_supports(card.requires_python):
        reason = f"needs Python {card.requires_python}"
        return Check(card, True, None, 0.0, reason, skipped=True)
    if card.kind == Kind.RECALL:
        for number, code in enumerate(recall_code(card.back), start=1):
            problem = compile_problem(code)
            if problem:
                where = f" (code block {number})" if "```" in card.back else ""
                return Check(card, False, None, 0.0, f"back does not compile{where}: {problem}")
    sheet = check_sheet(card)
    if card.program is None:
        return _with_extras(Check(card, True, None, 0.0, ""), sheet, ())
    program = _check_program(card)
    if not program.ok:
        return program
    return _with_extras(program, sheet, check_examples(card))


def check_examples(card: Card) -> tuple[ExampleCheck, ...]:
    """Judge each of the card's `wrong` and `right` examples, as study and test would."""
    names = [f"wrong[{n}]" for n in range(len(card.wrong))]
    names += [f"right[{n}]" for n in range(len(card.right))]
    answers = [*card.wrong, *card.right]
    if not answers or card.program is None:
        return ()
    if card.kind == Kind.PREDICT:
        rulings = [judge.judge_prediction(card, answer) for answer in answers]
    else:
        rulings = judge.judge_programs(card, answers)
    return tuple(
        ExampleCheck(name, ruling.right == name.startswith("right"), ruling.reason)
        for name, ruling in zip(names, rulings, strict=True)
    )


def check_sheet(card: Card) -> SheetCheck | None:
    """Run a sheet-fix card's sheet-program and compare with what the card says it does."""
    if card.sheet_program is None:
        if SHEET_FIX_TAG in card.tags:
            return SheetCheck(False, "a sheet-fix card needs a sheet-program that shows the error")
        return None
    run = sandbox.run_program(judge.with_seed(card.sheet_program, 0), timeout=card.timeout)
    raised = exception_names(run.stderr) if run.verdict == Verdict.ERROR else []
    if card.sheet_error is not None:
        wanted = card.sheet_error.strip().rsplit(".", 1)[-1]
        if any(name.rsplit(".", 1)[-1] == wanted for name in raised):
            return SheetCheck(True, "", run.verdict)
        if run.verdict == Verdict.OK:
            did = "ran without error"
        elif raised:
            did = f"raises {raised[-1].rsplit('.', 1)[-1]}"
        else:
            did = f"ended with {run.verdict}"
        return SheetCheck(
            False, f"the sheet's text {did}; the card says it raises {wanted}", run.verdict
        )
    expected = card.sheet_output or ""
    if run.verdict != Verdict.OK:
        last = raised[-1] if raised else str(run.verdict)
        return SheetCheck(
            False,
            f"the sheet's text failed ({last}); the card says it prints its sheet-output",
            run.verdict,
        )
    if judge.outputs_match(expected, run.stdout, card.match, card.normalize):
        return SheetCheck(True, "", run.verdict)
    diff = judge.output_diff(expected, run.stdout)
    return SheetCheck(
        False,
        f"the sheet's text printed something else than its sheet-output:\n{diff}",
        run.verdict,
    )


def exception_names(stderr: str) -> list[str]:
    """The exception classes a traceback names (its exception lines), in order."""
    return [
        found.group(1) for line in stderr.splitlines() if (found := _EXCEPTION_LINE.match(line))
    ]


def verify_cards(
    cards: Sequence[Card],
    *,
    jobs: int | None = None,
    progress: Callable[[Check], None] | None = None,
) -> list[Check]:
    """Check every card, `jobs` at a time (default: one per core); results in deck order.

    At most two cards per job are started ahead of the results handed out, so an interrupt
    (Ctrl-C, or `progress` raising) starts no more than those.
    """
    workers = jobs or max(1, os.cpu_count() or 1)
    ahead = 2 * workers
    results: list[Check] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        waiting: deque[Future[Check]] = deque()
        queued = iter(cards)
        try:
            for card in itertools.islice(queued, ahead):
                waiting.append(pool.submit(check_card, card))
            while waiting:
                check = waiting.popleft().result()
                for card in itertools.islice(queued, 1):
                    waiting.append(pool.submit(check_card, card))
                results.append(check)
                if progress:
                    progress(check)
        finally:
            for future in waiting:
                future.cancel()
    return results


def _check_program(card: Card) -> Check:
    """The card's program with its back: the output under seed 0, a clean end under every seed."""
    seeds = judge.seeds_for(card)
    outcomes = [judge.reference(card, seed).result() for seed in seeds]
    first = outcomes[0].run
    seconds = sum(outcome.run.seconds for outcome in outcomes)
    if first.verdict != Verdict.OK:
        detail = f"{first.verdict}: {_last_line(first.stderr) or f'exit code {first.exit_code}'}"
        return Check(card, False, first.verdict, seconds, detail, first)
    if card.output is not None and not judge.outputs_match(
        card.output, first.stdout, card.match, card.normalize
    ):
        diff = judge.output_diff(
            judge.normalize_output(card.output, card.normalize),
            judge.normalize_output(first.stdout, card.normalize),
        )
        return Check(card, False, first.verdict, seconds, diff or "output differs", first)
    for seed, outcome in zip(seeds[1:], outcomes[1:], strict=True):
        run = outcome.run
        if run.verdict != Verdict.OK:
            last = _last_line(run.stderr) or f"exit code {run.exit_code}"
            detail = f"under seed {seed}: {run.verdict}: {last}"
            return Check(card, False, run.verdict, seconds, detail, first)
    return Check(card, True, first.verdict, seconds, "", first)


def _with_extras(
    check: Check, sheet: SheetCheck | None, examples: tuple[ExampleCheck, ...]
) -> Check:
    """`check` with the sheet proof and the examples' results folded into its verdict."""
    problems = [example.message for example in examples if not example.ok]
    if sheet is not None and not sheet.ok:
        problems.insert(0, sheet.detail)
    detail = "\n".join(part for part in (check.detail, *problems) if part)
    ok = check.ok and not problems
    return Check(
        check.card,
        ok,
        check.verdict,
        check.seconds,
        detail,
        check.run,
        check.skipped,
        examples,
        sheet,
    )


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
