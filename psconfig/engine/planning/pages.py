"""Planning page permissions (one change per page the spec manages) and the toggle.

A page the spec lists is managed as a whole: the groups it names get their levels,
and every other group is expected at ``group_default``. So a group the spec does
not name but that has an override on the page (someone granted it access by hand)
is part of the change: apply resets it to ``group_default``. Its severity is judged
like any level change (``group_default`` counting as the group's access level);
lowering it needs ``--allow-lower-access`` like any other lowering. In a drift report an
override the spec does not name is an escalation (CRITICAL) unless it is ``none``:
the spec grants that group nothing on the page.

The page-permission toggle is planned here too (see ``build`` for its resting
state), since page changes are what need it on.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from psconfig.engine.planning.diff import Leaves, Path, changed_paths, nest
from psconfig.engine.planning.objects import (
    PAGES,
    TOGGLE_OFF,
    TOGGLE_ON,
    Planned,
    address,
)
from psconfig.engine.planning.plan import Change, Mode
from psconfig.engine.planning.severity import (
    Finding,
    page_findings,
    severity_of,
    toggle_findings,
)
from psconfig.model import (
    AccessLevel,
    Desired,
    PageLevel,
    SetPagePermissions,
    SetPageToggle,
    State,
)

Levels = Mapping[int, AccessLevel]


def unlisted_overrides(
    desired: Desired, live: State
) -> dict[str, dict[int, PageLevel]]:
    """Per managed page, the live overrides of groups the spec does not list."""
    out: dict[str, dict[int, PageLevel]] = {}
    for page, wanted in sorted(desired.page_permissions.items()):
        have = live.page_permissions.get(page, {})
        extra: dict[int, PageLevel] = {
            g: level
            for g, level in sorted(have.items())
            if g not in wanted and level != "group_default"
        }
        if extra:
            out[page] = extra
    return out


def page_changes(desired: Desired, live: State, mode: Mode) -> Iterator[Planned]:
    """The page-permission changes, sorted by page path."""
    levels = _access_levels(desired, live)
    unlisted = unlisted_overrides(desired, live)
    for page in sorted(desired.page_permissions):
        extra = set(unlisted.get(page, {}))
        want: dict[int, PageLevel] = dict.fromkeys(extra, "group_default")
        want.update(desired.page_permissions[page])
        have = live.page_permissions.get(page, {})
        change = _page_change(page, want, have, extra, levels, mode)
        if change is not None:
            yield Planned(PAGES, (0, page), change)


def _access_levels(desired: Desired, live: State) -> tuple[Levels, Levels]:
    """Each group's access level before and after the apply, as far as known."""
    before = {n: g.access_level for n, g in live.groups.items()}
    after = dict(before)
    for n, g in desired.groups.items():
        if "access_level" in g.model_fields_set or n not in live.groups:
            after[n] = g.access_level
    return before, after


def _page_change(
    page: str,
    want: Mapping[int, PageLevel],
    have: Mapping[int, PageLevel],
    unlisted: set[int],
    levels: tuple[Levels, Levels],
    mode: Mode,
) -> Change | None:
    groups = sorted(want)
    want_l: Leaves = {(str(g),): want[g] for g in groups}
    have_l: Leaves = {(str(g),): have.get(g, "group_default") for g in groups}
    paths = changed_paths(have_l, want_l)
    if not paths:
        return None
    findings = tuple(
        finding
        for path in paths
        for finding in _judge(
            path, have_l, want_l, int(path[0]) in unlisted, levels, mode
        )
    )
    changed = [int(path[0]) for path in paths]
    return Change(
        address=address("page_permissions", page),
        kind="page_permissions",
        key=page,
        actions=("update",),
        changed_paths=paths,
        before=nest(have_l),
        after=nest(want_l),
        severity=severity_of(findings),
        findings=findings,
        op=SetPagePermissions(
            page=page,
            before={g: have.get(g, "group_default") for g in changed},
            after={g: want[g] for g in changed},
        ),
    )


def _judge(
    path: Path,
    have_l: Leaves,
    want_l: Leaves,
    unlisted: bool,
    levels: tuple[Levels, Levels],
    mode: Mode,
) -> list[Finding]:
    """One group's finding: plan judges live -> spec, drift spec -> live."""
    before, after = levels
    if mode == "plan":
        return page_findings(
            have_l, want_l, [path], levels_before=before, levels_after=after
        )
    if unlisted:
        return [_unlisted_drift(path[0], have_l[path])]
    return page_findings(
        want_l, have_l, [path], levels_before=after, levels_after=before
    )


def _unlisted_drift(group: str, live: object) -> Finding:
    """A live override of a group the spec does not list on a page it manages."""
    label = f"group {group}"
    if live == "none":
        message = f"{label} not in the spec: set to none by hand"
        return Finding(effect="reduction", path=label, message=message)
    message = f"{label} not in the spec: granted {live} by hand"
    return Finding(effect="escalation", path=label, message=message)


def toggle_changes(
    desired: Desired, live: State, mode: Mode, *, pages_change: bool
) -> Iterator[Planned]:
    """The toggle's change to its resting state, and an apply's temporary bracket.

    The bracket (``enable (temporary)`` ... ``restore off``) is planned only when
    ``pages_change`` (a page-permission change needs the toggle on) and the toggle
    rests off both live and in the spec.
    """
    live_on = live.page_toggle
    want_on = desired.toggle == "on"  # off and during_apply both rest off
    if want_on != live_on:
        before, after = (want_on, live_on) if mode == "drift" else (live_on, want_on)
        findings = tuple(toggle_findings(before, after))
        phase = TOGGLE_ON if want_on else TOGGLE_OFF
        yield Planned(phase, (0, ""), _toggle(live_on, want_on, findings))
    if mode == "plan" and pages_change and not live_on and not want_on:
        yield Planned(TOGGLE_ON, (0, ""), _toggle(False, True, (), temporary=True))
        yield Planned(TOGGLE_OFF, (0, ""), _toggle(True, False, (), temporary=True))


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
