"""Running one probe as the sync account and judging what it saw.

An ``allowed`` probe must answer HTTP 200 (an export must return at least its
minimum of records), a ``denied`` one 401 or 403 (or the portal's denial). Anything
else (404, 500, an error) proves neither and fails the probe. No record's content
enters the result: an export is judged by its record count alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

from psconfig.engine.proving.access import Prober
from psconfig.engine.proving.verify_report import Expectation, ProbeResult, outcome_of
from psconfig.errors import AccessDeniedError, DriverError


class ExportDef(Protocol):
    """A DDE export a probe runs (``drivers.portal.pages.probes.ExportCheck``)."""

    @property
    def table(self) -> str: ...

    @property
    def min_records(self) -> int: ...


class ProbeDef(Protocol):
    """One probe definition (``psconfig.drivers.portal.pages.probes.Probe``)."""

    @property
    def id(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def method(self) -> Literal["GET", "POST"]: ...

    @property
    def data(self) -> Mapping[str, str] | None: ...

    @property
    def expect(self) -> Expectation: ...

    @property
    def reason(self) -> str: ...

    @property
    def export(self) -> ExportDef | None: ...

    def resolved_path(
        self, group: int | None, frn: str | None = None
    ) -> str | None: ...


def probed(probe: ProbeDef, path: str, observed: str, ok: bool | None) -> ProbeResult:
    """``probe``'s result at ``path``; ``ok`` None: not run (skipped)."""
    return ProbeResult(
        id=probe.id,
        description=probe.description,
        reason=probe.reason,
        method=probe.method,
        path=path,
        expected=probe.expect,
        observed=observed,
        outcome=outcome_of(ok),
    )


async def run_probe(
    sync: Prober, probe: ProbeDef, group: int | None, frn: str | None = None
) -> ProbeResult:
    """Run ``probe`` once in the signed-in session ``sync``.

    ``group`` is the account's default group and ``frn`` its own staff record, for
    paths that name them; without the one a path needs, the probe is skipped.
    Driver errors become a failed probe, never an exception.
    """
    path = probe.resolved_path(group, frn)
    if path is None:
        missing = "{group}" in probe.path and group is None
        why = (
            "no default group" if missing else "the account's own record was not found"
        )
        return probed(probe, probe.path, f"not run: {why}", None)
    try:
        if probe.export is not None:
            text = await sync.export_dde(probe.export.table)
            observed, ok = _export_observed(text, probe.export)
        else:
            data = dict(probe.data) if probe.data is not None else None
            status = await sync.probe(path, probe.method, data)
            observed, seen = _status_observed(status)
            ok = seen == probe.expect
    except AccessDeniedError as exc:
        observed, ok = f"denied ({exc})", probe.expect == "denied"
    except DriverError as exc:
        observed, ok = f"error: {exc}", False
    return probed(probe, path, observed, ok)


def _status_observed(status: int) -> tuple[str, Expectation | None]:
    if status == 200:
        return "allowed (HTTP 200)", "allowed"
    if status in (401, 403):
        return f"denied (HTTP {status})", "denied"
    return f"HTTP {status}: neither allowed nor denied", None


def _export_observed(text: str, export: ExportDef) -> tuple[str, bool]:
    # The first line is the column titles; no record's content enters the report.
    records = max(0, sum(1 for line in text.splitlines() if line.strip()) - 1)
    noun = "record" if records == 1 else "records"
    observed = f"allowed: {records} {noun} exported from {export.table}"
    return observed, records >= export.min_records
