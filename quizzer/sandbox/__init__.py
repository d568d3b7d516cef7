"""Run an untrusted Python program in a sandbox and report what it did as a `Run`.

Under bubblewrap (`isolation() == "bwrap"`) the program gets every namespace of its own (no
network; loopback works), no capabilities, uid nobody, a read-only view of only the interpreter,
a private tmpfs as /tmp and working dir, an empty environment, rlimits set inside, a wall-clock
timeout that ends all it started, and output capped per stream. Where bwrap cannot run, the
fallback keeps the rlimits, the temp dir, the empty environment and the timeout, and
`isolation()` says "none: <why>".

QUIZZER_SANDBOX picks the runner: "forkserver" (a warm interpreter in one bwrap sandbox forks
each program into namespaces of its own), "bwrap" (a fresh sandbox per program), "none" (the
fallback), or unset / "auto": the fork server, else a fresh sandbox, else the fallback. A runner
asked for by name is required: where it cannot run, nothing runs.
"""

from __future__ import annotations

import dataclasses
import os

from quizzer.errors import QuizzerError
from quizzer.model import Run, Verdict
from quizzer.sandbox import cgroup, inside
from quizzer.sandbox.bwrap import candidates, find_bwrap
from quizzer.sandbox.forkserver import ForkServer, ServerError, forget_server, shared_server
from quizzer.sandbox.interpreter import card_python
from quizzer.sandbox.limits import DEFAULT_LIMITS, MIB, Limits
from quizzer.sandbox.process import launcher_command, run_fresh

__all__ = [
    "DEFAULT_LIMITS",
    "MIB",
    "Limits",
    "card_python",
    "isolation",
    "mode",
    "report",
    "run_program",
    "warm_up",
]

MODE_ENV = "QUIZZER_SANDBOX"
MODES = ("auto", "forkserver", "bwrap", "none")
SERVED = ("auto", "forkserver")  # the modes that use the fork server


def mode() -> str:
    """The runner asked for in $QUIZZER_SANDBOX ("auto" when unset)."""
    asked = os.environ.get(MODE_ENV, "").strip().lower() or "auto"
    if asked not in MODES:
        raise QuizzerError(f"{MODE_ENV}={asked!r}: expected one of {', '.join(MODES)}")
    return asked


def bwrap_path() -> str | None:
    """The bwrap that sandboxes programs, or None when they run unsandboxed.

    Asked for by name ($QUIZZER_SANDBOX=bwrap), bwrap is required: without it nothing runs.
    """
    asked = mode()
    if asked == "none":
        return None
    found = find_bwrap()
    if found.path is None and asked != "auto":
        raise QuizzerError(f"{MODE_ENV}={asked} but bwrap cannot run here: {found.reason}")
    return found.path


def isolation() -> str:
    """Which isolation is in force, as reported to the user ("bwrap" or "none: <why>")."""
    if mode() == "none":
        return f"none: turned off by {MODE_ENV}=none"
    found = find_bwrap()
    return "bwrap" if found.path else f"none: {found.reason}"


def isolation_reason() -> str:
    """Why the isolation in force is what it is (for `quizzer doctor`)."""
    if mode() == "none":
        return f"{MODE_ENV}=none asks for the unsandboxed fallback"
    return find_bwrap().reason


def run_program(
    source: str,
    *,
    timeout: float | None = None,
    limits: Limits = DEFAULT_LIMITS,
    files: dict[str, str] | None = None,
) -> Run:
    """Run `source` as a Python program under `limits` and report what happened.

    `timeout` overrides the limit's wall-clock timeout; `files` are extra files placed beside
    it (by base name). A verdict always comes back; the program's failures never raise.
    Safe to call from many threads at once.
    """
    wall = timeout if timeout is not None else limits.timeout
    bwrap = bwrap_path()  # before anything runs: raises if bwrap is required and cannot run
    server = _fork_server(bwrap) if bwrap else None
    group = _run_group(limits)
    joins = group.fds if group else ()
    if group is None:  # nothing counts its /tmp: it holds no more than the memory limit
        limits = dataclasses.replace(limits, tmp_bytes=min(limits.tmp_bytes, limits.memory_bytes))
    try:
        if server is not None:
            try:
                done = server.run(
                    source, wall=wall, limits=limits, files=files, isolation="bwrap", joins=joins
                )
                return _judged(done, group)
            except ServerError as error:
                # The server failed, not the program: a fresh one next time, and this program
                # runs in a fresh sandbox of its own now (unless the fork server was required).
                forget_server(server)
                if mode() == "forkserver":
                    raise QuizzerError(f"{MODE_ENV}=forkserver: {error}") from error
                if group is not None:  # what the failed request left in it goes with it
                    group.close()
                    group = _run_group(limits)
        done = run_fresh(
            source,
            wall=wall,
            limits=limits,
            files=files,
            bwrap=bwrap,
            isolation=isolation(),
            group=group,
        )
        return _judged(done, group)
    finally:
        if group is not None:
            group.close()


def _run_group(limits: Limits) -> cgroup.RunGroup | None:
    """A cgroup of its own for one run, where the machine gives one (see cgroup.py)."""
    hierarchy = cgroup.find().hierarchy
    if hierarchy is None:
        return None
    try:
        return cgroup.RunGroup(hierarchy, limits)
    except OSError:  # per-process limits and the syscall filter still hold it
        return None


def _judged(done: Run, group: cgroup.RunGroup | None) -> Run:
    """`done`, a memory verdict where its cgroup ended one of its processes for memory."""
    if group is None or done.verdict in (Verdict.TIMEOUT, Verdict.OUTPUT_LIMIT):
        return done
    if not group.out_of_memory():
        return done
    return dataclasses.replace(done, verdict=Verdict.MEMORY)


def warm_up() -> None:
    """Start the fork server in the background, so the first program need not wait for it."""
    try:
        bwrap = bwrap_path()
    except QuizzerError:
        return
    if bwrap and mode() in SERVED:
        shared_server(bwrap, launcher_command())


def _fork_server(bwrap: str) -> ForkServer | None:
    """The running fork server, when the mode wants one and it works here."""
    asked = mode()
    if asked not in SERVED:
        return None
    server = shared_server(bwrap, launcher_command())
    problem = server.wait_ready()
    if problem is None:
        return server
    if asked == "forkserver":
        raise QuizzerError(f"{MODE_ENV}=forkserver but the fork server cannot run: {problem}")
    return None


def report() -> dict[str, object]:
    """What `quizzer doctor` shows about the sandbox: isolation and why, bwrap, runner, Python."""
    import platform

    bwrap = None if mode() == "none" else find_bwrap().path
    found = cgroup.find()
    runner = "unsandboxed processes"
    if bwrap:
        runner = "a fresh bwrap sandbox per program"
        if mode() in SERVED:
            problem = shared_server(bwrap, launcher_command()).wait_ready()
            runner = (
                "a warm fork server in bwrap: one fork per program, in namespaces of its own"
                if problem is None
                else f"{runner} (the fork server cannot run: {problem})"
            )
    return {
        "isolation": isolation(),
        "reason": isolation_reason(),
        "mode": mode(),
        "runner": runner,
        "bwrap": bwrap,
        "bwrap_version": _bwrap_version(bwrap) if bwrap else None,
        "bwrap_candidates": candidates(),
        "syscall_filter": syscall_filter(),
        "cgroup": f"v{found.hierarchy.version}" if found.hierarchy else None,
        "memory_limit": cgroup.describe(found),
        "process_limit": process_limit(sandboxed=bwrap is not None),
        "card_python": card_python(),
        "card_python_version": platform.python_version(),
    }


def syscall_filter() -> str:
    """The seccomp filter every program runs under, in words ("none: <why>" without one)."""
    machine = inside.machine()  # the card Python is this interpreter, or one of its kind
    if inside.syscall_filter(machine) is None:
        return f"none: no syscall table for {machine}"
    return (
        "seccomp: no namespaces, mounts, keyring, bpf, io_uring, userfaultfd, perf, ptrace or"
        " other processes' memory; no memfd_create or SysV shared memory; no kill(-1)"
    )


def process_limit(*, sandboxed: bool) -> str:
    """What caps the number of a program's processes, in words ("none: <why>" where nothing)."""
    found = cgroup.find()
    if found.hierarchy is not None:
        return f"pids.max of the run's cgroup (v{found.hierarchy.version})"
    if sandboxed:
        return "RLIMIT_NPROC, counted per run (each run is nobody in a user namespace of its own)"
    if os.geteuid() == 0:
        return f"none: unsandboxed root ignores RLIMIT_NPROC, and no cgroup ({found.reason})"
    return "RLIMIT_NPROC, which counts every process of this user, not only the program's"


def _bwrap_version(path: str) -> str | None:
    import subprocess

    try:
        done = subprocess.run([path, "--version"], capture_output=True, timeout=10, env={})
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("utf-8", "replace").strip() or None
