"""Diff: managed leaves only, exact changed paths, unmanaged fields invisible."""

from __future__ import annotations

from psconfig.engine.planning.diff import Leaves, changed_paths, leaves, nest, restrict
from psconfig.model import AdminAccess, Group, Health, Role, Staff, TimeWindow


def test_desired_leaves_are_only_the_fields_set_recursively() -> None:
    staff = Staff(id="7", admin_access=AdminAccess(enabled=True))
    assert leaves(staff, managed_only=True) == {
        ("id",): "7",
        ("admin_access", "enabled"): True,
    }


def test_live_leaves_cover_every_field_and_nest_back() -> None:
    group = Group(number=3, name="Counselors")
    flat = leaves(group, managed_only=False)
    assert ("health", "screening") in flat
    assert nest(flat) == group.model_dump(mode="json")


def test_unmanaged_live_field_never_reported() -> None:
    desired = Group(number=12, name="Read-Only Export")
    live = Group(number=12, name="Read-Only Export", log_types=("health",))
    managed = leaves(desired, managed_only=True)
    before = restrict(leaves(live, managed_only=False), managed)
    assert changed_paths(before, managed) == ()


def test_changed_paths_are_exact_leaves_in_field_order() -> None:
    desired = Group(
        number=12,
        name="Read-Only Export",
        log_types=(),
        health=Health(certification="no_access"),
    )
    live = Group(
        number=12,
        name="Group 12",
        log_types=("discipline", "health"),
        health=Health(certification="full_access", screening="view_only"),
    )
    managed = leaves(desired, managed_only=True)
    before = restrict(leaves(live, managed_only=False), managed)
    assert changed_paths(before, managed) == (
        ("name",),
        ("log_types",),
        ("health", "certification"),
    )


def test_list_change_is_reported_as_the_whole_list() -> None:
    before: Leaves = {("roles",): [{"school": 0, "group": None}]}
    after: Leaves = {
        ("roles",): [{"school": 0, "group": None}, {"school": 100, "group": 12}]
    }
    assert changed_paths(before, after) == (("roles",),)


def test_time_window_is_one_leaf() -> None:
    desired = AdminAccess(sign_in_window=TimeWindow(start="05:00", end="22:00"))
    live = AdminAccess(sign_in_window=TimeWindow(start="05:00", end="23:00"))
    managed = leaves(desired, managed_only=True)
    before = restrict(leaves(live, managed_only=False), managed)
    assert changed_paths(before, managed) == (("sign_in_window",),)
    any_time = restrict(leaves(AdminAccess(), managed_only=False), managed)
    assert changed_paths(any_time, managed) == (("sign_in_window",),)


def test_allowed_ips_compare_as_sets() -> None:
    desired = AdminAccess(allowed_ips=("10.0.0.2", "10.0.0.1"))
    live = AdminAccess(allowed_ips=("10.0.0.1", "10.0.0.2", "10.0.0.1"))
    managed = leaves(desired, managed_only=True)
    before = restrict(leaves(live, managed_only=False), managed)
    assert changed_paths(before, managed) == ()


def test_role_default_group_is_none_not_missing() -> None:
    desired = AdminAccess(roles=(Role(school=0),))
    live = AdminAccess(roles=(Role(school=0, group=None),))
    managed = leaves(desired, managed_only=True)
    before = restrict(leaves(live, managed_only=False), managed)
    assert changed_paths(before, managed) == ()
