"""Build a ``Plan`` from desired and live state.

For each object the spec declares, compare its managed leaves with the live object
(``diff``), build the one ``Op`` that converges it (after = live merged with the
desired managed fields; a create starts from PowerSchool's defaults), judge its
severity (``severity``), and order everything by dependency, deterministically:

1. security groups, ascending number (a staff member's groups exist first);
2. the page-permission toggle turned on (permanently, or ``enable (temporary)``);
3. page permissions, sorted by page path;
4. staff creates and updates, sorted by staff ID;
5. the toggle turned off (permanently, or ``restore off``);
6. staff removals (delete or deactivate), in reverse ID order.

In ``drift`` mode the same differences are judged in the other direction (how live
departs from the spec: a Health log type someone added by hand is an escalation) and
escalations come first; the toggle bracket, an apply detail, is left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel

from psconfig import __version__
from psconfig.engine.diff import Leaves, Path, changed_paths, leaves, nest, restrict
from psconfig.engine.plan import Change, Kind, Mode, Plan, SpecRef, Target, summarize
from psconfig.engine.severity import (
    GROUP_RULES,
    STAFF_RULES,
    Finding,
    Rule,
    object_findings,
    page_findings,
    severity_of,
    toggle_findings,
)
from psconfig.model import (
    AccessLevel,
    AdminAccess,
    Affiliation,
    CreateStaff,
    DeactivateStaff,
    DeleteStaff,
    Desired,
    EnsureGroup,
    Group,
    Health,
    Op,
    SetPagePermissions,
    SetPageToggle,
    Staff,
    State,
    UpdateStaff,
)

GROUPS, TOGGLE_ON, PAGES, STAFF, TOGGLE_OFF, REMOVALS = range(6)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class _Planned:
    phase: int
    order: tuple[int, str]
    change: Change


def build_plan(
    desired: Desired,
    live: State,
    *,
    target: Target,
    spec: SpecRef,
    live_fingerprint: str,
    timestamp: str,
    mode: Mode = "plan",
    notes: Sequence[str] = (),
) -> Plan:
    """The plan (or drift report) that takes ``live`` to ``desired``."""
    planned = [
        *_group_changes(desired, live, mode),
        *_page_changes(desired, live, mode),
        *_staff_changes(desired, live, mode),
        *_removals(desired, live, mode),
    ]
    pages_change = any(p.change.kind == "page_permissions" for p in planned)
    planned.extend(_toggle_changes(desired, live, mode, pages_change=pages_change))
    planned.sort(key=lambda p: (p.phase, p.order))
    changes = tuple(p.change for p in planned)
    if mode == "drift":
        changes = tuple(sorted(changes, key=lambda c: c.severity != "escalation"))
    return Plan(
        mode=mode,
        psconfig_version=__version__,
        timestamp=timestamp,
        target=target,
        spec=spec,
        live_fingerprint=live_fingerprint,
        summary=summarize(changes),
        changes=changes,
        notes=(*notes, *_observations(desired, live)),
    )


def _observations(desired: Desired, live: State) -> Iterator[str]:
    """What a reviewer should know that is not a change."""
    if desired.toggle == "during_apply" and live.page_toggle:
        yield (
            "the page-permission toggle is on; PowerSchool advises turning it off "
            "after editing (toggle: off in the spec makes psconfig do it)"
        )
    if desired.removal == "delete":
        for sid in sorted(desired.absent_staff):
            have = live.staff.get(sid)
            if have is not None and deactivated(have) == have:
                yield (
                    f'staff["{sid}"] is deactivated but not deleted (PowerSchool '
                    "keeps staff members with history); nothing left to do"
                )


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


def deactivated(staff: Staff) -> Staff:
    """What DeactivateStaff leaves: sign-in revoked, roles removed, no longer here."""
    access = staff.admin_access.model_copy(update={"enabled": False, "roles": ()})
    return staff.model_copy(update={"status": "no_longer_here", "admin_access": access})


def _judge(
    rules: Mapping[Path, Rule],
    before: Leaves,
    after: Leaves,
    paths: Sequence[Path],
    mode: Mode,
) -> tuple[Finding, ...]:
    if mode == "drift":
        before, after = after, before
    return tuple(object_findings(rules, before, after, paths))


def _address(kind: str, key: str) -> str:
    return f"{kind}[{json.dumps(key)}]"


# ---------------------------------------------------------------------------
# Per kind


@dataclass(frozen=True)
class _Object:
    """Identity of one declared object and the severity rules of its kind."""

    kind: Kind
    key: str
    address: str
    rules: Mapping[Path, Rule]


def _created(
    obj: _Object,
    base: BaseModel,
    after: BaseModel,
    op: Op,
    mode: Mode,
    *,
    password_ref: str | None = None,
) -> Change:
    """A create; judged against ``base``, what PowerSchool creates by default."""
    base_l = leaves(base, managed_only=False)
    after_l = leaves(after, managed_only=False)
    paths = changed_paths(base_l, after_l)
    findings = _judge(obj.rules, base_l, after_l, paths, mode)
    return Change(
        address=obj.address,
        kind=obj.kind,
        key=obj.key,
        actions=("create",),
        changed_paths=tuple(after_l),
        after=nest(after_l),
        severity=severity_of(findings),
        findings=findings,
        password_ref=password_ref,
        op=op,
    )


def _updated(
    obj: _Object, have: M, want: M, make_op: Callable[[M, M], Op], mode: Mode
) -> Change | None:
    """An update of the managed fields that differ, or None when none do."""
    managed = leaves(want, managed_only=True)
    before_l = restrict(leaves(have, managed_only=False), managed)
    paths = changed_paths(before_l, managed)
    if not paths:
        return None
    findings = _judge(obj.rules, before_l, managed, paths, mode)
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


def _group_changes(desired: Desired, live: State, mode: Mode) -> Iterator[_Planned]:
    for number, want in sorted(desired.groups.items()):
        obj = _Object("group", str(number), f"group.{number}", GROUP_RULES)
        have = live.groups.get(number)
        if have is None:
            # PowerSchool's Add Groups creates "Group N", View Only, everything off.
            base = Group(number=number, name=f"Group {number}")
            after = merge(base, want)
            op = EnsureGroup(before=None, after=after)
            change: Change | None = _created(obj, base, after, op, mode)
        else:
            change = _updated(obj, have, want, _ensure_group, mode)
        if change is not None:
            yield _Planned(GROUPS, (number, ""), change)


def _ensure_group(before: Group, after: Group) -> Op:
    return EnsureGroup(before=before, after=after)


def _access_levels(
    desired: Desired, live: State
) -> tuple[dict[int, AccessLevel], dict[int, AccessLevel]]:
    before = {n: g.access_level for n, g in live.groups.items()}
    after = dict(before)
    for n, g in desired.groups.items():
        if "access_level" in g.model_fields_set or n not in live.groups:
            after[n] = g.access_level
    return before, after


def _page_changes(desired: Desired, live: State, mode: Mode) -> Iterator[_Planned]:
    levels, levels_after = _access_levels(desired, live)
    if mode == "drift":
        levels, levels_after = levels_after, levels
    for page in sorted(desired.page_permissions):
        wanted = desired.page_permissions[page]
        have_levels = live.page_permissions.get(page, {})
        groups = sorted(wanted)
        want_l: Leaves = {(str(g),): wanted[g] for g in groups}
        have_l: Leaves = {
            (str(g),): have_levels.get(g, "group_default") for g in groups
        }
        paths = changed_paths(have_l, want_l)
        if not paths:
            continue
        before, after = (want_l, have_l) if mode == "drift" else (have_l, want_l)
        findings = tuple(
            page_findings(
                before, after, paths, levels_before=levels, levels_after=levels_after
            )
        )
        changed = [int(path[0]) for path in paths]
        op = SetPagePermissions(
            page=page,
            before={g: have_levels.get(g, "group_default") for g in changed},
            after={g: wanted[g] for g in changed},
        )
        change = Change(
            address=_address("page_permissions", page),
            kind="page_permissions",
            key=page,
            actions=("update",),
            changed_paths=paths,
            before=nest(have_l),
            after=nest(want_l),
            severity=severity_of(findings),
            findings=findings,
            op=op,
        )
        yield _Planned(PAGES, (0, page), change)


def _staff_changes(desired: Desired, live: State, mode: Mode) -> Iterator[_Planned]:
    for sid, want in sorted(desired.staff.items()):
        obj = _Object("staff", sid, _address("staff", sid), STAFF_RULES)
        have = live.staff.get(sid)
        if have is None:
            base = _new_staff(sid, want)
            after = merge(base, want)
            op = CreateStaff(after=after, password=desired.passwords.get(sid))
            ref = desired.password_refs.get(sid)
            change: Change | None = _created(
                obj, base, after, op, mode, password_ref=ref
            )
        else:
            want = _keep_live_affiliations(want, have)
            change = _updated(obj, have, want, _update_staff, mode)
            if change is not None and _needs_password(change.op):
                change = _with_password(change, desired, sid)
        if change is not None:
            yield _Planned(STAFF, (0, sid), change)


def _new_staff(sid: str, want: Staff) -> Staff:
    """What New Staff Member creates before the spec's fields are applied.

    PowerSchool affiliates a new staff member with the school it is created in, as
    home school, active, with the staff type given on the form; a spec that leaves
    affiliations unmanaged must keep that row rather than ask to remove it.
    """
    school = want.school if "school" in want.model_fields_set else 0
    staff_type = want.staff_type if "staff_type" in want.model_fields_set else "staff"
    home = Affiliation(school=school, home=True, active=True, staff_type=staff_type)
    return Staff(id=sid, school=school, staff_type=staff_type, affiliations=(home,))


def _update_staff(before: Staff, after: Staff) -> Op:
    return UpdateStaff(before=before, after=after)


def _keep_live_affiliations(want: Staff, have: Staff) -> Staff:
    """Desired affiliations plus the live ones the spec omits, made inactive.

    PowerSchool cannot remove an affiliation, only make it inactive, so a spec's
    affiliation list means "these, and no other active one": an omitted live row
    is kept, inactive and not home.
    """
    if "affiliations" not in want.model_fields_set:
        return want
    listed = {a.school for a in want.affiliations}
    extra = tuple(
        a.model_copy(update={"active": False, "home": False})
        for a in have.affiliations
        if a.school not in listed
    )
    if not extra:
        return want
    return want.model_copy(update={"affiliations": (*want.affiliations, *extra)})


def _signs_in_with_password(access: AdminAccess) -> bool:
    return access.enabled and not access.ldap_enabled


def _needs_password(op: Op) -> bool:
    """True when an update makes the account sign in with a local password."""
    return (
        isinstance(op, UpdateStaff)
        and _signs_in_with_password(op.after.admin_access)
        and not _signs_in_with_password(op.before.admin_access)
    )


def _with_password(change: Change, desired: Desired, sid: str) -> Change:
    """Carry the write-only password along when an update needs one.

    PowerSchool will not let an account sign in with a local password (sign-in on,
    LDAP off) without one, so the password the spec references is set in the same
    save (as on create).
    """
    ref = desired.password_refs.get(sid)
    if ref is None:
        return change
    assert isinstance(change.op, UpdateStaff)
    op = change.op.model_copy(update={"password": desired.passwords.get(sid)})
    return change.model_copy(update={"op": op, "password_ref": ref})


def _removals(desired: Desired, live: State, mode: Mode) -> Iterator[_Planned]:
    present = sorted(sid for sid in desired.absent_staff if sid in live.staff)
    for rank, sid in enumerate(reversed(present)):
        have = live.staff[sid]
        have_l = leaves(have, managed_only=False)
        after = deactivated(have)
        if desired.removal == "delete" and after != have:
            yield _Planned(REMOVALS, (rank, sid), _deletion(sid, have, have_l, mode))
            continue
        after_l = leaves(after, managed_only=False)
        paths = changed_paths(have_l, after_l)
        if not paths:
            continue
        findings = _judge(STAFF_RULES, have_l, after_l, paths, mode)
        change = Change(
            address=_address("staff", sid),
            kind="staff",
            key=sid,
            actions=("delete",),
            detail="deactivate",
            changed_paths=paths,
            before=nest(have_l),
            after=nest(after_l),
            severity=severity_of(findings),
            findings=findings,
            op=DeactivateStaff(before=have),
        )
        yield _Planned(REMOVALS, (rank, sid), change)


def _deletion(sid: str, have: Staff, have_l: Leaves, mode: Mode) -> Change:
    if mode == "drift":
        finding = Finding(
            effect="escalation",
            path="staff",
            message="staff member should be absent but exists",
        )
    else:
        finding = Finding(
            effect="reduction", path="staff", message="staff member deleted"
        )
    return Change(
        address=_address("staff", sid),
        kind="staff",
        key=sid,
        actions=("delete",),
        detail="delete",
        before=nest(have_l),
        severity=finding.effect,
        findings=(finding,),
        op=DeleteStaff(before=have),
    )


def _toggle_changes(
    desired: Desired, live: State, mode: Mode, *, pages_change: bool
) -> Iterator[_Planned]:
    live_on = live.page_toggle
    if desired.toggle != "during_apply" and (desired.toggle == "on") != live_on:
        want_on = desired.toggle == "on"
        before, after = (want_on, live_on) if mode == "drift" else (live_on, want_on)
        findings = tuple(toggle_findings(before, after))
        phase = TOGGLE_ON if want_on else TOGGLE_OFF
        yield _Planned(phase, (0, ""), _toggle(live_on, want_on, findings))
    if mode == "plan" and pages_change and not live_on and desired.toggle != "on":
        yield _Planned(TOGGLE_ON, (0, ""), _toggle(False, True, (), temporary=True))
        yield _Planned(TOGGLE_OFF, (0, ""), _toggle(True, False, (), temporary=True))


def _toggle(
    before: bool,
    after: bool,
    findings: tuple[Finding, ...],
    *,
    temporary: bool = False,
) -> Change:
    if temporary:
        detail = "enable (temporary)" if after else "restore off"
    else:
        detail = "turn on" if after else "turn off"
    return Change(
        address="page_toggle",
        kind="page_toggle",
        key="",
        actions=("update",),
        detail=detail,
        temporary=temporary,
        changed_paths=(("on",),),
        before={"on": before},
        after={"on": after},
        severity=severity_of(findings),
        findings=findings,
        op=SetPageToggle(on=after),
    )
