"""Group and school references: numbers, or names resolved to numbers.

A group is referenced by its number (1-500), by the name a group has in this spec,
or by a built-in group name from the guide's table when the spec does not rename that
group. A school is referenced by its number, as "District Office" (0), or by a name
from the spec's top-level ``schools`` map. Names match regardless of letter case.
"""

from __future__ import annotations

from collections.abc import Mapping

from psconfig.model import DISTRICT_OFFICE

BUILTIN_GROUPS: Mapping[int, str] = {
    # The guide's table of groups (section 2).
    1: "Unassigned",
    2: "Admin",
    3: "Counselors",
    4: "Registrar",
    5: "Nurse",
    6: "Resource Officer",
    7: "Teachers",
    8: "View Only",
    9: "Administrator",
    10: "Principal",
    11: "SPED Teachers",
    12: "Group 12",
    13: "Group 13",
}
BUILTIN_PERMISSION_GROUPS = range(1, 12)
"""Groups 1-11 ship with PowerSchool's permissions (guide 2, footnote 1)."""

DISTRICT_OFFICE_NAME = "District Office"


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


class Names:
    """Resolves references against the groups and schools one spec defines.

    ``groups`` maps group numbers the spec defines to their names (None when the
    spec leaves the name alone); ``schools`` is the spec's ``schools`` map.
    """

    def __init__(self, groups: Mapping[int, str | None], schools: Mapping[str, int]):
        self._spec_groups: dict[str, set[int]] = {}
        for number, name in groups.items():
            if name is not None:
                self._spec_groups.setdefault(_fold(name), set()).add(number)
        self._builtin: dict[str, set[int]] = {}
        for number, name in BUILTIN_GROUPS.items():
            renamed = groups.get(number)
            if renamed is None or _fold(renamed) == _fold(name):
                self._builtin.setdefault(_fold(name), set()).add(number)
        self._schools = {_fold(name): number for name, number in schools.items()}
        self._schools[_fold(DISTRICT_OFFICE_NAME)] = DISTRICT_OFFICE

    def group(self, ref: int | str) -> int:
        """The group number ``ref`` names.

        Raises:
            ValueError: no group has that name, or several do.

        """
        if isinstance(ref, int):
            return ref
        key = _fold(ref)
        found = self._spec_groups.get(key, set()) | self._builtin.get(key, set())
        if len(found) == 1:
            return next(iter(found))
        if found:
            numbers = ", ".join(str(n) for n in sorted(found))
            raise ValueError(
                f"group name {ref!r} is ambiguous (groups {numbers}); use the number"
            )
        raise ValueError(
            f"unknown group {ref!r}: no group in this spec has that name and it is "
            "not a built-in group name; use the group number"
        )

    def school(self, ref: int | str) -> int:
        """The school number ``ref`` names.

        Raises:
            ValueError: the name is neither District Office nor in ``schools``.

        """
        if isinstance(ref, int):
            return ref
        number = self._schools.get(_fold(ref))
        if number is None:
            raise ValueError(
                f"unknown school {ref!r}: use its number, District Office, or a name "
                "from the top-level schools map"
            )
        return number


def school_name_problems(schools: Mapping[str, int]) -> list[tuple[str, str]]:
    """(school name, message) for each unusable entry of a ``schools`` map."""
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, number in schools.items():
        key = _fold(name)
        if key == _fold(DISTRICT_OFFICE_NAME) and number != DISTRICT_OFFICE:
            problems.append((name, "District Office is school 0"))
        elif key in seen:
            problems.append((name, f"school name {name!r} is written twice"))
        seen.add(key)
    return problems
