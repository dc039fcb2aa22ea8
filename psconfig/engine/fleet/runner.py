"""Fleet runs: plan, drift or apply many specs (districts) at once.

Contract:

- Each spec file is one district. It is loaded, then planned, checked for drift or
  applied against the server it names through a driver of its own (its own sign-in
  and connection pool), with the per-spec use cases of
  ``psconfig.engine.applying.plan_and_apply``.
- At most ``parallelism`` districts talk to PowerSchool at once (a semaphore),
  and at most ``ADMITTED_PER_SLOT`` times as many are loaded (specs in memory),
  admitted in the order given.
  Districts that name the same server run one after another: two sessions on one
  PowerSchool would race on the page-permission toggle, which reading and writing
  page permissions both bracket. Waiting for a busy server takes no slot.
- One district's failure never stops the others: a ``RefusedError`` becomes the
  district's ``refused`` result and any other error (even an unexpected one) its
  ``error`` result, with its message: one line per problem, then the error's notes
  (a refusal the audit log could not record says so on a line of its own).
- Results come back in the order of the paths given; ``on_done`` hears of each
  district as it finishes.

Results and exit codes (``DistrictResult.exit_code``; the run's is ``aggregate_exit``:
any 1, else any 3, else any 2, else 0, as Terragrunt aggregates):

    result    plan  drift  apply  exit
    clean      x     x      x      0    nothing to change (apply: nothing to do)
    changes    x                   2    changes pending
    drift            x             2    PowerSchool departs from the spec
    applied                 x      0    changes made
    refused    x     x      x      3    refused for safety (unsafe change, lock held)
    error      x     x      x      1    spec, connection, sign-in or apply failure

Sharding (``--shard I/N``) is ``psconfig.engine.fleet.shard``; its names are re-exported
here.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Literal

from psconfig.drivers.base import Driver
from psconfig.engine.applying.audit import iso, utc_now
from psconfig.engine.applying.lock import held_error, lock_key, lock_path, target_lock
from psconfig.engine.applying.plan_and_apply import (
    ApplyOptions,
    S,
    aggregate_exit,
    apply_spec,
    plan_spec,
    record_refusal,
    unsigned_target,
)
from psconfig.engine.fleet.shard import Shard as Shard
from psconfig.engine.fleet.shard import parse_shard as parse_shard
from psconfig.engine.fleet.shard import select_shard as select_shard
from psconfig.engine.fleet.shard import shard_keys as shard_keys
from psconfig.engine.fleet.shard import shard_of as shard_of
from psconfig.engine.planning.plan import Mode, Plan
from psconfig.errors import LockHeldError, PsconfigError, RefusedError
from psconfig.model import Frozen

DEFAULT_PARALLELISM = 8
ADMITTED_PER_SLOT = 4
"""How many districts may be loaded, waiting or running, per parallel session."""
LOCK_POLL_S = 0.05
"""How often a fleet apply retries a server lock held by another process."""

Result = Literal["clean", "changes", "drift", "applied", "refused", "error"]
RESULTS: tuple[Result, ...] = (
    "clean",
    "changes",
    "drift",
    "applied",
    "refused",
    "error",
)
EXIT_CODES: dict[Result, int] = {
    "clean": 0,
    "changes": 2,
    "drift": 2,
    "applied": 0,
    "refused": 3,
    "error": 1,
}
Command = Literal["plan", "drift", "apply"]


# ---------------------------------------------------------------------------
# Results


class DistrictResult(Frozen):
    """How one district (one spec) went.

    ``name`` is the spec's name (the file's stem when it did not load), ``changes``
    the objects to change, drifted or changed (the temporary toggle bracket aside),
    ``escalations`` those that grant more access, ``duration_s`` the time spent on
    this district (loading it and talking to PowerSchool; waiting for a free slot
    or a busy server excluded), ``error`` the message of an error or a refusal
    (one line per problem, then any note), and ``plan`` the plan or drift report
    when one was computed.
    """

    name: str
    path: str
    result: Result
    changes: int = 0
    escalations: int = 0
    duration_s: float = 0.0
    error: str | None = None
    plan: Plan | None = None

    @property
    def exit_code(self) -> int:
        """0, 1, 2 or 3: see the module docstring."""
        return EXIT_CODES[self.result]


class FleetResult(Frozen):
    """A whole fleet run: every district's result, in the order given."""

    command: Command
    timestamp: str
    parallelism: int
    duration_s: float
    districts: tuple[DistrictResult, ...]
    shard: Shard | None = None
    total: int
    """How many specs were given before sharding."""

    @property
    def exit_code(self) -> int:
        """The aggregate exit code (0 for an empty shard)."""
        return aggregate_exit(d.exit_code for d in self.districts)

    def count(self, result: Result) -> int:
        """How many districts ended with ``result``."""
        return sum(d.result == result for d in self.districts)


def _counted(plan: Plan) -> tuple[int, int]:
    net = [c for c in plan.changes if not c.temporary]
    return len(net), sum(c.severity == "escalation" for c in net)


# ---------------------------------------------------------------------------
# Running


@dataclass(frozen=True)
class FleetOptions(Generic[S]):
    """How a fleet run loads specs, finds their servers and opens drivers.

    ``target_url`` names the server a spec will talk to (after any override);
    districts with the same server run one after another. ``on_done`` is called
    with each district's result as it finishes (progress display).
    """

    load: Callable[[Path], S]
    open_driver: Callable[[S], AbstractAsyncContextManager[Driver]]
    target_url: Callable[[S], str]
    parallelism: int = DEFAULT_PARALLELISM
    on_done: Callable[[DistrictResult], None] | None = None

    def __post_init__(self) -> None:
        if self.parallelism < 1:
            raise PsconfigError(
                f"--parallelism must be at least 1 (got {self.parallelism})"
            )


Work = Callable[[S, Driver], Awaitable[tuple[Result, Plan]]]
Guard = Callable[[S], AbstractAsyncContextManager[None]]


@dataclass(frozen=True)
class ServerLocks:
    """Where server locks live (the state home) and how long a run waits for one.

    ``on_wait`` hears once per district that it waits for another run's lock.
    """

    base_dir: Path
    timeout: float
    on_wait: OnWait | None = None


async def plan_fleet(
    paths: Sequence[Path],
    fleet: FleetOptions[S],
    *,
    mode: Mode = "plan",
    shard: Shard | None = None,
    timestamp: str | None = None,
    locks: ServerLocks | None = None,
) -> FleetResult:
    """Plan (or, with ``mode="drift"``, check drift of) every spec in ``shard``.

    With ``locks`` each district holds its server's lock while it reads, as an
    apply does: reading page permissions may turn the page-permission toggle on
    and off, which must not happen in the middle of an apply (nor of another
    read). A district whose lock stays held is refused (exit 3).
    """

    async def work(spec: S, driver: Driver) -> tuple[Result, Plan]:
        plan = await plan_spec(spec, driver, mode=mode, timestamp=timestamp)
        if not plan.has_changes:
            return "clean", plan
        return ("drift" if mode == "drift" else "changes"), plan

    @contextlib.asynccontextmanager
    async def guard(spec: S) -> AsyncIterator[None]:
        assert locks is not None  # only installed with locks
        url = fleet.target_url(spec)
        timeout, on_wait = locks.timeout, locks.on_wait
        async with held_lock(url, locks.base_dir, timeout=timeout, on_wait=on_wait):
            yield

    return await run_fleet(
        paths,
        fleet,
        work,
        command=mode,
        shard=shard,
        guard=guard if locks is not None else None,
    )


async def apply_fleet(
    paths: Sequence[Path],
    fleet: FleetOptions[S],
    options_for: Callable[[S], ApplyOptions],
    *,
    lock_dir: Path | None,
    lock_timeout: float,
    shard: Shard | None = None,
    on_wait: OnWait | None = None,
) -> FleetResult:
    """Apply every spec in ``shard``, each with ``options_for(spec)``.

    With ``lock_dir``, each district holds its server's lock (see
    ``psconfig.engine.applying.lock``) while it runs, waiting up to ``lock_timeout``
    seconds for another process's apply without blocking the other districts. A district
    refused because the lock stayed held leaves a ``refused`` audit record (its
    target known by URL only: nothing has signed in).

    ``options_for`` is called once per district: when its apply starts, or when
    its lock wait is refused.
    """

    async def work(spec: S, driver: Driver) -> tuple[Result, Plan]:
        done = await apply_spec(spec, driver, options_for(spec))
        return ("applied" if done.plan.has_changes else "clean"), done.plan

    @contextlib.asynccontextmanager
    async def guard(spec: S) -> AsyncIterator[None]:
        if lock_dir is None:
            yield
            return
        url = fleet.target_url(spec)
        acquired = False
        try:
            async with held_lock(url, lock_dir, timeout=lock_timeout, on_wait=on_wait):
                acquired = True
                yield
        except LockHeldError as exc:
            if not acquired:
                record_refusal(options_for(spec), unsigned_target(url), spec, exc)
            raise

    return await run_fleet(
        paths, fleet, work, command="apply", shard=shard, guard=guard
    )


async def run_fleet(
    paths: Sequence[Path],
    fleet: FleetOptions[S],
    work: Work[S],
    *,
    command: Command,
    shard: Shard | None = None,
    guard: Guard[S] | None = None,
) -> FleetResult:
    """Run ``work`` for every spec in ``shard``: the fan-out behind plan and apply.

    ``guard(spec)`` is held around each district's session, after the wait for its
    server and before the wait for a slot (apply's lock file).
    """
    started = time.perf_counter()
    timestamp = iso(utc_now())
    selected = select_shard(paths, shard)
    gate = _Gate(fleet.parallelism, guard)
    districts = await asyncio.gather(
        *(_admitted(path, fleet, work, gate) for path in selected)
    )
    return FleetResult(
        command=command,
        timestamp=timestamp,
        parallelism=fleet.parallelism,
        duration_s=round(time.perf_counter() - started, 3),
        districts=tuple(districts),
        shard=shard,
        total=len(paths),
    )


async def run_each(
    paths: Sequence[Path],
    fleet: FleetOptions[S],
    work: Work[S],
    *,
    guard: Guard[S] | None = None,
) -> None:
    """``run_fleet`` that keeps no results: each goes to ``fleet.on_done`` only.

    A worker process sends every district to its parent as it finishes; keeping
    them as well (each with its plan) would hold the fleet's plans twice.
    """
    gate = _Gate(fleet.parallelism, guard)

    async def one(path: Path) -> None:
        await _admitted(path, fleet, work, gate)

    await asyncio.gather(*(one(path) for path in paths))


class _Gate(Generic[S]):
    """One session per server at a time, at most ``parallelism`` sessions in all.

    ``admission`` is held by a district from before its spec loads until its
    result is out, so at most ``ADMITTED_PER_SLOT`` times ``parallelism`` specs
    are in memory at once, not the whole fleet's (districts are admitted in the
    order given, and the loading of the next ones overlaps the sessions of the
    first).
    """

    def __init__(self, parallelism: int, guard: Guard[S] | None) -> None:
        self._slots = asyncio.Semaphore(parallelism)
        self.admission = asyncio.Semaphore(parallelism * ADMITTED_PER_SLOT)
        self._servers: dict[str, asyncio.Lock] = {}
        self._guard = guard

    @contextlib.asynccontextmanager
    async def enter(self, url: str, spec: S) -> AsyncIterator[None]:
        server = self._servers.setdefault(lock_key(url), asyncio.Lock())
        guarded = self._guard(spec) if self._guard else contextlib.nullcontext()
        async with server, guarded, self._slots:
            yield


async def _admitted(
    path: Path, fleet: FleetOptions[S], work: Work[S], gate: _Gate[S]
) -> DistrictResult:
    async with gate.admission:  # before the stopwatch starts: queueing
        return await _district(path, fleet, work, gate)


async def _district(
    path: Path, fleet: FleetOptions[S], work: Work[S], gate: _Gate[S]
) -> DistrictResult:
    clock = _Stopwatch()
    name = path.stem
    try:
        spec = fleet.load(path)
        name = spec.name
        clock.pause()
        async with gate.enter(fleet.target_url(spec), spec):
            clock.resume()
            async with fleet.open_driver(spec) as driver:
                result, plan = await work(spec, driver)
    except RefusedError as exc:
        done = _failed(name, path, "refused", _message(exc), clock)
    except PsconfigError as exc:
        done = _failed(name, path, "error", _message(exc), clock)
    except Exception as exc:  # a bug in one district must not end the others
        message = f"unexpected {type(exc).__name__}: {exc}"
        done = _failed(name, path, "error", message, clock)
    else:
        changes, escalations = _counted(plan)
        done = DistrictResult(
            name=name,
            path=str(path),
            result=result,
            changes=changes,
            escalations=escalations,
            duration_s=clock.elapsed(),
            plan=plan,
        )
    if fleet.on_done is not None:
        fleet.on_done(done)
    return done


def _message(exc: PsconfigError) -> str:
    """The error's line, then its notes (an audit failure during a refusal)."""
    return "\n".join([str(exc), *getattr(exc, "__notes__", ())])


def _failed(
    name: str, path: Path, result: Result, message: str, clock: _Stopwatch
) -> DistrictResult:
    return DistrictResult(
        name=name,
        path=str(path),
        result=result,
        duration_s=clock.elapsed(),
        error=message,
    )


class _Stopwatch:
    """Time spent working, leaving out a paused stretch (queueing)."""

    def __init__(self) -> None:
        self._mark: float | None = time.perf_counter()
        self._total = 0.0

    def pause(self) -> None:
        if self._mark is not None:
            self._total += time.perf_counter() - self._mark
            self._mark = None

    def resume(self) -> None:
        self._mark = time.perf_counter()

    def elapsed(self) -> float:
        self.pause()
        return round(self._total, 3)


OnWait = Callable[[str, Path], None]
"""Hears once that a run waits for a server's lock: the URL and the lock file."""


@contextlib.asynccontextmanager
async def held_lock(
    url: str, base_dir: Path, *, timeout: float, on_wait: OnWait | None = None
) -> AsyncIterator[None]:
    """``target_lock`` for asyncio: retry every ``LOCK_POLL_S`` instead of blocking.

    A blocking wait would stall every other district of the run; polling with a
    non-blocking attempt keeps the loop free. ``on_wait`` hears of the first
    failed attempt (so an operator knows why nothing happens). ``LockHeldError``
    after ``timeout``.
    """
    deadline = time.monotonic() + max(timeout, 0.0)
    waiting = False
    with contextlib.ExitStack() as stack:
        while True:
            try:
                stack.enter_context(target_lock(url, base_dir, timeout=0))
                break
            except LockHeldError:
                path = lock_path(url, base_dir)
                if time.monotonic() >= deadline:
                    raise held_error(url, path, timeout) from None
                if not waiting and on_wait is not None:
                    on_wait(url, path)
                waiting = True
            await asyncio.sleep(LOCK_POLL_S)
        yield
