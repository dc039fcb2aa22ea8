"""A farm of simulated PowerSchools for the benchmark, served from a child process.

Real districts' PowerSchools are other machines, so the benchmark keeps the
simulators out of the measured process: ``python tests/bench/run.py --farm DIR N``
serves N simulators over loopback HTTP, district ``k`` (1-based) on its own address
``127.0.0.(k+1)``, then ``127.0.1.0`` and on (all of 127.0.0.0/8 is loopback), and
one shared port, each with its own state file ``DIR/dK.json``. One uvicorn process
serves them all; every request is routed by the address it arrived on, and its
start and end times
(``time.perf_counter``, the system-wide monotonic clock, so the parent can compare)
are written to ``DIR/timeline.jsonl`` when the farm stops.

The farm's simulators are the stock ones, with one change: the administrator's
password is stored with 1 000 PBKDF2 iterations instead of 100 000. One core plays
every PowerSchool of the fleet here, and 200 stock sign-ins would cost it four
seconds of hashing that 200 real servers do in parallel. Nothing psconfig does
changes with it.

Two things about how they are served, neither visible to psconfig: ``DIR`` is on
tmpfs when the machine has one (``memory_dir``: no fsync stalls of the farm's one
event loop), and HTTP is parsed by httptools when it is installed (the dev
extra; uvicorn's pure-Python h11 otherwise). One process serves every district:
a fleet run at the goal's pace keeps it under one core (``docs/performance.md``).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psconfig.model import Frozen
from psconfig.sim import DEMO_ADMIN_PASSWORD, SimApp, create_app, save_state, seed_state
from psconfig.sim.state import PasswordHash, SimFaults

FARM_ITERATIONS = 1_000
READY = "farm ready on port "


class Hit(Frozen):
    """One request the farm answered: which district, what, and when."""

    district: int
    method: str
    path: str
    start: float
    end: float


def address(district: int) -> str:
    """The loopback address district ``district`` (1-based) is served on."""
    return f"127.0.{(district + 1) // 256}.{(district + 1) % 256}"


def district_of(host: str) -> int:
    """``address``'s inverse."""
    third, fourth = host.rsplit(".", 2)[1:]
    return int(third) * 256 + int(fourth) - 1


def light_admin_password() -> PasswordHash:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac(
        "sha256", DEMO_ADMIN_PASSWORD.encode(), salt, FARM_ITERATIONS
    )
    return PasswordHash(iterations=FARM_ITERATIONS, salt=salt.hex(), hash=digest.hex())


def seed_farm(root: Path, count: int, *, latency_ms: int) -> None:
    """Write ``count`` fresh modern-flavor state files with the given latency."""
    root.mkdir(parents=True, exist_ok=True)
    password = light_admin_password()
    for district in range(1, count + 1):
        state = seed_state(flavor="modern")
        state.staff[0].password = password
        state.faults = SimFaults(latency_ms=latency_ms)
        save_state(state, root / f"d{district}.json")


class Router:
    """Route each request to the simulator of the address it arrived on."""

    def __init__(self, apps: dict[str, SimApp]) -> None:
        self.apps = apps
        self.hits: list[Hit] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        host = scope["server"][0] if scope.get("server") else ""
        app = self.apps[host]
        started = time.perf_counter()
        try:
            await app(scope, receive, send)
        finally:
            if scope["type"] == "http":
                self.hits.append(
                    Hit(
                        district=district_of(host),
                        method=scope["method"],
                        path=scope["path"],
                        start=started,
                        end=time.perf_counter(),
                    )
                )


def serve_farm(root: Path, count: int) -> None:
    """Serve ``count`` districts until stdin closes; then write the timeline.

    (Not on SIGTERM: uvicorn re-raises it after shutting down, which would end the
    process before the timeline is written.)
    """
    import threading

    import uvicorn

    from psconfig.sim.serve import listen

    sockets = [listen(address(1), 0)]
    port = sockets[0].getsockname()[1]
    sockets += [listen(address(k), port) for k in range(2, count + 1)]
    for sock in sockets:
        # listen() opens its socket with protocol 0, so asyncio does not turn Nagle
        # off on the accepted connections, and every answer then waits ~40 ms for
        # the client's delayed ACK. Accepted sockets inherit the option (Linux).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    apps = {address(k): create_app(root / f"d{k}.json") for k in range(1, count + 1)}
    router = Router(apps)
    config = uvicorn.Config(
        router,
        lifespan="off",
        access_log=False,
        log_level="warning",
        backlog=4096,
        http=http_parser(),
    )
    server = uvicorn.Server(config)

    def stop_at_eof() -> None:
        sys.stdin.read()
        server.should_exit = True

    threading.Thread(target=stop_at_eof, daemon=True).start()
    print(f"{READY}{port}", flush=True)
    server.run(sockets=sockets)
    lines = [hit.model_dump_json() for hit in router.hits]
    (root / "timeline.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "cpu.txt").write_text(f"{time.process_time():.3f}\n", encoding="utf-8")


def http_parser() -> str:
    """uvicorn's C parser (httptools) when installed, else its pure-Python one."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        return "h11"
    return "httptools"


def memory_dir() -> Path | None:
    """A directory in memory (tmpfs) for the farm's state files, if there is one.

    Every write a simulator answers saves its state file with an fsync, ~5 ms of
    disk wait here that blocks the farm's one event loop (every district's
    answers) for each of the fleet's writes. A district's own server syncs its
    own disk; on tmpfs the sync costs nothing and the files behave the same.
    """
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else None


@dataclass
class Farm:
    """A running farm: its districts' URLs; ``hits`` once it has stopped."""

    root: Path
    port: int
    count: int
    hits: list[Hit]
    cpu_s: float = 0.0
    """The farm process's CPU time, once it has stopped."""
    pid: int = 0

    def cpu_now(self) -> float:
        """The running farm process's CPU time so far (user + system), seconds."""
        fields = Path(f"/proc/{self.pid}/stat").read_text(encoding="ascii")
        # The command name (field 2) may hold spaces; utime and stime follow it.
        after_name = fields.rsplit(")", 1)[1].split()
        ticks = int(after_name[11]) + int(after_name[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def url(self, district: int) -> str:
        return f"http://{address(district)}:{self.port}"


@contextmanager
def farm(root: Path, count: int, *, latency_ms: int) -> Iterator[Farm]:
    """Seed and serve ``count`` districts in a child process; stop it on exit.

    The state files live in memory when there is a tmpfs (``memory_dir``), else in
    ``root``.
    """
    root.mkdir(parents=True, exist_ok=True)  # the caller's files go there
    memory = memory_dir()
    states = (
        Path(tempfile.mkdtemp(prefix="psconfig-farm-", dir=memory)) if memory else root
    )
    try:
        with _farm(states, count, latency_ms=latency_ms) as running:
            yield running
    finally:
        if memory:
            shutil.rmtree(states, ignore_errors=True)


@contextmanager
def _farm(root: Path, count: int, *, latency_ms: int) -> Iterator[Farm]:
    seed_farm(root, count, latency_ms=latency_ms)
    command = [sys.executable, str(Path(__file__).with_name("run.py"))]
    command += ["--farm", str(root), str(count)]
    child = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdin is not None and child.stdout is not None
    line = child.stdout.readline()
    if not line.startswith(READY):
        child.kill()
        raise RuntimeError(f"the farm did not start: {line!r}")
    running = Farm(root, int(line[len(READY) :]), count, [], pid=child.pid)
    try:
        _wait_for(running)
        yield running
    except BaseException:
        child.kill()
        raise
    finally:
        child.stdin.close()  # the farm stops at end of input
        child.wait(timeout=60)
        child.stdout.close()
        running.cpu_s = float((root / "cpu.txt").read_text(encoding="utf-8"))
        timeline = root / "timeline.jsonl"
        for text in timeline.read_text(encoding="utf-8").splitlines():
            if text:
                running.hits.append(Hit.model_validate(json.loads(text)))


def _wait_for(running: Farm) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection((address(1), running.port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
