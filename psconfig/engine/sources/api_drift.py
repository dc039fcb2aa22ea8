"""Drift through the plugin API: a partial check that says plainly what it missed.

A ``PartialReader`` driver (``psconfig.drivers.api``) sees only some staff fields
and no group, page or toggle. So the desired state is cut down to what it sees
(``restrict``): the spec's staff, absent staff included, with only the visible
fields, and nothing else. The report is an ordinary drift report of that (same
severities: a default group changed or the allowed IPs emptied is a CRITICAL
escalation) with ``source`` kind ``plugin_api``, ``not_checked`` and a note
listing what it could not check, so nobody mistakes it for a full check. Its live
fingerprint is prefixed ``api:``: it never stands for a full read.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from psconfig.drivers.base import Driver
from psconfig.engine.applying.audit import iso, utc_now
from psconfig.engine.applying.plan_and_apply import S, spec_ref, target_of
from psconfig.engine.fleet.runner import FleetOptions, FleetResult, Result, run_fleet
from psconfig.engine.fleet.shard import Shard
from psconfig.engine.planning.build import build_plan
from psconfig.engine.planning.plan import LiveSource, Plan, live_fingerprint, summarize
from psconfig.errors import DriverError
from psconfig.model import AdminAccess, Desired, Staff

API_PREFIX = "api:"


@runtime_checkable
class PartialReader(Protocol):
    """A driver that reads only some staff fields (``psconfig.drivers.api``)."""

    @property
    def staff_fields(self) -> frozenset[str]: ...

    @property
    def access_fields(self) -> frozenset[str]: ...

    @property
    def not_checked(self) -> Sequence[str]: ...


def restrict(desired: Desired, reader: PartialReader) -> Desired:
    """``desired`` cut down to the staff fields ``reader`` can see."""
    staff = {sid: _visible(s, reader) for sid, s in desired.staff.items()}
    return Desired(
        staff=staff,
        absent_staff=desired.absent_staff,
        removal=desired.removal,
        password_refs=desired.password_refs,
    )


def _visible(staff: Staff, reader: PartialReader) -> Staff:
    """``staff`` with only the visible fields set (unset fields are not compared)."""
    fields = {
        name: getattr(staff, name)
        for name in staff.model_fields_set & reader.staff_fields
    }
    if "admin_access" in fields:
        access: AdminAccess = fields["admin_access"]
        kept = access.model_fields_set & reader.access_fields
        fields["admin_access"] = AdminAccess(**{n: getattr(access, n) for n in kept})
    return Staff(**fields)


async def api_drift(spec: S, driver: Driver) -> Plan:
    """The partial drift report of ``spec`` through ``driver`` (see module doc)."""
    if not isinstance(driver, PartialReader):
        raise DriverError("drift --via api needs the plugin-API driver")
    desired = restrict(spec.desired(resolve_secrets=False), driver)
    scope = desired.scope()
    read_at = iso(utc_now())
    live = await driver.read(scope)
    plan = build_plan(
        desired,
        live,
        target=target_of(driver.info),
        spec=spec_ref(spec),
        live_fingerprint=API_PREFIX + live_fingerprint(live, scope),
        timestamp=read_at,
        mode="drift",
    )
    # The toggle's resting state is planned from the toggle mode alone: the API
    # cannot see the toggle, so only staff changes are findings here.
    changes = tuple(c for c in plan.changes if c.kind == "staff")
    unseen = tuple(driver.not_checked)
    note = (
        "partial check through the plugin API (no administrator sign-in): NOT "
        f"checked: {', '.join(unseen)}; run psconfig drift for a full check"
    )
    return plan.model_copy(
        update={
            "changes": changes,
            "summary": summarize(changes),
            "notes": (note, *plan.notes),
            "source": LiveSource(
                kind="plugin_api", read_at=read_at, not_checked=unseen
            ),
        }
    )


async def api_drift_fleet(
    paths: Sequence[Path], fleet: FleetOptions[S], *, shard: Shard | None = None
) -> FleetResult:
    """``api_drift`` for every spec in ``shard`` (a fleet run, as ``drift``)."""

    async def work(spec: S, driver: Driver) -> tuple[Result, Plan]:
        plan = await api_drift(spec, driver)
        return ("drift" if plan.has_changes else "clean"), plan

    return await run_fleet(paths, fleet, work, command="drift", shard=shard)
