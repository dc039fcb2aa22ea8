"""A fleet plan or drift check spread over worker processes (``--workers N``).

One process plans a district in about a millisecond of CPU per request, so a large
fleet is CPU-bound on one core long before PowerSchool is the limit. With
``workers`` > 1 the selected specs are dealt round-robin to that many forked
processes, each running ``plan_fleet`` on its share with the same options; the
parent hears of every district as it finishes (``on_done``, in finishing order,
as a single process does) and returns one ``FleetResult`` with the districts in
the order given. Content and exit code are those of a one-process run.

Districts naming the same server never hold sessions at once, across processes
too: each district holds its server's lock file (``psconfig.engine.applying.lock``) in a
directory private to the run while it talks to the server. A worker that dies
leaves its unfinished districts as ``error`` results saying so.

``fork`` keeps the parent's loaded modules and options (whose callables could
not be sent to a fresh process); it is POSIX-only, so elsewhere one process runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
import resource
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Generic

from psconfig.drivers.base import Driver
from psconfig.engine.applying.audit import iso, utc_now
from psconfig.engine.applying.plan_and_apply import S, plan_spec
from psconfig.engine.fleet.runner import (
    DistrictResult,
    FleetOptions,
    FleetResult,
    Result,
    ServerLocks,
    held_lock,
    plan_fleet,
    run_each,
)
from psconfig.engine.fleet.shard import Shard, select_shard
from psconfig.engine.planning.plan import Mode, Plan

SERVER_WAIT_S = 24 * 3600.0
"""How long a district waits for its server while another process uses it."""


def default_workers() -> int:
    """The machine's cores (those this process may run on)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def plan_fleet_workers(
    paths: Sequence[Path],
    fleet: FleetOptions[S],
    *,
    mode: Mode = "plan",
    shard: Shard | None = None,
    workers: int = 1,
    peaks_kib: list[int] | None = None,
    locks: ServerLocks | None = None,
) -> FleetResult:
    """``plan_fleet`` over ``workers`` processes (see the module docstring).

    ``peaks_kib``, when given, receives each worker's peak resident memory. With
    ``locks`` each district also holds its server's shared lock (the one apply
    takes) while it reads, exactly as ``plan_fleet`` does in one process.
    """
    selected = select_shard(paths, shard)
    count = min(workers, len(selected))
    if count < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return asyncio.run(
            plan_fleet(paths, fleet, mode=mode, shard=shard, locks=locks)
        )
    started, timestamp = time.perf_counter(), iso(utc_now())
    with tempfile.TemporaryDirectory(prefix="psconfig-workers-") as private:
        run = _Run(fleet, mode, Path(private), locks)
        found = _run_workers(selected, run, count, peaks_kib)
    districts = tuple(
        found.get(i) or _lost(path, fleet) for i, path in enumerate(selected)
    )
    return FleetResult(
        command=mode,
        timestamp=timestamp,
        parallelism=fleet.parallelism,
        duration_s=round(time.perf_counter() - started, 3),
        districts=districts,
        shard=shard,
        total=len(paths),
    )


@dataclass(frozen=True)
class _Run(Generic[S]):
    """What every worker of one run shares.

    ``private`` holds the run's own server locks (districts of one server take
    turns across workers); ``shared`` is the state home's, which keeps a read out
    of an apply's toggle bracket.
    """

    fleet: FleetOptions[S]
    mode: Mode
    private: Path
    shared: ServerLocks | None


def _run_workers(
    selected: list[Path],
    run: _Run[S],
    count: int,
    peaks_kib: list[int] | None,
) -> dict[int, DistrictResult]:
    fleet = run.fleet
    context = multiprocessing.get_context("fork")
    pipes, children = [], []
    # Frozen objects are left out of the workers' garbage collections, so the
    # pages they share with the parent (every imported module) stay shared
    # instead of being copied into each worker when a collection touches them.
    gc.freeze()
    try:
        for k in range(count):
            receive, send = context.Pipe(duplex=False)
            share = list(range(k, len(selected), count))
            child = context.Process(target=_worker, args=(send, selected, share, run))
            child.start()
            send.close()
            pipes.append(receive)
            children.append(child)
    finally:
        gc.unfreeze()
    found: dict[int, DistrictResult] = {}
    open_pipes = list(pipes)
    while open_pipes:
        for ready in multiprocessing.connection.wait(open_pipes):
            assert isinstance(ready, Connection)
            try:
                kind, index, payload = ready.recv()
            except EOFError:
                open_pipes.remove(ready)
                continue
            if kind == "peak":
                if peaks_kib is not None:
                    peaks_kib.append(int(payload))
                continue
            district = DistrictResult.model_validate_json(payload)
            found[index] = district
            if fleet.on_done is not None:
                fleet.on_done(district)
    for child in children:
        child.join()
    return found


def _worker(
    send: Connection,
    selected: list[Path],
    share: list[int],
    run: _Run[S],
) -> None:
    """In a worker: plan the ``share`` of ``selected``; send each district back."""
    fleet, mode = run.fleet, run.mode
    index_of: dict[str, list[int]] = {}
    for i in share:  # a path given twice is two districts
        index_of.setdefault(str(selected[i]), []).append(i)

    def done(district: DistrictResult) -> None:
        index = index_of[district.path].pop(0)
        send.send(("district", index, district.model_dump_json()))

    @contextlib.asynccontextmanager
    async def server_free(spec: S) -> AsyncIterator[None]:
        url = fleet.target_url(spec)
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(
                held_lock(url, run.private, timeout=SERVER_WAIT_S)
            )
            if run.shared is not None:
                shared = run.shared
                await stack.enter_async_context(
                    held_lock(
                        url,
                        shared.base_dir,
                        timeout=shared.timeout,
                        on_wait=shared.on_wait,
                    )
                )
            yield

    async def work(spec: S, driver: Driver) -> tuple[Result, Plan]:
        plan = await plan_spec(spec, driver, mode=mode)
        if not plan.has_changes:
            return "clean", plan
        return ("drift" if mode == "drift" else "changes"), plan

    mine = replace(fleet, on_done=done)
    paths = [selected[i] for i in share]
    try:
        asyncio.run(run_each(paths, mine, work, guard=server_free))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        send.send(("peak", -1, peak))
    finally:
        # Returning ends the process without the parent's atexit handlers (fork).
        send.close()


def _lost(path: Path, fleet: FleetOptions[S]) -> DistrictResult:
    district = DistrictResult(
        name=path.stem,
        path=str(path),
        result="error",
        error="the worker process planning it ended before it finished",
    )
    if fleet.on_done is not None:
        fleet.on_done(district)
    return district
