"""Planning page permissions: one change per page the spec manages.

Only the groups the spec lists on a page are compared; a group the live page does
not mention is at ``group_default``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from psconfig.engine.diff import Leaves, changed_paths, nest
from psconfig.engine.plan import Change, Mode
from psconfig.engine.planned import PAGES, Planned, address
from psconfig.engine.severity import page_findings, severity_of
from psconfig.model import AccessLevel, Desired, SetPagePermissions, State

Levels = Mapping[int, AccessLevel]


def page_changes(desired: Desired, live: State, mode: Mode) -> Iterator[Planned]:
    """The page-permission changes, sorted by page path."""
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
            address=address("page_permissions", page),
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
        yield Planned(PAGES, (0, page), change)


def _access_levels(desired: Desired, live: State) -> tuple[Levels, Levels]:
    """Each group's access level before and after the apply, as far as known."""
    before = {n: g.access_level for n, g in live.groups.items()}
    after = dict(before)
    for n, g in desired.groups.items():
        if "access_level" in g.model_fields_set or n not in live.groups:
            after[n] = g.access_level
    return before, after
