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
from quizzer.sandbox.cgroup import RunGroup
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
    source: str, files: dict[str, str] | None, limits: Limits, wall: float, go: int = -1
) -> bytes:
    """The request the launcher reads: the program, its extra files, the limits, and the fd
    on which it waits to be in the run's cgroup (-1: none)."""
    request = {
        "source": source,
        "files": dict(files or {}),
        "limits": limits.rlimits(wall),
        "go": go,
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
    group: RunGroup | None = None,
) -> Run:
    """Run `source` in a new process (a new bwrap sandbox when `bwrap` is given), in the
    run's cgroup `group` where there is one."""
    started = time.monotonic()
    # Under bwrap the program's folder is the sandbox's private /tmp; bare, a host temp dir.
    folder = nullcontext(None) if bwrap else tempfile.TemporaryDirectory(prefix="quizzer-run-")
    with _request_file() as request, folder as workdir:
        go_read, go_write = os.pipe() if group else (-1, -1)
        request.write(request_bytes(source, files, limits, wall, go_read))
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
                        pass_fds=(
                            status_write,
                            *((go_read,) if group else ()),
                            *(sandbox.fds if sandbox else ()),
                        ),
                        start_new_session=True,
                    )
                finally:
                    os.close(status_write)
                    if group:
                        os.close(go_read)
                    if sandbox:
                        sandbox.close()
                init = sandbox.watch_init(STOP_GRACE) if sandbox else None
                if group:
                    launcher = sandbox.init_pid if sandbox else process.pid
                    _move_into(group, launcher, go_write)
                return _finish(
                    process, status_pipe.fileno(), started, wall, limits, isolation, init
                )
            finally:
                if sandbox:
                    os.close(sandbox.info_read)
                if init is not None:
                    os.close(init)
                if group:
                    with suppress(OSError):  # closed once the launcher was let go
                        os.close(go_write)


def _move_into(group: RunGroup, launcher: int | None, go: int) -> None:
    """Move the launcher into the run's cgroup while it starts, then let it go on."""
    try:
        if launcher is not None:
            group.move(launcher)
            os.write(go, b"1")
    except OSError:  # the per-process limits and the syscall filter still hold
        pass
    finally:
        os.close(go)


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
