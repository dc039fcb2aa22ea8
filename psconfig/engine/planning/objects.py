"""The steps every object kind's planning takes: phases, change constructors, merging.

``build`` orders what ``groups``, ``pages`` and ``staff`` produce; each yields
``Planned`` items (a phase, a sort key within it, and the ``Change``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel

from psconfig.engine.planning.diff import (
    Leaves,
    Path,
    changed_paths,
    leaves,
    nest,
    restrict,
)
from psconfig.engine.planning.plan import Change, Kind, Mode
from psconfig.engine.planning.severity import (
    Finding,
    Rule,
    object_findings,
    severity_of,
)
from psconfig.model import AdminAccess, Health, Op

GROUPS, TOGGLE_ON, PAGES, STAFF, TOGGLE_OFF, REMOVALS = range(6)
"""The phases of a plan, in the order they run (see ``build``)."""

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Planned:
    """A change, with the phase it runs in and its sort key inside the phase."""

    phase: int
    order: tuple[int, str]
    change: Change


@dataclass(frozen=True)
class DeclaredObject:
    """Identity of one declared object and the severity rules of its kind."""

    kind: Kind
    key: str
    address: str
    rules: Mapping[Path, Rule]


def address(kind: str, key: str) -> str:
    """``staff["99999"]``: how a change names an object keyed by a string."""
    return f"{kind}[{json.dumps(key)}]"


def merge(base: M, desired: M) -> M:
    """``base`` with the fields ``desired`` sets; sections are merged field-wise."""
    updates: dict[str, object] = {}
    for name in desired.model_fields_set:
        value = getattr(desired, name)
        current = getattr(base, name)
        if isinstance(value, Health | AdminAccess) and type(current) is type(value):
            value = merge(current, value)
        updates[name] = value
    return base.model_copy(update=updates)


def judge(
    rules: Mapping[Path, Rule],
    before: Leaves,
    after: Leaves,
    paths: Sequence[Path],
    mode: Mode,
) -> tuple[Finding, ...]:
    """The findings of a change; in drift mode judged from the spec towards live."""
    if mode == "drift":
        before, after = after, before
    return tuple(object_findings(rules, before, after, paths))


def created(
    obj: DeclaredObject,
    base: BaseModel,
    after: BaseModel,
    op: Op,
    mode: Mode,
    *,
    password_ref: str | None = None,
    detail: str = "",
) -> Change:
    """A create; judged against ``base``, what PowerSchool creates by default.

    In drift mode the object is missing from PowerSchool, and a missing object
    grants nothing: whatever the spec would have it restrict (allowed IPs, a
    sign-in window), its absence is a reduction, never an escalation.
    """
    base_l = leaves(base, managed_only=False)
    after_l = leaves(after, managed_only=False)
    paths = changed_paths(base_l, after_l)
    if mode == "drift":
        message = f"{obj.kind} {obj.key} does not exist: it grants no access"
        findings: tuple[Finding, ...] = (
            Finding(effect="reduction", path=obj.kind, message=message),
        )
    else:
        findings = judge(obj.rules, base_l, after_l, paths, mode)
    return Change(
        address=obj.address,
        kind=obj.kind,
        key=obj.key,
        actions=("create",),
        detail=detail,
        changed_paths=tuple(after_l),
        after=nest(after_l),
        severity=severity_of(findings),
        findings=findings,
        password_ref=password_ref,
        op=op,
    )


def updated(
    obj: DeclaredObject, have: M, want: M, make_op: Callable[[M, M], Op], mode: Mode
) -> Change | None:
    """An update of the managed fields that differ, or None when none do."""
    managed = leaves(want, managed_only=True)
    before_l = restrict(leaves(have, managed_only=False), managed)
    paths = changed_paths(before_l, managed)
    if not paths:
        return None
    findings = judge(obj.rules, before_l, managed, paths, mode)
    return Change(
        address=obj.address,
        kind=obj.kind,
        key=obj.key,
        actions=("update",),
        changed_paths=paths,
        before=nest(before_l),
        after=nest(managed),
        severity=severity_of(findings),
        findings=findings,
        op=make_op(have, merge(have, want)),
    )
