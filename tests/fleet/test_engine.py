"""The fan-out itself (psconfig.engine.fleet.runner) with in-memory drivers."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from psconfig.cli.common import state_home
from psconfig.drivers.base import Driver
from psconfig.engine.applying.lock import target_lock
from psconfig.engine.applying.plan_and_apply import ApplyOptions
from psconfig.engine.fleet.runner import (
    ADMITTED_PER_SLOT,
    DistrictResult,
    FleetOptions,
    apply_fleet,
    held_lock,
    plan_fleet,
)
from psconfig.errors import (
    ConnectError,
    LockHeldError,
    Problem,
    PsconfigError,
    SpecError,
)
from psconfig.model import Scope, State
from tests.engine.builders import FakeSpec
from tests.engine.fakes import FakeDriver

pytestmark = pytest.mark.anyio


def specs(n: int) -> dict[Path, FakeSpec]:
    return {
        Path(f"specs/d{i:02d}.yaml"): FakeSpec(
            path=Path(f"specs/d{i:02d}.yaml"), name=f"d{i:02d}"
        )
        for i in range(n)
    }


class Sessions:
    """Opens a ``FakeDriver`` per district and records how many are open at once."""

    def __init__(self, servers: Callable[[FakeSpec], str], pause: float = 0.01):
        self.servers = servers
        self.pause = pause
        self.open = 0
        self.peak = 0
        self.per_server: Counter[str] = Counter()
        self.server_peak = 0
        self.drivers: dict[str, FakeDriver] = {}

    def driver_for(self, spec: FakeSpec) -> FakeDriver:
        return self.drivers.setdefault(spec.name, FakeDriver())

    def __call__(self, spec: FakeSpec) -> AbstractAsyncContextManager[Driver]:
        return self._session(spec)

    @asynccontextmanager
    async def _session(self, spec: FakeSpec) -> AsyncIterator[Driver]:
        server = self.servers(spec)
        self.open += 1
        self.per_server[server] += 1
        self.peak = max(self.peak, self.open)
        self.server_peak = max(self.server_peak, self.per_server[server])
        try:
            await asyncio.sleep(self.pause)  # signing in takes a while
            yield self.driver_for(spec)
        finally:
            self.open -= 1
            self.per_server[server] -= 1


def options(
    table: dict[Path, FakeSpec],
    sessions: Sessions,
    *,
    parallelism: int,
    on_done: Callable[[DistrictResult], None] | None = None,
) -> FleetOptions[FakeSpec]:
    return FleetOptions(
        load=table.__getitem__,
        open_driver=sessions,
        target_url=sessions.servers,
        parallelism=parallelism,
        on_done=on_done,
    )


async def test_parallelism_bounds_sessions_and_a_server_serves_one_at_a_time() -> None:
    table = specs(24)
    # 24 districts on 12 servers: each server hosts two of them.
    sessions = Sessions(lambda spec: f"https://ps{int(spec.name[1:]) % 12}.example")
    fleet = await plan_fleet(list(table), options(table, sessions, parallelism=5))
    assert sessions.peak == 5
    assert sessions.server_peak == 1
    assert [d.name for d in fleet.districts] == [s.name for s in table.values()]
    assert {d.result for d in fleet.districts} == {"changes"}
    assert fleet.exit_code == 2
    assert fleet.parallelism == 5 and fleet.total == 24 and fleet.shard is None


async def test_one_server_for_every_district_runs_them_in_turn() -> None:
    table = specs(6)
    sessions = Sessions(lambda spec: "sim://shared")
    fleet = await plan_fleet(list(table), options(table, sessions, parallelism=4))
    assert sessions.peak == 1
    assert fleet.count("changes") == 6


async def test_specs_are_loaded_a_few_slots_ahead_not_all_at_once() -> None:
    table = specs(60)
    sessions = Sessions(lambda spec: f"sim://{spec.name}", pause=0.001)
    loaded: list[str] = []
    in_memory = peak = 0

    def load(path: Path) -> FakeSpec:
        nonlocal in_memory, peak
        in_memory += 1
        peak = max(peak, in_memory)
        loaded.append(table[path].name)
        return table[path]

    def done(district: DistrictResult) -> None:
        nonlocal in_memory
        in_memory -= 1

    fleet = FleetOptions(
        load=load,
        open_driver=sessions,
        target_url=sessions.servers,
        parallelism=2,
        on_done=done,
    )
    result = await plan_fleet(list(table), fleet)
    assert result.count("changes") == 60
    assert peak == 2 * ADMITTED_PER_SLOT
    assert loaded == [spec.name for spec in table.values()]  # in the order given


async def test_one_failure_never_stops_the_others() -> None:
    table = specs(5)
    paths = list(table)
    broken, unreachable, buggy = paths[1], paths[2], paths[3]

    def load(path: Path) -> FakeSpec:
        if path == broken:
            raise SpecError([Problem(str(path), 3, 5, "unknown key 'sever'")])
        return table[path]

    class Buggy(FakeDriver):
        async def read(self, scope: Scope) -> State:
            raise KeyError("surprise")

    sessions = Sessions(lambda spec: f"sim://{spec.name}")
    sessions.drivers["d03"] = Buggy()

    def open_driver(spec: FakeSpec) -> AbstractAsyncContextManager[Driver]:
        if spec.path == unreachable:
            raise ConnectError("cannot reach https://ps2.example (ConnectError)")
        return sessions(spec)

    heard: list[str] = []
    fleet = await plan_fleet(
        paths,
        FleetOptions(
            load=load,
            open_driver=open_driver,
            target_url=sessions.servers,
            parallelism=2,
            on_done=lambda d: heard.append(d.name),
        ),
        mode="drift",
    )
    results = [(d.name, d.result) for d in fleet.districts]
    assert results == [
        ("d00", "drift"),
        ("d01", "error"),
        ("d02", "error"),
        ("d03", "error"),
        ("d04", "drift"),
    ]
    assert sorted(heard) == [name for name, _ in results]
    errors = {d.path: d.error for d in fleet.districts if d.error}
    assert errors[str(broken)] == "specs/d01.yaml:3:5: error: unknown key 'sever'"
    assert errors[str(unreachable)].startswith("cannot reach https://ps2.example")
    assert errors[str(buggy)] == "unexpected KeyError: 'surprise'"
    assert fleet.exit_code == 1
    assert fleet.districts[0].plan is not None
    assert fleet.districts[1].plan is None


async def test_durations_leave_out_the_wait_for_a_slot() -> None:
    # One slot, five districts of PAUSE each: the last waits 4 * PAUSE for its slot.
    # A duration that counted the wait would reach it; the bound leaves a loaded
    # machine three times the work itself.
    pause = 0.5
    table = specs(5)
    sessions = Sessions(lambda spec: f"sim://{spec.name}", pause=pause)
    started = time.perf_counter()
    fleet = await plan_fleet(list(table), options(table, sessions, parallelism=1))
    wall = time.perf_counter() - started
    assert wall >= 5 * pause
    assert all(d.duration_s < 4 * pause for d in fleet.districts), fleet.districts
    assert fleet.duration_s >= 5 * pause


def approve(spec: FakeSpec) -> ApplyOptions:
    return ApplyOptions(review=lambda plan: True)


async def test_apply_results_and_the_aggregate_exit_code() -> None:
    table = specs(3)
    sessions = Sessions(lambda spec: f"sim://{spec.name}")
    fleet = await apply_fleet(
        list(table),
        options(table, sessions, parallelism=3),
        approve,
        lock_dir=state_home(),
        lock_timeout=1,
    )
    assert {d.result for d in fleet.districts} == {"applied"}
    assert fleet.exit_code == 0
    assert all(d.changes == 4 and d.escalations == 3 for d in fleet.districts)

    # The same drivers again: nothing left to do.
    again = await apply_fleet(
        list(table),
        options(table, sessions, parallelism=3),
        approve,
        lock_dir=state_home(),
        lock_timeout=1,
    )
    assert {d.result for d in again.districts} == {"clean"}

    # Another process applying to one server: that district is refused (exit 3),
    # the others go on; an error anywhere outranks the refusal.
    fresh = Sessions(lambda spec: f"sim://{spec.name}")
    with target_lock("sim://d01", state_home(), timeout=0):
        held = await apply_fleet(
            list(table),
            options(table, fresh, parallelism=3),
            approve,
            lock_dir=state_home(),
            lock_timeout=0.1,
        )
    assert [d.result for d in held.districts] == ["applied", "refused", "applied"]
    assert held.exit_code == 3
    assert (
        "another psconfig run (apply, plan or drift) holds the lock for sim://d01"
        in (held.districts[1].error or "")
    )
    assert "waited 0.1 s" in (held.districts[1].error or "")


async def test_a_held_lock_is_awaited_without_blocking_the_loop() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    other = target_lock("sim://busy", state_home(), timeout=0)
    other.__enter__()
    background = asyncio.get_running_loop().call_later(
        0.2, other.__exit__, None, None, None
    )
    tick = asyncio.create_task(ticker())
    try:
        started = time.perf_counter()
        async with held_lock("sim://busy", state_home(), timeout=5):
            waited = time.perf_counter() - started
            with (
                pytest.raises(LockHeldError),  # ours now
                target_lock("sim://busy", state_home(), timeout=0),
            ):
                pass
    finally:
        tick.cancel()
        background.cancel()
    assert 0.15 <= waited < 2
    assert ticks >= 5  # the loop kept running while we waited
    with target_lock("sim://busy", state_home(), timeout=0):
        pass  # released on exit


def test_parallelism_must_be_positive() -> None:
    with pytest.raises(PsconfigError, match="--parallelism must be at least 1"):
        FleetOptions(
            load=specs(1).__getitem__,
            open_driver=Sessions(lambda spec: "x"),
            target_url=lambda spec: "x",
            parallelism=0,
        )
