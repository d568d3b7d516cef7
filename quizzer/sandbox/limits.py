"""What a sandboxed program may use, and how the way it ended becomes a verdict."""

from __future__ import annotations

import math
import os
import signal
from dataclasses import dataclass

from quizzer.model import Verdict
from quizzer.sandbox.inside import MEMORY_EXIT

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one program may use."""

    timeout: float = 5.0  # wall-clock seconds
    memory_bytes: int = 512 * MIB  # address space
    output_bytes: int = 1 * MIB  # per stream
    cpu_seconds: int | None = None  # None: as much as the run's wall clock allows (cpu_limit)
    file_bytes: int = 16 * MIB  # largest file the program may write
    processes: int = 64
    open_files: int = 256
    tmp_bytes: int = 64 * MIB  # size of the private /tmp (under bwrap)

    def cpu_limit(self, wall: float) -> int:
        """The CPU seconds a run with `wall` seconds of wall clock may use.

        By default one more than the wall clock, so that a busy loop given a long timeout
        (a deck's or `run --timeout`) runs until that timeout, not until a fixed CPU limit.
        """
        return self.cpu_seconds if self.cpu_seconds is not None else math.ceil(wall) + 1

    def rlimits(self, wall: float) -> list[int]:
        """The values inside.set_limits applies to a run of `wall` seconds, in its order."""
        values = (self.cpu_limit(wall), self.memory_bytes, self.file_bytes, self.processes)
        return [*values, self.open_files]


DEFAULT_LIMITS = Limits()

_SIGNAL_VERDICTS: dict[int, Verdict] = {
    # A segfault under an address-space limit is almost always an allocation that failed.
    signal.SIGSEGV: Verdict.MEMORY,
    # The CPU limit is a little past the wall clock: a program that reaches it ran out of time.
    signal.SIGXCPU: Verdict.TIMEOUT,
}


def verdict_from_status(status: int) -> tuple[Verdict, int]:
    """The verdict and exit code (negative: the signal) for a raw wait status."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        return _SIGNAL_VERDICTS.get(number, Verdict.KILLED), -number
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1
    if code == 0:
        return Verdict.OK, 0
    return (Verdict.MEMORY if code == MEMORY_EXIT else Verdict.ERROR), code
