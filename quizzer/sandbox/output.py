"""Read a program's stdout and stderr with a cap per stream and a deadline; report the Run."""

from __future__ import annotations

import os
import selectors
import time

from quizzer.model import Run, Verdict

CHUNK = 65536


def collect_output(
    out_fd: int, err_fd: int, deadline: float, cap: int
) -> tuple[bytes, bytes, Verdict | None]:
    """Read both pipes until they close, `deadline` (monotonic) passes or one exceeds `cap`.

    Returns what was read (at most `cap` bytes each) and TIMEOUT or OUTPUT_LIMIT when reading
    stopped early, None when both pipes closed. Never holds more than `cap` + CHUNK per stream.
    """
    out, err = bytearray(), bytearray()
    buffers = {out_fd: out, err_fd: err}
    ended: Verdict | None = None
    with selectors.DefaultSelector() as selector:
        for fd in (out_fd, err_fd):
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map() and ended is None:
            left = deadline - time.monotonic()
            if left <= 0:
                ended = Verdict.TIMEOUT
                break
            for key, _ in selector.select(timeout=left):
                chunk = os.read(key.fd, CHUNK)
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                buffer = buffers[key.fd]
                buffer += chunk[: cap + 1 - len(buffer)]
                if len(buffer) > cap:
                    del buffer[cap:]
                    ended = Verdict.OUTPUT_LIMIT
    return bytes(out), bytes(err), ended


def finished_run(
    *,
    ended: Verdict | None,
    verdict: Verdict,
    code: int | None,
    stdout: bytes,
    stderr: bytes,
    started: float,
    isolation: str,
) -> Run:
    """The Run of a program that `verdict` and `code` describe, unless reading `ended` it first
    (a timeout or the output limit); `started` is its monotonic start time."""
    return Run(
        verdict=ended or verdict,
        exit_code=code,
        stdout=stdout.decode("utf-8", "replace"),
        stderr=stderr.decode("utf-8", "replace"),
        seconds=time.monotonic() - started,
        truncated=ended == Verdict.OUTPUT_LIMIT,
        isolation=isolation,
    )
