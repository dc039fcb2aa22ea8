"""From a validated ``Spec`` to the normalized ``Desired`` state.

Expands the preset, merges what the file writes beside it, resolves group and school
references to numbers, and checks what needs the whole spec: duplicate group numbers
and staff IDs, a name for every group, one group per page entry (staff checks are in
``resolve_staff``). Every problem is collected, with its position, before giving up.

The result keeps a ``Locator``: for any value of the desired state it gives the path
in the file that produced it, so policy findings point at the offending text, even
when the value came from a preset parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import SecretStr

from psconfig.errors import Problem
from psconfig.model import Desired, Group, PageLevel, ToggleMode
from psconfig.spec import models as spec
from psconfig.spec.context import Context
from psconfig.spec.document import Document, RawPath
from psconfig.spec.locate import Locator
from psconfig.spec.merge import FieldPath, Origin, merge, set_fields
from psconfig.spec.presets import Fragment, clever_dde_sync
from psconfig.spec.refs import Names, school_name_problems
from psconfig.spec.resolve_staff import resolve_staff
from psconfig.spec.secrets import SecretRef

LITERAL_PASSWORD = "(literal in spec)"
"""``Desired.password_refs`` entry for a literal password (sim:// specs only)."""

_GROUP_FIELDS = (
    "name",
    "access_level",
    "can_modify_schedules",
    "powerscheduler_access",
    "language_translator",
    "report_queue_priority",
    "log_types",
    "incident_types",
)

Item = TypeVar("Item", spec.SecurityGroup, spec.Staff)
Merged = dict[str | int, tuple[Item, Origin]]


@dataclass(frozen=True)
class Resolved:
    """A spec turned into desired state.

    ``desired`` has ``password_refs`` filled and ``passwords`` empty; ``secrets``
    holds each staff member's password source; ``groups`` and ``staff`` are the
    merged spec items (the preset applied) for ``validate --expand``.
    """

    desired: Desired
    secrets: dict[str, SecretRef | SecretStr]
    locator: Locator
    groups: tuple[spec.SecurityGroup, ...]
    staff: tuple[spec.Staff, ...]


def resolve(model: spec.Spec, doc: Document) -> tuple[Resolved | None, list[Problem]]:
    """Resolve ``model`` (validated from ``doc``); None when there are errors."""
    ctx = Context(doc)
    params = model.preset.clever_dde_sync if model.preset else None
    fragment = clever_dde_sync(params) if params else None
    for name, message in school_name_problems(model.schools):
        ctx.error(("schools", name), message, key=True)
    base = fragment.base if fragment else None
    groups = _merged(
        ctx,
        written=model.security_groups,
        preset=fragment.groups if fragment else (),
        params=fragment.group_params if fragment else {},
        base=base,
        where=("security_groups", "number"),
    )
    ctx.names = Names({g.number: g.name for g, _ in groups.values()}, model.schools)
    desired_groups = _groups(ctx, groups)
    pages = _pages(ctx, fragment, model.page_permissions)
    staff = _merged(
        ctx,
        written=model.staff,
        preset=fragment.staff if fragment else (),
        params=fragment.staff_params if fragment else {},
        base=base,
        where=("staff", "id"),
    )
    present, absent, removal = resolve_staff(ctx, staff, model.removal)
    desired = Desired(
        groups=desired_groups,
        toggle=_toggle(ctx, fragment, model.page_permissions),
        page_permissions=pages,
        staff=present,
        absent_staff=frozenset(absent),
        removal=removal,
        password_refs={
            sid: str(ref) if isinstance(ref, SecretRef) else LITERAL_PASSWORD
            for sid, ref in ctx.secrets.items()
        },
    )
    if ctx.failed():
        return None, ctx.problems
    merged_groups = tuple(g for g, _ in groups.values())
    merged_staff = tuple(s for s, _ in staff.values())
    resolved = Resolved(desired, ctx.secrets, ctx.locator, merged_groups, merged_staff)
    return resolved, ctx.problems


def _merged(
    ctx: Context,
    *,
    written: Sequence[Item],
    preset: Iterable[Item],
    params: Mapping[FieldPath, str],
    base: RawPath | None,
    where: tuple[str, str],
) -> Merged[Item]:
    """Preset items overridden field-wise by written ones with the same key.

    ``where`` names the section and the key field. A written staff item with
    ``ensure: absent`` replaces the preset's item.
    """
    section, key_field = where
    result: Merged[Item] = {
        getattr(item, key_field): (item, Origin(preset=base, preset_params=params))
        for item in preset
    }
    first: dict[str | int, int] = {}
    for index, item in enumerate(written):
        path: RawPath = (section, index)
        key = getattr(item, key_field)
        if key in first:
            earlier = f"{section}[{first[key]}]"
            ctx.error((*path, key_field), f"{key!r} is already defined at {earlier}")
            continue
        first[key] = index
        found = result.get(key)
        if found is None or getattr(item, "ensure", "present") == "absent":
            result[key] = (item, Origin(user=path))
        else:
            origin = Origin(path, set_fields(item), base, params)
            result[key] = (merge(found[0], item), origin)
    return result


def _groups(ctx: Context, groups: Merged[spec.SecurityGroup]) -> dict[int, Group]:
    result: dict[int, Group] = {}
    seen: dict[str, int] = {}
    for group, origin in groups.values():
        ctx.locator.groups[group.number] = origin
        result[group.number] = _group(ctx, group, origin)
        if group.name is None:
            continue
        folded = group.name.casefold()
        if folded in seen:
            # PowerSchool allows two groups one name; only a reference by that
            # name is an error (ambiguous), so a shared name is worth a warning.
            ctx.error(
                origin.of(("name",)),
                f"group name {group.name!r} is also used by group {seen[folded]}; "
                "references by this name are ambiguous",
                severity="warning",
            )
        seen.setdefault(folded, group.number)
    return result


def _group(ctx: Context, group: spec.SecurityGroup, origin: Origin) -> Group:
    values: dict[str, object] = {"number": group.number}
    for name in _GROUP_FIELDS:
        value = getattr(group, name)
        if value is not None:
            values[name] = tuple(value) if isinstance(value, list) else value
    health = group.health_and_immunization
    if health is not None:
        # The section is managed as a whole, like a list: an area left out is
        # No Access (as docs/spec.md says), never "whatever PowerSchool has".
        values["health"] = {
            name: getattr(health, name) or "no_access"
            for name in type(health).model_fields
        }
    if group.name is None:
        ctx.error(
            origin.of(("name",)),
            f"security group {group.number} needs a name (psconfig manages the "
            "group's name, e.g. name: Read-Only Export)",
        )
        values["name"] = "?"  # placeholder: the error above fails the spec
    return Group.model_validate(values)


def _pages(
    ctx: Context, fragment: Fragment | None, written: spec.PagePermissions | None
) -> dict[str, dict[int, PageLevel]]:
    """Page levels by page and group number: the preset's, then the file's."""
    result: dict[str, dict[int, PageLevel]] = {}
    loc = ctx.locator
    if fragment is not None:
        for page, levels in fragment.pages.items():
            loc.page_paths[page] = fragment.base
            for ref, level in levels.items():
                number = ctx.group(ref, fragment.base)
                result.setdefault(page, {})[number] = level
                loc.pages[(page, number)] = fragment.base
    for page, levels in (written.pages if written else {}).items():
        page_path: RawPath = ("page_permissions", "pages", page)
        loc.page_paths[page] = page_path
        seen: dict[int, int | str] = {}
        for ref, level in levels.items():
            path = (*page_path, ref)
            number = ctx.group(ref, path, key=True)
            if number in seen:
                message = (
                    f"group {number} is already set on this page ({seen[number]!r})"
                )
                ctx.error(path, message, key=True)
                continue
            seen[number] = ref
            result.setdefault(page, {})[number] = level
            loc.pages[(page, number)] = path
    return result


def _toggle(
    ctx: Context, fragment: Fragment | None, written: spec.PagePermissions | None
) -> ToggleMode:
    if written is not None and written.toggle is not None:
        return written.toggle
    if fragment is not None:
        ctx.locator.toggle = fragment.base
        return fragment.toggle
    return "during_apply"
