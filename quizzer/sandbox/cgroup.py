"""Hold a whole program to its memory and process limits: a cgroup of its own per run.

RLIMIT_AS and RLIMIT_NPROC hold per process; a cgroup counts everything the run's processes
use together (forked children, shared memory, files in its tmpfs) and caps their number. Used
where quizzer may make child cgroups: cgroup v2 where its cgroup delegates the memory and pids
controllers, else cgroup v1's memory and pids hierarchies (root, typically). The launcher inside
the sandbox joins the run's cgroup through an fd of its cgroup.procs opened here (the kernel
checks the opener's rights), so nothing of /sys is ever mounted inside.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from quizzer.sandbox.limits import Limits

REMOVE_TIMEOUT = 2.0  # seconds for the run's last processes to leave before its group is removed
_names = itertools.count()


@dataclass(frozen=True)
class Hierarchy:
    """Where the runs' cgroups are made: one folder (v2), or one per controller (v1)."""

    version: int
    memory: Path
    pids: Path

    @property
    def folders(self) -> tuple[Path, ...]:
        return (self.memory,) if self.memory == self.pids else (self.memory, self.pids)


@dataclass(frozen=True)
class Found:
    """The hierarchy quizzer may use, or why there is none."""

    hierarchy: Hierarchy | None
    reason: str


def describe(found: Found) -> str:
    """What holds a program's memory, in words (for `quizzer doctor`)."""
    if found.hierarchy is None:
        return (
            "per process (no cgroup: " + found.reason + "): each process's address space, "
            "a process cap, sized /tmp and /dev/shm; memfd_create and SysV shm refused"
        )
    files = "memory.max, pids.max" if found.hierarchy.version == 2 else "memory, pids"
    return (
        f"cgroup v{found.hierarchy.version} per program ({files}) under "
        f"{found.hierarchy.memory}: all its processes, shared memory and /tmp together"
    )


@functools.cache
def find() -> Found:
    """The cgroup hierarchy runs are placed in here (checked once, by making a group)."""
    own = _own_cgroups()
    mounts = _cgroup_mounts()
    problems = []
    if "" in own and "cgroup2" in mounts:
        folder = _inside(mounts["cgroup2"], own[""])
        if folder is not None:
            problem = _v2_ready(folder)
            if problem is None:
                return Found(Hierarchy(2, folder, folder), f"cgroup v2 at {folder}")
            problems.append(f"cgroup v2: {problem}")
    folders = {}
    for controller in ("memory", "pids"):
        if controller in own and controller in mounts:
            folders[controller] = _inside(mounts[controller], own[controller])
    if folders.get("memory") and folders.get("pids"):
        hierarchy = Hierarchy(1, folders["memory"], folders["pids"])  # type: ignore[arg-type]
        problem = _probe(hierarchy)
        if problem is None:
            return Found(hierarchy, f"cgroup v1 memory and pids at {hierarchy.memory}")
        problems.append(f"cgroup v1: {problem}")
    elif not problems:
        problems.append("no cgroup with the memory and pids controllers is mounted")
    return Found(None, "; ".join(problems))


def _own_cgroups() -> dict[str, str]:
    """This process's cgroup per controller ("" for v2), from /proc/self/cgroup."""
    found: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                found[name] = path
    return found


def _cgroup_mounts() -> dict[str, tuple[str, str]]:
    """(mount point, root) of the v2 hierarchy ("cgroup2") and of each v1 controller."""
    found: dict[str, tuple[str, str]] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            fields, _, rest = line.partition(" - ")
            parts, tail = fields.split(), rest.split()
            if len(parts) < 5 or len(tail) < 3:
                continue
            root, point = parts[3], parts[4].replace("\\040", " ")
            if tail[0] == "cgroup2":
                found.setdefault("cgroup2", (point, root))
            elif tail[0] == "cgroup":
                for option in tail[2].split(","):
                    found.setdefault(option, (point, root))
    return found


def _inside(mount: tuple[str, str], own: str) -> Path | None:
    """The folder of cgroup `own` under a mount of (point, root), if the mount shows it."""
    point, root = mount
    relative = os.path.relpath(own, root) if root != "/" else own.lstrip("/")
    if relative.startswith(".."):
        return None
    folder = Path(point) / relative if relative != "." else Path(point)
    return folder if folder.is_dir() else None


def _v2_ready(folder: Path) -> str | None:
    """Why runs cannot get their own memory and pids controllers under `folder`, or None."""
    try:
        available = (folder / "cgroup.controllers").read_text().split()
        if not {"memory", "pids"} <= set(available):
            return f"{folder} has no memory and pids controllers to give"
        enabled = (folder / "cgroup.subtree_control").read_text().split()
        if not {"memory", "pids"} <= set(enabled):
            # Possible only where no process sits in `folder` itself (v2's rule), or as root
            # of the hierarchy; a delegated, empty scope gives that.
            (folder / "cgroup.subtree_control").write_text("+memory +pids")
    except OSError as error:
        return f"cannot give runs the memory and pids controllers under {folder}: {error}"
    return _probe(Hierarchy(2, folder, folder))


def _probe(hierarchy: Hierarchy) -> str | None:
    """Why a run's group cannot be made under `hierarchy`, or None when it can."""
    _remove_stale(hierarchy)
    try:
        group = RunGroup(hierarchy, Limits())
    except OSError as error:
        return str(error)
    group.close()
    return None


def _remove_stale(hierarchy: Hierarchy) -> None:
    """Remove the empty groups of quizzer processes that are gone (killed mid-run)."""
    for folder in hierarchy.folders:
        with contextlib.suppress(OSError):
            for entry in folder.iterdir():
                parts = entry.name.split("-")
                ours = len(parts) == 3 and parts[0] == "quizzer" and parts[1].isdigit()
                if ours and not Path("/proc", parts[1]).exists():
                    with contextlib.suppress(OSError):
                        entry.rmdir()


class RunGroup:
    """One run's cgroup, made with its limits; its launcher is moved in through `fds`.

    `close()` ends whatever is left in it and removes it.
    """

    def __init__(self, hierarchy: Hierarchy, limits: Limits) -> None:
        self.hierarchy = hierarchy
        name = f"quizzer-{os.getpid()}-{next(_names)}"
        self.folders = [folder / name for folder in hierarchy.folders]
        self.fds: tuple[int, ...] = ()
        try:
            for folder in self.folders:
                folder.mkdir()
            self._limit(limits)
            self.fds = tuple(
                os.open(folder / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)
                for folder in self.folders
            )
        except OSError:
            self.close()
            raise

    def _limit(self, limits: Limits) -> None:
        memory, pids = self.folders[0], self.folders[-1]
        # The launcher (or the fork server's init) is in the group too: one process more.
        (pids / "pids.max").write_text(str(limits.processes + 1))
        if self.hierarchy.version == 2:
            (memory / "memory.max").write_text(str(limits.memory_bytes))
            for name, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
                with contextlib.suppress(OSError):  # no swap accounting here: nothing to cap
                    (memory / name).write_text(value)
        else:
            (memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
            with contextlib.suppress(OSError):
                (memory / "memory.memsw.limit_in_bytes").write_text(str(limits.memory_bytes))

    def move(self, pid: int) -> None:
        """Move process `pid` (of the writer's pid namespace) into the group."""
        for fd in self.fds:
            os.write(fd, str(pid).encode())

    def out_of_memory(self) -> bool:
        """Whether the kernel ended one of the run's processes for the group's memory limit."""
        events = "memory.events" if self.hierarchy.version == 2 else "memory.oom_control"
        try:
            lines = (self.folders[0] / events).read_text().splitlines()
        except OSError:
            return False
        counts = dict(line.split(None, 1) for line in lines if " " in line)
        return counts.get("oom_kill", "0").strip() not in ("", "0")

    def close_fds(self) -> None:
        """Close this side's fds of cgroup.procs (once the launcher has them)."""
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fds = ()

    def close(self) -> None:
        """End what is left of the run and remove its group (best effort: a busy one stays)."""
        self.close_fds()
        deadline = time.monotonic() + REMOVE_TIMEOUT
        for folder in reversed(self.folders):
            while folder.exists():
                self._kill_all(folder)
                try:
                    folder.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.005)

    def _kill_all(self, folder: Path) -> None:
        try:
            pids = (folder / "cgroup.procs").read_text().split()
        except OSError:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(int(pid), signal.SIGKILL)
