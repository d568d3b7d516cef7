"""The sandbox's verdicts and limits, under bwrap and in the unsandboxed fallback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizzer import sandbox
from quizzer.cli import cli
from quizzer.errors import QuizzerError
from quizzer.model import Verdict
from quizzer.sandbox import MIB, Limits, bwrap, cgroup, inside
from quizzer.sandbox.limits import verdict_from_status
from quizzer.sandbox.process import run_fresh

HAVE_BWRAP = bwrap.find_bwrap().path is not None
SANDBOXED = ["bwrap", "forkserver"]


@pytest.fixture(params=[*SANDBOXED, "none"])
def any_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each runner in turn: the ones under bwrap (skipped where it cannot run), and the fallback."""
    mode: str = request.param
    if mode != "none" and not HAVE_BWRAP:
        pytest.skip(f"bwrap cannot run here: {bwrap.find_bwrap().reason}")
    monkeypatch.setenv(sandbox.MODE_ENV, mode)
    return mode


@pytest.fixture
def fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sandbox.MODE_ENV, "none")


ASYNC_PROGRAM = """
import asyncio

async def double(n):
    await asyncio.sleep(0.01)
    return n * 2

async def main():
    print(await asyncio.gather(*(double(n) for n in range(3))))

asyncio.run(main())
"""


@pytest.mark.parametrize(
    ("source", "verdict", "exit_code"),
    [
        ("print('hello')", Verdict.OK, 0),
        (ASYNC_PROGRAM, Verdict.OK, 0),
        ("raise ValueError('bad')", Verdict.ERROR, 1),
        ("import sys; sys.exit(3)", Verdict.ERROR, 3),
        ("import sys; sys.exit('a message')", Verdict.ERROR, 1),
        ("import sys; sys.exit(0)", Verdict.OK, 0),
        ("def broken(:\n    pass", Verdict.ERROR, 1),
        ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", Verdict.KILLED, -15),
        ("import os; os.abort()", Verdict.KILLED, -6),
        ("x = bytearray(8 * 1024 ** 3)", Verdict.MEMORY, 97),
        ("chunks = []\nwhile True:\n    chunks.append(bytearray(10 ** 7))", Verdict.MEMORY, 97),
    ],
)
def test_verdicts(any_mode: str, source: str, verdict: Verdict, exit_code: int) -> None:
    run = sandbox.run_program(source)
    assert (run.verdict, run.exit_code) == (verdict, exit_code), run.stderr


def test_output_of_a_clean_run_is_kept_whole(any_mode: str) -> None:
    run = sandbox.run_program(ASYNC_PROGRAM)
    assert run.stdout == "[0, 2, 4]\n"
    assert run.stderr == ""
    assert not run.truncated
    assert run.isolation == sandbox.isolation()


def test_a_traceback_starts_at_the_program(any_mode: str) -> None:
    run = sandbox.run_program("def f():\n    return 1 / 0\n\nf()\n")
    assert run.stderr.splitlines()[0] == "Traceback (most recent call last):"
    assert '  File "main.py", line 4, in <module>' in run.stderr
    assert "runpy" not in run.stderr
    assert run.stderr.rstrip().endswith("ZeroDivisionError: division by zero")


def test_sleeping_past_the_timeout_is_a_timeout(any_mode: str) -> None:
    run = sandbox.run_program(
        "import time\nprint('started', flush=True)\ntime.sleep(30)", timeout=0.5
    )
    assert run.verdict == Verdict.TIMEOUT
    assert run.stdout == "started\n"


def test_closing_its_pipes_does_not_stop_the_clock(any_mode: str) -> None:
    run = sandbox.run_program(
        "import os, time\nos.close(1)\nos.close(2)\ntime.sleep(30)", timeout=0.5
    )
    assert run.verdict == Verdict.TIMEOUT


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_output_is_capped_per_stream(any_mode: str, stream: str) -> None:
    limits = Limits(output_bytes=100_000)
    run = sandbox.run_program(
        f"import sys\nwhile True:\n    sys.{stream}.write('x' * 4096)", limits=limits
    )
    assert run.verdict == Verdict.OUTPUT_LIMIT
    assert run.truncated
    assert len(getattr(run, stream)) == 100_000


def test_output_that_is_not_utf8_is_replaced(any_mode: str) -> None:
    run = sandbox.run_program("import sys\nsys.stdout.buffer.write(b'ok \\xff\\xfe\\n')")
    assert run.verdict == Verdict.OK
    assert run.stdout == "ok \ufffd\ufffd\n"


def test_stdin_is_empty(any_mode: str) -> None:
    run = sandbox.run_program("print(repr(input()))", timeout=5)
    assert run.verdict == Verdict.ERROR
    assert "EOFError" in run.stderr


def test_extra_files_sit_beside_the_program(any_mode: str) -> None:
    files = {"helper.py": "VALUE = 41\n", "data.txt": "some data\n"}
    source = "import helper\nprint(helper.VALUE + 1, open('data.txt').read().strip())"
    run = sandbox.run_program(source, files=files)
    assert (run.verdict, run.stdout) == (Verdict.OK, "42 some data\n")


def test_the_working_dir_is_private_and_writable(any_mode: str) -> None:
    source = "import os\nopen('out.txt', 'w').write('x')\nprint(sorted(os.listdir('.')))"
    first = sandbox.run_program(source)
    second = sandbox.run_program(source)
    assert first.stdout == second.stdout == "['main.py', 'out.txt']\n"


def test_the_environment_is_empty_but_for_basics(any_mode: str) -> None:
    run = sandbox.run_program("import os\nprint(sorted(os.environ))")
    names = set(json.loads(run.stdout.replace("'", '"')))
    assert names <= {"PATH", "HOME", "TMPDIR", "LANG", "PWD", "LC_CTYPE"}


def test_threads_and_atexit_run_before_the_end(any_mode: str) -> None:
    source = (
        "import atexit, threading, time\n"
        "atexit.register(print, 'atexit')\n"
        "threading.Thread(target=lambda: (time.sleep(0.1), print('thread'))).start()\n"
    )
    run = sandbox.run_program(source)
    assert (run.verdict, run.stdout) == (Verdict.OK, "thread\natexit\n")


def test_a_subprocess_of_sys_executable_runs(any_mode: str) -> None:
    source = (
        "import subprocess, sys\n"
        "done = subprocess.run([sys.executable, '-c', 'print(6 * 7)'], capture_output=True)\n"
        "print(done.stdout.decode().strip(), done.returncode)\n"
    )
    run = sandbox.run_program(source)
    assert (run.verdict, run.stdout) == (Verdict.OK, "42 0\n"), run.stderr


def test_every_runner_filters_syscalls(any_mode: str) -> None:
    # The fallback too: the filter is the one layer it shares with bwrap beyond the rlimits.
    source = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "status = open('/proc/self/status').read()\n"
        "print([line.split()[1] for line in status.splitlines() if line.startswith('Seccomp:')])\n"
        "print(libc.unshare(0x10000000), os.strerror(ctypes.get_errno()))\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(7)\n"
        "print(os.waitpid(pid, 0)[1] >> 8)\n"
    )
    run = sandbox.run_program(source)
    expected = "['2']\n-1 Operation not permitted\n7\n"  # filtered, unshare refused, fork works
    assert (run.verdict, run.stdout) == (Verdict.OK, expected), run.stderr


REACHING_OUT = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def attempt(name, number, *args):
    result = libc.syscall(number, *args)
    print(name, result, os.strerror(ctypes.get_errno()) if result == -1 else "")
attempt("memfd_create", 319, b"x", 0)
attempt("shmget", 29, 0, 4096, 0o1600)
attempt("process_vm_readv", 310, os.getppid(), 0, 0, 0, 0, 0)
attempt("kcmp", 312, os.getpid(), os.getppid(), 0, 0, 0)
attempt("pidfd_getfd", 438, 0, 0, 0)
attempt("kill-every-process", 62, -1, 0)
attempt("setpriority-user", 141, 2, 0, 19)
attempt("ioprio_set-user", 251, 3, 0, 0)
attempt("memfd_secret", 447, 0)
"""


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="syscall numbers of x86_64")
def test_every_runner_refuses_memory_no_limit_counts_and_reaching_other_processes(
    any_mode: str,
) -> None:
    # Safe in the fallback too: kill sends signal 0, setpriority would renice by nothing new.
    run = sandbox.run_program(REACHING_OUT)
    results = dict(line.split(" ", 1) for line in run.stdout.splitlines())
    assert results == dict.fromkeys(results, "-1 Operation not permitted"), run.stdout
    assert len(results) == 9, run.stderr
    allowed = sandbox.run_program(
        "import os\nos.kill(0, 0)\nos.setpriority(os.PRIO_PROCESS, 0, 3)\nprint('ok')"
    )
    assert allowed.stdout == "ok\n", allowed.stderr  # only the wide forms are refused


def test_the_syscall_filter_is_a_valid_bpf_program() -> None:
    for machine in inside.SYSCALL_TABLES:
        program = inside.syscall_filter(machine)
        assert program is not None and len(program) % 8 == 0
        assert 0 < len(program) // 8 <= 4096  # the kernel's BPF_MAXINSNS
    assert inside.syscall_filter("riscv64") is None
    # Each table names the same calls, so no architecture misses one.
    names = [set(table) for _, table in inside.SYSCALL_TABLES.values()]
    assert all(found == names[0] for found in names)


# --- limits (set inside the child) ---


def test_address_space_limit(any_mode: str) -> None:
    small = Limits(memory_bytes=200 * MIB)
    source = "x = bytearray(300 * 1024 * 1024)\nprint('allocated')"
    assert sandbox.run_program(source, limits=small).verdict == Verdict.MEMORY
    assert sandbox.run_program(source).verdict == Verdict.OK


def test_open_files_limit(any_mode: str) -> None:
    source = "files = [open('main.py') for _ in range(100)]\nprint(len(files))"
    run = sandbox.run_program(source, limits=Limits(open_files=50))
    assert run.verdict == Verdict.ERROR
    assert "Too many open files" in run.stderr


def test_file_size_limit(any_mode: str) -> None:
    source = "open('big', 'wb').write(b'x' * (2 * 1024 * 1024))\nprint('written')"
    run = sandbox.run_program(source, limits=Limits(file_bytes=1 * MIB))
    assert run.verdict == Verdict.ERROR
    assert "File too large" in run.stderr


def test_reaching_the_cpu_limit_is_a_timeout(any_mode: str) -> None:
    run = sandbox.run_program("while True:\n    pass", limits=Limits(cpu_seconds=1, timeout=20))
    assert run.verdict == Verdict.TIMEOUT
    assert run.exit_code == -24  # SIGXCPU


def test_the_cpu_limit_follows_the_wall_clock_timeout(any_mode: str) -> None:
    # A fixed CPU limit below a long timeout (a deck's, or run --timeout) would end a busy
    # program before its time: the limit is one second past the wall clock, rounded up.
    source = "import resource\nprint(*resource.getrlimit(resource.RLIMIT_CPU))"
    assert sandbox.run_program(source, timeout=15).stdout == "16 17\n"
    assert sandbox.run_program(source, timeout=0.5).stdout == "2 3\n"
    assert Limits(cpu_seconds=4).cpu_limit(15) == 4


def test_a_runner_that_cannot_start_leaks_no_descriptor(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-bwrap")

    def start() -> None:
        with pytest.raises(FileNotFoundError):
            run_fresh(
                "print(1)",
                wall=5,
                limits=sandbox.DEFAULT_LIMITS,
                files=None,
                bwrap=missing,
                isolation="bwrap",
            )

    start()  # once first: what is made once per process (root's user namespace) is made
    before = sorted(Path("/proc/self/fd").iterdir())
    for _ in range(5):
        start()
    assert sorted(Path("/proc/self/fd").iterdir()) == before


@pytest.mark.skipif(not HAVE_BWRAP, reason="only a user namespace makes the process limit hold")
def test_process_limit_under_bwrap(monkeypatch: pytest.MonkeyPatch) -> None:
    # Outside a user namespace root ignores RLIMIT_NPROC, so the fallback cannot promise this.
    monkeypatch.setenv(sandbox.MODE_ENV, "bwrap")
    source = (
        "import os, time\n"
        "children = 0\n"
        "try:\n"
        "    while True:\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(30)\n"
        "        children += 1\n"
        "except OSError as error:\n"
        "    print('stopped after', children, error.strerror)\n"
    )
    run = sandbox.run_program(source, limits=Limits(processes=10))
    assert run.verdict == Verdict.OK, run.stderr
    stopped = run.stdout.split()
    assert int(stopped[2]) < 10
    assert "Resource temporarily unavailable" in run.stdout


def test_verdict_from_status() -> None:
    assert verdict_from_status(0) == (Verdict.OK, 0)
    assert verdict_from_status(3 << 8) == (Verdict.ERROR, 3)
    assert verdict_from_status(97 << 8) == (Verdict.MEMORY, 97)
    assert verdict_from_status(9) == (Verdict.KILLED, -9)
    assert verdict_from_status(11) == (Verdict.MEMORY, -11)
    assert verdict_from_status(signal.SIGXCPU) == (Verdict.TIMEOUT, -signal.SIGXCPU)


# --- which isolation is in force ---


def test_isolation_under_bwrap(monkeypatch: pytest.MonkeyPatch) -> None:
    if not HAVE_BWRAP:
        pytest.skip(bwrap.find_bwrap().reason)
    monkeypatch.delenv(sandbox.MODE_ENV, raising=False)
    assert sandbox.isolation() == "bwrap"
    assert sandbox.run_program("print(1)").isolation == "bwrap"


def test_fallback_says_so(fallback: None) -> None:
    assert sandbox.isolation() == "none: turned off by QUIZZER_SANDBOX=none"
    run = sandbox.run_program("print(1)")
    assert (run.verdict, run.isolation) == (Verdict.OK, sandbox.isolation())


def test_no_working_bwrap_means_the_fallback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(bwrap, "candidates", lambda: [str(fake)])
    monkeypatch.delenv(sandbox.MODE_ENV, raising=False)
    bwrap.find_bwrap.cache_clear()
    try:
        assert sandbox.isolation() == (
            f"none: {fake}: bwrap: No permissions to create new namespace"
        )
        run = sandbox.run_program("print('still runs')")
        assert (run.verdict, run.stdout) == (Verdict.OK, "still runs\n")
        assert run.isolation.startswith("none: ")
    finally:
        bwrap.find_bwrap.cache_clear()


def test_no_bwrap_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bwrap, "candidates", lambda: [])
    bwrap.find_bwrap.cache_clear()
    try:
        assert bwrap.find_bwrap().path is None
        assert "no bwrap found" in bwrap.find_bwrap().reason
    finally:
        bwrap.find_bwrap.cache_clear()


def test_an_unknown_mode_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sandbox.MODE_ENV, "chroot")
    with pytest.raises(QuizzerError, match="QUIZZER_SANDBOX='chroot'"):
        sandbox.isolation()


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI must have a working bwrap")
def test_ci_runs_the_real_sandbox() -> None:
    assert HAVE_BWRAP, bwrap.find_bwrap().reason


def test_card_python_is_a_real_interpreter() -> None:
    python = Path(sandbox.card_python())
    assert python.is_file() and not python.is_symlink()
    assert python.resolve() == Path(sys.executable).resolve()


# --- the commands that report it ---


def test_run_json_reports_isolation(any_mode: str, runner: CliRunner, tmp_path: Path) -> None:
    program = tmp_path / "program.py"
    program.write_text("print('from a file')\n")
    result = runner.invoke(cli, ["run", str(program), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["stdout"] == "from a file\n"
    assert data["isolation"] == ("bwrap" if any_mode != "none" else sandbox.isolation())


def test_run_warns_when_unsandboxed(fallback: None, runner: CliRunner, tmp_path: Path) -> None:
    program = tmp_path / "program.py"
    program.write_text("print('x')\n")
    result = runner.invoke(cli, ["run", str(program)])
    assert "not sandboxed" in result.output
    assert result.exit_code == 0


def test_doctor_json(any_mode: str, runner: CliRunner, home: Path) -> None:
    result = runner.invoke(cli, ["doctor", "--json"])
    data = json.loads(result.output)
    assert data["data_dir"] == str(home)
    assert data["card_python"] == sandbox.card_python()
    assert data["card_python_version"] == ".".join(map(str, sys.version_info[:3]))
    if any_mode == "none":
        assert (result.exit_code, data["bwrap"]) == (1, None)
        assert data["isolation"].startswith("none: ")
    else:
        assert (result.exit_code, data["isolation"]) == (0, "bwrap")
        assert data["bwrap"] in data["bwrap_candidates"]
        assert data["bwrap_version"].startswith("bubblewrap ")
    if os.uname().machine in inside.SYSCALL_TABLES:
        assert data["syscall_filter"].startswith("seccomp: ")


def test_doctor_text(any_mode: str, runner: CliRunner, home: Path) -> None:
    result = runner.invoke(cli, ["doctor"])
    lines = dict(line.split(None, 1) for line in result.output.splitlines() if " " in line)
    assert lines["isolation"].strip() == sandbox.isolation()
    assert str(home) in result.output
    assert sandbox.card_python() in result.output


def test_a_named_sandbox_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bwrap, "candidates", lambda: [])
    monkeypatch.setenv(sandbox.MODE_ENV, "bwrap")
    bwrap.find_bwrap.cache_clear()
    try:
        with pytest.raises(QuizzerError, match="QUIZZER_SANDBOX=bwrap but bwrap cannot run"):
            sandbox.run_program("print('must not run')")
    finally:
        bwrap.find_bwrap.cache_clear()


AS_USER = """
import os, sys
sys.path.insert(0, sys.argv[1])
from quizzer import sandbox
fork = (
    "import os, time\\nchildren = 0\\ntry:\\n    while True:\\n        if os.fork() == 0:\\n"
    "            time.sleep(30)\\n        children += 1\\nexcept OSError:\\n    print(children)\\n"
)
for mode in ("forkserver", "bwrap"):
    os.environ["QUIZZER_SANDBOX"] = mode
    ran = sandbox.run_program("import os\\nprint(os.getuid())")
    bomb = sandbox.run_program(fork, limits=sandbox.Limits(processes=10))
    late = sandbox.run_program("import time\\ntime.sleep(9)", timeout=0.3)
    print(mode, ran.isolation, ran.stdout.strip(), int(bomb.stdout) < 10, late.verdict)
"""


@pytest.mark.skipif(os.geteuid() != 0 or not HAVE_BWRAP, reason="needs root, to become a user")
def test_an_ordinary_user_gets_the_same_sandbox(tmp_path: Path) -> None:
    # Root and ordinary users take different paths into the sandbox (see bwrap.SandboxCommand);
    # here an unprivileged user runs quizzer's own sandbox code with a system interpreter.
    python = next(
        (p for p in ("/usr/bin/python3", "/usr/local/bin/python3") if Path(p).is_file()), None
    )
    setpriv = shutil.which("setpriv")
    if python is None or setpriv is None:
        pytest.skip("needs setpriv and a system python3")
    folder = Path(tempfile.mkdtemp(prefix="quizzer-user-"))
    try:
        shutil.copytree(
            Path(sandbox.__file__).parents[1],
            folder / "quizzer",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        (folder / "bin").mkdir()
        (folder / "bin" / "bwrap").symlink_to(bwrap.find_bwrap().path or "")
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755)
        done = subprocess.run(
            [
                setpriv,
                "--reuid",
                "65534",
                "--regid",
                "65534",
                "--clear-groups",
                python,
                "-I",
                "-c",
                AS_USER,
                str(folder),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
            env={"PATH": f"{folder / 'bin'}:/usr/bin:/bin", "HOME": str(folder)},
        )
    finally:
        shutil.rmtree(folder)
    if "No module named" in done.stderr or "SyntaxError" in done.stderr:
        pytest.skip(f"the system python cannot run quizzer: {done.stderr.strip()[-200:]}")
    assert done.stdout.splitlines() == [
        "forkserver bwrap 65534 True timeout",
        "bwrap bwrap 65534 True timeout",
    ], done.stderr


def test_doctor_says_what_holds_memory_and_processes(runner: CliRunner, home: Path) -> None:
    data = json.loads(runner.invoke(cli, ["doctor", "--json"]).output)
    found = cgroup.find()
    if found.hierarchy is None:
        assert data["cgroup"] is None
        assert data["memory_limit"].startswith("per process (no cgroup: ")
    else:
        assert data["cgroup"] == f"v{found.hierarchy.version}"
        assert data["memory_limit"].startswith(f"cgroup v{found.hierarchy.version} per program")
        assert data["process_limit"].startswith("pids.max")
    text = runner.invoke(cli, ["doctor"]).output
    assert f"memory        {data['memory_limit']}" in text
    assert f"processes     {data['process_limit']}" in text


def test_doctor_says_plainly_when_nothing_caps_roots_processes(
    fallback: None, monkeypatch: pytest.MonkeyPatch, runner: CliRunner, home: Path
) -> None:
    monkeypatch.setattr(cgroup, "find", lambda: cgroup.Found(None, "none mounted"))
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    data = json.loads(runner.invoke(cli, ["doctor", "--json"]).output)
    assert data["process_limit"] == (
        "none: unsandboxed root ignores RLIMIT_NPROC, and no cgroup (none mounted)"
    )


FORK_AT_MOST_200 = """
import os, time
children = 0
try:
    while children < 200:  # never a real bomb, even where nothing would hold it
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        children += 1
except OSError:
    pass
print(children)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="root's process limit is the question")
def test_the_fallback_caps_roots_processes_with_a_cgroup(fallback: None) -> None:
    if cgroup.find().hierarchy is None:
        pytest.skip(f"no cgroup here (doctor says so): {cgroup.find().reason}")
    result = sandbox.run_program(FORK_AT_MOST_200, limits=Limits(processes=10), timeout=20)
    assert result.verdict == Verdict.OK, result
    assert int(result.stdout) < 10


def test_a_cgroup_folder_is_found_below_its_mount() -> None:
    inside_mount = cgroup._inside(("/sys/fs/cgroup", "/"), "/")
    assert inside_mount == Path("/sys/fs/cgroup")
    # Seen through a cgroup namespace (a mount whose root is deeper), or not seen at all.
    assert cgroup._inside(("/sys/fs/cgroup", "/a/b"), "/c") is None


def test_groups_left_by_a_killed_quizzer_are_removed() -> None:
    found = cgroup.find().hierarchy
    if found is None:
        pytest.skip(f"no cgroup here: {cgroup.find().reason}")
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid no process has now
    stale = [folder / f"quizzer-{dead.pid}-0" for folder in found.folders]
    live = [folder / f"quizzer-{os.getpid()}-999999" for folder in found.folders]
    for folder in stale + live:
        folder.mkdir()
    try:
        cgroup._remove_stale(found)
        assert [folder for folder in stale if folder.exists()] == []
        assert all(folder.exists() for folder in live)  # not ours to judge: left as it is
    finally:
        for folder in stale + live:
            if folder.exists():
                folder.rmdir()
