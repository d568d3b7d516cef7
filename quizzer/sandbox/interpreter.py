"""The interpreter that runs card programs, and the parts of the file system it needs."""

from __future__ import annotations

import functools
import os
import sys
import sysconfig
from pathlib import Path

SYSTEM_ROOT = "/usr"
# Top-level folders that a merged-/usr system links into /usr, and older ones keep apart.
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


@functools.cache
def card_python() -> str:
    """The interpreter that runs card programs: the real binary behind quizzer's own Python.

    A virtualenv's python is a link to its base interpreter; card programs use only the
    standard library, so the sandbox needs the base installation and never the venv.
    """
    base = getattr(sys, "_base_executable", "") or sys.executable
    for candidate in (base, sys.executable):
        real = Path(candidate).resolve()
        if real.is_file() and os.access(real, os.X_OK):
            return str(real)
    return sys.executable


def interpreter_roots() -> list[str]:
    """The folders (outside /usr) the card interpreter reads: its prefix, binary and libpython."""
    python = card_python()
    wanted = [sys.base_prefix, sys.base_exec_prefix, str(Path(python).parent)]
    libdir = sysconfig.get_config_var("LIBDIR")
    if isinstance(libdir, str) and sysconfig.get_config_var("Py_ENABLE_SHARED"):
        wanted.append(libdir)
    roots: list[str] = []
    for path in sorted({str(Path(p).resolve()) for p in wanted if p}, key=len):
        inside = any(_under(path, root) for root in roots)
        if not inside and not _under(path, SYSTEM_ROOT) and Path(path).is_dir():
            roots.append(path)
    return roots


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")
