"""From a validated ``Spec`` to the normalized ``Desired`` state.

Expands the preset, merges what the file writes beside it, resolves group and school
references to numbers, and checks what needs the whole spec: duplicate group numbers,
group names, staff IDs and usernames; a name for every group; ``ensure: absent``
items that say more than their ID; one removal mode per spec. Every problem is
collected (with its position) before giving up.

The result keeps a ``Locator``: for any value of the desired state it gives the path
in the file that produced it, so policy findings point at the offending text, even
when the value came from a preset parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import SecretStr

from psconfig.errors import Problem
from psconfig.model import (
    AdminAccess,
    Affiliation,
    Desired,
    Group,
    PageLevel,
    Role,
    Staff,
    TimeWindow,
    ToggleMode,
)
from psconfig.spec import models as spec
from psconfig.spec.document import Document, RawPath
from psconfig.spec.labels import Removal
from psconfig.spec.locate import Locator
from psconfig.spec.merge import FieldPath, Origin, merge, set_fields
from psconfig.spec.presets import Fragment, clever_dde_sync
from psconfig.spec.refs import Names, school_name_problems
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
_STAFF_FIELDS = (
    "last_name",
    "first_name",
    "middle_name",
    "preferred_name",
    "email",
    "title",
    "staff_type",
    "status",
    "teacher_access",
)

Item = TypeVar("Item", spec.SecurityGroup, spec.Staff)


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
    resolver = _Resolver(model, doc)
    resolved = resolver.run()
    failed = any(p.severity == "error" for p in resolver.problems)
    return (None if failed else resolved), resolver.problems


class _Resolver:
    def __init__(self, model: spec.Spec, doc: Document) -> None:
        self.spec, self.doc = model, doc
        self.problems: list[Problem] = []
        self.loc = Locator()
        params = model.preset.clever_dde_sync if model.preset else None
        self.fragment: Fragment | None = clever_dde_sync(params) if params else None
        self.names = Names({}, {})
        self.secrets: dict[str, SecretRef | SecretStr] = {}

    def error(self, path: RawPath, message: str, *, key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, key=key))

    def run(self) -> Resolved:
        for name, message in school_name_problems(self.spec.schools):
            self.error(("schools", name), message, key=True)
        groups = self._merged(
            self.fragment.groups if self.fragment else (),
            self.spec.security_groups,
            "security_groups",
            "number",
            self.fragment.group_params if self.fragment else {},
        )
        named = {g.number: g.name for g, _ in groups.values()}
        self.names = Names(named, self.spec.schools)
        self._check_group_names(groups)
        desired_groups = {g.number: self._group(g, o) for g, o in groups.values()}
        self.loc.groups = {g.number: o for g, o in groups.values()}
        pages = self._pages()
        staff = self._merged(
            self.fragment.staff if self.fragment else (),
            self.spec.staff,
            "staff",
            "id",
            self.fragment.staff_params if self.fragment else {},
        )
        present, absent, removal = self._staff(staff)
        desired = Desired(
            groups=desired_groups,
            toggle=self._toggle(),
            page_permissions=pages,
            staff=present,
            absent_staff=frozenset(absent),
            removal=removal,
            password_refs={
                sid: str(ref) if isinstance(ref, SecretRef) else LITERAL_PASSWORD
                for sid, ref in self.secrets.items()
            },
        )
        return Resolved(
            desired=desired,
            secrets=self.secrets,
            locator=self.loc,
            groups=tuple(g for g, _ in groups.values()),
            staff=tuple(s for s, _ in staff.values()),
        )

    def _merged(
        self,
        preset: Iterable[Item],
        written: Sequence[Item],
        section: str,
        key_field: str,
        preset_params: Mapping[FieldPath, str],
    ) -> dict[str | int, tuple[Item, Origin]]:
        """Preset items overridden field-wise by written ones with the same key."""
        base = self.fragment.base if self.fragment else None
        result: dict[str | int, tuple[Item, Origin]] = {}
        for item in preset:
            origin = Origin(preset=base, preset_params=preset_params)
            result[getattr(item, key_field)] = (item, origin)
        first: dict[str | int, int] = {}
        for index, item in enumerate(written):
            path: RawPath = (section, index)
            key = getattr(item, key_field)
            if key in first:
                where = f"{section}[{first[key]}]"
                self.error((*path, key_field), f"{key!r} is already defined at {where}")
                continue
            first[key] = index
            found = result.get(key)
            if found is None or getattr(item, "ensure", "present") == "absent":
                result[key] = (item, Origin(user=path))
            else:
                merged = merge(found[0], item)
                origin = Origin(path, set_fields(item), base, preset_params)
                result[key] = (merged, origin)
        return result

    def _check_group_names(
        self, groups: dict[str | int, tuple[spec.SecurityGroup, Origin]]
    ) -> None:
        # PowerSchool allows two groups one name; only a reference by that name
        # is an error (ambiguous), so a shared name is worth a warning.
        seen: dict[str, int] = {}
        for group, origin in groups.values():
            if group.name is None:
                continue
            folded = group.name.casefold()
            if folded in seen:
                self.problems.append(
                    self.doc.problem(
                        origin.of(("name",)),
                        f"group name {group.name!r} is also used by group "
                        f"{seen[folded]}; references by this name are ambiguous",
                        severity="warning",
                    )
                )
            seen.setdefault(folded, group.number)

    def _group(self, group: spec.SecurityGroup, origin: Origin) -> Group:
        values: dict[str, object] = {"number": group.number}
        for name in _GROUP_FIELDS:
            value = getattr(group, name)
            if value is not None:
                values[name] = tuple(value) if isinstance(value, list) else value
        if group.health_and_immunization is not None:
            health = group.health_and_immunization
            values["health"] = {
                name: getattr(health, name)
                for name in health.model_fields_set
                if getattr(health, name) is not None
            }
        if group.name is None:
            self.error(
                origin.of(("name",)),
                f"security group {group.number} needs a name (psconfig manages the "
                "group's name, e.g. name: Read-Only Export)",
            )
            values["name"] = "?"
        return Group.model_validate(values)

    def _group_ref(self, ref: int | str, path: RawPath, *, key: bool = False) -> int:
        try:
            return self.names.group(ref)
        except ValueError as exc:
            self.error(path, str(exc), key=key)
            return 0

    def _school_ref(self, ref: int | str, path: RawPath) -> int:
        try:
            return self.names.school(ref)
        except ValueError as exc:
            self.error(path, str(exc))
            return 0

    def _pages(self) -> dict[str, dict[int, PageLevel]]:
        result: dict[str, dict[int, PageLevel]] = {}
        if self.fragment is not None:
            for page, levels in self.fragment.pages.items():
                self.loc.page_paths[page] = self.fragment.base
                for ref, level in levels.items():
                    number = self._group_ref(ref, self.fragment.base)
                    result.setdefault(page, {})[number] = level
                    self.loc.pages[(page, number)] = self.fragment.base
        written = self.spec.page_permissions
        for page, levels in (written.pages if written else {}).items():
            page_path: RawPath = ("page_permissions", "pages", page)
            self.loc.page_paths[page] = page_path
            seen: dict[int, int | str] = {}
            for ref, level in levels.items():
                path = (*page_path, ref)
                number = self._group_ref(ref, path, key=True)
                if number in seen:
                    earlier = seen[number]
                    message = (
                        f"group {number} is already set on this page ({earlier!r})"
                    )
                    self.error(path, message, key=True)
                    continue
                seen[number] = ref
                result.setdefault(page, {})[number] = level
                self.loc.pages[(page, number)] = path
        return result

    def _toggle(self) -> ToggleMode:
        written = self.spec.page_permissions
        if written is not None and written.toggle is not None:
            return written.toggle
        if self.fragment is not None:
            self.loc.toggle = self.fragment.base
            return self.fragment.toggle
        return "during_apply"

    def _staff(
        self, items: dict[str | int, tuple[spec.Staff, Origin]]
    ) -> tuple[dict[str, Staff], set[str], Removal]:
        present: dict[str, Staff] = {}
        absent: set[str] = set()
        removal: tuple[Removal, str] | None = None
        usernames: dict[str, str] = {}
        for key, (item, origin) in items.items():
            sid = str(key)
            self.loc.staff[sid] = origin
            if item.ensure == "absent":
                absent.add(sid)
                removal = self._absent(item, origin, removal)
                continue
            if item.removal is not None:
                self.error(
                    origin.of(("removal",)),
                    "removal applies only to ensure: absent",
                    key=True,
                )
            present[sid] = self._present(item, origin)
            username = present[sid].admin_access.username.casefold()
            if username and username in usernames:
                self.error(
                    origin.of(("admin_access", "username")),
                    f"username is also used by staff {usernames[username]!r}",
                )
            usernames.setdefault(username, sid)
        return present, absent, removal[0] if removal else self.spec.removal

    def _absent(
        self,
        item: spec.Staff,
        origin: Origin,
        chosen: tuple[Removal, str] | None,
    ) -> tuple[Removal, str]:
        for name in sorted({path[0] for path in set_fields(item)}):
            if name not in ("id", "ensure", "removal"):
                self.error(
                    origin.of((name,)),
                    "ensure: absent takes only id and removal",
                    key=True,
                )
        mode = item.removal or self.spec.removal
        if chosen is not None and chosen[0] != mode:
            self.error(
                origin.of(("removal",)) if item.removal else ("removal",),
                f"removal {mode!r} conflicts with {chosen[0]!r} (staff {chosen[1]!r}); "
                "psconfig applies one removal mode per spec",
            )
        return chosen or (mode, item.id)

    def _present(self, item: spec.Staff, origin: Origin) -> Staff:
        values: dict[str, object] = {"id": item.id}
        for name in _STAFF_FIELDS:
            value = getattr(item, name)
            if value is not None:
                values[name] = value
        if item.school is not None:
            values["school"] = self._school_ref(item.school, origin.of(("school",)))
        if item.affiliations is not None:
            values["affiliations"] = self._affiliations(item, origin)
        if item.admin_access is not None:
            values["admin_access"] = self._admin(item.id, item.admin_access, origin)
        return Staff.model_validate(values)

    def _affiliations(self, item: spec.Staff, origin: Origin) -> list[Affiliation]:
        rows: list[Affiliation] = []
        homes = 0
        for index, row in enumerate(item.affiliations or ()):
            path = origin.of(("affiliations", index))
            school = self._school_ref(row.school, (*path, "school"))
            if any(r.school == school for r in rows):
                self.error((*path, "school"), f"school {school} is listed twice")
            homes += row.home
            if row.home and homes > 1:
                self.error(
                    (*path, "home"), "only one affiliation can be the home school"
                )
            self.loc.affiliations[(item.id, school)] = path
            rows.append(
                Affiliation(
                    school=school,
                    home=row.home,
                    active=row.active,
                    staff_type=row.staff_type,
                )
            )
        return rows

    def _admin(self, sid: str, admin: spec.AdminAccess, origin: Origin) -> AdminAccess:
        def at(*fields: str | int) -> RawPath:
            return origin.of(("admin_access", *fields))

        values: dict[str, object] = {}
        for name in ("enabled", "username", "ldap_enabled"):
            if getattr(admin, name) is not None:
                values[name] = getattr(admin, name)
        if admin.default_group is not None:
            values["default_group"] = self._group_ref(
                admin.default_group, at("default_group")
            )
        window = admin.sign_in_window
        if window is not None:
            values["sign_in_window"] = (
                window
                if isinstance(window, str)
                else TimeWindow(start=window.start, end=window.end)
            )
        if admin.allowed_ips is not None:
            _duplicates(
                admin.allowed_ips,
                lambda i: self.error(at("allowed_ips", i), "IP listed twice"),
            )
            values["allowed_ips"] = tuple(dict.fromkeys(admin.allowed_ips))
        if admin.roles is not None:
            values["roles"] = self._roles(sid, admin.roles, at)
        if admin.password is not None:
            self.secrets[sid] = admin.password
        return AdminAccess.model_validate(values)

    def _roles(
        self, sid: str, roles: list[spec.Role], at: Callable[..., RawPath]
    ) -> list[Role]:
        result: list[Role] = []
        for index, role in enumerate(roles):
            path = at("roles", index)
            school = self._school_ref(role.school, (*path, "school"))
            group = (
                None
                if role.group == "default"
                else self._group_ref(role.group, (*path, "group"))
            )
            if any(r.school == school for r in result):
                self.error((*path, "school"), f"school {school} has a role already")
            self.loc.roles[(sid, school)] = path
            result.append(Role(school=school, group=group))
        return result


def _duplicates(values: Sequence[object], report: Callable[[int], None]) -> None:
    seen: set[object] = set()
    for index, value in enumerate(values):
        if value in seen:
            report(index)
        seen.add(value)
