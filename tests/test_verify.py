"""Matching outputs, filling programs, and checking cards by running them."""

from __future__ import annotations

import pytest

from quizzer import judge, verify
from quizzer.judge import (
    MAX_DIFF_LINES,
    compile_problem,
    fill_program,
    judge_program,
    normalize_output,
    output_diff,
    outputs_match,
    prediction_matches,
    python_supports,
)
from quizzer.model import Card, Kind, Match, Verdict
from quizzer.verify import check_card, verify_cards


def make_card(**fields: object) -> Card:
    base: dict[str, object] = {"deck": "t", "section": "S", "id": "c", "front": "F", "back": "b"}
    base.update(fields)
    return Card(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expected", "actual", "rule", "same"),
    [
        ("a\nb", "a  \nb\n\n", Match.EXACT, True),
        ("a\nb", "b\na", Match.EXACT, False),
        ("a\nb\nb", "b\na\nb", Match.UNORDERED, True),
        ("a\nb\nb", "b\na\na", Match.UNORDERED, False),
        ("start ... end", "start 1 2 3 end", Match.ELLIPSIS, True),
        ("start ... end", "begin 1 end", Match.ELLIPSIS, False),
        (r"took \d+ ms", "took 12 ms", Match.REGEX, True),
        (r"took \d+ ms", "took many ms", Match.REGEX, False),
    ],
)
def test_outputs_match_rules(expected: str, actual: str, rule: Match, same: bool) -> None:
    assert outputs_match(expected, actual, rule) is same


def test_normalizers_hide_what_changes_between_runs() -> None:
    printed = "<Task pending name='Task-17' coro=<main() at 0x7f3a2b1c>>"
    assert normalize_output(printed, ["addresses", "task-names"]) == (
        "<Task pending name='Task-N' coro=<main() at 0x...>>"
    )
    expected = "<Task pending name='Task-1' coro=<main() at 0xdeadbeef>>"
    assert outputs_match(expected, printed, Match.EXACT, ["addresses", "task-names"])
    assert not outputs_match(expected, printed, Match.EXACT)


def test_fill_program_indents_a_multiline_answer() -> None:
    program = "async def main():\n    {{answer}}\n    print(x)\n"
    answer = "  x = 1\n  x += 1\n"
    filled = "async def main():\n    x = 1\n    x += 1\n    print(x)\n"
    assert fill_program(program, answer) == filled
    assert fill_program(program, "") == "async def main():\n    pass\n    print(x)\n"


def test_compile_problem_allows_top_level_await() -> None:
    assert compile_problem("await asyncio.sleep(0)") is None
    problem = compile_problem("res = [r await a in awaitables]")
    assert problem is not None and problem.startswith("line 1:")
    assert "null bytes" in (compile_problem("x = 1\0") or "")


@pytest.mark.parametrize("back", ["a." * 300_000 + "a", "x = " + "-" * 300_000 + "1"])
def test_compile_problem_reports_code_too_deep_for_the_compiler(back: str) -> None:
    assert compile_problem(back) == "too deeply nested to compile"
    check = check_card(make_card(back=back))
    assert not check.ok and check.detail == "back does not compile: too deeply nested to compile"


@pytest.mark.parametrize(
    ("spec", "ok"),
    [(None, True), (">=3.11", True), (">=3.12", False), ("<3.12", True), (">=3.10,<3.11", False)],
)
def test_python_supports(spec: str | None, ok: bool) -> None:
    assert python_supports(spec, (3, 11, 7)) is ok


@pytest.mark.parametrize("spec", [">=3..1", "==3.", ">=3.11.0.1", "3.11"])
def test_python_supports_refuses_what_the_deck_loader_refuses(spec: str) -> None:
    assert python_supports(spec, (3, 11, 7)) is False


WRITE = make_card(
    kind=Kind.WRITE,
    back="total = sum(values)",
    program="values = [1, 2, 3]\n{{answer}}\nprint(total)\n",
    output="6",
)


@pytest.mark.parametrize(
    "answer", ["total = sum(values)", "total = 0\nfor v in values:\n    total += v", "total = 6"]
)
def test_write_answers_are_judged_by_what_they_do(answer: str) -> None:
    ruling = judge_program(WRITE, answer)
    assert ruling.right, ruling.detail


def test_wrong_answer_gets_a_diff_and_a_crash_gets_its_error() -> None:
    wrong = judge_program(WRITE, "total = max(values)")
    assert not wrong.right and wrong.run is not None and wrong.run.verdict == Verdict.OK
    assert "-6" in wrong.diff and "+3" in wrong.diff
    crash = judge_program(WRITE, "total = values.sum()")
    assert not crash.right and crash.run is not None and crash.run.verdict == Verdict.ERROR
    assert "AttributeError" in crash.reason and "\n" not in crash.reason


def test_check_card_for_each_kind() -> None:
    assert check_card(WRITE).ok
    predict = make_card(kind=Kind.PREDICT, program="print(2 ** 10)", output="1024")
    assert check_card(predict).ok
    assert not check_card(make_card(kind=Kind.PREDICT, program="print(2)", output="3")).ok
    broken_recall = check_card(make_card(back="Try:\n    pass"))
    assert not broken_recall.ok and "does not compile" in broken_recall.detail
    assert check_card(make_card(back="await asyncio.sleep(1)")).ok


def test_check_card_skips_cards_for_a_newer_python() -> None:
    card = make_card(
        kind=Kind.PREDICT, program="raise SystemExit(1)", output="", requires_python=">=99"
    )
    check = check_card(card)
    assert check.ok and check.skipped and check.verdict is None


def test_prediction_matches_respects_order_and_patterns() -> None:
    ordered = make_card(kind=Kind.PREDICT, program="", output="1\n2")
    assert prediction_matches(ordered, "1\n2\n", "1\n2\n")
    assert not prediction_matches(ordered, "2\n1", "1\n2\n")
    unordered = make_card(kind=Kind.PREDICT, program="", output="1\n2", match=Match.UNORDERED)
    assert prediction_matches(unordered, "2\n1", "1\n2\n")
    addresses = make_card(
        kind=Kind.PREDICT, program="", output="<obj at 0x...>", match=Match.ELLIPSIS
    )
    assert prediction_matches(addresses, "<obj at 0x...>", "<obj at 0x7fa0>")


def test_verify_cards_keeps_deck_order_and_reports_progress() -> None:
    cards = [
        make_card(id=f"c{n}", kind=Kind.PREDICT, program=f"print({n})", output=str(n))
        for n in range(6)
    ]
    cards[3] = make_card(id="c3", kind=Kind.PREDICT, program="print(0)", output="3")
    seen: list[str] = []
    checks = verify_cards(cards, jobs=3, progress=lambda check: seen.append(check.card.id))
    assert [c.card.id for c in checks] == [f"c{n}" for n in range(6)]
    assert sorted(seen) == sorted(c.card.id for c in checks)
    assert [c.ok for c in checks] == [True, True, True, False, True, True]


def test_an_interrupted_verify_starts_no_more_cards(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    real_check = verify.check_card

    def counted(card: Card) -> verify.Check:
        started.append(card.id)
        return real_check(card)

    def interrupt(check: verify.Check) -> None:
        raise KeyboardInterrupt  # Ctrl-C as the first result comes in

    monkeypatch.setattr(verify, "check_card", counted)
    cards = [
        make_card(id=f"c{n}", kind=Kind.PREDICT, program="print(1)", output="1") for n in range(40)
    ]
    with pytest.raises(KeyboardInterrupt):
        verify_cards(cards, jobs=2, progress=interrupt)
    assert len(started) <= 2 * 2 + 1  # the ones started ahead (two per job), not all 40


def test_output_diff_is_unified() -> None:
    assert output_diff("a\nb", "a\nc").splitlines()[-2:] == ["-b", "+c"]


def test_output_diff_of_huge_outputs_compares_only_the_first_lines() -> None:
    count = 10 * MAX_DIFF_LINES
    expected = "\n".join(str(n) for n in range(count))
    actual = "\n".join(str(n) if n % 2 else "z" for n in range(count))
    diff = output_diff(expected, actual).splitlines()
    note = f"(diff truncated: only the first {MAX_DIFF_LINES} lines of each are compared)"
    assert diff[-1] == note
    assert "-0" in diff and "+z" in diff and f"-{MAX_DIFF_LINES + 2}" not in diff
    same_start = output_diff(expected, expected + "\nmore")
    assert same_start == note
    assert output_diff("a\nb", "a\nc").splitlines()[-1] == "+c"  # no note when nothing was cut


REGEX_CARD = make_card(
    kind=Kind.PREDICT, program="print('a' * 40 + 'b')", output="(a|aa)+", match=Match.REGEX
)


def test_a_catastrophic_deck_regex_cannot_hang_quizzer(monkeypatch: pytest.MonkeyPatch) -> None:
    # In-process, this pattern against this output backtracks for longer than anyone waits.
    monkeypatch.setattr(judge, "REGEX_TIMEOUT", 1.0)
    assert not outputs_match("(a|aa)+", "a" * 40 + "b", Match.REGEX)
    check = check_card(REGEX_CARD)
    assert not check.ok and check.verdict == Verdict.OK and "-(a|aa)+" in check.detail
    assert not prediction_matches(REGEX_CARD, "a" * 40 + "b", "a" * 41)


def test_regex_rules_are_matched_in_the_sandbox_with_the_deck_semantics() -> None:
    assert outputs_match("took \\d+ ms\n.*done", "took 3 ms\nstill\ndone\n", Match.REGEX)
    assert not outputs_match("took", "took 3 ms", Match.REGEX)  # the whole output must match
    assert not outputs_match("(unclosed", "(unclosed", Match.REGEX)  # invalid: matches nothing
    assert outputs_match("caf\u00e9 \\?", "caf\u00e9 ?", Match.REGEX)  # text survives the trip
    card = make_card(kind=Kind.PREDICT, program="print(12)", output="\\d+", match=Match.REGEX)
    assert check_card(card).ok and judge_program(card, "").right
    assert prediction_matches(card, "99", "12\n") and not prediction_matches(card, "x", "12\n")


SEEDED = make_card(
    kind=Kind.WRITE,
    back="total = sum(values)",
    program="import random\nrng = random.Random({{seed}})\nvalues = [rng.randint(1, 9) for _ in "
    "range(3)]\n{{answer}}\nprint(total)\n",
    output="15",  # random.Random(0) draws 7, 7, 1
)


def test_verify_judges_wrong_and_right_examples_and_names_them() -> None:
    card = make_card(
        **{
            **SEEDED.__dict__,
            "wrong": ("print(15)", "total = max(values)"),
            "right": ("total = 15",),
        }
    )
    check = check_card(card)
    assert not check.ok
    assert [e.ok for e in check.examples] == [True, True, False]
    assert check.detail.splitlines() == [
        "right[0] was judged wrong: under another seed it printed "
        + check.examples[2].reason.split("printed ", 1)[1]
    ]
    assert check.examples[2].reason.startswith("under another seed it printed '15' where")
    data = check.to_dict()["examples"]
    assert data == [e.to_dict() for e in check.examples]
    assert data[0] == {
        "example": "wrong[0]",
        "ok": True,
        "judged": "wrong",
        "reason": data[0]["reason"],
    }
    assert data[2]["judged"] == "wrong" and data[2]["ok"] is False


def test_verify_fails_a_card_whose_wrong_example_passes() -> None:
    card = make_card(
        **{**WRITE.__dict__, "wrong": ("total = 6",), "right": ("total = sum(values[:])",)}
    )
    check = check_card(card)
    assert not check.ok and check.detail == "wrong[0] was judged right"
    assert check.to_dict()["examples"][0]["judged"] == "right"


def test_verify_judges_predict_examples_as_predictions() -> None:
    card = make_card(
        kind=Kind.PREDICT,
        program="print(1)\nprint(2)",
        output="1\n2",
        wrong=("2\n1",),
        right=("1\n2\n",),
    )
    assert check_card(card).ok
    broken = make_card(**{**card.__dict__, "wrong": ("1\n2",)})
    assert check_card(broken).detail == "wrong[0] was judged right"


SHEET = {"kind": Kind.PREDICT, "program": "print(1)", "output": "1", "tags": ("sheet-fix",)}


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"sheet_program": "x = (", "sheet_error": "SyntaxError"}, ""),
        (
            {
                "sheet_program": "import asyncio\nraise asyncio.CancelledError",
                "sheet_error": "CancelledError",
            },
            "",
        ),
        ({"sheet_program": "print(2)", "sheet_output": "2"}, ""),
        (
            {"sheet_program": "x = 1", "sheet_error": "SyntaxError"},
            "the sheet's text ran without error; the card says it raises SyntaxError",
        ),
        (
            {"sheet_program": "1 / 0", "sheet_error": "SyntaxError"},
            "the sheet's text raises ZeroDivisionError; the card says it raises SyntaxError",
        ),
        (
            {"sheet_program": "print(3)", "sheet_output": "2"},
            "the sheet's text printed something else than its sheet-output:",
        ),
        ({}, "a sheet-fix card needs a sheet-program that shows the error"),
    ],
)
def test_the_sheet_proof_runs_the_sheets_text(fields: dict[str, object], detail: str) -> None:
    check = check_card(make_card(**SHEET, **fields))
    assert check.ok is (detail == "")
    assert check.detail.startswith(detail)
    assert check.sheet is not None and check.to_dict()["sheet"] == check.sheet.to_dict()


def test_exception_names_reads_plain_and_grouped_tracebacks() -> None:
    group = "  + Exception Group Traceback (most recent call last):\n  | ExceptionGroup: x (1)\n"
    group += "    | Traceback (most recent call last):\n    | ValueError: boom\n    +----\n"
    assert verify.exception_names(group) == ["ExceptionGroup", "ValueError"]
    plain = "Traceback (most recent call last):\n  File x\nasyncio.exceptions.CancelledError\n"
    assert verify.exception_names(plain) == ["asyncio.exceptions.CancelledError"]


@pytest.mark.parametrize(
    ("back", "code"),
    [
        ("Coroutine-based, cooperative concurrency in a single thread.", []),
        ("Use a Semaphore(n) when n holders may share it.", []),
        ("lock = asyncio.Lock()", ["lock = asyncio.Lock()"]),
        ("asyncio.gather(a(), b())", ["asyncio.gather(a(), b())"]),
        (
            "await asyncio.sleep(1)\nprint('two words')",
            ["await asyncio.sleep(1)\nprint('two words')"],
        ),
        ("Run it:\n```python\n    x = 1\n```\nthen\n```\ny = (\n```\n", ["x = 1\n", "y = (\n"]),
    ],
)
def test_recall_code_is_the_fenced_blocks_or_a_back_that_is_code(
    back: str, code: list[str]
) -> None:
    assert verify.recall_code(back) == code


def test_a_recall_back_may_be_prose_but_its_code_must_compile() -> None:
    assert check_card(make_card(back="A task runs a coroutine on its own; keep a reference.")).ok
    fenced = check_card(make_card(back="Like this:\n```\nres = [r await a in aws]\n```"))
    assert not fenced.ok and fenced.detail.startswith(
        "back does not compile (code block 1): line 1"
    )
    bare = check_card(make_card(back="res = [r await a in aws]"))
    assert not bare.ok and bare.detail.startswith("back does not compile: line 1")
