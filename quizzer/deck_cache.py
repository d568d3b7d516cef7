"""Remember validated deck sections, so that a large deck is parsed once, not on every command.

An entry is keyed on quizzer's version, the file's path and a hash of its bytes: any edit, or a
new quizzer, misses the cache. The cache lives in the user's own cache folder and holds only
what quizzer wrote there itself; any entry that cannot be read is treated as a miss.
"""

from __future__ import annotations

import hashlib
import pickle
import tempfile
from pathlib import Path

from quizzer import __version__, paths
from quizzer.model import Section


def key_for(file: Path, raw: bytes) -> str:
    """The cache key of a deck file with content `raw`."""
    digest = hashlib.blake2b(digest_size=20)
    for part in (__version__.encode(), str(file.resolve()).encode(), b"\0", raw):
        digest.update(part)
    return digest.hexdigest()


def get(key: str) -> Section | None:
    """The section stored under `key`, or None."""
    try:
        data = (paths.cache_dir() / f"{key}.pickle").read_bytes()
        section = pickle.loads(data)  # our own file, in the user's own cache folder
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None
    return section if isinstance(section, Section) else None


def put(key: str, section: Section) -> None:
    """Store `section` under `key`; a cache that cannot be written is simply not used."""
    folder = paths.cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as handle:
            handle.write(pickle.dumps(section, protocol=pickle.HIGHEST_PROTOCOL))
        Path(handle.name).replace(folder / f"{key}.pickle")
    except OSError:
        return
