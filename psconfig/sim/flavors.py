"""Where the two simulated PowerSchool generations differ: labels, values, names.

``legacy`` is PowerSchool 7.8-23.x (PCAS hashed sign-in, "Access to Page
Permissions", None/View-only/Full); ``modern`` is 24.x+ (plain sign-in over TLS,
"Enable Page Permissions", No Access/Read Only/Edit). Everything else is shared.
Option tables are ``(form value, label, state value)`` triples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from psconfig.sim.state import AccessLevel, Flavor, HealthLevel, LogType, PageLevel

T = TypeVar("T")

DEFAULT_VERSION: dict[Flavor, str] = {"legacy": "23.10.0.2", "modern": "25.3.0.1"}


@dataclass(frozen=True)
class FlavorInfo:
    """The flavor-specific names of one simulated PowerSchool generation."""

    name: Flavor
    cookie: str
    hashed_login: bool
    toggle_title: str
    toggle_field: str
    toggle_on: str
    toggle_off: str
    access_levels: tuple[tuple[str, str, AccessLevel], ...]
    page_levels: tuple[tuple[str, str, PageLevel], ...]


LEGACY = FlavorInfo(
    name="legacy",
    cookie="psaid",
    hashed_login=True,
    toggle_title="Access to Page Permissions",
    toggle_field="modifypermissions",
    toggle_on="1",
    toggle_off="0",
    access_levels=(
        ("0", "No Access", "no_access"),
        ("1", "View Only", "view_only"),
        ("2", "View & Modify", "view_and_modify"),
    ),
    page_levels=(
        ("-1", "Group default", "group_default"),
        ("0", "None", "none"),
        ("1", "View-only", "view_only"),
        ("2", "Full", "full"),
    ),
)

MODERN = FlavorInfo(
    name="modern",
    cookie="JSESSIONID",
    hashed_login=False,
    toggle_title="Enable Page Permissions",
    toggle_field="enablepagepermissions",
    toggle_on="true",
    toggle_off="false",
    access_levels=(
        ("none", "No Access", "no_access"),
        ("view", "View Only", "view_only"),
        ("modify", "View and Modify", "view_and_modify"),
    ),
    page_levels=(
        ("default", "Group default", "group_default"),
        ("noaccess", "No Access", "none"),
        ("readonly", "Read Only", "view_only"),
        ("edit", "Edit", "full"),
    ),
)

FLAVORS: dict[Flavor, FlavorInfo] = {"legacy": LEGACY, "modern": MODERN}

# Shared option tables (the same in both generations).
SCHEDULE_OPTIONS: tuple[tuple[str, str, bool], ...] = (
    ("0", "No, not at all", False),
    ("1", "Yes", True),
)
HEALTH_OPTIONS: tuple[tuple[str, str, HealthLevel], ...] = (
    ("0", "No Access", "no_access"),
    ("1", "View Only", "view_only"),
    ("2", "Full Access", "full_access"),
)
HEALTH_AREAS: tuple[tuple[str, str, str], ...] = (
    ("health_certification", "Certification", "certification"),
    ("health_immunization", "Immunization", "immunization"),
    ("health_officevisit", "Office Visit", "office_visit"),
    ("health_screening", "Screening", "screening"),
)
LOG_TYPE_OPTIONS: tuple[tuple[str, str, LogType], ...] = (
    ("-100000", "Discipline", "discipline"),
    ("-100001", "Health", "health"),
    ("-100002", "Counselor", "counselor"),
    ("-100003", "Attendance", "attendance"),
    ("-100004", "Parent Contact", "parent_contact"),
    ("-100005", "Grade Change", "grade_change"),
)
STAFF_TYPES: tuple[tuple[str, str, int], ...] = (
    ("0", "Not Assigned", 0),
    ("1", "Teacher", 1),
    ("2", "Staff", 2),
    ("3", "Lunch Staff", 3),
    ("4", "Substitute", 4),
)
STAFF_STATUSES: tuple[tuple[str, str, int], ...] = (
    ("1", "Current", 1),
    ("2", "No longer here", 2),
)


def label_of(options: tuple[tuple[str, str, T], ...], value: T) -> str:
    """The display label of a state value in an option table."""
    return next(label for _, label, v in options if v == value)


def form_value_of(options: tuple[tuple[str, str, T], ...], value: T) -> str:
    """The form value of a state value in an option table."""
    return next(form for form, _, v in options if v == value)


def choices(options: tuple[tuple[str, str, T], ...]) -> list[tuple[str, str]]:
    """``(form value, label)`` pairs for rendering a select or radio group."""
    return [(form, label) for form, label, _ in options]
