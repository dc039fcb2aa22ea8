"""The memory a process and its children (a fleet's forked workers) use together.

Summing each process's RSS counts every page a forked worker still shares with its
parent (the interpreter, the imported modules) once per process. PSS, the
proportional set size the kernel reports in ``/proc/PID/smaps_rollup``, charges a
page shared by k processes 1/k to each, so the sum over the processes is the
memory they hold together. ``Sampler`` reads both for this process and its
children every ``interval`` seconds in a thread and keeps the highest sums; a
peak between two samples can be missed, which the per-process ``ru_maxrss`` peaks
(summed, an over-count) bound from above. Reading costs a few milliseconds of
CPU per sample, charged to this process: ``cpu_s`` says how much, so a caller
measuring CPU can leave it out.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import TracebackType

PROC = Path("/proc")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in (PROC / str(pid) / "task").iterdir():
        text = (task / "children").read_text(encoding="ascii")
        found += [int(child) for child in text.split()]
    return found


def _rollup_kib(pid: int) -> tuple[int, int]:
    """``(Pss, Rss)`` of ``pid`` in KiB; zeros once it has ended."""
    pss = rss = 0
    try:
        text = (PROC / str(pid) / "smaps_rollup").read_text(encoding="ascii")
    except OSError:  # ended between listing and reading
        return 0, 0
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name == "Pss":
            pss = int(rest.split()[0])
        elif name == "Rss":
            rss = int(rest.split()[0])
    return pss, rss


def available() -> bool:
    """True where the kernel reports PSS (Linux 4.14 and later)."""
    return (PROC / "self" / "smaps_rollup").is_file()


class Sampler:
    """``with Sampler() as memory: ...``, then ``memory.peak_pss_kib`` (and RSS).

    Both are sums over this process and its children at the sampled moment with
    the highest PSS sum (RSS summed at that same moment, for comparison).
    """

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak_pss_kib = 0
        self.peak_rss_kib = 0
        self.samples = 0
        self.cpu_s = 0.0
        """The sampling thread's own CPU time (reading smaps_rollup is not free)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        """Read every process once; keep the sums if their PSS is the highest yet."""
        me = os.getpid()
        pss = rss = 0
        for pid in [me, *_children(me)]:
            one_pss, one_rss = _rollup_kib(pid)
            pss, rss = pss + one_pss, rss + one_rss
        self.samples += 1
        if pss > self.peak_pss_kib:
            self.peak_pss_kib, self.peak_rss_kib = pss, rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()
        self.cpu_s = time.thread_time()

    def __enter__(self) -> Sampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
