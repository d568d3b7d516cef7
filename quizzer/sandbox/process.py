"""Run one program in a fresh process: inside a new bwrap sandbox, or, as a fallback, bare.

Either way the launcher (inside.py) runs first in the child, sets the limits there and reports
the program's raw wait status on a pipe, so a signal is told apart from an exit code.
"""

from __future__ import annotations

import functools
import marshal
import os
import select
import signal
import subprocess
import tempfile
import time
from contextlib import nullcontext, suppress
from pathlib import Path
from typing import BinaryIO

from quizzer.model import Run, Verdict
from quizzer.sandbox import inside
from quizzer.sandbox.bwrap import SandboxCommand
from quizzer.sandbox.interpreter import card_python
from quizzer.sandbox.limits import Limits, verdict_from_status
from quizzer.sandbox.output import collect_output, finished_run

EXIT_GRACE = 2.0  # seconds a process that closed its pipes gets to be reaped
STOP_GRACE = 5.0  # seconds for a sandbox to end by itself, then to end once killed


@functools.cache
def launcher_command() -> tuple[str, ...]:
    """The card interpreter running inside.py: isolated (-I), without site-packages (-S)."""
    return (card_python(), "-I", "-S", "-c", Path(inside.__file__).read_text(encoding="utf-8"))


def request_bytes(
    source: str,
    files: dict[str, str] | None,
    limits: Limits,
    wall: float,
    joins: tuple[int, ...] = (),
) -> bytes:
    """The request the launcher reads: the program, its extra files, the limits, the fds of
    the cgroups to join."""
    request = {
        "source": source,
        "files": dict(files or {}),
        "limits": limits.rlimits(wall),
        "joins": list(joins),
    }
    return marshal.dumps(request)


def run_fresh(
    source: str,
    *,
    wall: float,
    limits: Limits,
    files: dict[str, str] | None,
    bwrap: str | None,
    isolation: str,
    joins: tuple[int, ...] = (),
) -> Run:
    """Run `source` in a new process (a new bwrap sandbox when `bwrap` is given).

    `joins`: fds of cgroup.procs files the launcher writes itself into (cgroup.py).
    """
    started = time.monotonic()
    # Under bwrap the program's folder is the sandbox's private /tmp; bare, a host temp dir.
    folder = nullcontext(None) if bwrap else tempfile.TemporaryDirectory(prefix="quizzer-run-")
    with _request_file() as request, folder as workdir:
        request.write(request_bytes(source, files, limits, wall, joins))
        request.seek(0)
        status_read, status_write = os.pipe()
        sandbox: SandboxCommand | None = None
        init: int | None = None
        # Every fd made here is closed on every path, a failed start included.
        with os.fdopen(status_read, "rb") as status_pipe:
            try:
                try:
                    sandbox = SandboxCommand(bwrap, tmp_bytes=limits.tmp_bytes) if bwrap else None
                    flags = sandbox.launcher_flags if sandbox else "reap"
                    command = [*launcher_command(), "run", str(status_write), flags]
                    process = subprocess.Popen(
                        sandbox.argv(command) if sandbox else command,
                        cwd=workdir,
                        env={"PATH": "/usr/bin:/bin", "TMPDIR": workdir} if workdir else {},
                        stdin=request,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        pass_fds=(status_write, *joins, *(sandbox.fds if sandbox else ())),
                        start_new_session=True,
                    )
                finally:
                    os.close(status_write)
                    if sandbox:
                        sandbox.close()
                init = sandbox.watch_init(STOP_GRACE) if sandbox else None
                return _finish(
                    process, status_pipe.fileno(), started, wall, limits, isolation, init
                )
            finally:
                if sandbox:
                    os.close(sandbox.info_read)
                if init is not None:
                    os.close(init)


def _request_file() -> BinaryIO:
    """An anonymous file for the request: in memory where Linux allows, never named on disk."""
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create("quizzer-request", os.MFD_CLOEXEC), "w+b")
    return tempfile.TemporaryFile()


def _finish(
    process: subprocess.Popen[bytes],
    status_fd: int,
    started: float,
    wall: float,
    limits: Limits,
    isolation: str,
    init: int | None,
) -> Run:
    assert process.stdout is not None and process.stderr is not None
    deadline = started + wall
    with process.stdout, process.stderr:
        stdout, stderr, ended = collect_output(
            process.stdout.fileno(), process.stderr.fileno(), deadline, limits.output_bytes
        )
    if ended is None:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()) + EXIT_GRACE)
        except subprocess.TimeoutExpired:
            ended = Verdict.TIMEOUT
    _end_everything(process, init, kill=ended is not None)
    status = _read_status(status_fd)
    if status is not None:
        verdict, code = verdict_from_status(status)
    else:  # the launcher itself was killed: by us on a deadline, or by the program
        verdict, code = Verdict.KILLED, process.returncode
    return finished_run(
        ended=ended,
        verdict=verdict,
        code=code,
        stdout=stdout,
        stderr=stderr,
        started=started,
        isolation=isolation,
    )


def _end_everything(process: subprocess.Popen[bytes], init: int | None, *, kill: bool) -> None:
    """Return only once nothing the program started is left (daemons included).

    Under bwrap, `init` is a pidfd of the sandbox's pid 1: once it has exited, the kernel has
    ended every process of its pid namespace. Bare, killing the process group is all we can do.
    """
    if init is not None:
        if kill or not _exited(init, STOP_GRACE):
            with suppress(ProcessLookupError):
                signal.pidfd_send_signal(init, signal.SIGKILL)
        if _exited(init, STOP_GRACE):
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_GRACE)
    # Bare, or bwrap failed before its init ran: --die-with-parent ends the sandbox with bwrap.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _exited(pidfd: int, timeout: float) -> bool:
    ready, _, _ = select.select([pidfd], [], [], timeout)
    return bool(ready)


def _read_status(fd: int) -> int | None:
    os.set_blocking(fd, False)
    try:
        data = os.read(fd, inside.STATUS_BYTES)
    except BlockingIOError:
        return None
    try:
        return int(data) if data else None
    except ValueError:
        return None
