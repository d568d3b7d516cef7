"""What a sandboxed program may use, and how the way it ended becomes a verdict."""

from __future__ import annotations

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
    cpu_seconds: int = 10
    file_bytes: int = 16 * MIB  # largest file the program may write
    processes: int = 64
    open_files: int = 256
    tmp_bytes: int = 64 * MIB  # size of the private /tmp (under bwrap)

    def rlimits(self) -> list[int]:
        """The values inside.set_limits applies, in its order."""
        values = (self.cpu_seconds, self.memory_bytes, self.file_bytes, self.processes)
        return [*values, self.open_files]


DEFAULT_LIMITS = Limits()


def verdict_from_status(status: int) -> tuple[Verdict, int]:
    """The verdict and exit code (negative: the signal) for a raw wait status."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        # A segfault under an address-space limit is almost always an allocation that failed.
        verdict = Verdict.MEMORY if number == signal.SIGSEGV else Verdict.KILLED
        return verdict, -number
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1
    if code == 0:
        return Verdict.OK, 0
    return (Verdict.MEMORY if code == MEMORY_EXIT else Verdict.ERROR), code
