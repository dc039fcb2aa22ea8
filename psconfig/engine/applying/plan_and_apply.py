"""Use cases the CLI calls: plan, drift and apply one spec against one driver.

Everything here speaks only the ``Driver`` protocol and a ``SpecSource`` (what
``psconfig.spec.LoadedSpec`` provides), so the CLI, a fleet runner or a test with an
in-memory driver can reuse it. Nothing here prints, prompts or exits: the CLI passes
``review`` (show the plan, ask) and maps the errors raised to exit codes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

from psconfig.drivers.base import Driver
from psconfig.engine.applying.apply import (
    ChangeOutcome,
    OnOutcome,
    Shield,
    apply_changes,
    check_stale,
)
from psconfig.engine.applying.audit import AuditLog, iso, utc_now
from psconfig.engine.planning import safety
from psconfig.engine.planning.build import build_plan
from psconfig.engine.planning.plan import (
    Change,
    Mode,
    Plan,
    SpecRef,
    Target,
    live_fingerprint,
)
from psconfig.errors import PsconfigError, RefusedError, StalePlanError
from psconfig.model import (
    CreateStaff,
    Desired,
    Scope,
    ServerInfo,
    Staff,
    State,
    UpdateStaff,
)


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
    """A plan and what apply's checks need of the reads behind it."""

    plan: Plan
    live: State
    group_count: int | None = None
    account: Staff | None = None
    looked_up: bool = False


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
    group_count = await _group_count(driver, desired, live) if mode == "plan" else None
    plan = build_plan(
        desired,
        live,
        target=target_of(driver.info),
        spec=spec_ref(spec),
        live_fingerprint=live_fingerprint(live, scope),
        timestamp=timestamp or iso(utc_now()),
        mode=mode,
        notes=notes,
        group_count=group_count,
    )
    if mode == "drift":
        return _Computed(plan, live)
    username = driver.info.username
    looked_up = safety.needs_account_lookup(plan)
    account = await _signed_in_account(driver) if looked_up else None
    extra = safety.plan_notes(
        plan,
        username=username,
        account=account,
        looked_up=looked_up,
        group_count=group_count,
    )
    plan = plan.model_copy(update={"notes": (*plan.notes, *extra)})
    return _Computed(plan, live, group_count, account, looked_up)


async def _group_count(driver: Driver, desired: Desired, live: State) -> int | None:
    """How many groups PowerSchool has, read only when the spec's groups are missing.

    Groups are numbered 1 to N without gaps (none can be deleted), so the highest
    number read is the count.
    """
    if all(number in live.groups for number in desired.groups):
        return None
    groups_only = Scope(groups=None, pages=frozenset(), staff_ids=frozenset())
    return max((await driver.read(groups_only)).groups, default=0)


async def _signed_in_account(driver: Driver) -> Staff | None:
    """The staff member psconfig is signed in as (a read of every admin account)."""
    everyone = Scope(groups=frozenset(), pages=frozenset(), staff_ids=None)
    live = await driver.read(everyone)
    return safety.signed_in_staff(live, driver.info.username)


async def plan_spec(
    spec: SpecSource,
    driver: Driver,
    *,
    mode: Mode = "plan",
    timestamp: str | None = None,
) -> Plan:
    """Read live state for ``spec`` and return the plan (or drift report).

    A plan also notes what apply will refuse or need a flag for: it looks up the
    signed-in account when the plan touches groups (as apply does) and counts
    PowerSchool's groups when the spec's groups do not all exist.
    """
    return (await _compute(spec, driver, mode=mode, timestamp=timestamp)).plan


# ---------------------------------------------------------------------------
# Apply


@dataclass(frozen=True)
class ApplyOptions:
    """How to apply. ``review`` shows the plan and returns True to go ahead.

    ``review`` may also raise ``RefusedError`` (no operator to ask): the refusal is
    audited like any other; a ``KeyboardInterrupt`` from it (Ctrl-C at the
    question) is audited as a refusal and propagates. ``intents`` are what
    ``safety.check`` asks for (and what the audit records). ``shield`` is
    held while an interrupted apply turns the page-permission toggle back off (see
    ``apply_changes``).
    """

    review: Callable[[Plan], bool]
    intents: safety.Intents = safety.NO_INTENTS
    saved: Plan | None = None
    audit_path: Path | None = None
    os_user: str = "unknown"
    on_outcome: OnOutcome | None = None
    shield: Shield | None = None


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
    the recomputed plan must match the saved one (``check_stale``). A refusal
    (``RefusedError``) or a declined review (``ApplyCancelled``) leaves a
    ``refused`` audit record; when the log cannot be written then, the error raised
    is still the refusal, with the audit failure as a note (``__notes__``).
    """
    audit = _audit(options, target_of(driver.info), spec_ref(spec))
    try:
        plan = await _checked_plan(spec, driver, options)
        if plan.has_changes and not options.review(plan):
            raise ApplyCancelled("apply cancelled; nothing was changed")
    except (RefusedError, ApplyCancelled) as exc:
        if audit is not None:
            audit.record_refusal(exc)
        raise
    except KeyboardInterrupt:
        if audit is not None:
            cancelled = ApplyCancelled("interrupted at the review; nothing was changed")
            audit.record_refusal(cancelled)
        raise
    if not plan.has_changes:
        if audit is not None:
            audit.start(plan)
            audit.end("success")
        return ApplyResult(plan, ())
    outcomes = await _apply_audited(
        plan, driver, audit, options.on_outcome, options.shield
    )
    return ApplyResult(plan, outcomes)


async def _checked_plan(
    spec: SpecSource, driver: Driver, options: ApplyOptions
) -> Plan:
    """The plan to apply, with its secrets, once the stale and safety checks pass."""
    if options.saved is not None and options.saved.spec.digest != spec.digest:
        raise StalePlanError(
            f"stale plan: the spec {spec.path} changed since the plan was made; "
            "run psconfig plan again"
        )
    computed = await _compute(spec, driver, mode="plan", timestamp=None)
    if options.saved is not None:
        check_stale(options.saved, computed.plan)
    if not computed.plan.has_changes:
        return computed.plan
    plan = _with_secrets(spec, computed)
    safety.check(
        plan,
        intents=options.intents,
        username=driver.info.username,
        account=computed.account,
        looked_up=computed.looked_up,
        group_count=computed.group_count,
    )
    return plan


def unsigned_target(url: str) -> Target:
    """A target known only by its URL (a refusal before signing in)."""
    return Target(url=url, powerschool_version="", flavor="", username="")


def record_refusal(
    options: ApplyOptions, target: Target, spec: SpecSource, refusal: PsconfigError
) -> None:
    """Leave a ``refused`` audit record for an apply refused outside ``apply_spec``.

    Never raises for the log: an audit failure becomes a note on ``refusal`` (see
    ``AuditLog.record_refusal``), so a refusal keeps its exit code.
    """
    audit = _audit(options, target, spec_ref(spec))
    if audit is not None:
        audit.record_refusal(refusal)


def _audit(options: ApplyOptions, target: Target, spec: SpecRef) -> AuditLog | None:
    if options.audit_path is None:
        return None
    return AuditLog(
        options.audit_path,
        target=target,
        spec=spec,
        os_user=options.os_user,
        intents=options.intents.flags(),
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
        group_count=computed.group_count,
    )
    check_stale(plan, resolved)  # same inputs, so only a bug could trip this
    return resolved.model_copy(update={"notes": plan.notes})


async def _apply_audited(
    plan: Plan,
    driver: Driver,
    audit: AuditLog | None,
    progress: OnOutcome | None,
    shield: Shield | None,
) -> tuple[ChangeOutcome, ...]:
    def on_outcome(change: Change, outcome: ChangeOutcome) -> None:
        if audit is not None:
            audit.change(change, outcome)
        if progress is not None:
            progress(change, outcome)

    run = partial(
        apply_changes,
        plan,
        driver,
        on_outcome=on_outcome,
        shield=shield or contextlib.nullcontext,
    )
    if audit is None:
        return await run()
    audit.start(plan)
    try:
        outcomes = await run()
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
