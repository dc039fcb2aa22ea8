"""Where a plan's CPU goes: ``python tests/bench/profile_plan.py [PLANS]``.

Runs the benchmark's CPU measure (one fresh district, no latency, the simulator in
a child process) under ``cProfile`` and prints the time spent in each library's
own code (not counting callees), per plan, then the functions that cost most.
Profiling slows Python down several times, so read the shares, not the totals.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as a script: make `tests.bench` importable
    sys.path.insert(0, str(REPO))

from tests.bench.farm import farm  # noqa: E402
from tests.bench.run import ADMIN_PASSWORD, SYNC_PASSWORD, timed, write_specs  # noqa: E402

LIBRARIES = (
    ("httpx", "httpx, httpcore, h11, anyio (HTTP)"),
    ("httpcore", "httpx, httpcore, h11, anyio (HTTP)"),
    ("h11", "httpx, httpcore, h11, anyio (HTTP)"),
    ("anyio", "httpx, httpcore, h11, anyio (HTTP)"),
    ("importlib", "imports (failed ones included)"),
    ("<frozen", "imports (failed ones included)"),
    ("ssl", "TLS setup"),
    ("asyncio", "asyncio"),
    ("lxml", "lxml (HTML)"),
    ("ruamel", "ruamel (YAML)"),
    ("deepdiff", "deepdiff"),
    ("pydantic", "pydantic"),
    ("stamina", "stamina, tenacity (retries)"),
    ("tenacity", "stamina, tenacity (retries)"),
    ("psconfig", "psconfig"),
)


BUILT_INS = (
    ("SSLContext", "TLS setup"),
    ("_socket", "sockets"),
    ("epoll", "asyncio"),
    ("posix", "imports (failed ones included)"),
)


def library(filename: str, function: str) -> str:
    """Which library a profile row belongs to (built-ins by what they do)."""
    if filename == "~":
        for needle, name in BUILT_INS:
            if needle in function:
                return name
        return "built-ins"
    for needle, name in LIBRARIES:
        if needle in filename:
            return name
    return "the rest"


def main(plans: int) -> None:
    os.environ["PS_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    os.environ["CLEVER_SYNC_PASSWORD"] = SYNC_PASSWORD
    profile = cProfile.Profile(time.process_time)  # CPU, not waits in send()
    with (
        tempfile.TemporaryDirectory(prefix="psconfig-profile-") as tmp,
        farm(Path(tmp), 1, latency_ms=0) as running,
    ):
        (path,) = write_specs(Path(tmp), running, [1])

        async def run() -> None:
            await timed(path, running.url(1), "plan", 8)  # warm-up
            profile.enable()
            for _ in range(plans):
                await timed(path, running.url(1), "plan", 8)
            profile.disable()

        asyncio.run(run())
    stats = pstats.Stats(profile)
    shares: dict[str, float] = {}
    for (filename, _, function), row in stats.stats.items():  # type: ignore[attr-defined]
        name = library(filename, function)
        shares[name] = shares.get(name, 0.0) + row[2]
    total = sum(shares.values())
    print(f"own time per plan under cProfile ({plans} plans):")
    for name, seconds in sorted(shares.items(), key=lambda item: -item[1]):
        print(f"  {seconds / plans * 1000:7.2f} ms  {seconds / total:6.1%}  {name}")
    stats.sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
