"""The verify report: evidence an auditor can keep, without a secret in it.

A ``VerifyReport`` holds the time (UTC), target, PowerSchool version, flavor, spec
digest, the sync account, and each probe's expectation, observation and outcome.
``psconfig.engine.proving.verify`` builds it; ``psconfig.render.verify`` renders it.
"""

from __future__ import annotations

from typing import Literal

from psconfig import __version__
from psconfig.engine.planning.plan import SpecRef, Target
from psconfig.engine.proving.access import Ensure
from psconfig.model import Frozen

FORMAT_VERSION = "1.0"

Expectation = Literal["allowed", "denied"]
Outcome = Literal["pass", "fail", "skip"]


def outcome_of(ok: bool | None) -> Outcome:
    """``skip`` for None (not tried), else ``pass`` or ``fail``."""
    return "skip" if ok is None else "pass" if ok else "fail"


class SyncAccount(Frozen):
    """The account verified; ``username`` is empty when it is not known."""

    staff_id: str
    username: str
    ensure: Ensure


class ProbeResult(Frozen):
    """One expectation and what was observed."""

    id: str
    description: str
    reason: str
    method: str = ""
    path: str = ""
    expected: str
    observed: str
    outcome: Outcome


class VerifyReport(Frozen):
    """The evidence of one verify run (see the module docstring)."""

    format_version: str = FORMAT_VERSION
    psconfig_version: str = __version__
    timestamp: str
    target: Target
    spec: SpecRef
    account: SyncAccount
    results: tuple[ProbeResult, ...]
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when no expectation failed."""
        return not self.failed

    @property
    def failed(self) -> tuple[str, ...]:
        """The ids of the probes that failed, in order."""
        return tuple(r.id for r in self.results if r.outcome == "fail")

    def count(self, outcome: Outcome) -> int:
        """How many probes ended with ``outcome``."""
        return sum(r.outcome == outcome for r in self.results)
