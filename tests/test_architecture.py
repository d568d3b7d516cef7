"""docs/architecture.md stays true: every module is on the map, and no import points up a layer."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAP = ROOT / "docs" / "architecture.md"
_ROW = re.compile(r"^\| `(quizzer/[\w/]+\.py)` \| (\d+) \|", re.MULTILINE)


def _layers() -> dict[str, int]:
    return {path: int(layer) for path, layer in _ROW.findall(MAP.read_text(encoding="utf-8"))}


def _modules() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "quizzer").rglob("*.py"))


def test_every_module_is_on_the_map() -> None:
    missing = [module for module in _modules() if module not in _layers()]
    assert missing == [], f"add these to docs/architecture.md: {missing}"


def test_the_map_names_no_module_that_is_gone() -> None:
    gone = [module for module in _layers() if not (ROOT / module).is_file()]
    assert gone == [], f"docs/architecture.md names modules that do not exist: {gone}"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "quizzer" or name.startswith("quizzer.")}


def _file_of(module: str, layers: dict[str, int]) -> str | None:
    base = module.replace(".", "/")
    for candidate in (f"{base}.py", f"{base}/__init__.py"):
        if candidate in layers:
            return candidate
    return None


@pytest.mark.parametrize("module", _modules())
def test_imports_point_down_the_layers(module: str) -> None:
    layers = _layers()
    if module not in layers:
        pytest.skip("not on the map (test_every_module_is_on_the_map says so)")
    upward = []
    for name in _imported_modules(ROOT / module):
        target = _file_of(name, layers)
        if target is not None and layers[target] < layers[module]:
            upward.append(f"{name} (layer {layers[target]})")
    assert upward == [], f"{module} (layer {layers[module]}) imports up: {upward}"
