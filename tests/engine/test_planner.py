"""Planner: one change per object, exact ops, dependency order, toggle bracket."""

from __future__ import annotations

from pydantic import SecretStr

from psconfig.engine.planning.objects import merge
from psconfig.engine.planning.plan import plan_to_json
from psconfig.engine.planning.staff import deactivated
from psconfig.model import (
    AdminAccess,
    CreateStaff,
    DeactivateStaff,
    DeleteStaff,
    Desired,
    EnsureGroup,
    Group,
    Health,
    SetPagePermissions,
    SetPageToggle,
    Staff,
    State,
    TimeWindow,
    UpdateStaff,
)
from tests.engine.builders import (
    CANARY,
    DDE_EXPORT,
    DDE_HOME,
    clever_desired,
    clever_group,
    clever_staff,
    plan_for,
)
from tests.engine.fakes import ADMIN, fresh_state


def test_fresh_server_plans_every_step_of_the_guide_in_order() -> None:
    plan = plan_for(clever_desired(), fresh_state())
    assert [(c.address, c.detail) for c in plan.changes] == [
        ("group.12", ""),
        ("page_toggle", "enable (temporary)"),
        (f'page_permissions["{DDE_EXPORT}"]', ""),
        (f'page_permissions["{DDE_HOME}"]', ""),
        ('staff["99999"]', ""),
        ("page_toggle", "restore off"),
    ]
    ops = [type(c.op) for c in plan.changes]
    assert ops == [
        EnsureGroup,
        SetPageToggle,
        SetPagePermissions,
        SetPagePermissions,
        CreateStaff,
        SetPageToggle,
    ]
    assert plan.summary.model_dump() == {
        "create": 1,
        "update": 3,
        "delete": 0,
        "escalation": 3,
        "reduction": 0,
        "neutral": 1,
    }


def test_group_update_op_merges_desired_into_live_and_keeps_unmanaged() -> None:
    live = fresh_state()
    kept = live.groups[12].model_copy(update={"report_queue_priority": 5})
    live = live.model_copy(update={"groups": {**live.groups, 12: kept}})
    desired = clever_desired(groups={12: Group(number=12, name="Read-Only Export")})
    plan = plan_for(desired, live)
    change = plan.changes[0]
    assert change.changed_paths == (("name",),)
    assert change.before == {"number": 12, "name": "Group 12"}
    assert change.after == {"number": 12, "name": "Read-Only Export"}
    assert isinstance(change.op, EnsureGroup)
    assert change.op.before == kept
    assert change.op.after == kept.model_copy(update={"name": "Read-Only Export"})


def test_missing_group_is_created_from_powerschool_defaults() -> None:
    desired = Desired(groups={14: Group(number=14, name="Export 2", log_types=())})
    change = plan_for(desired, fresh_state()).changes[0]
    assert change.actions == ("create",)
    assert isinstance(change.op, EnsureGroup) and change.op.before is None
    assert change.op.after == Group(number=14, name="Export 2")
    assert change.severity == "neutral"


def test_unlisted_overrides_on_a_managed_page_are_reset_to_group_default() -> None:
    other = "/admin/students/home.html"
    live = fresh_state().model_copy(
        update={
            "page_permissions": {
                DDE_HOME: {7: "full", 11: "none", 12: "view_only"},
                other: {7: "full"},
            }
        }
    )
    desired = Desired(page_permissions={DDE_HOME: {12: "full"}})
    plan = plan_for(desired, live)
    (change,) = [c for c in plan.changes if c.kind == "page_permissions"]
    assert change.before == {"7": "full", "11": "none", "12": "view_only"}
    assert change.after == {"7": "group_default", "11": "group_default", "12": "full"}
    assert change.changed_paths == (("7",), ("11",), ("12",))
    assert change.op == SetPagePermissions(
        page=DDE_HOME,
        before={7: "full", 11: "none", 12: "view_only"},
        after={7: "group_default", 11: "group_default", 12: "full"},
    )
    # Group 7 (view_and_modify) keeps Full through its default: no finding.
    assert [f.message for f in change.findings] == [
        "group 11 raised: none -> group_default",
        "group 12 raised: view_only -> full",
    ]
    assert any(
        "group 7 (full), group 11 (none) not in the spec" in note for note in plan.notes
    )


def test_resetting_full_for_a_group_of_unknown_level_is_a_reduction() -> None:
    """The driver reads only the spec's groups: others' levels are unknown."""
    live = State(page_permissions={DDE_HOME: {7: "full", 12: "full"}})
    desired = Desired(page_permissions={DDE_HOME: {12: "full"}})
    (change,) = plan_for(desired, live).changes[1:2]
    assert change.changed_paths == (("7",),)
    assert change.severity == "reduction"
    assert [f.message for f in change.findings] == [
        "group 7 lowered: full -> group_default"
    ]


def test_unlisted_override_above_none_is_critical_drift() -> None:
    live = fresh_state().model_copy(
        update={"page_permissions": {DDE_HOME: {7: "full", 3: "none", 12: "full"}}}
    )
    desired = Desired(page_permissions={DDE_HOME: {12: "full"}})
    drift = plan_for(desired, live, mode="drift")
    (change,) = drift.changes
    assert change.severity == "escalation"
    assert [(f.effect, f.message) for f in change.findings] == [
        ("reduction", "group 3 not in the spec: set to none by hand"),
        ("escalation", "group 7 not in the spec: granted full by hand"),
    ]
    assert not drift.notes


def test_missing_live_pair_counts_as_group_default() -> None:
    desired = Desired(page_permissions={DDE_HOME: {12: "group_default"}})
    assert not plan_for(desired, fresh_state()).has_changes


def test_toggle_found_on_is_turned_off_after_the_pages_without_a_bracket() -> None:
    live = fresh_state().model_copy(update={"page_toggle": True})
    plan = plan_for(clever_desired(), live)
    toggles = [c for c in plan.changes if c.kind == "page_toggle"]
    assert [(c.detail, c.temporary) for c in toggles] == [("turn off", False)]
    assert plan.changes[-1] is toggles[0]
    assert toggles[0].op == SetPageToggle(on=False)


def test_toggle_on_is_a_permanent_escalation_before_pages() -> None:
    plan = plan_for(clever_desired(toggle="on"), fresh_state())
    toggles = [(i, c) for i, c in enumerate(plan.changes) if c.kind == "page_toggle"]
    assert [(i, c.detail, c.temporary) for i, c in toggles] == [(1, "turn on", False)]
    assert toggles[0][1].severity == "escalation"


def test_toggle_off_comes_after_the_pages() -> None:
    live = fresh_state().model_copy(update={"page_toggle": True})
    plan = plan_for(clever_desired(toggle="off"), live)
    kinds = [(c.kind, c.detail) for c in plan.changes]
    assert kinds.index(("page_toggle", "turn off")) > kinds.index(
        ("page_permissions", "")
    )
    assert plan.changes[-1].severity == "reduction"


def test_existing_staff_password_is_never_diffed() -> None:
    live = fresh_state()
    live = live.model_copy(update={"staff": {**live.staff, "99999": clever_staff()}})
    desired = Desired(
        staff={"99999": clever_staff()},
        passwords={"99999": SecretStr("other")},
        password_refs={"99999": "${env:X}"},
    )
    assert not plan_for(desired, live).has_changes


def test_staff_create_carries_password_and_reference() -> None:
    change = next(
        c
        for c in plan_for(clever_desired(), fresh_state()).changes
        if c.kind == "staff"
    )
    assert isinstance(change.op, CreateStaff)
    assert change.op.password is not None
    assert change.op.password.get_secret_value() == CANARY
    assert change.password_ref == "${env:CLEVER_SYNC_PASSWORD}"
    assert change.op.after == merge(Staff(id="99999"), clever_staff())


def test_partial_admin_access_update_keeps_other_live_fields() -> None:
    live = fresh_state()
    have = clever_staff()
    live = live.model_copy(update={"staff": {**live.staff, "99999": have}})
    desired = Desired(
        staff={
            "99999": Staff(
                id="99999", admin_access=AdminAccess(allowed_ips=("10.1.1.1",))
            )
        }
    )
    change = plan_for(desired, live).changes[0]
    assert change.changed_paths == (("admin_access", "allowed_ips"),)
    assert isinstance(change.op, UpdateStaff)
    assert change.op.after.admin_access.username == "cleversync"
    assert change.op.after.admin_access.allowed_ips == ("10.1.1.1",)
    assert change.severity == "reduction"


def test_absent_staff_is_deleted_last_in_reverse_order() -> None:
    live = fresh_state()
    extra = {sid: Staff(id=sid, last_name=f"S{sid}") for sid in ("500", "600")}
    live = live.model_copy(update={"staff": {**live.staff, **extra}})
    desired = clever_desired(absent_staff=frozenset({"500", "600", "700"}))
    plan = plan_for(desired, live)
    tail = [(c.address, type(c.op)) for c in plan.changes[-2:]]
    assert tail == [('staff["600"]', DeleteStaff), ('staff["500"]', DeleteStaff)]
    assert plan.summary.delete == 2
    assert plan.changes[-1].severity == "reduction"


def test_absent_staff_deactivation_and_idempotence() -> None:
    live = fresh_state()
    live = live.model_copy(update={"staff": {**live.staff, "99999": clever_staff()}})
    desired = Desired(absent_staff=frozenset({"99999"}), removal="deactivate")
    change = plan_for(desired, live).changes[0]
    assert isinstance(change.op, DeactivateStaff)
    assert change.detail == "deactivate"
    assert change.changed_paths == (
        ("status",),
        ("admin_access", "enabled"),
        ("admin_access", "roles"),
    )
    gone = change.after
    assert gone is not None
    done = Staff.model_validate(gone)
    live = live.model_copy(update={"staff": {**live.staff, "99999": done}})
    assert not plan_for(desired, live).has_changes


def test_identical_inputs_give_byte_identical_json() -> None:
    desired = clever_desired(
        groups={13: clever_group(13), 12: clever_group(12)},
        staff={"2": clever_staff(13, "2"), "99999": clever_staff()},
    )
    first = plan_to_json(plan_for(desired, fresh_state()))
    again = plan_to_json(plan_for(desired.model_copy(), fresh_state()))
    assert first == again
    plan = plan_for(desired, fresh_state())
    assert [c.address for c in plan.changes if c.kind != "page_toggle"][:2] == [
        "group.12",
        "group.13",
    ]


def test_drift_lists_escalations_first_and_has_no_bracket() -> None:
    live = fresh_state()
    widened = clever_group().model_copy(
        update={"log_types": ("health",), "health": Health(screening="view_only")}
    )
    live = live.model_copy(
        update={
            "groups": {**live.groups, 12: widened},
            "staff": {**live.staff, "99999": clever_staff()},
        }
    )
    plan = plan_for(clever_desired(), live, mode="drift")
    assert plan.mode == "drift"
    assert plan.changes[0].address == "group.12"
    assert plan.changes[0].severity == "escalation"
    messages = [f.message for f in plan.changes[0].findings]
    assert "log_types added: health" in messages
    assert not [c for c in plan.changes if c.kind == "page_toggle"]
    assert plan.changes[1].severity == "reduction"  # DDE pages not yet granted


def test_drift_of_staff_that_should_be_absent_is_critical() -> None:
    live = fresh_state()
    live = live.model_copy(update={"staff": {**live.staff, "99999": clever_staff()}})
    desired = Desired(absent_staff=frozenset({"99999"}))
    plan = plan_for(desired, live, mode="drift")
    assert plan.changes[0].severity == "escalation"


def test_admin_is_not_in_scope_unless_declared() -> None:
    plan = plan_for(clever_desired(), fresh_state())
    assert ADMIN.id not in {c.key for c in plan.changes}


def test_deactivated_staff_counts_as_removed_when_delete_was_refused() -> None:
    live = fresh_state()
    gone = deactivated(clever_staff())
    live = live.model_copy(update={"staff": {**live.staff, "99999": gone}})
    plan = plan_for(Desired(absent_staff=frozenset({"99999"})), live)
    assert not plan.has_changes
    assert any("deactivated but not deleted" in note for note in plan.notes)


def test_toggle_left_on_with_during_apply_is_turned_off() -> None:
    """during_apply: psconfig owns the resting state, which is off."""
    live = fresh_state().model_copy(update={"page_toggle": True})
    plan = plan_for(Desired(), live)
    (change,) = plan.changes
    assert (change.address, change.detail, change.temporary) == (
        "page_toggle",
        "turn off",
        False,
    )
    assert change.severity == "reduction"
    assert plan.summary.update == 1 and plan.summary.reduction == 1
    assert any("an apply may have been interrupted" in note for note in plan.notes)
    assert not plan_for(Desired(toggle="on"), live).has_changes


def test_toggle_left_on_with_during_apply_is_critical_drift() -> None:
    live = fresh_state().model_copy(update={"page_toggle": True})
    drift = plan_for(Desired(), live, mode="drift")
    (change,) = drift.changes
    assert change.address == "page_toggle"
    assert change.severity == "escalation"
    assert [f.message for f in change.findings] == ["page_toggle turned on"]
    assert drift.summary.escalation == 1
    assert not drift.notes
    off = fresh_state()
    assert not plan_for(Desired(), off, mode="drift").has_changes


def test_a_missing_account_is_no_escalation_in_drift() -> None:
    staff = clever_staff()
    restricted = staff.model_copy(
        update={
            "admin_access": staff.admin_access.model_copy(
                update={
                    "allowed_ips": ("192.0.2.10",),
                    "sign_in_window": TimeWindow(start="05:00", end="22:00"),
                }
            )
        }
    )
    desired = clever_desired(staff={"99999": restricted})
    live = _converged(desired)
    live = live.model_copy(update={"staff": {}})
    drift = plan_for(desired, live, mode="drift")
    (change,) = [c for c in drift.changes if c.address == 'staff["99999"]']
    assert change.severity == "reduction"
    assert not any(f.effect == "escalation" for f in change.findings)
    assert "does not exist" in change.findings[0].message
    assert drift.summary.escalation == 0


def test_an_account_that_cannot_sign_in_gains_nothing_from_its_ips() -> None:
    desired = clever_desired()
    staff = clever_staff()
    want = staff.model_copy(
        update={
            "admin_access": staff.admin_access.model_copy(
                update={"allowed_ips": ("192.0.2.10",)}
            )
        }
    )
    desired = clever_desired(staff={"99999": want})
    live = _converged(desired)
    off = staff.admin_access.model_copy(update={"enabled": False, "allowed_ips": ()})
    live = live.model_copy(
        update={"staff": {"99999": staff.model_copy(update={"admin_access": off})}}
    )
    drift = plan_for(desired, live, mode="drift")
    (change,) = [c for c in drift.changes if c.address == 'staff["99999"]']
    assert change.severity == "reduction", change.findings
    # With admin sign-in on, the same emptied list is CRITICAL.
    on = off.model_copy(update={"enabled": True})
    live = live.model_copy(
        update={"staff": {"99999": staff.model_copy(update={"admin_access": on})}}
    )
    drift = plan_for(desired, live, mode="drift")
    (change,) = [c for c in drift.changes if c.address == 'staff["99999"]']
    assert change.severity == "escalation"


def _converged(desired: Desired) -> State:
    """PowerSchool after an apply of ``desired`` (the toggle off again)."""
    live = fresh_state()
    return live.model_copy(
        update={
            "groups": {**live.groups, **desired.groups},
            "page_permissions": desired.page_permissions,
            "staff": {**live.staff, **desired.staff},
        }
    )
