"""Pointing from the desired state back into the spec file.

Policy rules look at the resolved desired state, where everything is a number and
presets are expanded. A ``Locator`` maps any place in that state (a ``DPath``) to
the path in the file that produced it: the value the file wrote, or the preset
parameter it came from, so a finding lands on the text to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from psconfig.spec.document import RawPath
from psconfig.spec.merge import Origin

DPath = tuple[str | int, ...]
"""A place in the desired state, e.g. ``("group", 12, "log_types")``."""

# Desired-state field names that differ from the spec's keys.
_RENAMED = {"health": "health_and_immunization", "start": "from", "end": "to"}
_PAGES: RawPath = ("page_permissions", "pages")


@dataclass
class Locator:
    """Maps places in the desired state (``DPath``) to paths in the file."""

    groups: dict[int, Origin] = field(default_factory=dict)
    staff: dict[str, Origin] = field(default_factory=dict)
    pages: dict[tuple[str, int], RawPath] = field(default_factory=dict)
    page_paths: dict[str, RawPath] = field(default_factory=dict)
    roles: dict[tuple[str, int], RawPath] = field(default_factory=dict)
    affiliations: dict[tuple[str, int], RawPath] = field(default_factory=dict)
    toggle: RawPath = ("page_permissions", "toggle")

    def path(self, where: DPath) -> RawPath:
        """The file path for a place in the desired state.

        Understood: ``("group", N, *fields)``, ``("staff", ID, *fields)``,
        ``("page", PATH[, N])``, ``("role", ID, SCHOOL, *fields)``,
        ``("affiliation", ID, SCHOOL, *fields)``, ``("toggle",)`` and ``("server",
        *fields)``; anything else maps to the top of the file.
        """
        kind, *rest = where
        fields = tuple(_RENAMED.get(str(part), part) for part in rest[1:])
        key = rest[0] if rest else None
        if kind == "group" and isinstance(key, int) and key in self.groups:
            return self.groups[key].of(fields)
        if kind == "staff" and isinstance(key, str) and key in self.staff:
            return self.staff[key].of(fields)
        if kind in ("role", "affiliation") and len(rest) >= 2:
            table = self.roles if kind == "role" else self.affiliations
            found = table.get((str(rest[0]), int(rest[1])))
            if found is not None:
                return (*found, *rest[2:])
            return self.path(("staff", rest[0], "admin_access"))
        if kind == "page":
            return self._page(rest)
        if kind == "toggle":
            return self.toggle
        if kind == "server":
            return ("server", *rest)
        return ()

    def _page(self, rest: Sequence[str | int]) -> RawPath:
        page = str(rest[0]) if rest else None
        written = self.page_paths.get(page) if page is not None else None
        if len(rest) == 2:
            entry = self.pages.get((str(rest[0]), int(rest[1])))
            if entry is not None:
                return entry
            # The group is not on this page: point where the file lists the page
            # (where the group belongs), never at a preset listing other groups.
            if written is not None and written[:2] == _PAGES:
                return written
        elif written is not None:
            return written
        # A page the spec does not write: point at the pages mapping's key.
        return (*_PAGES, *(str(part) for part in rest[:1]))
