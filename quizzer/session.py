"""Judging a typed answer, shared by the study and test engines.

The study engine is now quizzer.study, stats quizzer.stats, grading quizzer.grading. These two
functions stay here, untouched, because the `judge` branch moves them to quizzer/judge.py at the
same time: when it lands, this module goes and its importers point at quizzer.judge.
"""

from __future__ import annotations

from quizzer import sandbox, verify
from quizzer.model import Card, Kind, Verdict
from quizzer.prompts import Judgement


def runs_answers(card: Card) -> bool:
    """Whether the card's answer is judged by running a program here (else self-graded)."""
    return card.kind in (Kind.WRITE, Kind.PREDICT) and verify.python_supports(card.requires_python)


def judge_answer(card: Card, answer: str) -> Judgement:
    """Judge a typed answer by running it (write) or the card's program (predict), sandboxed.

    An empty answer is "show me": wrong, with nothing run.
    """
    if card.kind == Kind.WRITE:
        if not answer.strip():
            return Judgement(card, "", False)
        check = verify.judge_program(card, answer)
        output = check.run.stdout if check.run else None
        return Judgement(card, answer, check.ok, output, "" if check.ok else check.detail)
    if card.kind == Kind.PREDICT:
        assert card.program is not None
        run = sandbox.run_program(card.program, timeout=card.timeout)
        # A program that cannot run here still has the output its card promises.
        actual = run.stdout if run.verdict == Verdict.OK else (card.output or "")
        if not answer.strip():
            return Judgement(card, "", False, actual)
        right = verify.judge_prediction(card, answer, actual)
        detail = "" if right else verify.output_diff(actual, answer)
        return Judgement(card, answer, right, actual, detail)
    return Judgement(card, answer, None)
