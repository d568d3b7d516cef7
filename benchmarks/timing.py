"""What the benchmark scripts share: timing one command."""

from __future__ import annotations

import subprocess
import time


def timed(argv: list[str], env: dict[str, str] | None = None, *, check: bool = True) -> float:
    """Seconds that running `argv` to its end takes (its output thrown away)."""
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=check)
    return time.perf_counter() - started
