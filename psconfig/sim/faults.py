"""Fault injection: slow, failing, throttling and forgetful servers on demand.

Knobs (``SimFaults``, in the state file or overridden per app):

- ``latency_ms``: every request first sleeps this long;
- ``rate_limit_rate``: that fraction of requests answers **429** with
  ``Retry-After: retry_after_seconds`` before doing anything;
- ``error_rate``: that fraction answers **503** before doing anything (so a failed
  write changed nothing);
- ``session_expiry_every`` N: every Nth request that arrives with an otherwise valid
  signed-in session finds it expired (302 to the sign-in page);
- ``crash_after_writes`` N: after the Nth successful write the app is dead: every
  later request raises ``ConnectionResetError`` (a new app on the file works again).

- ``ignore_posts``, ``control_kinds``, ``unknown_options``, ``absent_controls``:
  an upgrade or a bad day (see ``SimFaults``); the pages ask ``ignores``,
  ``kind_of`` and ``unknown_option``, and ``variants.Variant`` leaves absent
  controls out.

Random draws come from ``random.Random(seed)``, re-seeded whenever the knobs change,
so a given sequence of requests meets the same faults every run.
"""

from __future__ import annotations

import asyncio
import random

from starlette.responses import PlainTextResponse, Response

from psconfig.sim.state import SimFaults


class FaultInjector:
    """The fault state of one app: its random stream and counters."""

    def __init__(self) -> None:
        self._config: SimFaults | None = None
        self._rng = random.Random(0)
        self._signed_in_requests = 0

    def _sync(self, faults: SimFaults) -> None:
        if faults != self._config:
            self._config = faults.model_copy()
            self._rng = random.Random(faults.seed)
            self._signed_in_requests = 0

    async def before(self, faults: SimFaults) -> Response | None:
        """Sleep, then maybe answer 429 or 503 in place of the real page."""
        self._sync(faults)
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.rate_limit_rate and self._rng.random() < faults.rate_limit_rate:
            return PlainTextResponse(
                "Too Many Requests (simulated)",
                status_code=429,
                headers={"Retry-After": str(faults.retry_after_seconds)},
            )
        if faults.error_rate and self._rng.random() < faults.error_rate:
            return PlainTextResponse("Service Unavailable (simulated)", status_code=503)
        return None

    def expires_session(self, faults: SimFaults) -> bool:
        """Count one signed-in request; True when this one must find it expired."""
        self._sync(faults)
        every = faults.session_expiry_every
        if not every:
            return False
        self._signed_in_requests += 1
        return self._signed_in_requests % every == 0


UNKNOWN_OPTION = ("zz-upgrade", "Custom Access (added by an upgrade)")
"""The option ``unknown_options`` adds: value and visible text."""


def ignores(faults: SimFaults, key: str) -> bool:
    """True when a post to ``key`` is to be accepted but not kept."""
    return key in faults.ignore_posts


def kind_of(faults: SimFaults, key: str) -> str | None:
    """The input type control ``key`` is to be rendered as, when swapped."""
    return faults.control_kinds.get(key)


def unknown_option(faults: SimFaults, key: str) -> bool:
    """True when choice ``key`` is to offer and select ``UNKNOWN_OPTION``."""
    return key in faults.unknown_options
