"""HTML-flavoured cheat sheets, such as the asyncio sheet the built-in deck comes from.

Such a sheet mixes paragraphs of HTML ("<p>label <code>code</code></p>", a section title
underlined: "<p><u>Task</u> what it is</p>") with plain paragraphs and fenced blocks, where a
title is the first of several paragraphs in a row and the last before a block is its label.
Every entry (a label and its code) becomes a recall card: the label on the front, the code on
the back; a title with no entries under it makes no section.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from quizzer.errors import QuizzerError
from quizzer.importers import (
    SHEET_FIX,
    Draft,
    ImportedSource,
    compiles,
    read_source_text,
)

_RULE = re.compile(r"^[\s\-|]*$")  # a line of "--" cells: a table rule between the columns
_ELIDED = re.compile(r"#\s*\.\.\.\s*$", re.MULTILINE)  # "# ..." standing for a body
_KEYWORDS = ("try", "if", "for", "while", "with", "async", "await", "def", "class", "return")
_STATEMENTS_RUN_ON = re.compile(r"\)[ \t]+(?=[A-Za-z_]\w*\s*=[^=])")  # "f() x = g()"
_CONTINUED = re.compile(r"(\bawait|[=,(\[{+\-*/]|\band|\bor|\bin)$")


class _Paragraphs(HTMLParser):
    """Collects each <p> of an HTML block as (underlined text, plain text, code text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []
        self._open: list[str] | None = None
        self._parts: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self._parts = {"u": [], "text": [], "code": []}
            self._open = []
        elif self._open is not None and tag in ("u", "code"):
            self._open.append(tag)
        elif self._open is not None and tag == "br":
            self._add("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._open is None:
            return
        if tag == "p":
            texts = ("".join(self._parts[k]).strip() for k in ("u", "text", "code"))
            underlined, text, code = texts
            self.found.append((underlined, " ".join(text.split()), code))
            self._open = None
        elif tag in ("u", "code") and tag in self._open:
            self._open.remove(tag)

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._add(data)

    def _add(self, data: str) -> None:
        assert self._open is not None
        where = "code" if "code" in self._open else "u" if "u" in self._open else "text"
        self._parts[where].append(data)


def read_sheet(path: Path, *, deck: str | None = None) -> ImportedSource:
    """Read an HTML-flavoured sheet into recall cards, one section per underlined title."""
    from markdown_it import MarkdownIt

    text = read_source_text(path)
    source = ImportedSource(path, "sheet", deck or path.stem)
    section: str | None = None
    about: dict[str, str] = {}
    run: list[str] = []  # plain paragraphs since the last block

    def start(title: str, what: str = "") -> str:
        about.setdefault(title, what)
        return title

    tokens = MarkdownIt("commonmark").parse(text)
    for position, token in enumerate(tokens):
        if token.type == "html_block":
            parser = _Paragraphs()
            parser.feed(token.content)
            parser.close()
            for underlined, label, code in parser.found:
                if underlined:
                    section = start(underlined, label)
                elif code and section is not None:
                    source.add(_entry(section, label, code))
            run = []
        elif token.type == "inline" and tokens[position - 1].type == "paragraph_open":
            line = token.content.strip()
            if line and not _RULE.match(line):
                run.append(" ".join(line.split()))
        elif token.type in ("fence", "code_block"):
            if not run:
                continue  # a block with no label: nothing to ask
            if len(run) > 1:  # a title (and the words under it), then the label
                section = start(run[0], " ".join(run[1:-1]))
            if section is not None:
                source.add(_entry(section, run[-1], token.content))
            run = []
    if not source.drafts:
        raise QuizzerError(
            f"{path}: no entries found (a label, then its code in <code> or a fenced block); "
            "is this a cheat sheet?"
        )
    source.sections = {name: about.get(name, "") for name in source.sections}
    return source


def _entry(section: str, label: str, code: str) -> Draft:
    """One entry of the sheet as a recall card. Where only the sheet's layout broke the code
    (a body elided as "# ...", a line wrapped after `await`), it is laid out again; where the
    code is wrong as the sheet writes it, the card is tagged sheet-fix, keeps a repair if one is
    plain (a capitalised keyword, statements run together on one line), and carries the sheet's
    text as its proof (it raises SyntaxError)."""
    written = "\n".join(line.rstrip() for line in code.strip("\n").splitlines())
    laid_out = _unwrapped(_ELIDED.sub("...", written))
    for candidate in (written, _ELIDED.sub("...", written), laid_out):
        if compiles(candidate):
            return Draft(
                section, label, candidate, source=written if candidate != written else None
            )
    problem = _syntax_error(written)
    repaired = _repaired(written)
    if repaired is not None:
        why = (
            "Python's keywords are lowercase"
            if _lowercase_keywords(written) != written
            else "Python needs these statements on lines of their own"
        )
        note = f"As the sheet writes it, this is not valid Python ({problem}): {why}."
        back = repaired
    else:
        note = f"As the sheet writes it, this is not valid Python ({problem})."
        back = written
    return Draft(
        section,
        label,
        back,
        tags=[SHEET_FIX],
        note=note,
        source=written,
        sheet_program=written,
        sheet_error="SyntaxError",
    )


def _repaired(code: str) -> str | None:
    """`code` as valid Python, undoing what the sheet's layout did to it: "# ..." for an
    elided body, lines wrapped mid-statement, one-line try/except, a capitalised keyword.
    None when it stays invalid."""
    candidates = [code]
    elided = _ELIDED.sub("...", code)
    candidates.append(elided)
    candidates.append(_unwrapped(elided))
    candidates.append(_try_on_lines(_unwrapped(elided)))
    candidates.append(_STATEMENTS_RUN_ON.sub(")\n", elided))
    for candidate in list(candidates):
        candidates.append(_lowercase_keywords(candidate))
    return next((c for c in candidates if compiles(c)), None)


def _unwrapped(code: str) -> str:
    """Lines the sheet wrapped after `await`, `=`, `,` or an open bracket, joined again."""
    lines = code.splitlines()
    joined: list[str] = []
    for line in lines:
        if joined and _CONTINUED.search(joined[-1].rstrip()):
            joined[-1] = f"{joined[-1].rstrip()} {line.strip()}"
        else:
            joined.append(line)
    return "\n".join(joined)


def _try_on_lines(code: str) -> str:
    """A one-line "try: X except E: Y" as the four lines Python needs."""
    found = re.fullmatch(r"\s*([Tt]ry):\s*(.+?)\s+(except\b[^:]*):\s*(.+)", code, re.DOTALL)
    if not found:
        return code
    keyword, body, handler, handled = found.groups()
    return f"{keyword}:\n    {body}\n{handler}:\n    {handled}"


def _lowercase_keywords(code: str) -> str:
    pattern = r"\b(" + "|".join(word.capitalize() for word in _KEYWORDS) + r")\b(?=[\s:(])"
    return re.sub(pattern, lambda found: found.group(1).lower(), code)


def _syntax_error(code: str) -> str:
    try:
        compile(code, "<sheet>", "exec", flags=0x2000, dont_inherit=True)
    except SyntaxError as error:
        return f"{error.msg}, line {error.lineno}" if error.lineno else error.msg
    except (ValueError, RecursionError, MemoryError) as error:
        return str(error) or type(error).__name__
    return "it does not compile"
