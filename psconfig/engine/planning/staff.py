"""Planning staff members: creates and updates (by ID), then removals (reverse ID).

See ``build`` for the whole plan. A create starts from what PowerSchool's New
Staff Member makes; an update carries the full live record merged with the spec's
managed fields; a removal deletes (or, with ``removal: deactivate``, deactivates).
"""

from __future__ import annotations

from collections.abc import Iterator

from psconfig.engine.planning.diff import Leaves, changed_paths, leaves, nest
from psconfig.engine.planning.objects import (
    REMOVALS,
    STAFF,
    DeclaredObject,
    Planned,
    address,
    created,
    judge,
    merge,
    updated,
)
from psconfig.engine.planning.plan import Change, Mode
from psconfig.engine.planning.severity import STAFF_RULES, Finding, severity_of
from psconfig.model import (
    AdminAccess,
    Affiliation,
    CreateStaff,
    DeactivateStaff,
    DeleteStaff,
    Desired,
    Op,
    Staff,
    State,
    UpdateStaff,
)


def staff_changes(desired: Desired, live: State, mode: Mode) -> Iterator[Planned]:
    """One create or update per declared staff member that differs."""
    for sid, want in sorted(desired.staff.items()):
        obj = DeclaredObject("staff", sid, address("staff", sid), STAFF_RULES)
        have = live.staff.get(sid)
        if have is None:
            base = _new_staff(sid, want)
            after = merge(base, want)
            op = CreateStaff(after=after, password=desired.passwords.get(sid))
            ref = desired.password_refs.get(sid)
            change: Change | None = created(
                obj, base, after, op, mode, password_ref=ref
            )
        else:
            want = _keep_live_affiliations(want, have)
            change = updated(obj, have, want, _update_staff, mode)
            if change is not None:
                assert isinstance(change.op, UpdateStaff)
                change = _effective(
                    change, have if mode == "drift" else change.op.after
                )
            if change is not None and _needs_password(change.op):
                change = _with_password(change, desired, sid)
        if change is not None:
            yield Planned(STAFF, (0, sid), change)


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


_SIGN_IN_PATHS = frozenset(
    f"admin_access.{name}"
    for name in ("allowed_ips", "sign_in_window", "roles", "default_group")
)
"""Findings about what an admin sign-in may do: moot for an account that cannot."""


def _effective(change: Change, granted: Staff) -> Change:
    """Judge on effective access: ``granted`` is the side whose access counts.

    When that account cannot sign in to the admin portal, widening where or when
    it may sign in, or what its groups are, grants nothing, so those escalations
    are dropped (a reduction stays). In a plan ``granted`` is the account after
    the change; in a drift report, the live account.
    """
    if granted.admin_access.enabled:
        return change
    findings = tuple(
        f
        for f in change.findings
        if not (f.effect == "escalation" and f.path in _SIGN_IN_PATHS)
    )
    if findings == change.findings:
        return change
    return change.model_copy(
        update={"findings": findings, "severity": severity_of(findings)}
    )


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


def removals(desired: Desired, live: State, mode: Mode) -> Iterator[Planned]:
    """A delete (or deactivation) per absent staff member still present."""
    present = sorted(sid for sid in desired.absent_staff if sid in live.staff)
    for rank, sid in enumerate(reversed(present)):
        have = live.staff[sid]
        have_l = leaves(have, managed_only=False)
        after = deactivated(have)
        if desired.removal == "delete" and after != have:
            yield Planned(REMOVALS, (rank, sid), _deletion(sid, have, have_l, mode))
            continue
        after_l = leaves(after, managed_only=False)
        paths = changed_paths(have_l, after_l)
        if not paths:
            continue
        findings = judge(STAFF_RULES, have_l, after_l, paths, mode)
        change = Change(
            address=address("staff", sid),
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
        yield Planned(REMOVALS, (rank, sid), change)


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
        address=address("staff", sid),
        kind="staff",
        key=sid,
        actions=("delete",),
        detail="delete",
        before=nest(have_l),
        severity=finding.effect,
        findings=(finding,),
        op=DeleteStaff(before=have),
    )


def deactivated(staff: Staff) -> Staff:
    """What DeactivateStaff leaves: sign-in revoked, roles removed, no longer here."""
    access = staff.admin_access.model_copy(update={"enabled": False, "roles": ()})
    return staff.model_copy(update={"status": "no_longer_here", "admin_access": access})
