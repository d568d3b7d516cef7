"""Hostile programs: each attack is checked from outside the sandbox to have failed.

The programs print what they managed to do, but a test never trusts that alone: it looks at the
host (the secret's bytes, the files, the listener, the processes) after the run.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from quizzer import sandbox
from quizzer.model import Run, Verdict
from quizzer.sandbox import Limits, bwrap, cgroup

SANDBOXED = ["bwrap", "forkserver"]

pytestmark = pytest.mark.skipif(
    bwrap.find_bwrap().path is None,
    reason=f"bwrap cannot run here: {bwrap.find_bwrap().reason}",
)


@pytest.fixture(params=SANDBOXED, autouse=True)
def sandboxed(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every attack runs against each sandboxed runner."""
    mode: str = request.param
    monkeypatch.setenv(sandbox.MODE_ENV, mode)
    # Never run these programs unsandboxed: as root they would really do what they try.
    assert sandbox.isolation() == "bwrap"
    return mode


@pytest.fixture
def secret() -> str:
    return f"quizzer-secret-{uuid.uuid4().hex}"


@pytest.fixture
def sentinel() -> Iterator[subprocess.Popen[bytes]]:
    """A host process that no program may signal or see: it must still be alive afterwards."""
    token = f"quizzer-sentinel-{uuid.uuid4().hex}"
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", token])
    process.token = token  # type: ignore[attr-defined]
    yield process
    process.kill()
    process.wait()


def run(source: str, **kwargs: object) -> Run:
    """Run a hostile program; only ever under bwrap (a named mode raises without it)."""
    assert os.environ[sandbox.MODE_ENV] in SANDBOXED
    result = sandbox.run_program(textwrap.dedent(source), **kwargs)  # type: ignore[arg-type]
    assert result.isolation == "bwrap"
    return result


def pid_namespace(run: Run) -> str:
    """The pid namespace the program reported on its first line ("pid:[...]")."""
    first = run.stdout.splitlines()[0]
    assert first.startswith("pid:["), run.stdout + run.stderr
    return first


def processes_in(namespace: str) -> list[str]:
    """The processes still alive (zombies are not) in pid `namespace`, seen from the host."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str((entry / "ns" / "pid").readlink()) != namespace:
                    continue
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            state = stat.rsplit(")", 1)[1].split()[0]
            if state not in {"Z", "X"}:
                found.append(f"{entry.name} {state} {stat.split()[1]}")
    return found


PRINT_NAMESPACE = "import os\nprint(os.readlink('/proc/self/ns/pid'), flush=True)\n"


# --- reading what is not the program's ---


def test_cannot_read_ssh_keys_or_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    key = home / ".ssh" / "id_ed25519"
    key.write_text(secret)
    monkeypatch.setenv("HOME", str(home))
    targets = [
        str(key),
        "~/.ssh/id_ed25519",
        f"/proc/1/root{key}",
        "/root/.ssh/id_rsa",
        "/root/.bash_history",
        "/etc/shadow",
        "/etc/ssh/ssh_host_ed25519_key",
    ]
    result = run(
        f"""
        import os
        for target in {targets!r}:
            try:
                print(target, open(os.path.expanduser(target)).read())
            except OSError as error:
                print(target, "denied:", error.strerror)
        print(os.listdir("/"))
        """
    )
    assert result.verdict == Verdict.OK, result.stderr
    assert secret not in result.stdout + result.stderr
    assert result.stdout.count("denied:") == len(targets)
    assert "home" not in result.stdout.splitlines()[-1]


def test_cannot_read_the_quizzer_home(home: Path, secret: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "reviews.sqlite3").write_text(secret)
    (home / "decks" / "mine").mkdir(parents=True)
    (home / "decks" / "mine" / "cards.toml").write_text(secret)
    result = run(
        f"""
        import os
        for root in ({str(home)!r}, "/root/.local/share/quizzer"):
            try:
                for folder, _, files in os.walk(root):
                    for name in files:
                        print(open(os.path.join(folder, name)).read())
                print(root, "listed:", os.listdir(root))
            except OSError as error:
                print(root, "denied:", error.strerror)
        """
    )
    assert secret not in result.stdout + result.stderr
    assert "listed" not in result.stdout


def test_cannot_read_the_quizzer_sources_or_venv() -> None:
    here = Path(sandbox.__file__).resolve().parent
    result = run(
        f"""
        import os
        for path in ({str(here)!r}, {sys.prefix!r}, "/work"):
            print(path, os.path.exists(path))
        """
    )
    if Path(sys.prefix).resolve() != Path(sys.base_prefix).resolve():
        assert f"{sys.prefix} False" in result.stdout
    assert f"{here} False" in result.stdout


def test_no_environment_secret_leaks(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    monkeypatch.setenv("QUIZZER_TEST_TOKEN", secret)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    result = run(
        """
        import os
        print(dict(os.environ))
        for pid in ("self", "1", "2"):
            try:
                print(open(f"/proc/{pid}/environ", "rb").read())
            except OSError as error:
                print(pid, error.strerror)
        """
    )
    assert result.verdict == Verdict.OK, result.stderr
    assert secret not in result.stdout + result.stderr
    assert "QUIZZER_TEST_TOKEN" not in result.stdout


def test_cannot_see_host_processes(sentinel: subprocess.Popen[bytes]) -> None:
    token: str = sentinel.token  # type: ignore[attr-defined]
    result = run(
        """
        import os
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
        print(len(pids), pids)
        for pid in pids:
            try:
                print(open(f"/proc/{pid}/cmdline", "rb").read())
            except OSError:
                pass
        """
    )
    assert result.verdict == Verdict.OK, result.stderr
    assert token not in result.stdout
    assert int(result.stdout.split()[0]) <= 4  # bwrap's init, the launcher, the program
    assert sentinel.poll() is None


# --- writing where it must not ---


def test_cannot_write_home_host_tmp_or_the_deck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    user_home = tmp_path / "user"
    user_home.mkdir()
    monkeypatch.setenv("HOME", str(user_home))
    deck = tmp_path / "deck" / "01-basics.toml"
    deck.parent.mkdir()
    deck.write_text('deck = "mine"\n')
    before = deck.read_bytes()
    escape = Path("/tmp") / f"quizzer-escape-{uuid.uuid4().hex}"
    shm = Path("/dev/shm") / f"quizzer-escape-{uuid.uuid4().hex}"
    home.mkdir(parents=True, exist_ok=True)
    targets = [
        str(user_home / "pwned"),
        "~/pwned",
        str(escape),
        str(shm),
        str(deck),
        str(home / "pwned"),
        "/root/pwned",
        "/usr/pwned",
        "/pwned",
    ]
    result = run(
        f"""
        import os
        for target in {targets!r}:
            try:
                with open(os.path.expanduser(target), "a") as file:
                    file.write("pwned")
                print(target, "written (inside the sandbox)")
            except OSError as error:
                print(target, error.strerror)
        """
    )
    assert result.verdict == Verdict.OK, result.stderr
    assert list(user_home.iterdir()) == []
    assert not escape.exists()
    assert not shm.exists()
    assert deck.read_bytes() == before
    assert not (home / "pwned").exists()
    assert not Path("/root/pwned").exists()
    assert not Path("/pwned").exists()


def test_filling_tmp_or_shm_is_bounded() -> None:
    result = run(
        """
        import os
        for folder in ("/tmp", "/dev/shm"):
            written = 0
            try:
                for n in range(100):
                    with open(f"{folder}/fill{n}", "wb") as file:
                        file.write(b"x" * (8 * 1024 * 1024))
                    written += 8
            except OSError as error:
                print(folder, written, error.strerror)
        """,
        timeout=20,
    )
    assert result.verdict == Verdict.OK, result.stderr
    for line in result.stdout.splitlines():
        _, written, *_ = line.split()
        assert int(written) <= 64, line  # MiB: /tmp's size (/dev/shm is smaller)
    assert len(result.stdout.splitlines()) == 2


# --- the network ---


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6])
def test_cannot_reach_a_host_listener(family: socket.AddressFamily) -> None:
    host = "127.0.0.1" if family == socket.AF_INET else "::1"
    tcp = socket.socket(family, socket.SOCK_STREAM)
    udp = socket.socket(family, socket.SOCK_DGRAM)
    with tcp, udp:
        tcp.bind((host, 0))
        tcp.listen()
        tcp.setblocking(False)
        udp.bind((host, 0))
        udp.setblocking(False)
        tcp_port, udp_port = tcp.getsockname()[1], udp.getsockname()[1]
        result = run(
            f"""
            import socket
            try:
                socket.create_connection(({host!r}, {tcp_port}), timeout=1).sendall(b"hello")
                print("tcp connected")
            except OSError as error:
                print("tcp", error.strerror)
            for n in range(3):
                try:
                    with socket.socket({int(family)}, socket.SOCK_DGRAM) as udp:
                        udp.sendto(b"hello", ({host!r}, {udp_port}))
                    print("udp sent (into the sandbox's own loopback)")
                except OSError as error:
                    print("udp", error.strerror)
            """
        )
        assert result.verdict == Verdict.OK, result.stderr
        assert "tcp connected" not in result.stdout
        with pytest.raises(BlockingIOError):
            tcp.accept()
        with pytest.raises(BlockingIOError):
            udp.recvfrom(100)


def test_cannot_reach_an_abstract_unix_socket() -> None:
    name = f"\0quizzer-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(name)
        listener.listen()
        listener.setblocking(False)
        result = run(
            f"""
            import socket
            try:
                socket.socket(socket.AF_UNIX).connect({name!r})
                print("connected")
            except OSError as error:
                print(error.strerror)
            """
        )
        assert "connected" not in result.stdout.splitlines()
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_no_network_interface_but_loopback() -> None:
    result = run("import socket\nprint(sorted(name for _, name in socket.if_nameindex()))")
    assert result.stdout == "['lo']\n"


# --- exhausting resources ---


def test_fork_bomb_is_contained() -> None:
    result = run(
        PRINT_NAMESPACE
        + textwrap.dedent(
            """
            import os, time
            failed = False
            while True:
                try:
                    os.fork()
                except OSError:
                    if not failed:
                        failed = True
                        print("fork refused", flush=True)
                    time.sleep(0.01)
            """
        ),
        timeout=1.5,
    )
    assert result.verdict == Verdict.TIMEOUT
    assert "fork refused" in result.stdout
    assert processes_in(pid_namespace(result)) == []


def test_thread_bomb_is_contained() -> None:
    result = run(
        """
        import threading, time
        threads = 0
        try:
            while True:
                threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
                threads += 1
        except RuntimeError as error:
            print("stopped", threads, error)
        """,
        limits=Limits(processes=32),
    )
    assert result.verdict == Verdict.OK, result.stderr
    assert int(result.stdout.split()[1]) < 32


def test_memory_bomb_is_a_memory_verdict() -> None:
    result = run("data = []\nwhile True:\n    data.append('x' * 10_000_000)")
    assert result.verdict == Verdict.MEMORY


def test_memory_bomb_in_a_child_process() -> None:
    result = run(
        """
        import subprocess, sys
        child = subprocess.run([sys.executable, "-c", "x = bytearray(4 * 1024 ** 3)"])
        print("child exit", child.returncode)
        """
    )
    assert result.verdict == Verdict.OK, result.stderr
    assert result.stdout == "child exit 1\n"


FLOOD_HOST = """
import resource, sys
from quizzer import sandbox
flood = "import os\\nwhile True:\\n    os.write(1, b'x' * 65536)\\n    os.write(2, b'y' * 65536)"
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = sandbox.run_program(flood, limits=sandbox.Limits(output_bytes=8 * 1024 * 1024), timeout=5)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(result.verdict, len(result.stdout), len(result.stderr), before, after)
"""


def test_output_flood_keeps_quizzer_small(sandboxed: str) -> None:
    # Measured in a fresh quizzer process, so the peak RSS is this run's alone.
    done = subprocess.run(
        [sys.executable, "-c", FLOOD_HOST],
        capture_output=True,
        text=True,
        env={**os.environ, sandbox.MODE_ENV: sandboxed},
        timeout=60,
    )
    verdict, out, err, before_kib, after_kib = done.stdout.split()
    assert verdict == "output-limit", done.stderr
    assert int(out) == 8 * 1024 * 1024
    assert int(err) <= 8 * 1024 * 1024
    # What was read, twice over (bytes, then str), plus slack; far below the flood's size.
    assert int(after_kib) - int(before_kib) < 64 * 1024


def test_output_flood_without_newlines_is_cut() -> None:
    result = run("import sys\nwhile True:\n    sys.stdout.write('z' * 100000)")
    assert result.verdict == Verdict.OUTPUT_LIMIT
    assert result.truncated
    assert len(result.stdout) == Limits().output_bytes


def test_cpu_spin_ends_at_the_timeout() -> None:
    result = run(PRINT_NAMESPACE + "while True:\n    pass", timeout=0.5)
    assert result.verdict == Verdict.TIMEOUT
    assert processes_in(pid_namespace(result)) == []


def test_ignoring_signals_does_not_outlast_the_timeout() -> None:
    result = run(
        PRINT_NAMESPACE
        + "import signal, time\n"
        + "for n in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
        + "    signal.signal(n, signal.SIG_IGN)\n"
        + "signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals))\n"
        + "time.sleep(30)\n",
        timeout=0.5,
    )
    assert result.verdict == Verdict.TIMEOUT
    assert processes_in(pid_namespace(result)) == []


# --- outliving the run ---

DAEMON = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import signal
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("daemon", os.getpid(), flush=True)
        while True:
            time.sleep(0.05)
    os._exit(0)
time.sleep(0.2)
print("parent leaves")
"""


def test_a_setsid_daemon_dies_with_the_run() -> None:
    result = run(PRINT_NAMESPACE + DAEMON)
    # The daemon holds stdout open; the run still ends (ok) as soon as the program does.
    assert result.verdict == Verdict.OK, result.stderr
    assert "daemon" in result.stdout and "parent leaves" in result.stdout
    assert processes_in(pid_namespace(result)) == []


def test_a_daemon_dies_at_the_timeout_too() -> None:
    result = run(PRINT_NAMESPACE + DAEMON + "time.sleep(30)\n", timeout=1)
    assert result.verdict == Verdict.TIMEOUT
    assert processes_in(pid_namespace(result)) == []


# --- signals to quizzer and its neighbours ---


@pytest.mark.parametrize(
    "attack",
    [
        "os.kill(os.getppid(), signal.SIGKILL)",
        "os.kill(-1, signal.SIGKILL)",
        "os.kill(-1, signal.SIGTERM)",
        "os.kill(1, signal.SIGKILL)",
        "os.killpg(os.getpgid(0), signal.SIGKILL)",
        "[os.kill(pid, signal.SIGKILL) for pid in (SENTINEL, HOST) if pid != os.getpid()]",
    ],
)
def test_signals_do_not_reach_quizzer(attack: str, sentinel: subprocess.Popen[bytes]) -> None:
    source = PRINT_NAMESPACE + (
        f"import signal, time\nSENTINEL, HOST = {sentinel.pid}, {os.getpid()}\n"
        f"try:\n    {attack}\nexcept OSError as error:\n    print(error.strerror)\n"
        "time.sleep(0.2)\nprint('survived')\n"
    )
    result = run(source, timeout=3)
    assert sentinel.poll() is None
    assert result.verdict in {Verdict.OK, Verdict.KILLED}, result
    assert processes_in(pid_namespace(result)) == []


def test_cannot_forge_its_verdict_through_the_launchers_fds() -> None:
    result = run(
        """
        import os, sys
        forged = 0
        for pid in {1, 2, os.getppid()} - {os.getpid()}:
            try:
                names = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for name in names:
                try:
                    with open(f"/proc/{pid}/fd/{name}", "w") as fd:
                        fd.write("0")
                    forged += 1
                except OSError:
                    pass
        print("forged", forged)
        sys.exit(3)
        """
    )
    assert (result.verdict, result.exit_code) == (Verdict.ERROR, 3), result
    assert result.stdout == "forged 0\n"


def test_no_capabilities_and_no_new_privileges() -> None:
    result = run(
        """
        status = dict(line.split(":\\t") for line in open("/proc/self/status").read().splitlines()
                      if ":\\t" in line)
        print(status["CapEff"], status["CapPrm"], status["CapBnd"], status["NoNewPrivs"],
              status["Seccomp"])
        import os
        print(os.getuid(), os.getgid(), os.getgroups())
        """
    )
    caps, ids = result.stdout.splitlines()
    eff, prm, bnd, nnp, seccomp = caps.split()
    assert int(eff, 16) == int(prm, 16) == int(bnd, 16) == 0
    assert (nnp, seccomp) == ("1", "2")  # 2: a seccomp filter
    assert ids.startswith("65534 65534")


def test_cannot_mount_or_change_the_hostname() -> None:
    result = run(
        """
        import socket, subprocess
        print(socket.gethostname())
        done = subprocess.run(["mount", "-t", "tmpfs", "x", "/tmp"], capture_output=True)
        print("mount", done.returncode)
        """
    )
    hostname, mount = result.stdout.splitlines()
    assert hostname == "sandbox"
    assert mount != "mount 0"
    assert socket.gethostname() != "sandbox"


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="syscall numbers of x86_64")
def test_no_nested_namespace_and_no_kernel_extras() -> None:
    # A nested user namespace would give the program every capability over namespaces of its
    # own (mounts, network devices), and the rest is kernel surface no card needs.
    result = run(
        """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        def attempt(name, number, *args):
            result = libc.syscall(number, *args)
            print(name, result, os.strerror(ctypes.get_errno()) if result == -1 else "")
        attempt("unshare-user", 272, 0x10000000)
        attempt("unshare-net", 272, 0x40000000)
        attempt("unshare-time", 272, 0x80)
        attempt("clone-user", 56, 0x10000000 | 17, 0, 0, 0, 0)
        attempt("clone3", 435, 0, 0)
        attempt("setns", 308, os.open("/proc/self/ns/net", os.O_RDONLY), 0)
        attempt("keyctl", 250, 0, 0, 0, 0, 0)
        attempt("bpf", 321, 0, 0, 0)
        attempt("io_uring_setup", 425, 8, 0)
        attempt("userfaultfd", 323, 0)
        attempt("fsopen", 430, b"tmpfs", 0)
        attempt("ptrace", 101, 0, 0, 0, 0)
        # A user namespace made by any of them would show here as a full set of capabilities.
        print([line for line in open("/proc/self/status") if line.startswith("CapEff")][0].strip())
        """
    )
    *attempts, capabilities = result.stdout.splitlines()
    failed = dict(line.split(" ", 1) for line in attempts)
    assert failed.pop("clone3") == "-1 Function not implemented"  # so libc falls back to clone
    assert failed == dict.fromkeys(failed, "-1 Operation not permitted"), result.stdout
    assert len(failed) == 11
    assert int(capabilities.split()[1], 16) == 0


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the x32 ABI is x86_64's")
def test_another_syscall_abi_is_killed() -> None:
    # x32 numbers (bit 30) would slip past a filter written for x86_64's: the filter kills.
    result = run(
        """
        import ctypes, sys
        print("before", flush=True)
        ctypes.CDLL(None).syscall(0x40000000 | 272, 0x10000000)  # x32 unshare(CLONE_NEWUSER)
        print("after", flush=True)
        """
    )
    assert (result.verdict, result.exit_code, result.stdout) == (Verdict.KILLED, -31, "before\n")


# --- one run against another (programs of `verify -j 2` run side by side) ---

VICTIM = "import os, time\ntime.sleep(2.5)\nprint('ok', os.getpriority(os.PRIO_PROCESS, 0))\n"

NEIGHBOUR_ATTACKS = [
    "os.kill(0, signal.SIGKILL)",
    "os.kill(0, signal.SIGSTOP)",
    "os.killpg(os.getpgrp(), signal.SIGKILL)",
    "os.kill(-1, signal.SIGKILL)",
    "os.kill(-1, signal.SIGSTOP)",
    "os.setpriority(os.PRIO_PGRP, 0, 19)",
    "os.setpriority(os.PRIO_USER, 0, 19)",
]


def run_beside_a_victim(attack: str) -> tuple[Run, Run]:
    """Run `attack` while another program runs: (the attacker's run, the victim's)."""
    source = f"import os, signal, time\ntry:\n    {attack}\nexcept OSError:\n    pass\n"
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        run("print('warm')")  # the fork server is up before the victim starts
        victim = pool.submit(run, VICTIM, timeout=30)
        time.sleep(0.8)  # the victim is running (it sleeps 2.5 s): now the attack
        attacker = pool.submit(run, source + "time.sleep(0.3)\n", timeout=10)
        return attacker.result(), victim.result()


@pytest.mark.parametrize("attack", NEIGHBOUR_ATTACKS)
def test_a_run_cannot_signal_or_renice_another(attack: str) -> None:
    _, victim = run_beside_a_victim(attack)
    assert (victim.verdict, victim.stdout) == (Verdict.OK, "ok 0\n"), victim
    assert run("print('served')").stdout == "served\n"


def test_each_run_has_its_own_session_and_process_group() -> None:
    result = run("import os\nprint(os.getsid(0) == os.getpgrp() == os.getpid())")
    # Its own session, led by its launcher (the program's parent) or by the program itself.
    ids = run("import os\nprint(os.getsid(0), os.getpgrp(), os.getppid(), os.getpid())")
    sid, pgrp, parent, pid = ids.stdout.split()
    assert sid == pgrp and sid in {parent, pid}, ids.stdout
    assert result.verdict == Verdict.OK


AS_USER_NEIGHBOURS = """
import concurrent.futures, os, sys, time
sys.path.insert(0, sys.argv[1])
from quizzer import sandbox
victim = "import os, time\\ntime.sleep(2.5)\\nprint('ok', os.getpriority(os.PRIO_PROCESS, 0))"
for mode in ("forkserver", "bwrap"):
    os.environ["QUIZZER_SANDBOX"] = mode
    for attack in ATTACKS:
        sandbox.run_program("print(1)")
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            waiting = pool.submit(sandbox.run_program, victim, timeout=30)
            time.sleep(0.8)
            source = f"import os, signal, time\\ntry:\\n    {attack}\\n"
            source += "except OSError:\\n    pass\\ntime.sleep(0.3)"
            pool.submit(sandbox.run_program, source, timeout=10).result()
            done = waiting.result()
        after = sandbox.run_program("print('served')")
        print(mode, attack, done.isolation, done.verdict, done.stdout.strip(), after.stdout.strip())
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, to run quizzer as an ordinary user")
def test_an_ordinary_users_runs_cannot_reach_each_other_or_the_server(sandboxed: str) -> None:
    # As an ordinary user the fork server runs as that user, so kill(0) reached it too.
    if sandboxed != "forkserver":
        pytest.skip("the script checks both runners at once")
    attacks = ["os.kill(0, signal.SIGKILL)", "os.kill(0, signal.SIGSTOP)", "os.kill(-1, 9)"]
    lines = run_as_ordinary_user(AS_USER_NEIGHBOURS.replace("ATTACKS", repr(attacks)))
    expected = [
        f"{mode} {attack} bwrap ok ok 0 served"
        for mode in ("forkserver", "bwrap")
        for attack in attacks
    ]
    assert lines == expected


def run_as_ordinary_user(script: str) -> list[str]:
    """Run `script` (argv[1]: a folder holding a copy of quizzer) as nobody, under setpriv,
    with the system's python3; its stdout lines. Skips where that cannot be done."""
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
        user = ["--reuid", "65534", "--regid", "65534", "--clear-groups"]
        done = subprocess.run(
            [setpriv, *user, python, "-I", "-c", script, str(folder)],
            capture_output=True,
            text=True,
            timeout=240,
            cwd="/",
            env={"PATH": f"{folder / 'bin'}:/usr/bin:/bin", "HOME": str(folder)},
        )
    finally:
        shutil.rmtree(folder)
    if "No module named" in done.stderr or "SyntaxError" in done.stderr:
        pytest.skip(f"the system python cannot run quizzer: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


# --- memory held by the whole program ---

HOLD_IN_CHILDREN = """
import os, time
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = bytearray(100 * 1024 * 1024)
        for at in range(0, len(block), 4096):
            block[at] = 1
        time.sleep(1)
        os._exit(0)
    children.append(pid)
codes = [os.waitpid(pid, 0)[1] for pid in children]
print("held" if codes == [0] * 4 else "refused", codes)
"""

HOLD_IN_TMP = """
for n in range(300):
    with open(f"/tmp/block{n}", "wb") as block:
        block.write(b"x" * 1024 * 1024)
print("held")
"""

HOLD_IN_SYSV_SHM = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
held = 0
for _ in range(4):  # each attached alone (the address-space limit allows one at a time)
    segment = libc.shmget(0, 100 * 1024 * 1024, 0o1600)  # IPC_PRIVATE, IPC_CREAT
    if segment < 0:
        break
    address = libc.shmat(segment, None, 0)
    ctypes.memset(address, 1, 100 * 1024 * 1024)
    libc.shmdt(ctypes.c_void_p(address))
    held += 1
print("held" if held == 4 else "refused", held)
"""

HOLD_IN_MEMFD = """
import os
hoard = []
for _ in range(30):  # each below the file-size limit, which holds for a memfd too
    hoard.append(os.memfd_create("hoard"))
    for _ in range(12):
        os.write(hoard[-1], b"x" * 1024 * 1024)
print("held")
"""

SMALL_MEMORY = Limits(memory_bytes=192 * 1024 * 1024, tmp_bytes=512 * 1024 * 1024)


@pytest.fixture(params=["cgroup", "no-cgroup"])
def memory_accounting(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """With the machine's cgroup (where it gives one), and as a machine without one."""
    if request.param == "cgroup" and cgroup.find().hierarchy is None:
        pytest.skip(f"no cgroup here: {cgroup.find().reason}")
    if request.param == "no-cgroup":
        monkeypatch.setattr(cgroup, "find", lambda: cgroup.Found(None, "turned off by the test"))
    return str(request.param)


@pytest.mark.parametrize(
    "source",
    [HOLD_IN_CHILDREN, HOLD_IN_TMP, HOLD_IN_SYSV_SHM, HOLD_IN_MEMFD],
    ids=["children", "tmpfs", "sysv-shm", "memfd"],
)
def test_the_memory_limit_holds_for_the_whole_program(source: str, memory_accounting: str) -> None:
    # Each holds about twice the limit in memory no single process's address space counts.
    if source == HOLD_IN_CHILDREN and memory_accounting == "no-cgroup":
        pytest.skip("without a cgroup the bound is processes x address space (doctor says so)")
    result = run(source, limits=SMALL_MEMORY, timeout=30)
    # Refused outright (the syscall filter), or ended: never held with verdict ok.
    assert "held" not in result.stdout, result
    assert result.verdict != Verdict.OK or result.stdout.startswith("refused"), result


def test_a_cgroup_makes_it_a_memory_verdict() -> None:
    if cgroup.find().hierarchy is None:
        pytest.skip(f"no cgroup here: {cgroup.find().reason}")
    for source in (HOLD_IN_CHILDREN, HOLD_IN_TMP):
        assert run(source, limits=SMALL_MEMORY, timeout=30).verdict == Verdict.MEMORY


def test_no_run_leaves_its_cgroup_behind() -> None:
    found = cgroup.find().hierarchy
    if found is None:
        pytest.skip(f"no cgroup here: {cgroup.find().reason}")
    run(HOLD_IN_CHILDREN, limits=SMALL_MEMORY, timeout=30)
    mine = f"quizzer-{os.getpid()}-"
    assert [p for f in found.folders for p in f.iterdir() if p.name.startswith(mine)] == []


def test_the_host_sees_the_program_in_a_cgroup_with_its_limits() -> None:
    found = cgroup.find().hierarchy
    if found is None:
        pytest.skip(f"no cgroup here: {cgroup.find().reason}")
    limits = Limits(memory_bytes=200 * 1024 * 1024, processes=20)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        running = pool.submit(
            run, "import time\nprint('up', flush=True)\ntime.sleep(2)", limits=limits
        )
        mine = f"quizzer-{os.getpid()}-"
        deadline = time.monotonic() + 20
        groups: list[Path] = []
        while not groups and time.monotonic() < deadline:
            groups = [g for g in found.memory.iterdir() if g.name.startswith(mine)]
            members = [(g / "cgroup.procs").read_text().split() for g in groups]
            if not all(members):
                groups = []
            time.sleep(0.02)
        assert len(groups) == 1, "no run's cgroup with a process in it"
        group = groups[0]
        limit = "memory.max" if found.version == 2 else "memory.limit_in_bytes"
        assert int((group / limit).read_text()) == limits.memory_bytes
        assert (found.pids / group.name / "pids.max").read_text().strip() == "21"
        assert running.result().verdict == Verdict.OK


# --- the host seen from inside ---

HOST_FILES = ["cmdline", "stat", "interrupts", "uptime", "sys/kernel/random/boot_id", "cpuinfo"]


def test_proc_does_not_show_the_host() -> None:
    source = "import json\nprint(json.dumps({n: open('/proc/' + n).read() for n in NAMES}))"
    result = run(source.replace("NAMES", repr(HOST_FILES)))
    seen = json.loads(result.stdout)
    for name in HOST_FILES:
        host = Path("/proc", name).read_text()
        assert host.strip(), name  # there is something to hide
        assert seen[name] == "", name
    listed = run("import os\nprint(sorted(os.listdir('/proc/irq') + os.listdir('/proc/bus')))")
    assert listed.stdout == "[]\n"
