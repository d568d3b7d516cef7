"""Answers that should be wrong, made from a write card's `back` by changing its syntax tree:
each `await` dropped, `asyncio.sleep` made `time.sleep`, the try/finally around a release (or an
`async with`) unwrapped, a sibling called instead of the function used, and the whole answer
replaced by a print of the expected output. `quizzer verify --mutants` judges them: a mutant the
judge accepts shows where a card's program proves too little.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from quizzer.model import Card, Kind

# Functions and classes of asyncio (called as asyncio.X or X) and a sibling a learner mixes up
# with each; then methods (called on any object) and theirs.
MODULE_SIBLINGS: dict[str, tuple[str, ...]] = {
    "gather": ("wait",),
    "wait": ("gather",),
    "create_task": ("ensure_future",),
    "ensure_future": ("create_task",),
    "Queue": ("LifoQueue", "PriorityQueue"),
    "LifoQueue": ("Queue",),
    "PriorityQueue": ("Queue",),
    "Lock": ("Semaphore",),
    "Semaphore": ("Lock", "BoundedSemaphore"),
    "BoundedSemaphore": ("Semaphore",),
    "wait_for": ("shield",),
    "shield": ("wait_for",),
    "create_subprocess_exec": ("create_subprocess_shell",),
    "create_subprocess_shell": ("create_subprocess_exec",),
    "as_completed": ("gather",),
}
METHOD_SIBLINGS: dict[str, tuple[str, ...]] = {
    "set": ("clear",),
    "clear": ("set",),
    "notify": ("notify_all",),
    "notify_all": ("notify",),
    "put": ("put_nowait",),
    "put_nowait": ("put",),
    "get": ("get_nowait",),
    "get_nowait": ("get",),
}


@dataclass(frozen=True)
class Mutant:
    """One answer made from a card's back that the judge should refuse."""

    kind: str  # drop-await, time-sleep, unwrap-finally, unwrap-async-with, sibling, print-output
    description: str  # what was changed, in a few words
    code: str

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "description": self.description, "code": self.code}


def mutants_of(card: Card) -> list[Mutant]:
    """The mutants of a write card's back, none equal to the back or to a `right` example."""
    if card.kind != Kind.WRITE:
        return []
    found: list[Mutant] = []
    source = textwrap.dedent(card.back).strip("\n")
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    else:
        found += _variants(source, "drop-await", "one await dropped", _is_await, _drop_await)
        found += _variants(
            source,
            "time-sleep",
            "time.sleep instead of asyncio.sleep",
            _is_asyncio_sleep,
            _time_sleep,
            prefix="import time\n",
        )
        found += _variants(
            source,
            "unwrap-finally",
            "the try/finally around the release removed",
            _is_release_finally,
            _unwrap_try,
        )
        found += _variants(
            source,
            "unwrap-async-with",
            "async with made acquire()/release() without try/finally",
            _is_plain_async_with,
            _unwrap_async_with,
        )
        for old, new in _sibling_pairs(source):
            found += _variants(
                source, "sibling", f"{new} instead of {old}", _calls(old), _renamed(old, new)
            )
        found += _variants(
            source,
            "sibling",
            "run_in_executor(None, ...) instead of to_thread",
            _calls("to_thread"),
            _to_executor,
        )
        found += _variants(
            source,
            "sibling",
            "to_thread instead of run_in_executor",
            _calls("run_in_executor"),
            _to_thread,
        )
    if card.output is not None:
        found.append(Mutant("print-output", "print the expected output", f"print({card.output!r})"))
    same = {_canonical(code) for code in (card.back, *card.right)}
    unique: list[Mutant] = []
    for mutant in found:
        canonical = _canonical(mutant.code)
        if canonical not in same:
            same.add(canonical)
            unique.append(mutant)
    return unique


Change = Callable[[ast.AST], ast.AST | list[ast.stmt]]


class _Rewrite(ast.NodeTransformer):
    """Changes the index-th node that `wanted` picks (in a fixed walk order); counts them."""

    def __init__(self, wanted: Callable[[ast.AST], bool], index: int, change: Change) -> None:
        self.wanted, self.index, self.change = wanted, index, change
        self.seen = 0
        self.line = 0

    def visit(self, node: ast.AST) -> ast.AST | list[ast.stmt]:
        if self.wanted(node):
            position, self.seen = self.seen, self.seen + 1
            if position == self.index:
                self.line = getattr(node, "lineno", 0)
                return self.change(node)
        return self.generic_visit(node)


def _variants(
    source: str,
    kind: str,
    description: str,
    wanted: Callable[[ast.AST], bool],
    change: Change,
    *,
    prefix: str = "",
) -> list[Mutant]:
    """One mutant per node `wanted` picks in `source`, that node changed by `change`."""
    counter = _Rewrite(wanted, -1, change)
    counter.visit(ast.parse(source))
    mutants = []
    for index in range(counter.seen):
        rewrite = _Rewrite(wanted, index, change)
        tree = rewrite.visit(ast.parse(source))
        assert isinstance(tree, ast.Module)  # only nodes inside the module are changed
        code = prefix + ast.unparse(ast.fix_missing_locations(tree))
        where = f" (line {rewrite.line})" if "\n" in source and rewrite.line else ""
        mutants.append(Mutant(kind, description + where, code))
    return mutants


def _is_await(node: ast.AST) -> bool:
    return isinstance(node, ast.Await)


def _drop_await(node: ast.AST) -> ast.AST:
    assert isinstance(node, ast.Await)
    return node.value


def _call_name(node: ast.AST) -> tuple[str | None, str | None]:
    """(the object's name or None, the function's name) of a call, or (None, None)."""
    if not isinstance(node, ast.Call):
        return None, None
    func = node.func
    if isinstance(func, ast.Name):
        return None, func.id
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else ""
        return owner, func.attr
    return None, None


def _is_asyncio_sleep(node: ast.AST) -> bool:
    if not isinstance(node, ast.Await):
        return False
    owner, name = _call_name(node.value)
    return name == "sleep" and owner in (None, "asyncio")


def _time_sleep(node: ast.AST) -> ast.AST:
    assert isinstance(node, ast.Await) and isinstance(node.value, ast.Call)
    call = node.value
    func = ast.Attribute(ast.Name("time", ast.Load()), "sleep", ast.Load())
    return ast.Call(func, call.args, call.keywords)


def _releases(nodes: list[ast.stmt]) -> bool:
    return any(_call_name(node)[1] == "release" for stmt in nodes for node in ast.walk(stmt))


def _is_release_finally(node: ast.AST) -> bool:
    return isinstance(node, ast.Try) and not node.handlers and _releases(node.finalbody)


def _unwrap_try(node: ast.AST) -> list[ast.stmt]:
    assert isinstance(node, ast.Try)
    return [*node.body, *node.orelse, *node.finalbody]


def _is_plain_async_with(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.AsyncWith)
        and len(node.items) == 1
        and node.items[0].optional_vars is None
        and not isinstance(node.items[0].context_expr, ast.Call)  # a lock, not timeout(...)
    )


def _unwrap_async_with(node: ast.AST) -> list[ast.stmt]:
    assert isinstance(node, ast.AsyncWith)
    held = node.items[0].context_expr

    def call(method: str) -> ast.Call:
        return ast.Call(ast.Attribute(held, method, ast.Load()), [], [])

    return [ast.Expr(ast.Await(call("acquire"))), *node.body, ast.Expr(call("release"))]


def _sibling_pairs(source: str) -> list[tuple[str, str]]:
    """The (used, sibling) pairs for the calls in `source`, in the table's order."""
    names = {_call_name(node) for node in ast.walk(ast.parse(source))}
    pairs = []
    for table, module in ((MODULE_SIBLINGS, True), (METHOD_SIBLINGS, False)):
        for old, news in table.items():
            used = any(
                name == old and ((owner in (None, "asyncio")) if module else owner is not None)
                for owner, name in names
            )
            pairs += [(old, new) for new in news] if used else []
    return pairs


def _calls(name: str) -> Callable[[ast.AST], bool]:
    module = name in MODULE_SIBLINGS or name == "to_thread"

    def wanted(node: ast.AST) -> bool:
        owner, found = _call_name(node)
        if found != name:
            return False
        if module:
            return owner in (None, "asyncio")
        return (
            owner != "asyncio"
            and isinstance(node, ast.Call)
            and not isinstance(node.func, ast.Name)
        )

    return wanted


def _renamed(old: str, new: str) -> Change:
    def change(node: ast.AST) -> ast.AST:
        assert isinstance(node, ast.Call)
        func = node.func
        if isinstance(func, ast.Name):
            renamed: ast.expr = ast.Name(new, ast.Load())
        else:
            assert isinstance(func, ast.Attribute)
            renamed = ast.Attribute(func.value, new, ast.Load())
        return ast.Call(renamed, node.args, node.keywords)

    return change


def _to_executor(node: ast.AST) -> ast.AST:
    """asyncio.to_thread(f, *args) -> asyncio.get_running_loop().run_in_executor(None, f, *args)."""
    assert isinstance(node, ast.Call)
    loop = ast.Call(
        ast.Attribute(ast.Name("asyncio", ast.Load()), "get_running_loop", ast.Load()), [], []
    )
    method = ast.Attribute(loop, "run_in_executor", ast.Load())
    return ast.Call(method, [ast.Constant(None), *node.args], node.keywords)


def _to_thread(node: ast.AST) -> ast.AST:
    """loop.run_in_executor(None, f, *args) -> asyncio.to_thread(f, *args)."""
    assert isinstance(node, ast.Call)
    func = ast.Attribute(ast.Name("asyncio", ast.Load()), "to_thread", ast.Load())
    return ast.Call(func, node.args[1:], node.keywords)


def _canonical(code: str) -> str:
    """`code` as the parser sees it (layout and comments aside), or as written if unparsable."""
    source = textwrap.dedent(code).strip("\n")
    try:
        return ast.unparse(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source
