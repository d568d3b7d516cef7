"""Remember validated deck sections, so that a large deck is parsed once, not on every command.

An entry is keyed on the cache format, quizzer's version, the file's path and a hash of its
bytes: any edit, or a new quizzer, misses the cache. Entries are plain JSON (never pickle: a
shared or synced home must not be a way to run code outside the sandbox) holding only card tables
that passed validation; deck.py rebuilds cards from them, and any entry that is not shaped like
one is treated as a miss.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

from quizzer import __version__, paths

CACHE_FORMAT = "json-2"  # change it whenever the shape of an entry changes


def key_for(file: Path, raw: bytes) -> str:
    """The cache key of a deck file with content `raw`."""
    digest = hashlib.blake2b(digest_size=20)
    for part in (CACHE_FORMAT, __version__, str(file.resolve())):
        digest.update(part.encode() + b"\0")
    digest.update(raw)
    return digest.hexdigest()


def get(key: str) -> dict[str, Any] | None:
    """The JSON object stored under `key`, or None."""
    try:
        data = json.loads((paths.cache_dir() / f"{key}.json").read_bytes())
    except (OSError, ValueError, RecursionError):  # ValueError: bad JSON or bad UTF-8
        return None
    return data if isinstance(data, dict) else None


def put(key: str, data: dict[str, Any]) -> None:
    """Store `data` under `key`; a cache that cannot be written is simply not used."""
    folder = paths.cache_dir()
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as handle:
            handle.write(text.encode("utf-8"))
        Path(handle.name).replace(folder / f"{key}.json")
    except (OSError, TypeError, ValueError):  # TypeError, ValueError: not JSON data
        return
