"""Repeated applies against a faulty simulator, and the invariants every run keeps.

``apply_until_converged`` plays an operator (or a scheduled job) re-running
``psconfig apply`` until one run succeeds, at most ``max_runs`` times. Each run is a
fresh sign-in through the real driver and engine. It records each run's requests
from the simulator's own request record, so the checks below are made on what the
server saw:

- ``check_no_sign_in_retry``: after a sign-in that did not succeed, the run posts
  no further sign-in (psconfig never retries a failed sign-in);
- ``check_untouched``: outside the objects the spec manages, the final state is
  the starting state (no write landed on the wrong object);
- ``check_converged``: with the faults cleared, a fresh simulator instance plans
  nothing, and the page-permission toggle is at rest (a run that died with it on
  left it to the next run to turn off).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from psconfig.engine.planning.plan import Plan
from psconfig.errors import PsconfigError
from psconfig.sim import RequestRecord, SimApp, SimState, create_app, load_state
from psconfig.sim import save_state as save_sim_state
from psconfig.sim.state import SimFaults
from tests.properties.harness import (
    FAST,
    SIGN_IN_POST,
    District,
    Target,
    apply_district,
    plan_district,
    unmanaged,
)

_FAULTY = frozenset({0, 429, 500, 502, 503, 504})


class SignInRetriedError(AssertionError):
    """A sign-in was posted again after one that failed."""


class NotConvergedError(Exception):
    """No run succeeded within the allowed number of runs."""


@dataclass
class Runs:
    """What happened over the runs: each run's error (None: success) and requests."""

    errors: list[PsconfigError | None] = field(default_factory=list)
    requests: list[list[RequestRecord]] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        return bool(self.errors) and self.errors[-1] is None

    def faults_met(self) -> int:
        """Answers 429/5xx plus sign-ins beyond one per run (re-logins on expiry)."""
        errors = sum(1 for run in self.requests for r in run if r.status in _FAULTY)
        sign_ins = sum(
            1 for run in self.requests for r in run if r.path == SIGN_IN_POST
        )
        return errors + max(0, sign_ins - len(self.requests))

    def require_converged(self) -> None:
        """Raise ``NotConvergedError`` with every run's outcome unless one succeeded."""
        if not self.converged:
            raise NotConvergedError(self.summary())

    def summary(self) -> str:
        """One line per run, for assertion messages."""
        return "\n".join(
            f"run {n}: {'ok' if e is None else f'{type(e).__name__}: {e}'}"
            for n, e in enumerate(self.errors, 1)
        )


async def apply_until_converged(
    district: District,
    app: SimApp,
    *,
    max_runs: int,
    target: Target | None = None,
    timeout: float = 30.0,
    settle: Callable[[], Awaitable[None]] | None = None,
) -> Runs:
    """Apply until a run succeeds or ``max_runs`` ran; ``app`` records requests.

    ``target`` is where the driver connects (default ``app`` in-process; a served
    URL for real timeouts, with ``app`` behind it). ``settle`` runs after each run,
    before its requests are collected (a served app may still be answering).
    """
    runs = Runs()
    for _ in range(max_runs):
        start = len(app.requests)
        error: PsconfigError | None = None
        try:
            await apply_district(district, target or app, retry=FAST, timeout=timeout)
        except PsconfigError as exc:
            error = exc
        if settle is not None:
            await settle()
        runs.errors.append(error)
        runs.requests.append(list(app.requests[start:]))
        if error is None:
            break
    return runs


def check_no_sign_in_retry(runs: Runs) -> int:
    """No run posts a sign-in after one that failed; returns how many failed."""
    failed = 0
    for number, records in enumerate(runs.requests, 1):
        sign_ins = [r for r in records if r.is_write and r.path == SIGN_IN_POST]
        for index, record in enumerate(sign_ins):
            if record.status != 302:  # success redirects to the start page
                failed += 1
                later = len(sign_ins) - index - 1
                if later:
                    raise SignInRetriedError(
                        f"run {number}: {later} sign-in(s) after a failed one"
                    )
    return failed


def check_untouched(start: SimState, district: District) -> None:
    """Outside the managed objects the state file is the starting state."""
    count = len(start.groups)
    final = load_state(district.state_path)
    expected = unmanaged(start, district.params, count)
    got = unmanaged(final, district.params, count)
    for state in (expected, got):
        state.pop("faults")  # the test clears them
    assert got == expected


def clear_faults(district: District) -> None:
    """Turn every fault knob off in the state file."""
    state = load_state(district.state_path)
    state.faults = SimFaults()
    save_sim_state(state, district.state_path)


async def check_converged(district: District) -> Plan:
    """Faults off, a fresh simulator instance: the plan is empty, the toggle rests."""
    clear_faults(district)
    plan = await plan_district(district, create_app(district.state_path))
    assert plan.changes == (), [c.address for c in plan.changes]
    at_rest = district.params.toggle == "on"
    assert load_state(district.state_path).page_toggle == at_rest
    return plan
