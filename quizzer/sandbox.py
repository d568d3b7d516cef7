"""Run an untrusted Python program in a subprocess and report what it did as a `Run`.

The program gets ``python -I``, an empty environment, a fresh temporary working directory,
no stdin, resource limits set inside the child, a wall-clock timeout that kills its whole process
group, and output capped per stream.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from quizzer.model import Run, Verdict

MIB = 1024 * 1024
PROGRAM_NAME = "main.py"
MEMORY_EXIT = 97  # the launcher's exit code when the program ran out of memory

# Runs first inside the child: sets the limits, then runs the program as __main__.
LAUNCHER = f"""\
import resource, runpy, sys, os
def _limit(name, value):
    resource.setrlimit(name, (value, value))
cpu, memory, fsize, nproc, nofile = (int(v) for v in sys.argv[1:6])
_limit(resource.RLIMIT_CPU, cpu)
_limit(resource.RLIMIT_AS, memory)
_limit(resource.RLIMIT_FSIZE, fsize)
_limit(resource.RLIMIT_NPROC, nproc)
_limit(resource.RLIMIT_NOFILE, nofile)
_limit(resource.RLIMIT_CORE, 0)
sys.argv = [{PROGRAM_NAME!r}]
sys.path[0] = os.getcwd()
try:
    runpy.run_path({PROGRAM_NAME!r}, run_name="__main__")
except MemoryError:
    sys.stderr.write("MemoryError\\n")
    sys.stderr.flush()
    os._exit({MEMORY_EXIT})
"""


@dataclass(frozen=True)
class Limits:
    """What one program may use."""

    timeout: float = 5.0  # wall-clock seconds
    memory_bytes: int = 512 * MIB  # address space
    output_bytes: int = 1 * MIB  # per stream
    cpu_seconds: int = 10
    file_bytes: int = 16 * MIB
    processes: int = 64
    open_files: int = 256

    def launcher_args(self) -> list[str]:
        values = (self.cpu_seconds, self.memory_bytes, self.file_bytes, self.processes)
        return [str(v) for v in (*values, self.open_files)]


DEFAULT_LIMITS = Limits()


def card_python() -> str:
    """The interpreter that runs card programs: the one running quizzer."""
    return sys.executable


def isolation() -> str:
    """Which isolation is in force, as reported to the user ("bwrap" or "none: <why>")."""
    return "none: process limits only (no namespace sandbox in this version)"


def run_program(source: str, *, timeout: float | None = None, limits: Limits = DEFAULT_LIMITS,
                files: dict[str, str] | None = None) -> Run:  # fmt: skip
    """Run `source` as a Python program under `limits` and report what happened.

    `timeout` overrides the limit's wall-clock timeout; `files` are extra files placed beside it.
    """
    wall = timeout if timeout is not None else limits.timeout
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="quizzer-run-") as workdir:
        Path(workdir, PROGRAM_NAME).write_text(source, encoding="utf-8")
        for name, text in (files or {}).items():
            Path(workdir, name).write_text(text, encoding="utf-8")
        argv = [card_python(), "-I", "-c", LAUNCHER, *limits.launcher_args()]
        process = subprocess.Popen(
            argv,
            cwd=workdir,
            env={},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        stdout, stderr, ended = _collect(process, wall, limits.output_bytes)
        code = process.wait()
    seconds = time.monotonic() - started
    truncated = ended == Verdict.OUTPUT_LIMIT
    verdict = ended or _verdict_from_code(code)
    return Run(
        verdict=verdict,
        exit_code=code,
        stdout=stdout.decode("utf-8", "replace"),
        stderr=stderr.decode("utf-8", "replace"),
        seconds=seconds,
        truncated=truncated,
        isolation=isolation(),
    )


def _collect(process: subprocess.Popen[bytes], wall: float,
             cap: int) -> tuple[bytes, bytes, Verdict | None]:  # fmt: skip
    """Read both pipes until they close, the deadline passes or a stream exceeds `cap`."""
    assert process.stdout is not None and process.stderr is not None
    out, err = bytearray(), bytearray()
    buffers = {process.stdout.fileno(): out, process.stderr.fileno(): err}
    deadline = time.monotonic() + wall
    ended: Verdict | None = None
    with selectors.DefaultSelector() as selector:
        for stream in (process.stdout, process.stderr):
            selector.register(stream, selectors.EVENT_READ)
        while selector.get_map() and ended is None:
            left = deadline - time.monotonic()
            if left <= 0:
                ended = Verdict.TIMEOUT
                break
            for key, _ in selector.select(timeout=left):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                buffer = buffers[key.fd]
                buffer += chunk[: cap + 1 - len(buffer)]
                if len(buffer) > cap:
                    del buffer[cap:]
                    ended = Verdict.OUTPUT_LIMIT
    if ended is None:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            ended = Verdict.TIMEOUT
    # Even after a clean exit, a setsid'd grandchild may live on: end the group regardless.
    _kill_group(process)
    process.stdout.close()
    process.stderr.close()
    return bytes(out), bytes(err), ended


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _verdict_from_code(code: int) -> Verdict:
    if code == 0:
        return Verdict.OK
    if code == MEMORY_EXIT:
        return Verdict.MEMORY
    if code < 0:
        return Verdict.MEMORY if code == -signal.SIGSEGV else Verdict.KILLED
    return Verdict.ERROR
