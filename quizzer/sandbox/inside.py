"""The part of the sandbox that runs inside it: set the limits, run the program, report its end.

This file is passed to the card interpreter with ``python -I -c`` (it is not imported from the
quizzer package there, which the sandbox cannot see), so it uses the standard library only.
``python -I -S -c <this file> run STATUS_FD FLAGS`` reads one request (marshal) from stdin,
forks, runs the program in the child under its limits and writes the child's raw wait status to
STATUS_FD. It starts every program, so it keeps its imports few and cheap (os.path, not pathlib).
"""
# ruff: noqa: PTH109, PTH110, PTH112, PTH118, PTH119, PTH123

from __future__ import annotations

import atexit
import marshal
import os
import resource
import sys

TYPE_CHECKING = False  # typing costs milliseconds to import: only the type checker reads this
if TYPE_CHECKING:
    import signal
else:  # the same calls as signal's, without importing enum (milliseconds per program)
    import _signal as signal
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, NoReturn

PROGRAM_NAME = "main.py"
MEMORY_EXIT = 97  # the exit code of a program that ran out of memory
STATUS_BYTES = 32


def wait_for_cgroup(go_fd: int) -> None:
    """Wait until this process is in the run's cgroup (-1: there is none), before it forks
    the program. Quizzer (or the fork server's supervisor) moves it there meanwhile: a move
    can wait for an RCU grace period, which so passes while this process starts up."""
    if go_fd >= 0:
        os.read(go_fd, 1)  # a byte once moved; end of file where the move failed
        os.close(go_fd)


def write_files(request: dict[str, Any], folder: str) -> None:
    """Put the program and its extra files in `folder` (a private, empty directory)."""
    files: dict[str, str] = {PROGRAM_NAME: request["source"], **request["files"]}
    for name, text in files.items():
        path = os.path.join(folder, os.path.basename(name))
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)


def set_limits(limits: list[int]) -> None:
    """Apply (cpu seconds, address space, file size, processes, open files) to this process."""
    cpu, memory, fsize, nproc, nofile = limits
    # CPU: SIGXCPU at the soft limit (python dies of it, as of any signal), SIGKILL a second on.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    for name, value in (
        (resource.RLIMIT_AS, memory),
        (resource.RLIMIT_FSIZE, fsize),
        (resource.RLIMIT_NPROC, nproc),
        (resource.RLIMIT_NOFILE, nofile),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(name, (value, value))


def exec_program(limits: list[int], folder: str, *, drop_caps: bool = False) -> NoReturn:
    """Run folder/main.py as __main__ under `limits`, then exit as the interpreter would.

    `drop_caps`: this process is root of a user namespace of its own; give that up first.
    """
    if drop_caps:
        drop_capabilities()
    os.chdir(folder)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    # The signal dispositions python starts with (SIGPIPE and SIGXFSZ ignored, so they raise).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for number in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(number, signal.SIG_IGN)
    for number in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    set_limits(limits)
    filter_syscalls()
    sys.argv = [PROGRAM_NAME]
    sys.path[0] = folder
    sys.excepthook = _program_excepthook
    if sys.flags.no_site:  # started with -S (site-packages stay out): still give exit() and quit()
        import site

        site.setquit()
        site.setcopyright()
        site.sethelper()
    code = 0
    try:
        _run_as_main(os.path.join(folder, PROGRAM_NAME))
    except SystemExit as exit:
        code = _exit_code(exit)
    except MemoryError:
        _write_stderr("MemoryError\n")
        os._exit(MEMORY_EXIT)
    except BaseException as error:  # the program's own error: report it as python would
        sys.excepthook(type(error), error, error.__traceback__)
        code = 1
    os._exit(_shut_down(code))


def _run_as_main(path: str) -> None:
    """Run the file as the __main__ module, as `python path` does (runpy costs an import)."""
    import types

    with open(path, "rb") as file:
        # dont_inherit: the launcher's own __future__ imports are not the program's.
        code = compile(file.read(), PROGRAM_NAME, "exec", dont_inherit=True)
    main = types.ModuleType("__main__")
    main.__file__ = path
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def _exit_code(exit: SystemExit) -> int:
    if exit.code is None:
        return 0
    if isinstance(exit.code, int):
        return exit.code & 0xFF
    _write_stderr(f"{exit.code}\n")
    return 1


def _shut_down(code: int) -> int:
    """What the interpreter does at exit: join threads, run atexit, flush the streams."""
    try:
        threading = sys.modules.get("threading")
        if threading is not None:  # join the program's non-daemon threads
            threading._shutdown()
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except MemoryError:
        return MEMORY_EXIT
    except BaseException:  # a broken pipe or a failing atexit hook: the program's failure
        return code or 1
    return code


def _program_excepthook(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """Print a traceback that starts at the program, without the launcher's frames."""
    frame = trace
    while frame is not None and os.path.basename(frame.tb_frame.f_code.co_filename) != PROGRAM_NAME:
        frame = frame.tb_next
    # The default hook prints the error's own traceback, not the one it is given.
    sys.__excepthook__(kind, error.with_traceback(frame), frame)


def _write_stderr(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def run_once(status_fd: int, flags: set[str]) -> NoReturn:
    """One program in a fresh process: fork it, wait for it, report its raw status.

    Flags: "reap" (the unsandboxed fallback, where no pid namespace ends the program's
    orphans): they come back to this process and are killed once the program has ended.
    "nobody" (quizzer runs as root, and bwrap put us in a user namespace that maps root and
    nobody): become nobody, then enter a user namespace of our own, so the process limit holds
    (root ignores RLIMIT_NPROC) and counts this program's processes only.
    """
    request = marshal.load(sys.stdin.buffer)
    nobody = "nobody" in flags
    if nobody:
        become_nobody()
        enter_own_user_namespace(NOBODY)
    folder = os.getcwd()
    write_files(request, folder)
    if "reap" in flags:
        _set_child_subreaper()
    # Undumpable, so the program cannot reach our status fd through /proc/<our pid>/fd.
    libc = _libc()
    _check(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")
    wait_for_cgroup(request["go"])
    pid = os.fork()
    if pid == 0:
        os.close(status_fd)
        _check(libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")
        exec_program(request["limits"], folder, drop_caps=nobody)
    # Under bwrap this is pid 1, to which orphans come: reap them until the program ends.
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # pid 1 ignores what it has no handler for
    while True:
        ended, status = os.waitpid(-1, 0)
        if ended == pid:
            break
    if "reap" in flags:
        _kill_children()
    os.write(status_fd, str(status).encode())
    os._exit(0)


# --- what /proc shows of the host ---
#
# A pid namespace and its own /proc hide the host's processes, but not the host: its kernel
# command line, boot id and boot time, uptime and load, CPU, memory, disks, interrupts and
# devices. Both runners mask these: files read empty (/dev/null over them), folders are empty.
PROC_MASKED_FILES = (
    "cmdline",
    "sys/kernel/random/boot_id",
    "stat",
    "uptime",
    "loadavg",
    "interrupts",
    "softirqs",
    "cpuinfo",
    "meminfo",
    "vmstat",
    "zoneinfo",
    "buddyinfo",
    "pagetypeinfo",
    "slabinfo",
    "vmallocinfo",
    "swaps",
    "diskstats",
    "partitions",
    "iomem",
    "ioports",
    "devices",
    "consoles",
    "cgroups",
    "locks",
    "mtrr",
    "timer_list",
    "sched_debug",
    "schedstat",
    "kallsyms",
    "modules",
    "keys",
    "key-users",
    "kmsg",
    "kpagecount",
    "kpageflags",
    "kpagecgroup",
    "config.gz",
    "program_cpu",
)
PROC_MASKED_DIRS = ("acpi", "bus", "driver", "irq", "pressure", "scsi", "tty", "asound")


# --- privileges (ctypes, imported only where needed) ---

NOBODY = 65534
CLONE_NEWUSER = 0x10000000
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
LAST_CAP = 63
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


_LIBC: list[Any] = []


def _libc() -> Any:
    if not _LIBC:
        import ctypes

        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    return _LIBC[0]


def _check(result: int, what: str) -> None:
    if result != 0:
        import ctypes

        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def become_nobody() -> None:
    """From root (of bwrap's user namespace) to nobody, which loses every capability."""
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    # A uid change makes the process undumpable, which would keep /proc/self/uid_map from us.
    _check(_libc().prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")


def enter_own_user_namespace(outer_id: int) -> None:
    """Unshare a user namespace in which we are nobody, mapped to uid and gid `outer_id`."""
    _check(_libc().unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)")
    for name, text in (
        ("uid_map", f"{NOBODY} {outer_id} 1\n"),
        ("setgroups", "deny"),
        ("gid_map", f"{NOBODY} {outer_id} 1\n"),
    ):
        with open(f"/proc/self/{name}", "w") as file:
            file.write(text)


def drop_capabilities() -> None:
    """Give up every capability, for good: the bounding set first, then the sets themselves."""
    import ctypes

    libc = _libc()
    for cap in range(LAST_CAP + 1):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # fails past the kernel's last cap: fine

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [(name, ctypes.c_uint32) for name in ("effective", "permitted", "inheritable")]

    header = Header(_LINUX_CAPABILITY_VERSION_3, 0)
    empty = (Data * 2)()
    _check(libc.capset(ctypes.byref(header), empty), "capset")


def _set_child_subreaper() -> None:
    try:  # noqa: SIM105 (contextlib is one more import for every program)
        _libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _kill_children() -> None:
    """SIGKILL every process left behind (they were reparented to us), until none is left."""
    while True:
        try:
            with open(f"/proc/self/task/{os.getpid()}/children") as file:
                children = [int(pid) for pid in file.read().split()]
        except OSError:
            return
        if not children:
            return
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


# --- the syscall filter (seccomp), the last thing set before the program runs ---
#
# No card needs namespaces, mounts, the kernel keyring, bpf, io_uring, userfaultfd, perf or
# ptrace (nor process_vm_readv/writev, kcmp, pidfd_getfd, which reach into other processes),
# and each is kernel attack surface an unprivileged process can reach: a nested user
# namespace, above all, hands the program every capability over objects of its own. They fail
# with EPERM. clone3 fails with ENOSYS, so that libc falls back to clone, whose flags a filter
# can read (clone3 passes them in memory). Another ABI (x32, or 32-bit int 0x80) kills.

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
RET_ALLOW, RET_ERRNO, RET_KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
EPERM, ENOSYS = 1, 38
X32_SYSCALL_BIT = 0x40000000
NEW_NAMESPACES = 0x7E020000  # CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET}
CLONE_NEWTIME = 0x80  # unshare only: in clone's flags these bits are the exit signal
SYSCALL_TABLES: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (
        0xC000003E,
        {  # AUDIT_ARCH_X86_64
            "clone": 56,
            "unshare": 272,
            "clone3": 435,
            "setns": 308,
            "mount": 165,
            "umount2": 166,
            "pivot_root": 155,
            "ptrace": 101,
            "add_key": 248,
            "request_key": 249,
            "keyctl": 250,
            "perf_event_open": 298,
            "bpf": 321,
            "userfaultfd": 323,
            "memfd_create": 319,
            "shmget": 29,
            "process_vm_readv": 310,
            "process_vm_writev": 311,
            "kcmp": 312,
            "kill": 62,
            "setpriority": 141,
            "ioprio_set": 251,
        },
    ),
    "aarch64": (
        0xC00000B7,
        {  # AUDIT_ARCH_AARCH64
            "clone": 220,
            "unshare": 97,
            "clone3": 435,
            "setns": 268,
            "mount": 40,
            "umount2": 39,
            "pivot_root": 41,
            "ptrace": 117,
            "add_key": 217,
            "request_key": 218,
            "keyctl": 219,
            "perf_event_open": 241,
            "bpf": 280,
            "userfaultfd": 282,
            "memfd_create": 279,
            "shmget": 194,
            "process_vm_readv": 270,
            "process_vm_writev": 271,
            "kcmp": 272,
            "kill": 129,
            "setpriority": 140,
            "ioprio_set": 30,
        },
    ),
}
# The same numbers on both: io_uring_setup/enter/register, open_tree, move_mount, fsopen,
# fsconfig, fsmount, fspick, mount_setattr, pidfd_getfd, memfd_secret.
COMMON_DENIED = (425, 426, 427, 428, 429, 430, 431, 432, 433, 442, 438, 447)
# Refused only when their first argument asks for it: clone and unshare when they make a
# namespace (any of the bits); kill when it signals every process it may (pid -1, whose low
# half is all ones), and setpriority and ioprio_set when they change every process of a user:
# unsandboxed, that is every process of the user, or of the machine for root.
JSET, JEQ = 0x45, 0x15
PRIO_USER, IOPRIO_WHO_USER = 2, 3
ARG_CHECKED = {
    "clone": (JSET, NEW_NAMESPACES),
    "unshare": (JSET, NEW_NAMESPACES | CLONE_NEWTIME),
    "kill": (JEQ, 0xFFFFFFFF),
    "setpriority": (JEQ, PRIO_USER),
    "ioprio_set": (JEQ, IOPRIO_WHO_USER),
}
# Memory that no per-process limit counts (memfd_create, SysV shared memory) is refused
# outright: a cgroup would count it, but not every machine gives one (see cgroup.py), and no
# card needs it. POSIX shared memory is files in the run's /dev/shm, a small tmpfs.


def syscall_filter(machine: str) -> bytes | None:
    """The seccomp BPF program for `machine` (os.uname().machine); None where none is known."""
    import struct

    if machine not in SYSCALL_TABLES:
        return None
    arch, numbers = SYSCALL_TABLES[machine]
    load, jeq, jge, ret = 0x20, JEQ, 0x35, 0x06  # BPF opcodes
    nr, arch_offset, arg0 = 0, 4, 16  # offsets in struct seccomp_data (arg0: its low half)
    code: list[tuple[int, int, int, int]] = [
        (load, 0, 0, arch_offset),
        (jeq, 1, 0, arch),
        (ret, 0, 0, RET_KILL_PROCESS),
        (load, 0, 0, nr),
    ]
    if machine == "x86_64":
        code += [(jge, 0, 1, X32_SYSCALL_BIT), (ret, 0, 0, RET_KILL_PROCESS)]
    for name, number in numbers.items():
        if name in ARG_CHECKED:
            test, value = ARG_CHECKED[name]
            code += [
                (jeq, 0, 4, number),
                (load, 0, 0, arg0),
                (test, 0, 1, value),
                (ret, 0, 0, RET_ERRNO | EPERM),
                (ret, 0, 0, RET_ALLOW),
            ]
        else:
            errno = ENOSYS if name == "clone3" else EPERM
            code += [(jeq, 0, 1, number), (ret, 0, 0, RET_ERRNO | errno)]
    for number in COMMON_DENIED:
        code += [(jeq, 0, 1, number), (ret, 0, 0, RET_ERRNO | EPERM)]
    code.append((ret, 0, 0, RET_ALLOW))
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in code)


def machine() -> str:
    """The architecture this interpreter runs as: the kernel's, unless it is a 32-bit process
    (whose syscalls come with another audit arch and other numbers: no table fits them)."""
    return os.uname().machine if sys.maxsize > 2**32 else f"{os.uname().machine} (32-bit)"


def filter_syscalls() -> None:
    """Install `syscall_filter` on this process and all it starts, for good (if one is known)."""
    program = syscall_filter(machine())
    if program is None:
        return
    import ctypes

    class Program(ctypes.Structure):  # struct sock_fprog
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    libc = _libc()
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    fprog = Program(len(program) // 8, program)
    _check(
        libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0),
        "prctl(PR_SET_SECCOMP)",
    )


# --- the fork server: python -I -S -c <this file> serve SOCKET_FD FLAGS ---
#
# A warm interpreter (asyncio imported) that forks, for each request, a supervisor S; S makes
# new mount, pid, net, ipc and uts namespaces and forks P, pid 1 there, which mounts a private
# /proc, /tmp and /dev/shm, brings loopback up, becomes nobody in a user namespace of its own
# (its own RLIMIT_NPROC count), drops every capability and forks Q, the program. When Q ends,
# P exits and the kernel ends everything left in the pid namespace. No program ever runs in the
# server or can see it, so the server stays as it started, whatever the programs do.

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND = 1, 2, 4, 8, 0x1000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
SHM_BYTES = 16 * 1024 * 1024
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
MAX_JOINS = 2  # cgroup.procs fds with a request: one for v2, memory and pids for v1
SUPERVISE_GRACE = 10.0  # seconds past a run's wall clock after which S ends it by itself

WARM_MODULES = (
    "asyncio",
    "asyncio.subprocess",
    "concurrent.futures",
    "concurrent.futures.thread",
    "contextlib",
    "collections",
    "dataclasses",
    "functools",
    "inspect",
    "itertools",
    "json",
    "random",
    "re",
    "socket",
    "subprocess",
    "threading",
    "time",
    "traceback",
    "types",
    "typing",
    "weakref",
)


def serve(sock_fd: int, flags: set[str]) -> NoReturn:
    """Answer requests on `sock_fd` until the host closes it: one supervisor per request."""
    import importlib
    import socket

    for name in WARM_MODULES:
        importlib.import_module(name)
    _libc()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped by the kernel
    server = socket.socket(fileno=sock_fd)
    server.send(b"ready")
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(server, 16, 3 + MAX_JOINS)
        except ConnectionError:
            break
        if not message:
            break
        if not 3 <= len(fds) <= 3 + MAX_JOINS:
            for fd in fds:
                os.close(fd)
            continue
        if os.fork() == 0:
            server.close()
            _last_words(supervise, *fds, flags=flags)
        for fd in fds:
            os.close(fd)
    os._exit(0)


def supervise(ctl_fd: int, out_fd: int, err_fd: int, *joins: int, flags: set[str]) -> NoReturn:
    """S: read the request, run it in namespaces of its own, report how it ended on ctl."""
    import socket
    import struct

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    ctl = socket.socket(fileno=ctl_fd)
    size = struct.unpack("!Q", _receive(ctl, 8))[0]
    request = marshal.loads(_receive(ctl, size))
    namespaces = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    _check(_libc().unshare(namespaces), "unshare(namespaces)")
    status_read, status_write = os.pipe()
    go_read, go_write = os.pipe() if joins else (-1, -1)
    pid = os.fork()
    if pid == 0:
        ctl.close()
        os.close(status_read)
        for fd in (go_write, *joins):
            if fd >= 0:
                os.close(fd)
        _last_words(init, request, out_fd, err_fd, status_write, flags, go_read)
    for fd in (out_fd, err_fd, status_write):
        os.close(fd)
    if joins:  # move P into the run's cgroup while it sets up its namespaces
        os.close(go_read)
        try:
            for fd in joins:
                os.write(fd, str(pid).encode())
            os.write(go_write, b"1")
        except OSError:  # the per-process limits and the syscall filter still hold
            pass
        for fd in (go_write, *joins):
            os.close(fd)
    _wait_or_kill(pid, ctl, request["wall"] + SUPERVISE_GRACE)
    data = os.read(status_read, STATUS_BYTES)
    ctl.sendall(b"S" + data + b"\n" if data else b"N\n")
    os._exit(0)


def _last_words(step: Any, *args: Any, **kwargs: Any) -> NoReturn:
    """Run a forked step of the server's; if it fails, say why on the server's log, and end."""
    try:
        step(*args, **kwargs)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(1)


def _receive(ctl: Any, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = ctl.recv(min(size - len(data), 1 << 20))
        if not chunk:
            os._exit(1)  # the host went away
        data += chunk
    return bytes(data)


def _wait_or_kill(pid: int, ctl: Any, limit: float) -> None:
    """Wait for P; kill it (and so its whole pid namespace) when the host says so or leaves."""
    import select
    import time

    pidfd = os.pidfd_open(pid)
    deadline = time.monotonic() + limit
    while True:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([pidfd, ctl], [], [], max(0.0, left))
        if pidfd in ready:
            break
        if ctl in ready or left <= 0:  # "K", or the host is gone, or past every deadline
            os.kill(pid, signal.SIGKILL)
            if ctl in ready:
                ctl.recv(16)  # read the "K": closing on unread data would reset our reply
            break
    os.waitpid(pid, 0)  # P was pid 1: its namespace is empty once it has been reaped
    os.close(pidfd)


def init(
    request: dict[str, Any],
    out_fd: int,
    err_fd: int,
    status_fd: int,
    flags: set[str],
    go_fd: int,
) -> NoReturn:
    """P, pid 1 of the run's namespaces: set them up, run Q, report Q's raw wait status."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # pid 1 ignores what it has no handler for
    libc = _libc()
    _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate")
    _mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, b"")
    secure = MS_NOSUID | MS_NODEV
    _mount(b"tmpfs", b"/tmp", b"tmpfs", secure, b"mode=1777,size=%d" % request["tmp_bytes"])
    _mount(b"tmpfs", b"/dev/shm", b"tmpfs", secure, b"mode=1777,size=%d" % SHM_BYTES)
    mask_proc()
    _loopback_up()
    if "nobody" in flags:
        become_nobody()
        enter_own_user_namespace(NOBODY)
    else:  # bwrap made us root of its user namespace, which maps root to the user
        enter_own_user_namespace(0)
    drop_capabilities()
    # A session and process group of its own: kill(0), killpg and setpriority(PRIO_PGRP, 0)
    # would otherwise reach the server's group, and so every other run (and, as an ordinary
    # user, the server itself). kill(-1) and pids stay within this run's pid namespace.
    os.setsid()
    folder = "/tmp"
    os.chdir(folder)
    write_files(request, folder)
    # Undumpable, so the program can neither ptrace us nor open our fds through /proc/1/fd.
    _check(_libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")
    wait_for_cgroup(go_fd)  # Q, and all Q starts, is in the run's cgroup from its first page
    program = os.fork()
    if program == 0:
        _check(_libc().prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        os.closerange(3, 1 << 16)
        exec_program(request["limits"], folder)
    os.close(out_fd)
    os.close(err_fd)
    while True:  # reap orphans until the program itself ends
        pid, status = os.waitpid(-1, 0)
        if pid == program:
            break
    os.write(status_fd, str(status).encode())
    os._exit(0)


def mask_proc() -> None:
    """Hide what /proc tells of the host (see PROC_MASKED): empty files, empty folders."""
    for name in PROC_MASKED_FILES:
        path = b"/proc/" + name.encode()
        if os.path.exists(path):
            _mount(b"/dev/null", path, b"", MS_BIND, b"")
    for name in PROC_MASKED_DIRS:
        path = b"/proc/" + name.encode()
        if os.path.isdir(path):
            _mount(b"tmpfs", path, b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, b"size=4k")


def _mount(source: bytes, target: bytes, kind: bytes, flags: int, data: bytes) -> None:
    _check(_libc().mount(source, target, kind or None, flags, data or None), f"mount {target!r}")


def _loopback_up() -> None:
    import fcntl
    import socket
    import struct

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        current = struct.unpack("16sH14s", fcntl.ioctl(probe, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", current | IFF_UP, b""))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "run":
        run_once(int(sys.argv[2]), set(sys.argv[3].split(",")))
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), set(sys.argv[3].split(",")))
    sys.exit(f"usage: python -I -S -c <launcher> run|serve FD FLAGS (got {sys.argv[1:]})")
