"""Markdown cheat sheets: headings become sections, examples become cards proven by running them.

The sheet is parsed with markdown-it-py. A doctest block (`>>>` lines and the output shown after
them) or a Python block followed by the output it shows (trailing `# ` comment lines, or a
separate output block) becomes a predict card whose output is what the program really prints in
the sandbox; where that is not what the sheet shows, the card keeps the real output, is tagged
`sheet-fix` and its note quotes the sheet. A block that does not run on its own (a signature, a
fragment) becomes a recall card: the prose before it on the front, the code on the back.
"""

from __future__ import annotations

import ast
import doctest
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from quizzer import sandbox
from quizzer.errors import QuizzerError
from quizzer.importers import (
    ADDRESS,
    EXAMPLE_TIMEOUT,
    SHEET_FIX,
    TASK_NAME,
    Draft,
    Example,
    Finding,
    ImportedSource,
    compiles,
    has_control,
    normalizers_for,
    read_source_text,
)
from quizzer.model import Run, Verdict

if TYPE_CHECKING:
    from markdown_it.token import Token

PYTHON_INFOS = {"", "python", "py", "python3", "py3", "pycon", "doctest", "pyi"}
OUTPUT_INFOS = {"output", "out", "text", "txt", "console", "plaintext", "stdout", "result"}
_OUTPUT_LABEL = re.compile(r"^(output|out|prints|result|returns)\s*:?\s*$", re.IGNORECASE)
_COMMENT_LABEL = re.compile(r"^(output|out|prints|result)\s*:?\s*$", re.IGNORECASE)
_EXCEPTION_NAME = re.compile(r"[A-Z]\w*")
_MAX_SHOWN_IN_NOTE = 400  # characters of the sheet's output quoted in a note


def read_markdown(path: Path, *, deck: str | None = None) -> ImportedSource:
    """Parse the markdown sheet at `path` into drafts and examples still to run."""
    from markdown_it import MarkdownIt

    text = read_source_text(path)
    tokens = MarkdownIt("commonmark").parse(text)
    if not any(t.type in ("heading_open", "fence", "code_block") for t in tokens):
        raise _not_a_sheet(path)
    title = next(
        (tokens[i + 1].content.strip() for i, t in enumerate(tokens) if t.tag == "h1"), None
    )
    source = ImportedSource(path, "markdown", deck or title or path.stem)
    section = title or path.stem
    prose: list[str] = []
    skip_next = False
    lines = text.splitlines()
    inside_until = -1  # tokens up to this index belong to a doctest read from a blockquote
    for position, token in enumerate(tokens):
        if position <= inside_until:
            continue
        if token.type == "blockquote_open" and token.map and _is_doctest(lines, token.map):
            # Unindented ">>> " lines read as nested quotes: take the sheet's own lines.
            inside_until = _closing(tokens, position)
            content = "\n".join(lines[token.map[0] : token.map[1]]) + "\n"
            where = f"{path}:{token.map[0] + 1}"
            _read_doctest(source, section, _front(prose, section), content, where)
            prose = []
        elif token.type == "heading_open":
            heading = tokens[position + 1].content.strip()
            if token.tag != "h1" or heading != title:
                section = heading or section
            prose = []
        elif token.type == "inline" and tokens[position - 1].type == "paragraph_open":
            prose.append(token.content.strip())
        elif token.type in ("fence", "code_block"):
            if skip_next:  # the output block of the example before
                skip_next = False
                prose = []  # an "Output:" line before it is no card's front
                continue
            line = (token.map[0] + 1) if token.map else 1
            where = f"{path}:{line}"
            info = token.info.strip().split()[0].lower() if token.info.strip() else ""
            if info not in PYTHON_INFOS:
                prose = []
                continue  # shell, JSON, output on its own: not a card
            output_block = _output_block_after(tokens, position)
            if output_block is not None:
                skip_next = True
            front = _front(prose, section)
            _read_block(source, section, front, token.content, output_block, where)
            prose = []
    if not source.drafts and not source.examples:
        raise _not_a_sheet(path)
    return source


def _is_doctest(lines: list[str], span: list[int]) -> bool:
    return lines[span[0]].lstrip().startswith(">>> ")


def _closing(tokens: Sequence[Token], position: int) -> int:
    """The index of the token that closes the one opened at `position`."""
    depth = 0
    for index in range(position, len(tokens)):
        depth += tokens[index].nesting
        if depth == 0:
            return index
    return len(tokens) - 1


def _not_a_sheet(path: Path) -> QuizzerError:
    return QuizzerError(f"{path}: no Python examples or code blocks found; is this a cheat sheet?")


def _front(prose: list[str], section: str) -> str:
    """The front of an example's card: the prose just before it, else its section."""
    text = prose[-1] if prose else ""
    text = text.rstrip(":").strip()
    return text or f"{section}: what does this do?"


def _output_block_after(tokens: Sequence[Token], position: int) -> str | None:
    """The output shown right after the code block at `position`: a block marked as output,
    or any plain block after a paragraph "Output:"."""
    following = tokens[position + 1 : position + 5]
    if not following:
        return None
    first = following[0]
    if first.type in ("fence", "code_block"):
        info = first.info.strip().split()[0].lower() if first.info.strip() else ""
        if info in OUTPUT_INFOS:
            return str(first.content)
        return None
    if (
        len(following) >= 4
        and first.type == "paragraph_open"
        and _OUTPUT_LABEL.match(following[1].content.strip())
        and following[3].type in ("fence", "code_block")
    ):
        info = following[3].info.strip().split()[0].lower() if following[3].info.strip() else ""
        if info not in PYTHON_INFOS - {""} or info == "":
            return str(following[3].content)
    return None


def _read_block(
    source: ImportedSource,
    section: str,
    front: str,
    content: str,
    output_block: str | None,
    where: str,
) -> None:
    """Turn one Python block (and the output block after it) into an example or a draft."""
    text = content if output_block is None else f"{content}\n{output_block}"
    if any(line.lstrip().startswith(">>>") for line in content.splitlines()):
        _read_doctest(source, section, front, content, where)
        return
    code, shown = content, output_block
    if shown is None:
        code, shown = _split_comment_output(content)
    code = code.strip("\n")
    if not code.strip():
        return
    if not compiles(code):
        source.add(_fragment(section, front, code, text))
        return
    program = _echo_last_expression(code) if shown is not None else code
    source.examples.append(
        Example(len(source.drafts), section, front, code, program, shown, None, text, where)
    )


def _read_doctest(
    source: ImportedSource, section: str, front: str, content: str, where: str
) -> None:
    """A doctest block: its statements run as one program, its shown output compared."""
    import textwrap

    try:
        examples = doctest.DocTestParser().get_examples(textwrap.dedent(content))
    except ValueError as error:  # inconsistent indentation, a prompt without its space
        source.findings.append(Finding("skipped", section, where, f"not a valid doctest: {error}"))
        return
    if not examples:
        return
    code_lines: list[str] = []
    program_lines: list[str] = []
    shown: list[str] = []
    shown_error: str | None = None
    for example in examples:
        statement = example.source.rstrip("\n")
        code_lines.append(statement)
        echoed = _echo_last_expression(statement) if example.want else statement
        program_lines.append(echoed)
        if example.exc_msg is not None:
            shown_error = example.exc_msg.split(":", 1)[0].strip().rsplit(".", 1)[-1]
            break  # a doctest's run ends at its exception
        shown.append(example.want)
    code = "\n".join(code_lines)
    if not compiles(code):
        source.add(_fragment(section, front, code, content))
        return
    program = "\n".join(program_lines) + "\n"
    source.examples.append(
        Example(
            len(source.drafts),
            section,
            front,
            code,
            program,
            "".join(shown),
            shown_error,
            content,
            where,
        )
    )


def _split_comment_output(content: str) -> tuple[str, str | None]:
    """Code and the output a block shows as its trailing `# ` comment lines (None: none).

    Comments count as output only after code that prints or ends in an expression.
    """
    lines = content.rstrip("\n").splitlines()
    end = len(lines)
    while end > 0 and (lines[end - 1].startswith("# ") or lines[end - 1] == "#"):
        end -= 1
    if end == len(lines) or end == 0:
        return content, None
    code = "\n".join(lines[:end])
    shown = [line[2:] for line in lines[end:]]
    if shown and _COMMENT_LABEL.match(shown[0]):
        shown = shown[1:]
    if not shown or not compiles(code) or not _shows_something(code):
        return content, None
    return code, "\n".join(shown) + "\n"


def _shows_something(code: str) -> bool:
    """Whether `code` prints, or ends in an expression whose value a reader would be shown."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    calls_print = any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
        for node in ast.walk(tree)
    )
    return calls_print or bool(tree.body and isinstance(tree.body[-1], ast.Expr))


def _echo_last_expression(code: str) -> str:
    """`code` with its last statement, when it is an expression other than a print() call,
    printed as the interpreter would echo it (its repr)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return code
    last = tree.body[-1]
    value = last.value
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "print"
    ):
        return code
    if isinstance(value, ast.Await):
        return code  # top-level await does not run as a plain program anyway
    lines = code.splitlines()
    head = "\n".join(lines[: last.lineno - 1])
    expression = ast.get_source_segment(code, last) or ast.unparse(last)
    printed = f"print(repr({expression}))"
    return f"{head}\n{printed}" if head else printed


def _fragment(section: str, front: str, code: str, text: str) -> Draft:
    """A recall card for a block that is not a whole program (a signature, a fragment)."""
    back = code.strip("\n")
    note = None if compiles(back) else "Not runnable Python as the sheet writes it."
    return Draft(section, front, back, tags=["fragment"], note=note, source=_source(text, back))


def _source(text: str, back: str) -> str | None:
    """The sheet's own text for a card, when it says more than the back."""
    text = text.strip("\n")
    return text if text.strip() != back.strip() else None


def run_examples(
    source: ImportedSource,
    *,
    jobs: int | None = None,
    timeout: float = EXAMPLE_TIMEOUT,
    progress: Callable[[], None] | None = None,
) -> None:
    """Run every example of `source` in the sandbox, in parallel, and put the cards they give
    among its drafts, in sheet order; what the runs found goes to its findings."""
    examples = source.examples
    if not examples:
        return
    workers = jobs or max(1, os.cpu_count() or 1)

    def run(example: Example) -> Run:
        try:
            return sandbox.run_program(example.program, timeout=timeout)
        finally:
            if progress:
                progress()

    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = [pool.submit(run, example) for example in examples]
        runs = [future.result() for future in futures]
    finally:
        # On Ctrl-C the examples not started yet are dropped, not run to the end.
        pool.shutdown(wait=True, cancel_futures=True)
    made: list[tuple[int, Draft]] = []
    for example, result in zip(examples, runs, strict=True):
        draft = _card_from_run(source, example, result, timeout)
        made.append((example.index, draft))
    drafts: list[Draft] = []
    pending = iter(sorted(made, key=lambda pair: pair[0]))
    following = next(pending, None)
    for index in range(len(source.drafts) + 1):
        while following is not None and following[0] == index:
            drafts.append(following[1])
            following = next(pending, None)
        if index < len(source.drafts):
            drafts.append(source.drafts[index])
    for draft in drafts:
        source.sections.setdefault(draft.section, "")
    source.drafts = drafts
    source.examples = []


def _card_from_run(source: ImportedSource, example: Example, run: Run, timeout: float) -> Draft:
    """The card an example gives, now that it ran; records what the run found."""
    section, front, code = example.section, example.front, example.code
    shown = example.shown
    claimed = shown is not None and (shown.strip() != "" or example.shown_error is not None)
    said = _quote_shown(example)
    if run.verdict == Verdict.OK and has_control(run.stdout):
        note = "It prints control characters (colours, cursor moves), which a card cannot hold."
        return Draft(section, front, code, note=note, source=example.text.strip("\n"))
    if run.verdict == Verdict.OK:
        normalize = normalizers_for(run.stdout)
        if example.shown_error is not None:
            note = f"The sheet shows this raising {example.shown_error}; run, it does not."
            return _predict_fix(source, example, run, normalize, note, "sheet-claim")
        if not claimed:
            if not run.stdout.strip():
                draft = Draft(section, front, code, source=_source(example.text, code))
                return draft
            return _predict(example, run.stdout, normalize)
        assert shown is not None
        if _same_output(shown, run.stdout, normalize):
            source.confirmed += 1
            return _predict(example, run.stdout, normalize)
        if "..." in shown and doctest.OutputChecker().check_output(
            shown, run.stdout, doctest.ELLIPSIS
        ):
            source.confirmed += 1
            draft = _predict(example, shown, normalize)
            draft.match = "ellipsis"
            return draft
        real = run.stdout.strip("\n")
        prints = "nothing" if not real else f"`{real}`" if "\n" not in real else "what it shows"
        note = f"The sheet shows the output {said}; run, it prints {prints}."
        return _predict_fix(source, example, run, normalize, note, "sheet-claim")
    raised = _exception_line(run.stderr)
    raised_type = raised.split(":", 1)[0].strip().rsplit(".", 1)[-1]
    if run.verdict == Verdict.ERROR and raised_type == example.shown_error:
        source.confirmed += 1
        raises = f"Raises {raised}." if raised else None
        return Draft(section, front, code, note=raises, source=_source(example.text, code))
    if run.verdict == Verdict.TIMEOUT:
        what = f"does not finish within {timeout:g} s"
        kind = "timeout"
    elif run.verdict == Verdict.ERROR:
        what = f"raises {raised}" if raised else f"fails (exit code {run.exit_code})"
        kind = "error"
    else:
        what = f"ends with {run.verdict}"
        kind = "error"
    source.findings.append(Finding(kind, section, example.where, f"{front}: {what}"))
    text = example.text.strip("\n")
    if not claimed:
        return Draft(
            section,
            front,
            code,
            tags=["fragment"],
            note=f"Run on its own, it {what}.",
            source=_source(text, code),
        )
    note = f"The sheet shows {said}; run, it {what}."
    if run.verdict == Verdict.ERROR and _EXCEPTION_NAME.fullmatch(raised_type):
        # Proven on every `quizzer verify`: the sheet's example raises, as the note says.
        return Draft(
            section,
            front,
            code,
            tags=[SHEET_FIX],
            note=note,
            source=text,
            sheet_program=example.program,
            sheet_error=raised_type,
        )
    # An example that never ends (or is killed) cannot be proven on each verify: the note says
    # what happened, without the sheet-fix tag, whose claims verify checks by running them.
    return Draft(section, front, code, tags=["unproven"], note=note, source=text)


def _predict(example: Example, output: str, normalize: list[str]) -> Draft:
    return Draft(
        example.section,
        example.front,
        back=output.strip("\n"),
        kind="predict",
        program=example.program.strip("\n") + "\n",
        output=output.strip("\n"),
        normalize=normalize,
    )


def _predict_fix(
    source: ImportedSource,
    example: Example,
    run: Run,
    normalize: list[str],
    note: str,
    finding: str,
) -> Draft:
    """A predict card with the real output where the sheet showed another."""
    source.findings.append(
        Finding(finding, example.section, example.where, f"{example.front}: {note}")
    )
    if not run.stdout.strip():  # nothing to predict: the card is the code itself
        return Draft(
            example.section,
            example.front,
            example.code.strip("\n"),
            tags=[SHEET_FIX],
            note=note,
            source=example.text.strip("\n"),
            sheet_program=example.program,
            sheet_output="",
        )
    draft = _predict(example, run.stdout, normalize)
    draft.tags = [SHEET_FIX]
    draft.note = note
    draft.source = example.text.strip("\n")
    # The proof verify runs: the sheet's example prints the output the card has, not the shown.
    draft.sheet_program = draft.program
    draft.sheet_output = draft.output
    return draft


def _quote_shown(example: Example) -> str:
    if example.shown_error is not None and not (example.shown or "").strip():
        return f"an exception ({example.shown_error})"
    shown: str = (example.shown or "").strip("\n")
    if len(shown) > _MAX_SHOWN_IN_NOTE:
        shown = shown[:_MAX_SHOWN_IN_NOTE] + "…"
    if "\n" in shown:
        return "\n" + shown + "\n(those lines)"
    return f"`{shown}`"


def _same_output(shown: str, actual: str, normalize: list[str]) -> bool:
    def lines(text: str) -> list[str]:
        if "addresses" in normalize:
            text = ADDRESS.sub("0x...", text)
        if "task-names" in normalize:
            text = TASK_NAME.sub("Task-N", text)
        return [line.rstrip() for line in text.strip("\n").splitlines()]

    return lines(shown) == lines(actual)


def _exception_line(stderr: str) -> str:
    """The last line of a traceback: "ValueError: bad value"."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
