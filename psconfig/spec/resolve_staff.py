"""Staff items of a spec, resolved to ``psconfig.model.Staff``.

Present staff become model objects carrying only the fields the spec writes (nested
``admin_access`` too), with school and group references resolved; their password
source goes to the context. Absent staff are checked to say nothing but their ID and
removal mode, and the spec keeps one removal mode. Usernames are unique.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from psconfig.model import AdminAccess, Affiliation, Role, Staff, TimeWindow
from psconfig.spec import models as spec
from psconfig.spec.context import Context
from psconfig.spec.document import RawPath
from psconfig.spec.labels import Removal
from psconfig.spec.merge import Origin, set_fields

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

At = Callable[..., RawPath]


def resolve_staff(
    ctx: Context,
    items: Mapping[str | int, tuple[spec.Staff, Origin]],
    default_removal: Removal,
) -> tuple[dict[str, Staff], set[str], Removal]:
    """Present staff by ID, absent staff IDs, and the removal mode."""
    present: dict[str, Staff] = {}
    absent: set[str] = set()
    removal: tuple[Removal, str] | None = None
    usernames: dict[str, str] = {}
    for key, (item, origin) in items.items():
        sid = str(key)
        ctx.locator.staff[sid] = origin
        if item.ensure == "absent":
            absent.add(sid)
            removal = _absent(ctx, item, origin, removal, default_removal)
            continue
        if item.removal is not None:
            message = "removal applies only to ensure: absent"
            ctx.error(origin.of(("removal",)), message, key=True)
        present[sid] = _present(ctx, item, origin)
        username = present[sid].admin_access.username.casefold()
        if username and username in usernames:
            ctx.error(
                origin.of(("admin_access", "username")),
                f"username is also used by staff {usernames[username]!r}",
            )
        usernames.setdefault(username, sid)
    return present, absent, removal[0] if removal else default_removal


def _absent(
    ctx: Context,
    item: spec.Staff,
    origin: Origin,
    chosen: tuple[Removal, str] | None,
    default_removal: Removal,
) -> tuple[Removal, str]:
    for name in sorted({path[0] for path in set_fields(item)}):
        if name not in ("id", "ensure", "removal"):
            message = "ensure: absent takes only id and removal"
            ctx.error(origin.of((name,)), message, key=True)
    mode = item.removal or default_removal
    if chosen is not None and chosen[0] != mode:
        ctx.error(
            origin.of(("removal",)) if item.removal else ("removal",),
            f"removal {mode!r} conflicts with {chosen[0]!r} (staff {chosen[1]!r}); "
            "psconfig applies one removal mode per spec",
        )
    return chosen or (mode, item.id)


def _present(ctx: Context, item: spec.Staff, origin: Origin) -> Staff:
    values: dict[str, object] = {"id": item.id}
    for name in _STAFF_FIELDS:
        value = getattr(item, name)
        if value is not None:
            values[name] = value
    if item.school is not None:
        values["school"] = ctx.school(item.school, origin.of(("school",)))
    if item.affiliations is not None:
        values["affiliations"] = _affiliations(ctx, item, origin)
    if item.admin_access is not None:
        values["admin_access"] = _admin(ctx, item.id, item.admin_access, origin)
    return Staff.model_validate(values)


def _affiliations(ctx: Context, item: spec.Staff, origin: Origin) -> list[Affiliation]:
    rows: list[Affiliation] = []
    homes = 0
    for index, row in enumerate(item.affiliations or ()):
        path = origin.of(("affiliations", index))
        school = ctx.school(row.school, (*path, "school"))
        if any(r.school == school for r in rows):
            ctx.error((*path, "school"), f"school {school} is listed twice")
        homes += row.home
        if row.home and homes > 1:
            ctx.error((*path, "home"), "only one affiliation can be the home school")
        ctx.locator.affiliations[(item.id, school)] = path
        rows.append(
            Affiliation(
                school=school,
                home=row.home,
                active=row.active,
                staff_type=row.staff_type,
            )
        )
    return rows


def _admin(
    ctx: Context, sid: str, admin: spec.AdminAccess, origin: Origin
) -> AdminAccess:
    def at(*fields: str | int) -> RawPath:
        return origin.of(("admin_access", *fields))

    values: dict[str, object] = {
        name: getattr(admin, name)
        for name in ("enabled", "username", "ldap_enabled")
        if getattr(admin, name) is not None
    }
    if admin.default_group is not None:
        values["default_group"] = ctx.group(admin.default_group, at("default_group"))
    window = admin.sign_in_window
    if window is not None:
        values["sign_in_window"] = (
            window
            if isinstance(window, str)
            else TimeWindow(start=window.start, end=window.end)
        )
    if admin.allowed_ips is not None:
        for index in _repeated(admin.allowed_ips):
            ctx.error(at("allowed_ips", index), "IP listed twice")
        values["allowed_ips"] = tuple(dict.fromkeys(admin.allowed_ips))
    if admin.roles is not None:
        values["roles"] = _roles(ctx, sid, admin.roles, at)
    if admin.password is not None:
        ctx.secrets[sid] = admin.password
    return AdminAccess.model_validate(values)


def _roles(ctx: Context, sid: str, roles: list[spec.Role], at: At) -> list[Role]:
    result: list[Role] = []
    for index, role in enumerate(roles):
        path = at("roles", index)
        school = ctx.school(role.school, (*path, "school"))
        group = (
            None if role.group == "default" else ctx.group(role.group, (*path, "group"))
        )
        if any(r.school == school for r in result):
            ctx.error((*path, "school"), f"school {school} has a role already")
        ctx.locator.roles[(sid, school)] = path
        result.append(Role(school=school, group=group))
    return result


def _repeated(values: Sequence[object]) -> list[int]:
    """Indexes of values seen earlier in ``values``."""
    seen: set[object] = set()
    repeated = []
    for index, value in enumerate(values):
        if value in seen:
            repeated.append(index)
        seen.add(value)
    return repeated
