"""Apply a plan's changes, in order, one ``Op`` at a time.

Contract:

- Each op goes to ``Driver.apply``, which writes and reads back (raising
  ``WriteNotAppliedError`` when the value did not stick).
- The first failure stops the apply: later changes are ``skipped``, except a
  change that turns the page-permission toggle off, which always runs while the
  toggle may be on, so psconfig never leaves page editing enabled behind it: the
  ``restore off`` end of the bracket once turning the toggle on was attempted
  (also when that attempt failed, since the write may have landed before the
  failure), and a permanent ``turn off`` (the toggle was on when the plan was
  made). When the apply is interrupted (Ctrl-C, a cancelled task) the toggle is
  turned off too, best effort, inside ``shield`` (the CLI keeps further Ctrl-Cs
  from stopping that restore); ``on_outcome`` hears of the change cut short
  (``failed``: interrupted), of each change left (``skipped``), and of the
  restore (the plan's ``restore off``/``turn off`` change, applied or failed).
- A delete that PowerSchool refuses (a staff member with history) falls back to a
  deactivation, and the outcome says so.
- When anything failed, ``ApplyError`` lists the addresses applied and not applied.

``check_stale`` is the guard of ``apply --plan``: it compares a saved plan with the
plan recomputed just before applying.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Literal

from psconfig.drivers.base import Driver
from psconfig.engine.planning.plan import Change, Plan, change_to_dict
from psconfig.engine.planning.severity import Severity
from psconfig.errors import (
    ApplyError,
    DriverError,
    ServerRefusedError,
    StalePlanError,
)
from psconfig.model import DeactivateStaff, DeleteStaff, Frozen, SetPageToggle

OutcomeKind = Literal["applied", "failed", "skipped"]


class ChangeOutcome(Frozen):
    """What happened to one change."""

    address: str
    detail: str = ""
    actions: tuple[str, ...]
    severity: Severity
    outcome: OutcomeKind
    error: str | None = None
    note: str | None = None

    @property
    def label(self) -> str:
        """The address, with the detail for the toggle bracket's two ends."""
        return f"{self.address} [{self.detail}]" if self.detail else self.address


OnOutcome = Callable[[Change, ChangeOutcome], None]


def _ignore(change: Change, outcome: ChangeOutcome) -> None:
    return None


def _outcome(change: Change, kind: OutcomeKind, **extra: str) -> ChangeOutcome:
    return ChangeOutcome(
        address=change.address,
        detail=change.detail,
        actions=change.actions,
        severity=change.severity,
        outcome=kind,
        **extra,
    )


def _turns_off(change: Change) -> bool:
    """The bracket's ``restore off`` or a permanent ``turn off``."""
    return isinstance(change.op, SetPageToggle) and not change.op.on


def _is_enable(change: Change) -> bool:
    return change.temporary and isinstance(change.op, SetPageToggle) and change.op.on


Shield = Callable[[], AbstractContextManager[object]]
"""Held while an interrupted apply restores the toggle (no further interrupts)."""


async def apply_changes(
    plan: Plan,
    driver: Driver,
    *,
    on_outcome: OnOutcome = _ignore,
    shield: Shield = contextlib.nullcontext,
) -> tuple[ChangeOutcome, ...]:
    """Apply every change of ``plan``; see the module docstring for the contract."""
    outcomes: list[ChangeOutcome] = []
    failure: ChangeOutcome | None = None
    # The toggle may be on (and is ours to turn off) from the start when the plan
    # turns it off permanently, or once the bracket's enable has been attempted.
    toggle_open = any(_turns_off(c) and not c.temporary for c in plan.changes)
    try:
        for change in plan.changes:
            if failure is not None and not (_turns_off(change) and toggle_open):
                outcome = _outcome(change, "skipped")
            else:
                # Open before the write: it may land even if this run is interrupted.
                toggle_open = toggle_open or _is_enable(change)
                outcome = await _apply_one(driver, change)
                toggle_open = toggle_open and not _turns_off(change)
                if outcome.outcome == "failed" and failure is None:
                    failure = outcome
            outcomes.append(outcome)
            on_outcome(change, outcome)
    except BaseException:  # interrupted: record what is left, restore, re-raise
        closing = _report_interrupted(plan, len(outcomes), toggle_open, on_outcome)
        if toggle_open:
            with shield():
                await _restore(driver, closing, on_outcome)
        raise
    if failure is not None:
        raise _apply_error(failure, outcomes)
    return tuple(outcomes)


def _report_interrupted(
    plan: Plan, done: int, toggle_open: bool, on_outcome: OnOutcome
) -> Change | None:
    """After an interruption, report the change cut short and those left.

    ``done`` changes had finished. The one after them was being written (it may
    have landed); the rest never started. With the toggle possibly on, the plan's
    own turning off is left out: it is returned, for ``_restore`` to report.
    """
    left = plan.changes[done:]
    closing = next((c for c in left if _turns_off(c)), None) if toggle_open else None
    for index, change in enumerate(left):
        if change is closing:
            continue
        if index == 0:
            cut = "interrupted while being written; it may have landed"
            outcome = _outcome(change, "failed", error=cut)
        else:
            outcome = _outcome(change, "skipped")
        with contextlib.suppress(Exception):  # reporting must not stop the restore
            on_outcome(change, outcome)
    return closing


async def _restore(
    driver: Driver, closing: Change | None, on_outcome: OnOutcome
) -> None:
    """Turn the toggle off, best effort, reported as ``closing`` when there is one."""
    try:
        await driver.apply(SetPageToggle(on=False))
    except DriverError as exc:
        error = f"could not turn the toggle off: {exc}"
        restored = _outcome(closing, "failed", error=error) if closing else None
    else:
        restored = _outcome(closing, "applied") if closing else None
    if closing is not None and restored is not None:
        with contextlib.suppress(Exception):
            on_outcome(closing, restored)


async def _apply_one(driver: Driver, change: Change) -> ChangeOutcome:
    try:
        await driver.apply(change.op)
    except ServerRefusedError as exc:
        if isinstance(change.op, DeleteStaff):
            return await _deactivate_instead(driver, change, exc)
        return _outcome(change, "failed", error=str(exc))
    except DriverError as exc:
        return _outcome(change, "failed", error=str(exc))
    return _outcome(change, "applied")


async def _deactivate_instead(
    driver: Driver, change: Change, refusal: ServerRefusedError
) -> ChangeOutcome:
    assert isinstance(change.op, DeleteStaff)
    try:
        await driver.apply(DeactivateStaff(before=change.op.before))
    except DriverError as exc:
        error = f"delete refused ({refusal}); deactivating failed too: {exc}"
        return _outcome(change, "failed", error=error)
    note = f"PowerSchool refused the delete ({refusal}); deactivated instead"
    return _outcome(change, "applied", note=note)


def _apply_error(failure: ChangeOutcome, outcomes: list[ChangeOutcome]) -> ApplyError:
    applied = [o.label for o in outcomes if o.outcome == "applied"]
    not_applied = [o.label for o in outcomes if o.outcome != "applied"]
    message = (
        f"apply stopped at {failure.label}: {failure.error}. "
        f"Applied: {', '.join(applied) or 'nothing'}. "
        f"Not applied: {', '.join(not_applied)}."
    )
    return ApplyError(message, applied=applied, not_applied=not_applied)


def check_stale(saved: Plan, fresh: Plan) -> None:
    """Refuse (``StalePlanError``) a saved plan that no longer describes reality.

    ``fresh`` is the plan recomputed now from the same spec against the same server.
    The plan is stale when the spec digest, the target (URL, PowerSchool version,
    flavor, signed-in user) or the live fingerprint differ, or when the recomputed
    changes are not exactly the saved ones.
    """
    problems = []
    if saved.mode != "plan":
        problems.append("the file is a drift report, not a plan")
    if saved.spec.digest != fresh.spec.digest:
        problems.append(f"the spec {saved.spec.path} changed since the plan was made")
    for field in ("url", "powerschool_version", "flavor", "username"):
        was, now = getattr(saved.target, field), getattr(fresh.target, field)
        if was != now:
            problems.append(f"target {field} is {now!r}, the plan was made for {was!r}")
    if saved.live_fingerprint != fresh.live_fingerprint:
        problems.append("PowerSchool changed since the plan was made")
    elif _changes_json(saved) != _changes_json(fresh):
        problems.append("the changes computed now differ from the saved ones")
    if problems:
        raise StalePlanError(
            "stale plan: " + "; ".join(problems) + "; run psconfig plan again"
        )


def _changes_json(plan: Plan) -> list[dict[str, object]]:
    return [change_to_dict(change) for change in plan.changes]
