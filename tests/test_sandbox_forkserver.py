"""The warm fork server: clean after any program, safe for many threads, restarted, shut down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from quizzer import sandbox
from quizzer.model import Verdict
from quizzer.sandbox import bwrap, forkserver
from quizzer.sandbox.process import launcher_command

pytestmark = pytest.mark.skipif(
    bwrap.find_bwrap().path is None,
    reason=f"bwrap cannot run here: {bwrap.find_bwrap().reason}",
)


@pytest.fixture(autouse=True)
def served(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sandbox.MODE_ENV, "forkserver")


def server() -> forkserver.ForkServer:
    found = bwrap.find_bwrap().path
    assert found is not None
    return forkserver.shared_server(found, launcher_command())


def server_pid() -> int:
    process = server()._process
    assert process is not None
    return process.pid


def run(source: str, **kwargs: object) -> sandbox.Run:  # type: ignore[name-defined]
    return sandbox.run_program(textwrap.dedent(source), **kwargs)  # type: ignore[arg-type]


POISON = """
import builtins, os, sys, signal, resource, asyncio, json
builtins.print = lambda *a, **k: None
json.dumps = None
asyncio.run = None
sys.modules["collections"] = None
os.environ["POISONED"] = "1"
os.chdir("/")
signal.signal(signal.SIGTERM, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_NOFILE, (10, 10))
open("/tmp/left-behind", "w").write("x")
open("/dev/shm/left-behind", "w").write("x")
sys.stdout.write("poisoned\\n")
"""

CHECK = """
import asyncio, json, os, signal, resource, collections
print(json.dumps({
    "print_ok": True,
    "asyncio": asyncio.run(asyncio.sleep(0, result="ran")),
    "env": "POISONED" in os.environ,
    "cwd": os.getcwd(),
    "sigterm": signal.getsignal(signal.SIGTERM) == signal.SIG_DFL,
    "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
    "tmp": sorted(os.listdir("/tmp")),
    "shm": os.listdir("/dev/shm"),
}))
"""


def test_a_program_cannot_poison_the_next(tmp_path: Path) -> None:
    first = run(POISON)
    assert (first.verdict, first.stdout) == (Verdict.OK, "poisoned\n")
    second = run(CHECK)
    assert second.verdict == Verdict.OK, second.stderr
    assert second.stdout.strip() == (
        '{"print_ok": true, "asyncio": "ran", "env": false, "cwd": "/tmp", "sigterm": true, '
        '"nofile": 256, "tmp": ["main.py"], "shm": []}'
    )


def test_the_server_is_warm_and_survives_many_runs() -> None:
    run("print(1)")
    pid = server_pid()
    results = [
        run(f"import asyncio\nprint(asyncio.run(asyncio.sleep(0, result={n})))") for n in range(30)
    ]
    assert [r.stdout for r in results] == [f"{n}\n" for n in range(30)]
    assert server_pid() == pid


def test_concurrent_runs_each_have_their_own_loopback_and_tmp() -> None:
    # Every streams card binds the same port; run side by side, each has a network of its own.
    source = """
    import asyncio, os
    async def handle(reader, writer):
        writer.write((await reader.readline()).upper())
        await writer.drain()
        writer.close()
    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 8888)
        async with server:
            reader, writer = await asyncio.open_connection("localhost", 8888)
            writer.write(b"ping %d\\n" % os.getpid())
            line = await reader.readline()
            writer.close()
            await asyncio.sleep(0.2)  # hold the port while the others run
        open("/tmp/mine", "w").write("x")
        print(line.decode().split()[0], sorted(os.listdir("/tmp")))
    asyncio.run(main())
    """
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: run(source), range(12)))
    for result in results:
        assert (result.verdict, result.stdout) == (Verdict.OK, "PING ['main.py', 'mine']\n"), (
            result.stderr
        )


def test_concurrent_verdicts_stay_apart() -> None:
    programs = {
        "ok": ("print('fine')", Verdict.OK),
        "error": ("raise SystemExit(4)", Verdict.ERROR),
        "memory": ("x = bytearray(2 ** 33)", Verdict.MEMORY),
        "timeout": ("import time\ntime.sleep(20)", Verdict.TIMEOUT),
        "flood": ("while True:\n    print('x' * 1000)", Verdict.OUTPUT_LIMIT),
        "killed": ("import os\nos.kill(os.getpid(), 9)", Verdict.KILLED),
    }
    jobs = list(programs.items()) * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda job: run(job[1][0], timeout=1.5), jobs))
    assert [r.verdict for r in results] == [verdict for _, (_, verdict) in jobs]


@pytest.mark.parametrize(
    "attack",
    [
        "os.kill(1, signal.SIGKILL)",
        "os.kill(-1, signal.SIGKILL)",
        "os.kill(0, signal.SIGKILL)",
        "os.kill(os.getppid(), signal.SIGINT)",
    ],
)
def test_signals_cannot_reach_the_server(attack: str) -> None:
    run("print(1)")
    pid = server_pid()
    run(f"import os, signal\n{attack}\nimport time\ntime.sleep(0.1)")
    assert run("print('still served')").stdout == "still served\n"
    assert server_pid() == pid


def test_a_dead_server_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sandbox.MODE_ENV, "auto")
    run("print(1)")
    old = server_pid()
    os.killpg(old, signal.SIGKILL)
    # The next program still gets a verdict (in a fresh sandbox, or a new server) ...
    assert run("print('after')").stdout == "after\n"
    # ... and soon a new server serves again.
    assert run("print('again')").stdout == "again\n"
    assert server_pid() != old


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in map(int, (task / "children").read_text().split()):
            found += [child, *descendants(child)]
    return found


def test_a_server_gone_while_it_reads_a_request_is_a_server_error() -> None:
    serving = server()
    assert serving.wait_ready() is None
    python = launcher_command()[0].encode()
    interpreter = next(
        pid
        for pid in descendants(server_pid())
        if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(python + b"\0")
    )
    os.kill(interpreter, signal.SIGSTOP)  # it takes no more requests: the next one waits
    big = "x = 1\n" * 1_000_000  # more than a socket buffer holds: sending it waits for a reader
    with ThreadPoolExecutor(max_workers=1) as pool:
        sent = pool.submit(
            serving.run, big, wall=5.0, limits=sandbox.DEFAULT_LIMITS, files=None, isolation="bwrap"
        )
        time.sleep(0.5)  # the request's fds are queued to the stopped server
        forkserver.forget_server(serving)  # the server dies, and the queued request with it
        with pytest.raises(forkserver.ServerError, match="dropped the request"):
            sent.result(timeout=30)
    # The next program gets a new server.
    assert run("print('served again')").stdout == "served again\n"


def test_warm_up_starts_the_server_in_the_background() -> None:
    sandbox.warm_up()
    started = server()
    assert started.wait_ready() is None
    run("print(1)")
    assert server() is started


SHUTDOWN_HOST = """
from quizzer import sandbox
from quizzer.sandbox import bwrap, forkserver
from quizzer.sandbox.process import launcher_command
print(sandbox.run_program("print('x')").stdout.strip())
server = forkserver.shared_server(bwrap.find_bwrap().path, launcher_command())
print(server._process.pid, flush=True)
"""


def test_the_server_ends_with_quizzer() -> None:
    env = {**os.environ, sandbox.MODE_ENV: "forkserver"}
    done = subprocess.run(
        [sys.executable, "-c", SHUTDOWN_HOST], capture_output=True, text=True, env=env, timeout=60
    )
    output, pid = done.stdout.split()
    assert output == "x"
    stat = Path(f"/proc/{pid}/stat")
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] in {"Z", "X"}


def test_doctor_reports_the_fork_server() -> None:
    assert sandbox.report()["runner"].startswith("a warm fork server")  # type: ignore[union-attr]
