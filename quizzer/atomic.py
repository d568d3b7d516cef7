"""Replace a file atomically: write a temporary file beside it, then rename it into place.

Readers see the old file or the new one, never half of one, and a write that fails (or a check
that refuses it) leaves the old file as it was. Every write of a file quizzer keeps goes
through `replacing`: deck files, exports, the deck cache, imported decks.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: Path, *, mode: int | None = None, durable: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary file next to `path`; when the block ends normally, move it onto
    `path` (a symlink at `path` is replaced, not followed).

    `mode` sets the file's permissions (default: 0o666 less the umask, as `open` would).
    `durable` fsyncs the file and its folder, so the rename survives a power cut. An exception
    in the block, or an OSError here, leaves `path` untouched and the temporary file removed.
    """
    folder = path.parent
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    temp = Path(name)
    try:
        os.close(fd)
        yield temp
        temp.chmod(_default_mode() if mode is None else mode)
        if durable:
            _fsync(temp, os.O_RDONLY)
        temp.replace(path)
        if durable:
            _fsync(folder, os.O_RDONLY | os.O_DIRECTORY)
    finally:
        temp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes, *, mode: int | None = None, durable: bool = False) -> None:
    """Replace `path` with `data` atomically (see `replacing`)."""
    with replacing(path, mode=mode, durable=durable) as temp:
        temp.write_bytes(data)


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask
