"""Drift: a plan framed as "PowerSchool has departed from the spec".

A drift report is a ``Plan`` built with ``mode="drift"`` (see ``planner``): each
difference is judged in the direction live departs from the spec, so access someone
granted by hand is an escalation, and escalations come first. An escalation in a
drift report is *critical*: the nightly job should page someone.
"""

from __future__ import annotations

from psconfig.engine.plan import Change, Plan


def is_critical(change: Change) -> bool:
    """A drifted object that grants more access than the spec allows."""
    return change.severity == "escalation"


def critical_changes(plan: Plan) -> tuple[Change, ...]:
    """The critical drift of ``plan`` (empty for a plan that is not a drift report)."""
    if plan.mode != "drift":
        return ()
    return tuple(change for change in plan.changes if is_critical(change))


def exit_code(plan: Plan) -> int:
    """Terraform's convention: 2 when there is something to do or report, else 0."""
    return 2 if plan.has_changes else 0
