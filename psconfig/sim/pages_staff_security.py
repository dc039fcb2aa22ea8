"""Security Settings tab: Admin Access and Roles (see also ``pages_affiliations``).

The admin password is write-only: the page always renders it empty and an empty
POST leaves it unchanged. Turning admin sign-in on needs a username and (unless LDAP
is enabled) a password, either already stored or posted now.
"""

from __future__ import annotations

import ipaddress
import re

from starlette.responses import Response

from psconfig.sim import layout
from psconfig.sim.html import (
    AttrValue,
    Markup,
    checkbox,
    el,
    field_row,
    hidden,
    join,
)
from psconfig.sim.pages_staff import BASE, frn, target
from psconfig.sim.pcas import hash_password
from psconfig.sim.routing import form_route
from psconfig.sim.runtime import Ctx, Invalid
from psconfig.sim.state import SimRole, SimStaff
from psconfig.sim.variants import (
    Variant,
    input_control,
    radio_control,
    select_control,
    variant,
)

AFFILIATIONS = f"{BASE}/security/affiliations.html"
ADMIN_ACCESS = f"{BASE}/security/adminaccess.html"
TIMES = [f"{m // 60:02d}:{m % 60:02d}" for m in range(5 * 60, 22 * 60 + 1, 30)]
_SPLIT = re.compile(r"[\s,;]+")
_MODES: tuple[tuple[str, str, bool], ...] = (
    ("any", "Any time", False),
    ("restricted", "Allow this user's access from", True),
)


def _time_label(value: str) -> str:
    hours, minutes = (int(part) for part in value.split(":"))
    suffix = "AM" if hours < 12 else "PM"
    return f"{(hours - 1) % 12 + 1:02d}:{minutes:02d} {suffix}"


def _school_name(ctx: Ctx, school: int) -> str:
    return ctx.state.schools.get(school, f"School {school}")


def _int_or_none(ctx: Ctx, name: str, allowed: set[int]) -> int | None:
    """A required select whose value is empty (None) or one of ``allowed``."""
    raw = ctx.form.require(name)
    if raw == "":
        return None
    if raw.lstrip("-").isdigit() and int(raw) in allowed:
        return int(raw)
    raise Invalid(f"Invalid value for {name}: {raw!r}")


def _form(ctx: Ctx, form_id: str, action: str, *body: object) -> Markup:
    return el(
        "form",
        {"id": form_id, "method": "post", "action": action},
        hidden("pstoken", ctx.pstoken),
        hidden("ac", "prim"),
        *body,
        el("button", {"type": "submit", "name": "btnSubmit"}, "Submit"),
    )


def _group_options(ctx: Ctx, empty: str) -> list[tuple[str, str]]:
    groups = [(str(g.number), f"{g.name} ({g.number})") for g in ctx.state.groups]
    return [("", empty), *groups]


def _times(v: Variant, staff: SimStaff) -> tuple[tuple[str, str, str], ...]:
    """The time menus' options: values are [unknown] (variants change them)."""
    kept = {staff.allow_login_start, staff.allow_login_end} - {None}
    times = sorted({*TIMES, *(t for t in kept if t is not None)})
    return v.options("times", [(t, _time_label(t), t) for t in times])


def _window_controls(v: Variant, staff: SimStaff) -> Markup:
    start = staff.allow_login_start or "05:00"
    end = staff.allow_login_end or "22:00"
    table = _times(v, staff)
    options = [(value, label) for value, label, _ in table]
    start = next(value for value, _, t in table if t == start)
    end = next(value for value, _, t in table if t == end)
    restricted = staff.allow_login_start is not None
    modes = v.options("logintimes", _MODES)
    chosen = next(form for form, _, on in modes if on == restricted)
    mode = radio_control(
        v.name("logintimes"), [(form, text) for form, text, _ in modes], chosen
    )
    return join(
        mode({}),
        select_control(v.name("allowloginstart"), options, start)({}),
        " to ",
        select_control(v.name("allowloginend"), options, end)({}),
        " (Choose times between 05:00 AM and 10:00 PM)",
    )


def _role_text(ctx: Ctx, group: int | None) -> str:
    """What the Roles (Group Name) cell shows: "NAME (N)" or the default access."""
    if group is None:
        return "Default Group Access"
    names = {g.number: g.name for g in ctx.state.groups}
    return f"{names.get(group, f'Group {group}')} ({group})"


def _remove_control(v: Variant, index: int) -> Markup:
    """A row's remove action: a box labelled "Remove" (attached per variant)."""
    name = v.name(f"removerole_{index}")
    box = el("input", {"type": "checkbox", "name": name, "value": "1"})
    style = "wrap" if v.canonical else ("wrap", "aria", "for")[v.seed % 3]
    if style == "wrap":
        return el("label", {}, box, " Remove")
    if style == "aria":
        return el(
            "input",
            {"type": "checkbox", "name": name, "value": "1", "aria-label": "Remove"},
        )
    ident = v.ident(f"removerole_{index}")
    target = el("input", {"type": "checkbox", "name": name, "value": "1", "id": ident})
    return join(target, " ", el("label", {"for": ident}, "Remove"))


def _role_rows(ctx: Ctx, staff: SimStaff) -> list[Markup]:
    """The guide's columns: School, Roles (Group Name), Action; a row per role.

    Two roles at one school are two rows; each row's Action is its own "Remove".
    """
    v = variant(ctx)
    heads = ("School", "Roles (Group Name)", "Action")
    head = el("tr", {}, *(el("th", {}, h) for h in heads))
    return [head] + [
        el(
            "tr",
            {"data-school": r.school} if v.canonical else {},
            el("td", {"class": "school"}, _role_school(ctx, staff, r.school)),
            el("td", {}, _role_text(ctx, r.group)),
            el("td", {}, _remove_control(v, index)),
        )
        for index, r in enumerate(staff.roles)
    ]


EXTERNAL = -1
"""The dialog's "External Systems" choice (RoleDefTeachersMap.IsDistrict)."""


def _add_schools(ctx: Ctx) -> tuple[tuple[str, str, int], ...]:
    schools = [(str(n), name, n) for n, name in sorted(ctx.state.schools.items())]
    table = [*schools, ("ext", "External Systems", EXTERNAL)]
    return variant(ctx).options("newrole_schools", table)


def _add_groups(ctx: Ctx) -> tuple[tuple[str, str, int | None], ...]:
    groups = [
        (str(g.number), _role_text(ctx, g.number), g.number) for g in ctx.state.groups
    ]
    table: list[tuple[str, str, int | None]] = [
        ("", "Default Group Access", None),
        *groups,
    ]
    return variant(ctx).options("newrole_group", table)


def _add_dialog(ctx: Ctx) -> Markup:
    """The "Add User Access Roles" dialog: school(s) or External Systems, a role.

    Rendered open inside the form (the page's script would show it on "Add").
    """
    v = variant(ctx)
    name = v.name("newrole_schools")
    boxes = Markup(
        " ".join(
            checkbox(name, value, False, text) for value, text, _ in _add_schools(ctx)
        )
    )
    table = _add_groups(ctx)
    options = [(value, text) for value, text, _ in table]
    default = next(value for value, _, group in table if group is None)
    role_name = v.name("newrole_group")
    role = (
        radio_control(role_name, options, default)
        if v.radios("newrole_group")
        else select_control(role_name, options, default)
    )
    fields = [
        v.field("newrole_schools", "Schools", lambda attrs: boxes, group=True),
        v.field("newrole_group", "Role", role, group=v.radios("newrole_group")),
    ]
    if v.decoy("newrole_group"):
        decoy = select_control(v.name("newrole_group_pt"), options, default)
        fields.append(v.field("newrole_group_pt", "Role (PowerTeacher)", decoy))
    title = "Add User Access Roles"
    return el(
        "div",
        {"role": "dialog", "aria-label": title, "class": "dialog"},
        el("h3", {}, title),
        v.block(*fields),
    )


def _role_school(ctx: Ctx, staff: SimStaff, school: int) -> str:
    home = " (Home School)" if school == staff.home_school else ""
    return f"{_school_name(ctx, school)}{home}"


def _sign_in_rows(ctx: Ctx, staff: SimStaff) -> list[Markup]:
    """The sign-in fields, labelled as PowerSchool's documentation shows them."""
    v = variant(ctx)
    label = "Sign in to Administrative Portion of PowerSchool"
    box = input_control("checkbox", v.name("psaccess"), "1", checked=staff.psaccess)
    username = input_control("text", v.name("loginid"), staff.loginid)
    password = input_control("password", v.name("password"), "", autocomplete="off")
    ldap = input_control(
        "checkbox", v.name("adminldapenabled"), "1", checked=staff.adminldapenabled
    )
    group = "" if staff.groupvalue is None else str(staff.groupvalue)
    groups = select_control(
        v.name("groupvalue"), _group_options(ctx, "No Group Defined"), group
    )
    window = _window_controls(v, staff)
    ips = "\n".join(staff.ipaddrrestrict)

    def textarea(attrs: dict[str, AttrValue]) -> Markup:
        return el(
            "textarea", {"name": v.name("ipaddrrestrict"), "rows": 4, **attrs}, ips
        )

    rows = [
        v.field("psaccess", label, box)
        if not v.canonical
        else field_row("", checkbox("psaccess", "1", staff.psaccess, label)),
        v.field("loginid", "Admin Username", username),
        v.field("password", "Admin Password", password),
        v.field("adminldapenabled", "LDAP Enabled", ldap),
        v.field("groupvalue", "Default Group", groups),
        v.field(
            "logintimes",
            "Allow Admin Sign in During These Times",
            lambda attrs: window,
            group=True,
        ),
        v.field("ipaddrrestrict", "Allowed IPs", textarea),
    ]
    if v.decoy("groupvalue"):
        decoy = select_control(
            v.name("ptgroupvalue"), _group_options(ctx, "No Group Defined"), ""
        )
        rows.append(v.field("ptgroupvalue", "Default Group (PowerTeacher)", decoy))
    return rows


def admin_access_page(ctx: Ctx, message: Markup | None) -> Response:
    """``GET .../security/adminaccess.html?frn=005D`` (password never rendered)."""
    staff = target(ctx)
    form = _form(
        ctx,
        variant(ctx).name("adminAccessForm"),
        f"{ADMIN_ACCESS}?frn={frn(staff)}",
        variant(ctx).block(*_sign_in_rows(ctx, staff)),
        el("h2", {}, "Roles and Schools"),
        el("table", {"id": variant(ctx).name("rolesTable")}, _role_rows(ctx, staff)),
        _add_dialog(ctx),
    )
    title = f"Admin Access and Roles: {staff.lastfirst}"
    return layout.page(ctx, title, el("h1", {}, title), message, form)


def _allowed_ips(ctx: Ctx) -> list[str]:
    raw = ctx.form.require(variant(ctx).name("ipaddrrestrict"))
    entries = [e for e in _SPLIT.split(raw) if e]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise Invalid(f"Invalid IP address or range: {entry}") from None
    return entries


def _window(ctx: Ctx, staff: SimStaff) -> tuple[str | None, str | None]:
    v = variant(ctx)
    mode = ctx.form.choice(v.name("logintimes"), v.options("logintimes", _MODES))
    start = ctx.form.choice(v.name("allowloginstart"), _times(v, staff))
    end = ctx.form.choice(v.name("allowloginend"), _times(v, staff))
    if not mode:
        return None, None
    if start not in TIMES or end not in TIMES:
        raise Invalid("Choose sign-in times between 05:00 AM and 10:00 PM")
    if start >= end:
        raise Invalid("The sign-in window must end after it starts")
    return start, end


def _login_id(ctx: Ctx, staff: SimStaff, enabled: bool) -> str:
    loginid = ctx.form.require(variant(ctx).name("loginid")).strip()
    if enabled and not loginid:
        raise Invalid("An Admin Username is required to sign in")
    if any(ch.isspace() for ch in loginid):
        raise Invalid("The Admin Username cannot contain spaces")
    other = ctx.state.staff_by_login(loginid)
    if loginid and other is not None and other is not staff:
        raise Invalid(f"The username {loginid} is already in use")
    return loginid


def _roles(ctx: Ctx, staff: SimStaff) -> list[SimRole]:
    """Rows not marked "Remove", then the dialog's role at each chosen school."""
    v = variant(ctx)
    kept = [
        role
        for index, role in enumerate(staff.roles)
        if not ctx.form.checked(v.name(f"removerole_{index}"))
    ]
    schools = {value: number for value, _, number in _add_schools(ctx)}
    chosen = []
    for value in ctx.form.getlist(v.name("newrole_schools")):
        if value not in schools or schools[value] == EXTERNAL:
            raise Invalid(f"Invalid value for newrole_schools: {value!r}")
        chosen.append(schools[value])
    if chosen:
        group = ctx.form.choice(v.name("newrole_group"), _add_groups(ctx))
        kept += [SimRole(school=school, group=group) for school in chosen]
    return kept


def save_admin_access(ctx: Ctx) -> None:
    """Validate the whole tab, then apply it (the password only when posted)."""
    staff, form = target(ctx), ctx.form
    if form.require("ac") != "prim":
        raise Invalid("Invalid value for ac")
    v = variant(ctx)
    enabled = form.checked(v.name("psaccess"))
    ldap = form.checked(v.name("adminldapenabled"))
    loginid = _login_id(ctx, staff, enabled)
    password = form.require(v.name("password"))
    if enabled and not ldap and not password and staff.password is None:
        raise Invalid("An Admin Password is required to sign in")
    groups = {g.number for g in ctx.state.groups}
    group = _int_or_none(ctx, v.name("groupvalue"), groups)
    start, end = _window(ctx, staff)
    ips, roles = _allowed_ips(ctx), _roles(ctx, staff)
    staff.psaccess, staff.adminldapenabled, staff.loginid = enabled, ldap, loginid
    staff.groupvalue, staff.roles, staff.ipaddrrestrict = group, roles, ips
    staff.allow_login_start, staff.allow_login_end = start, end
    if password:
        staff.password = hash_password(password, pcas=ctx.state.flavor == "legacy")


ROUTES = [
    form_route(ADMIN_ACCESS, admin_access_page, save_admin_access),
]
