"""Use cases the CLI calls: plan, drift and apply one spec against one driver.

Everything here speaks only the ``Driver`` protocol and a ``SpecSource`` (what
``psconfig.spec.LoadedSpec`` provides), so the CLI, a fleet runner or a test with an
in-memory driver can reuse it. Nothing here prints, prompts or exits: the CLI passes
``review`` (show the plan, ask) and maps the errors raised to exit codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

from psconfig.drivers.base import Driver
from psconfig.engine import safety
from psconfig.engine.apply import ChangeOutcome, OnOutcome, apply_changes, check_stale
from psconfig.engine.audit import AuditLog, iso, utc_now
from psconfig.engine.plan import Change, Mode, Plan, SpecRef, Target, live_fingerprint
from psconfig.engine.planner import build_plan
from psconfig.errors import PsconfigError, RefusedError, StalePlanError
from psconfig.model import CreateStaff, Desired, Scope, ServerInfo, State, UpdateStaff


class SpecSource(Protocol):
    """What the engine needs of a loaded spec (``psconfig.spec.LoadedSpec``)."""

    @property
    def path(self) -> Path: ...

    @property
    def name(self) -> str: ...

    @property
    def digest(self) -> str: ...

    def desired(self, *, resolve_secrets: bool) -> Desired: ...


@runtime_checkable
class ReportsNotes(Protocol):
    """A driver that notes what it did beyond reading.

    The portal driver turns the page-permission toggle on briefly to read page
    permissions when it is off, and says so; plans show the note.
    """

    @property
    def notes(self) -> Sequence[str]: ...


def _driver_notes(driver: Driver) -> Sequence[str]:
    return driver.notes if isinstance(driver, ReportsNotes) else ()


def spec_ref(spec: SpecSource) -> SpecRef:
    """The spec identity a plan records."""
    return SpecRef(path=str(spec.path), name=spec.name, digest=spec.digest)


def target_of(info: ServerInfo) -> Target:
    """The target identity a plan records."""
    return Target(
        url=info.url,
        powerschool_version=info.version,
        flavor=info.flavor,
        username=info.username,
    )


@dataclass(frozen=True)
class _Computed:
    plan: Plan
    live: State


async def _compute(
    spec: SpecSource,
    driver: Driver,
    *,
    mode: Mode,
    timestamp: str | None,
) -> _Computed:
    desired = spec.desired(resolve_secrets=False)
    scope = desired.scope()
    seen = len(_driver_notes(driver))
    live = await driver.read(scope)
    notes = list(_driver_notes(driver)[seen:])
    plan = build_plan(
        desired,
        live,
        target=target_of(driver.info),
        spec=spec_ref(spec),
        live_fingerprint=live_fingerprint(live, scope),
        timestamp=timestamp or iso(utc_now()),
        mode=mode,
        notes=notes,
    )
    if mode == "plan":
        extra = safety.plan_notes(plan, username=driver.info.username)
        plan = plan.model_copy(update={"notes": (*plan.notes, *extra)})
    return _Computed(plan, live)


async def plan_spec(
    spec: SpecSource,
    driver: Driver,
    *,
    mode: Mode = "plan",
    timestamp: str | None = None,
) -> Plan:
    """Read live state for ``spec`` and return the plan (or drift report)."""
    return (await _compute(spec, driver, mode=mode, timestamp=timestamp)).plan


# ---------------------------------------------------------------------------
# Apply


@dataclass(frozen=True)
class ApplyOptions:
    """How to apply. ``review`` shows the plan and returns True to go ahead."""

    review: Callable[[Plan], bool]
    allow_delete: bool = False
    saved: Plan | None = None
    audit_path: Path | None = None
    os_user: str = "unknown"
    on_outcome: OnOutcome | None = None


@dataclass(frozen=True)
class ApplyResult:
    """The plan that was applied and each change's outcome."""

    plan: Plan
    outcomes: tuple[ChangeOutcome, ...]


class ApplyCancelled(PsconfigError):
    """The operator answered no."""


async def apply_spec(
    spec: SpecSource, driver: Driver, options: ApplyOptions
) -> ApplyResult:
    """Plan, check (stale plan, safety), review, then apply with an audit trail.

    With ``options.saved`` the spec digest is checked before anything is read, and
    the recomputed plan must match the saved one (``check_stale``).
    """
    audit = _audit(options, target_of(driver.info), spec_ref(spec))
    try:
        if options.saved is not None and options.saved.spec.digest != spec.digest:
            raise StalePlanError(
                f"stale plan: the spec {spec.path} changed since the plan was made; "
                "run psconfig plan again"
            )
        computed = await _compute(spec, driver, mode="plan", timestamp=None)
        plan = computed.plan
        if options.saved is not None:
            check_stale(options.saved, plan)
        if plan.has_changes:
            plan = _with_secrets(spec, computed)
            await _check_safety(plan, driver, options)
    except RefusedError as exc:
        if audit is not None:
            audit.refused(str(exc))
        raise
    if not plan.has_changes:
        if audit is not None:
            audit.start(plan)
            audit.end("success")
        return ApplyResult(plan, ())
    if not options.review(plan):
        raise ApplyCancelled("apply cancelled; nothing was changed")
    outcomes = await _apply_audited(plan, driver, audit, options.on_outcome)
    return ApplyResult(plan, outcomes)


def _audit(options: ApplyOptions, target: Target, spec: SpecRef) -> AuditLog | None:
    if options.audit_path is None:
        return None
    return AuditLog(
        options.audit_path, target=target, spec=spec, os_user=options.os_user
    )


def _with_secrets(spec: SpecSource, computed: _Computed) -> Plan:
    """Resolve secrets only when a change needs one (creating a staff member)."""
    plan = computed.plan
    needs = any(
        isinstance(c.op, CreateStaff | UpdateStaff)
        and c.password_ref
        and c.op.password is None
        for c in plan.changes
    )
    if not needs:
        return plan
    resolved = build_plan(
        spec.desired(resolve_secrets=True),
        computed.live,
        target=plan.target,
        spec=plan.spec,
        live_fingerprint=plan.live_fingerprint,
        timestamp=plan.timestamp,
    )
    check_stale(plan, resolved)  # same inputs, so only a bug could trip this
    return resolved.model_copy(update={"notes": plan.notes})


async def _check_safety(plan: Plan, driver: Driver, options: ApplyOptions) -> None:
    username = driver.info.username
    account = None
    looked_up = safety.needs_account_lookup(plan)
    if looked_up:
        everyone = Scope(groups=frozenset(), pages=frozenset(), staff_ids=None)
        account = safety.signed_in_staff(await driver.read(everyone), username)
    safety.check(
        plan,
        allow_delete=options.allow_delete,
        username=username,
        account=account,
        looked_up=looked_up,
    )


async def _apply_audited(
    plan: Plan, driver: Driver, audit: AuditLog | None, progress: OnOutcome | None
) -> tuple[ChangeOutcome, ...]:
    def on_outcome(change: Change, outcome: ChangeOutcome) -> None:
        if audit is not None:
            audit.change(change, outcome)
        if progress is not None:
            progress(change, outcome)

    if audit is None:
        return await apply_changes(plan, driver, on_outcome=on_outcome)
    audit.start(plan)
    try:
        outcomes = await apply_changes(plan, driver, on_outcome=on_outcome)
    except PsconfigError as exc:
        audit.end("failed", error=str(exc))
        raise
    except BaseException:
        audit.end("interrupted")
        raise
    audit.end("success")
    return outcomes


# ---------------------------------------------------------------------------
# Many specs


S = TypeVar("S", bound=SpecSource)


def aggregate_exit(codes: Iterable[int]) -> int:
    """Terragrunt-style: any error 1, else any refusal 3, else any change 2, else 0."""
    seen = set(codes)
    for code in (1, 3, 2):
        if code in seen:
            return code
    return max(seen, default=0)
