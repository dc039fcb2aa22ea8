"""Value labels a spec may use, normalized to ``psconfig.model``'s canonical values.

A spec may write either psconfig's canonical value (``view_only``) or the label
PowerSchool shows for it, in any letter case (``View Only``). Page levels accept both
PowerSchool label sets: "Group default / None / View-only / Full" (up to 23.x) and
"Group default / No Access / Read Only / Edit" (24.x and later). Matching ignores
case and treats runs of spaces, ``-`` and ``_`` alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, WithJsonSchema

from psconfig.model import (
    AccessLevel,
    HealthLevel,
    LogType,
    PageLevel,
    ScheduleModify,
    StaffStatus,
    StaffType,
    ToggleMode,
)

LabelTable = Mapping[str, tuple[str, ...]]
"""Canonical value -> the display labels that also mean it."""

ACCESS_LEVELS: LabelTable = {
    "no_access": ("No Access",),
    "view_only": ("View Only",),
    "view_and_modify": ("View and Modify", "View & Modify"),
}
SCHEDULE_MODIFY: LabelTable = {"no": ("No, not at all",), "yes": ("Yes",)}
LOG_TYPES: LabelTable = {
    "discipline": ("Discipline",),
    "health": ("Health",),
    "counselor": ("Counselor",),
    "attendance": ("Attendance",),
    # The guide's screenshot spells it "Parent Contract"; both mean the same box.
    "parent_contact": ("Parent Contact", "Parent Contract"),
    "grade_change": ("Grade Change",),
}
HEALTH_LEVELS: LabelTable = {
    "no_access": ("No Access",),
    "view_only": ("View Only",),
    "full_access": ("Full Access",),
}
PAGE_LEVELS: LabelTable = {
    "group_default": ("Group default",),
    "none": ("None", "No Access"),
    "view_only": ("View-only", "Read Only"),
    "full": ("Full", "Edit"),
}
STAFF_TYPES: LabelTable = {
    "not_assigned": ("Not Assigned",),
    "teacher": ("Teacher",),
    "staff": ("Staff",),
    "lunch_staff": ("Lunch Staff",),
    "substitute": ("Substitute",),
}
STAFF_STATUSES: LabelTable = {
    "current": ("Current",),
    "no_longer_here": ("No longer here",),
}
TOGGLE_MODES: LabelTable = {"on": ("On",), "off": ("Off",), "during_apply": ()}

_SEPARATORS = re.compile(r"[\s_\-]+")


def _fold(text: str) -> str:
    return _SEPARATORS.sub(" ", text.strip().lower())


def normalize(value: object, table: LabelTable, what: str) -> str:
    """The canonical value for ``value`` (a canonical value or a label).

    Raises:
        ValueError: ``value`` is not text or names nothing in ``table``.

    """
    if isinstance(value, str):
        wanted = _fold(value)
        for canonical, labels in table.items():
            if wanted in {_fold(canonical), *(_fold(label) for label in labels)}:
                return canonical
    choices = ", ".join(table)
    names = ", ".join(label for labels in table.values() for label in labels)
    also = f" (or a label: {names})" if names else ""
    raise ValueError(f"{_show(value)} is not {what}; use one of: {choices}{also}")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def spellings(table: LabelTable) -> list[str]:
    """Every accepted spelling in table order: canonical values, then labels."""
    return [*table, *(label for labels in table.values() for label in labels)]


def _normalizer(table: LabelTable, what: str) -> Callable[[object], str]:
    def check(value: object) -> str:
        return normalize(value, table, what)

    return check


def _schema(table: LabelTable, what: str) -> dict[str, Any]:
    return {
        "type": "string",
        "enum": spellings(table),
        "description": f"{what.capitalize()} (letter case does not matter).",
    }


def _schedule(value: object) -> str:
    # A YAML 1.1 habit writes `no` unquoted and means false; accept booleans too.
    if isinstance(value, bool):
        return "yes" if value else "no"
    return normalize(value, SCHEDULE_MODIFY, "a can-modify-schedules value")


AccessLevelLabel = Annotated[
    AccessLevel,
    BeforeValidator(_normalizer(ACCESS_LEVELS, "an access level")),
    WithJsonSchema(_schema(ACCESS_LEVELS, "an access level")),
]
ScheduleLabel = Annotated[
    ScheduleModify,
    BeforeValidator(_schedule),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "enum": spellings(SCHEDULE_MODIFY)},
                {"type": "boolean"},
            ],
            "description": 'Can Modify Schedules: no ("No, not at all") or yes.',
        }
    ),
]
LogTypeLabel = Annotated[
    LogType,
    BeforeValidator(_normalizer(LOG_TYPES, "a log type")),
    WithJsonSchema(_schema(LOG_TYPES, "a log type")),
]
HealthLabel = Annotated[
    HealthLevel,
    BeforeValidator(_normalizer(HEALTH_LEVELS, "a health access level")),
    WithJsonSchema(_schema(HEALTH_LEVELS, "a health and immunization access level")),
]
PageLevelLabel = Annotated[
    PageLevel,
    BeforeValidator(_normalizer(PAGE_LEVELS, "a page access level")),
    WithJsonSchema(_schema(PAGE_LEVELS, "a page access level")),
]
StaffTypeLabel = Annotated[
    StaffType,
    BeforeValidator(_normalizer(STAFF_TYPES, "a staff type")),
    WithJsonSchema(_schema(STAFF_TYPES, "a staff type")),
]
StaffStatusLabel = Annotated[
    StaffStatus,
    BeforeValidator(_normalizer(STAFF_STATUSES, "a staff status")),
    WithJsonSchema(_schema(STAFF_STATUSES, "a staff status")),
]
ToggleLabel = Annotated[
    ToggleMode,
    BeforeValidator(_normalizer(TOGGLE_MODES, "a page-permission toggle mode")),
    WithJsonSchema(
        {
            "type": "string",
            "enum": spellings(TOGGLE_MODES),
            "description": "on, off, or during_apply (turned on to edit, then "
            "restored to what it was).",
        }
    ),
]
Removal = Literal["delete", "deactivate"]
