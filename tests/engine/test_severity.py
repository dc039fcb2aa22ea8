"""Severity rules: what escalates privilege, what reduces it, what is neutral."""

from __future__ import annotations

import pytest
from pydantic import JsonValue

from psconfig.engine.planning.severity import (
    GROUP_RULES,
    STAFF_RULES,
    Finding,
    object_findings,
    page_findings,
    severity_of,
    toggle_findings,
)


def judge_group(path: tuple[str, ...], before: JsonValue, after: JsonValue) -> str:
    return severity_of(
        object_findings(GROUP_RULES, {path: before}, {path: after}, [path])
    )


def judge_staff(path: tuple[str, ...], before: JsonValue, after: JsonValue) -> str:
    return severity_of(
        object_findings(STAFF_RULES, {path: before}, {path: after}, [path])
    )


@pytest.mark.parametrize(
    ("path", "before", "after", "expected"),
    [
        (("access_level",), "view_only", "view_and_modify", "escalation"),
        (("access_level",), "view_and_modify", "view_only", "reduction"),
        (("access_level",), "view_only", "bogus", "escalation"),
        (("can_modify_schedules",), "no", "yes", "escalation"),
        (("powerscheduler_access",), False, True, "escalation"),
        (("language_translator",), True, False, "reduction"),
        (("log_types",), [], ["health"], "escalation"),
        (("log_types",), ["health"], [], "reduction"),
        (("log_types",), ["discipline"], ["health"], "escalation"),
        (("incident_types",), [], ["BUL"], "escalation"),
        (("health", "screening"), "no_access", "view_only", "escalation"),
        (("health", "immunization"), "full_access", "no_access", "reduction"),
        (("name",), "Group 12", "Read-Only Export", "neutral"),
        (("report_queue_priority",), 0, 9, "neutral"),
    ],
)
def test_group_rules(
    path: tuple[str, ...], before: JsonValue, after: JsonValue, expected: str
) -> None:
    assert judge_group(path, before, after) == expected


WINDOW = {"start": "05:00", "end": "22:00"}


@pytest.mark.parametrize(
    ("path", "before", "after", "expected"),
    [
        (("admin_access", "enabled"), False, True, "escalation"),
        (("admin_access", "enabled"), True, False, "reduction"),
        (("admin_access", "default_group"), None, 12, "escalation"),
        (("admin_access", "default_group"), 12, 9, "escalation"),
        (("admin_access", "default_group"), 12, None, "reduction"),
        (("admin_access", "roles"), [], [{"school": 0, "group": None}], "escalation"),
        (("admin_access", "roles"), [{"school": 0, "group": 12}], [], "reduction"),
        (
            ("admin_access", "roles"),
            [{"school": 0, "group": 12}],
            [{"school": 0, "group": 9}],
            "escalation",
        ),
        (("admin_access", "allowed_ips"), ["10.0.0.1"], [], "escalation"),
        (("admin_access", "allowed_ips"), [], ["10.0.0.1"], "reduction"),
        (("admin_access", "allowed_ips"), ["10.0.0.1"], ["10.0.0.0/24"], "escalation"),
        (("admin_access", "allowed_ips"), ["10.0.0.0/24"], ["10.0.0.1"], "reduction"),
        (("admin_access", "allowed_ips"), ["10.0.0.1"], ["bad"], "escalation"),
        (("admin_access", "allowed_ips"), ["::1"], ["10.0.0.1"], "escalation"),
        (
            ("admin_access", "allowed_ips"),
            ["2001:db8::1"],
            ["2001:db8::/64"],
            "escalation",
        ),
        (
            ("admin_access", "allowed_ips"),
            ["2001:db8::/64"],
            ["2001:db8::1"],
            "reduction",
        ),
        (("admin_access", "sign_in_window"), WINDOW, "any_time", "escalation"),
        (("admin_access", "sign_in_window"), "any_time", WINDOW, "reduction"),
        (
            ("admin_access", "sign_in_window"),
            WINDOW,
            {"start": "04:00", "end": "21:00"},
            "escalation",
        ),
        (("admin_access", "sign_in_window"), WINDOW, {"start": "x"}, "escalation"),
        (("teacher_access",), False, True, "escalation"),
        (("status",), "no_longer_here", "current", "escalation"),
        (("status",), "current", "no_longer_here", "reduction"),
        (("email",), "", "sync@example.org", "neutral"),
        (("admin_access", "username"), "a", "b", "neutral"),
    ],
)
def test_staff_rules(
    path: tuple[str, ...], before: JsonValue, after: JsonValue, expected: str
) -> None:
    assert judge_staff(path, before, after) == expected


def test_escalation_wins_over_reduction() -> None:
    findings = object_findings(
        GROUP_RULES,
        {("log_types",): ["discipline"], ("access_level",): "view_and_modify"},
        {("log_types",): ["health"], ("access_level",): "view_only"},
        [("log_types",), ("access_level",)],
    )
    effects = sorted(f.effect for f in findings)
    assert effects == ["escalation", "reduction", "reduction"]
    assert severity_of(findings) == "escalation"


@pytest.mark.parametrize(
    ("before", "after", "level_before", "level_after", "expected"),
    [
        ("none", "full", "view_only", "view_only", "escalation"),
        ("full", "view_only", "view_only", "view_only", "reduction"),
        ("group_default", "full", "view_only", "view_only", "escalation"),
        ("group_default", "view_only", "view_only", "view_only", "neutral"),
        (
            "group_default",
            "view_only",
            "view_and_modify",
            "view_and_modify",
            "reduction",
        ),
        ("full", "group_default", "no_access", "no_access", "reduction"),
        ("group_default", "full", None, None, "escalation"),
        ("group_default", "none", None, None, "reduction"),
        ("none", "group_default", None, None, "escalation"),
        ("view_only", "group_default", None, None, "escalation"),
        ("full", "group_default", None, None, "reduction"),
    ],
)
def test_page_levels(
    before: str,
    after: str,
    level_before: str | None,
    level_after: str | None,
    expected: str,
) -> None:
    levels_before = {} if level_before is None else {12: level_before}
    levels_after = {} if level_after is None else {12: level_after}
    findings = page_findings(
        {("12",): before},
        {("12",): after},
        [("12",)],
        levels_before=levels_before,  # type: ignore[arg-type]
        levels_after=levels_after,  # type: ignore[arg-type]
    )
    assert severity_of(findings) == expected


def test_toggle() -> None:
    assert severity_of(toggle_findings(False, True)) == "escalation"
    assert severity_of(toggle_findings(True, False)) == "reduction"
    assert toggle_findings(True, True) == []


def test_findings_explain_themselves() -> None:
    findings = object_findings(
        STAFF_RULES,
        {("admin_access", "allowed_ips"): ["10.0.0.1"]},
        {("admin_access", "allowed_ips"): []},
        [("admin_access", "allowed_ips")],
    )
    assert findings == [
        Finding(
            effect="escalation",
            path="admin_access.allowed_ips",
            message="admin_access.allowed_ips emptied: any IP address may sign in",
        )
    ]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        # A range covering a whole address family is "any address", like [].
        ([], ["0.0.0.0/0"], "neutral"),
        ([], ["::/0"], "neutral"),
        ([], ["::ffff:0:0/96"], "neutral"),
        ([], ["0.0.0.0/1", "128.0.0.0/1"], "neutral"),
        (["0.0.0.0/0"], [], "neutral"),
        (["192.0.2.10"], ["0.0.0.0/0"], "escalation"),
        (["192.0.2.10"], ["::/0"], "escalation"),
        (["192.0.2.10"], ["0.0.0.0/1", "128.0.0.0/1"], "escalation"),
        (["0.0.0.0/0"], ["192.0.2.10"], "reduction"),
        # IPv4-mapped IPv6 is the IPv4 address it maps.
        (["192.0.2.10"], ["::ffff:192.0.2.10"], "neutral"),
        (["192.0.2.10"], ["::ffff:192.0.2.0/120"], "escalation"),
    ],
)
def test_a_catch_all_range_is_any_address(
    before: JsonValue, after: JsonValue, expected: str
) -> None:
    assert judge_staff(("admin_access", "allowed_ips"), before, after) == expected


def test_a_catch_all_range_says_any_address() -> None:
    (finding,) = object_findings(
        STAFF_RULES,
        {("admin_access", "allowed_ips"): ["192.0.2.10"]},
        {("admin_access", "allowed_ips"): ["::/0"]},
        [("admin_access", "allowed_ips")],
    )
    assert "any IP address may sign in" in finding.message
