"""Remember validated deck sections, so that a large deck is parsed once, not on every command.

Each deck file has one entry, named after its path, holding a digest of the cache format,
quizzer's version and the file's bytes: any edit, or a new quizzer, misses the cache and the
entry is rewritten, so the cache holds one entry per deck file however often decks are edited.
Entries are plain JSON (never pickle: a shared or synced home must not be a way to run code
outside the sandbox) holding only card tables that passed validation; deck.py rebuilds cards
from them, and any entry that is not shaped like one is treated as a miss.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

from quizzer import __version__, paths

CACHE_FORMAT = "json-5"  # change it whenever the shape of an entry changes
_DIGEST_KEY = "quizzer-cache-digest"


class CacheKey(NamedTuple):
    """Where a deck file's entry lives (from its path) and what it must hold (from its bytes)."""

    slot: str
    digest: str


def key_for(file: Path, raw: bytes) -> CacheKey:
    """The cache key of a deck file with content `raw`."""
    slot = hashlib.blake2b(str(file.resolve()).encode(), digest_size=16).hexdigest()
    digest = hashlib.blake2b(digest_size=20)
    for part in (CACHE_FORMAT, __version__):
        digest.update(part.encode() + b"\0")
    digest.update(raw)
    return CacheKey(slot, digest.hexdigest())


def get(key: CacheKey) -> dict[str, Any] | None:
    """The JSON object stored under `key`, or None (no entry, or one of other content)."""
    folder = paths.cache_dir()
    if folder.is_symlink():  # see put
        return None
    try:
        data = json.loads((folder / f"{key.slot}.json").read_bytes())
    except (OSError, ValueError, RecursionError):  # ValueError: bad JSON or bad UTF-8
        return None
    if not isinstance(data, dict) or data.pop(_DIGEST_KEY, None) != key.digest:
        return None
    return data


def put(key: CacheKey, data: dict[str, Any]) -> None:
    """Store `data` under `key`, in place of the file's earlier entry; a cache that cannot be
    written is simply not used."""
    folder = paths.cache_dir()
    if folder.is_symlink():  # refused, as the review database is: it would put files elsewhere
        return
    try:
        text = json.dumps({**data, _DIGEST_KEY: key.digest}, ensure_ascii=False,
                          separators=(",", ":"))  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as handle:
            handle.write(text.encode("utf-8"))
        Path(handle.name).replace(folder / f"{key.slot}.json")
    except (OSError, TypeError, ValueError):  # TypeError, ValueError: not JSON data
        return


def forget(file: Path) -> None:
    """Drop the entry of a deck file that is gone for good (a folder only tried, say)."""
    slot = key_for(file, b"").slot
    (paths.cache_dir() / f"{slot}.json").unlink(missing_ok=True)
