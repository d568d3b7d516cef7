"""The warm fork server: one bwrap sandbox holding an interpreter that has imported asyncio,
which forks each program into namespaces, limits and a /tmp of its own (see inside.serve).

A program then costs a fork instead of a new sandbox and a new interpreter. The server is
started once, lazily or in the background (`warm_up`), shared by every thread (each request has
its own pipes and control socket), restarted if it ever dies, and shut down at exit.
"""

from __future__ import annotations

import atexit
import marshal
import os
import select
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from contextlib import suppress

from quizzer.model import Run, Verdict
from quizzer.sandbox.bwrap import SandboxCommand
from quizzer.sandbox.limits import Limits, verdict_from_status
from quizzer.sandbox.output import collect_output, finished_run

START_TIMEOUT = 15.0  # seconds for the server to import asyncio and say it is ready
REPLY_GRACE = 5.0  # seconds for a supervisor to report once its program's pipes closed
REPLY_BYTES = 64


class ServerError(Exception):
    """The server could not take or finish a request (nothing is known of the program)."""


class ForkServer:
    """One running fork server inside bwrap."""

    def __init__(self, bwrap: str, launcher: tuple[str, ...]) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._problem: str | None = None
        self._socket: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None
        # bwrap --die-with-parent is tied to the thread that starts it: a thread of its own,
        # alive as long as the server, starts it (a pool's worker thread may end any time).
        self._keeper = threading.Thread(
            target=self._keep, args=(bwrap, launcher), name="quizzer-forkserver", daemon=True
        )
        self._keeper.start()

    def wait_ready(self, timeout: float = START_TIMEOUT) -> str | None:
        """Wait until the server is up; why it is not, or None when it is."""
        if not self._ready.wait(timeout):
            return "the fork server did not start in time"
        return self._problem

    @property
    def alive(self) -> bool:
        return self._ready.is_set() and self._problem is None and self._socket is not None

    def _keep(self, bwrap: str, launcher: tuple[str, ...]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = SandboxCommand(bwrap, server=True)
        with tempfile.TemporaryFile() as log:
            try:
                argv = command.argv(
                    [*launcher, "serve", str(theirs.fileno()), command.launcher_flags]
                )
                process = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    env={},
                    pass_fds=(theirs.fileno(), *command.fds),
                    start_new_session=True,
                )
            except OSError as error:
                self._fail(f"cannot start bwrap: {error}")
                return
            finally:
                theirs.close()
                command.close()
            self._process = process
            # Read bwrap's info (a writer without a reader would die of SIGPIPE).
            init = command.watch_init(START_TIMEOUT)
            if select.select([ours], [], [], START_TIMEOUT)[0] and ours.recv(16) == b"ready":
                self._socket = ours
                self._ready.set()
            else:
                _kill(process)
                log.seek(0)
                lines = log.read().decode("utf-8", "replace").strip().splitlines()
                self._fail(lines[-1] if lines else f"the fork server ended ({process.returncode})")
            process.wait()
        self._socket = None
        ours.close()
        os.close(command.info_read)
        if init is not None:
            os.close(init)

    def _fail(self, problem: str) -> None:
        self._problem = problem
        self._ready.set()

    def stop(self) -> None:
        """End the server and every program it is running."""
        sock, process = self._socket, self._process
        self._socket = None
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if process is not None:
            _kill(process)

    def run(
        self,
        source: str,
        *,
        wall: float,
        limits: Limits,
        files: dict[str, str] | None,
        isolation: str,
        joins: tuple[int, ...] = (),
    ) -> Run:
        """Run one program; raises ServerError when the server failed (not the program).

        `joins`: fds of the run's cgroup.procs files; its supervisor moves its init in.
        """
        started = time.monotonic()
        sock = self._socket
        if sock is None:
            raise ServerError("the fork server is not running")
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        ctl, ctl_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        request = marshal.dumps(
            {
                "source": source,
                "files": dict(files or {}),
                "limits": limits.rlimits(wall),
                "wall": wall,
                "tmp_bytes": limits.tmp_bytes,
            }
        )
        try:
            try:
                with self._lock:
                    socket.send_fds(
                        sock, [b"R"], [ctl_child.fileno(), out_write, err_write, *joins]
                    )
            except OSError as error:
                raise ServerError(f"the fork server is gone ({error})") from error
            finally:
                ctl_child.close()
                os.close(out_write)
                os.close(err_write)
            try:
                ctl.sendall(struct.pack("!Q", len(request)) + request)
            except OSError as error:  # the supervisor (or the whole server) died meanwhile
                raise ServerError(f"the fork server dropped the request ({error})") from error
            stdout, stderr, ended = collect_output(
                out_read, err_read, started + wall, limits.output_bytes
            )
            reply = _reply(ctl, started + wall, kill=ended is not None)
        finally:
            ctl.close()
            os.close(out_read)
            os.close(err_read)
        if reply is None:
            raise ServerError("the fork server did not report how the program ended")
        status = _status(reply)
        if status is not None:
            verdict, code = verdict_from_status(status)
        else:  # its init was killed: at our word, or the timeout after the pipes closed
            verdict, code = Verdict.KILLED, -9
        if ended is None and verdict == Verdict.KILLED and time.monotonic() >= started + wall:
            ended = Verdict.TIMEOUT
        return finished_run(
            ended=ended,
            verdict=verdict,
            code=code,
            stdout=stdout,
            stderr=stderr,
            started=started,
            isolation=isolation,
        )


def _status(reply: bytes) -> int | None:
    """The raw wait status in a supervisor's "S<status>" reply; None for "N" (or garbage)."""
    digits = reply[1:]
    if reply[:1] != b"S" or not digits.isdigit() or len(digits) > 10:
        return None
    return int(digits)


def _reply(ctl: socket.socket, deadline: float, *, kill: bool) -> bytes | None:
    """The supervisor's one line; asks it to kill the run first when `kill`, or at `deadline`.

    The program's pipes may close while it still runs (it closed them): the deadline holds.
    """
    if kill:
        with suppress(OSError):
            ctl.sendall(b"K")
    data = b""
    killed = kill
    while not data.endswith(b"\n"):
        wait = max(0.0, deadline - time.monotonic()) if not killed else REPLY_GRACE
        if not select.select([ctl], [], [], wait)[0]:
            if killed:
                return None
            killed = True
            with suppress(OSError):
                ctl.sendall(b"K")
            continue
        try:
            chunk = ctl.recv(REPLY_BYTES)
        except ConnectionError:
            return None
        if not chunk:
            return None
        data += chunk
    return data.strip()


_servers: dict[tuple[str, tuple[str, ...]], ForkServer] = {}
_servers_lock = threading.Lock()


def shared_server(bwrap: str, launcher: tuple[str, ...]) -> ForkServer:
    """The process's fork server for this bwrap, started on first use (restarted if dead)."""
    key = (bwrap, launcher)
    with _servers_lock:
        server = _servers.get(key)
        if server is None or (server._ready.is_set() and not server.alive):
            if server is not None and server._problem is not None:
                return server  # it could not start: do not retry on every program
            server = ForkServer(bwrap, launcher)
            _servers[key] = server
        return server


def forget_server(server: ForkServer) -> None:
    """Stop a server that failed a request, so that the next one starts afresh."""
    with _servers_lock:
        for key, known in list(_servers.items()):
            if known is server:
                del _servers[key]
    server.stop()


@atexit.register
def _stop_all() -> None:
    with _servers_lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.stop()


def _kill(process: subprocess.Popen[bytes]) -> None:
    """End bwrap; --die-with-parent and the pid namespace end all that ran inside."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
