"""``psconfig sim serve`` as a real process, for tests that need real sockets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def sim_serve(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run ``psconfig sim serve --port 0 ARGS``; yield its first line and the process.

    That line (the URL) is printed once the socket listens, so it is the readiness
    signal: a test connects at once and never waits a fixed time. The process is
    stopped with SIGINT, as Ctrl-C would.
    """
    command = [sys.executable, "-m", "psconfig", "sim", "serve", "--port", "0", *args]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip(), process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
