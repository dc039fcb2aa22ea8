"""Build a ``Plan`` from desired and live state.

For each object the spec declares, compare its managed leaves with the live object
(``diff``), build the one ``Op`` that converges it (after = live merged with the
desired managed fields; a create starts from PowerSchool's defaults), judge its
severity (``severity``), and order everything by dependency, deterministically:

1. security groups, ascending number (a staff member's groups exist first;
   ``groups``);
2. the page-permission toggle turned on (permanently, or ``enable (temporary)``;
   ``pages``);
3. page permissions, sorted by page path (``pages``);
4. staff creates and updates, sorted by staff ID (``staff``);
5. the toggle turned off (permanently, or ``restore off``);
6. staff removals (delete or deactivate), in reverse ID order.

The toggle's resting state is on only with ``toggle: on``. With ``during_apply``
(the default) psconfig owns it as off: it is on only inside an apply's bracket, so
a toggle found on (left behind by an interrupted apply, or turned on by hand) is
turned off, a reduction, and a drift report lists it as an escalation.

Creating group N when PowerSchool has fewer groups adds every group up to N (Add
Groups appends and groups cannot be deleted): given the live ``group_count`` the
change's detail says how many.

In ``drift`` mode the same differences are judged in the other direction (how live
departs from the spec: a Health log type someone added by hand is an escalation) and
escalations come first; the toggle bracket, an apply detail, is left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from psconfig import __version__
from psconfig.engine.planning.groups import group_changes
from psconfig.engine.planning.pages import (
    page_changes,
    toggle_changes,
    unlisted_overrides,
)
from psconfig.engine.planning.plan import Mode, Plan, SpecRef, Target, summarize
from psconfig.engine.planning.staff import deactivated, removals, staff_changes
from psconfig.model import Desired, State


def build_plan(
    desired: Desired,
    live: State,
    *,
    target: Target,
    spec: SpecRef,
    live_fingerprint: str,
    timestamp: str,
    mode: Mode = "plan",
    notes: Sequence[str] = (),
    group_count: int | None = None,
) -> Plan:
    """The plan (or drift report) that takes ``live`` to ``desired``.

    ``group_count`` is PowerSchool's number of security groups, needed only to say
    how many groups creating a missing one adds (None: not known).
    """
    planned = [
        *group_changes(desired, live, mode, group_count),
        *page_changes(desired, live, mode),
        *staff_changes(desired, live, mode),
        *removals(desired, live, mode),
    ]
    pages_change = any(p.change.kind == "page_permissions" for p in planned)
    planned.extend(toggle_changes(desired, live, mode, pages_change=pages_change))
    planned.sort(key=lambda p: (p.phase, p.order))
    changes = tuple(p.change for p in planned)
    if mode == "drift":
        changes = tuple(sorted(changes, key=lambda c: c.severity != "escalation"))
    return Plan(
        mode=mode,
        psconfig_version=__version__,
        timestamp=timestamp,
        target=target,
        spec=spec,
        live_fingerprint=live_fingerprint,
        summary=summarize(changes),
        changes=changes,
        notes=(*notes, *_observations(desired, live, mode)),
    )


def _observations(desired: Desired, live: State, mode: Mode) -> Iterator[str]:
    """What a reviewer should know that is not a change."""
    if mode == "plan" and desired.toggle == "during_apply" and live.page_toggle:
        yield (
            "the page-permission toggle is on, but with toggle: during_apply psconfig "
            "keeps it off outside an apply (an apply may have been interrupted); "
            "apply turns it off"
        )
    if mode == "plan":
        for page, groups in unlisted_overrides(desired, live).items():
            listed = ", ".join(f"group {g} ({level})" for g, level in groups.items())
            yield (
                f'page_permissions["{page}"]: {listed} not in the spec; apply resets '
                "each to group_default"
            )
    if desired.removal == "delete":
        for sid in sorted(desired.absent_staff):
            have = live.staff.get(sid)
            if have is not None and deactivated(have) == have:
                yield (
                    f'staff["{sid}"] is deactivated but not deleted (PowerSchool '
                    "keeps staff members with history); nothing left to do"
                )
