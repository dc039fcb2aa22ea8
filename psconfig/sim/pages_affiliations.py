"""Security Settings: the Teachers and Affiliations tab.

Written from the stock wildcard ``admin_edit_staff_security.txt`` (ksdtech/
powerschool-web, 2016-2017): "Sign in to PowerTeacher" is the checkbox
``[05]ptaccess``; the teacher's own sign-in is ``[05]teacherloginid``,
``[05]teacherloginpw`` and ``[05]TeacherLDAPEnabled``; the school affiliations are a
jqGrid (columns Home School, Active, School, Staff Type, Actions) that the page's
script serializes on submit into the hidden ``teacherAccessSchoolsAsJSON``. The
form also carries hidden ``TeacherID``, ``autoAddHome=true``, ``frn``,
``forcepresavetrigger=true`` and both ``ac=prim`` and ``ac=GetSchoolSwitch``. A
hidden block holds ``[05]loginid`` and ``[05]AdminLDAPEnabled`` (the admin sign-in,
as rendered); the script removes them before submitting unless the unnamed
``submitForTeacherAndAdmin`` box is checked, so posting them changes the admin
username.

Not public, and so this simulator's own choice: the tab's URL, the grid's row keys
(``schoolid``, ``schoolname``, ``homeschool``, ``active``, ``staffstatus``, after the
SchoolStaff columns) and the key names of ``teacherAccessSchoolsList`` (the schools
the Add dialog offers). An empty ``teacherAccessSchoolsAsJSON`` (no script ran)
changes no affiliation.
"""

from __future__ import annotations

import json

from starlette.responses import Response

from psconfig.sim import layout
from psconfig.sim.flavors import STAFF_TYPES
from psconfig.sim.html import Markup, el, field_row, hidden
from psconfig.sim.pages_staff import BASE, frn, submit_button, target
from psconfig.sim.routing import form_route
from psconfig.sim.runtime import Ctx, Invalid
from psconfig.sim.state import SimAffiliation, SimStaff

AFFILIATIONS = f"{BASE}/security/affiliations.html"
JSON_FIELD = "teacherAccessSchoolsAsJSON"
_TYPES = {int(v): label for v, label, _ in STAFF_TYPES}


def _row(ctx: Ctx, staff: SimStaff, a: SimAffiliation) -> dict[str, object]:
    return {
        "schoolid": a.school,
        "schoolname": ctx.state.schools.get(a.school, f"School {a.school}"),
        "homeschool": a.school == staff.home_school,
        "active": a.active,
        "staffstatus": a.staff_type,
    }


def _grid_script(ctx: Ctx, staff: SimStaff) -> Markup:
    rows = [
        _row(ctx, staff, a) for a in sorted(staff.affiliations, key=lambda a: a.school)
    ]
    taken = {a.school for a in staff.affiliations}
    free = [
        {"schoolid": n, "schoolname": name}
        for n, name in sorted(ctx.state.schools.items())
        if n not in taken
    ]
    types = {str(n): f"({n}) {label}" for n, label in _TYPES.items()}
    # JSON inside a script: "</" cannot end the element early.
    data = json.dumps(rows).replace("</", "<\\/")
    others = json.dumps(free).replace("</", "<\\/")
    return Markup(
        "var teacherAccessGridController = "
        "new TeacherAccessJqGridController('teacherAccessSchoolsTable');\n"
        f"var teacherAccessSchoolsList = {others};\n"
        f"var staffStatusDropdownData = {json.dumps(types)};\n"
        "teacherAccessGridController.initGrid({\n"
        "  name:'teacherAccessGridController',\n"
        f"  data:{data},//main set of data for grid.\n"
        '  gridLocale:{homeSchoolColumnHeader:"Home School", activeColumnHeader:'
        '"Active", schoolColumnHeader:"School", staffStatusColumnHeader:'
        '"Staff Type", actionsColumnHeader:"Actions"}\n'
        "});\n"
    )


def _check(name: str, checked: bool, **attrs: str) -> Markup:
    return el(
        "input",
        {"type": "checkbox", "name": name, "value": "1", "checked": checked, **attrs},
    )


def affiliations_page(ctx: Ctx, message: Markup | None) -> Response:
    """``GET .../security/affiliations.html?frn=005D``."""
    staff = target(ctx)
    key = frn(staff)
    grid_cell = el(
        "td",
        {},
        el("div", {"id": "gridFeedback"}),
        el("button", {"type": "button", "id": "addOwnerRowButton"}, "Add"),
        el("table", {"id": "teacherAccessSchoolsTable"}),
    )
    affiliations = el(
        "tr",
        {},
        el(
            "td",
            {"class": "bold"},
            "School Affiliations ",
            el("a", {"href": "#", "id": "helpMembershipText"}, "[?]"),
            el(
                "input",
                {"type": "hidden", "id": JSON_FIELD, "name": JSON_FIELD, "value": ""},
            ),
        ),
        grid_cell,
    )
    table = el(
        "table",
        {"class": "linkDescList"},
        field_row(
            "Sign in to PowerTeacher",
            _check("[05]ptaccess", staff.ptaccess, id="ptaccess"),
        ),
        field_row(
            "Teacher Username",
            el(
                "input",
                {
                    "type": "text",
                    "name": "[05]teacherloginid",
                    "id": "teacherloginid",
                    "value": staff.teacherloginid,
                },
            ),
        ),
        field_row(
            "Teacher Password",
            el(
                "input",
                {"type": "password", "name": "[05]teacherloginpw", "value": ""},
            ),
        ),
        affiliations,
    )
    buttons = el(
        "div",
        {"class": "button-row"},
        hidden("ac", "prim"),
        hidden("TeacherID", staff.dcid),
        hidden("autoAddHome", "true"),
        hidden("ac", "GetSchoolSwitch"),
        hidden("frn", key),
        hidden("forcepresavetrigger", "true"),
        submit_button(),
    )
    admin_copy = el(
        "div",
        {"class": "hidden"},
        el("input", {"id": "homeSchoolId", "type": "text", "value": staff.home_school}),
        el("input", {"type": "checkbox", "id": "submitForTeacherAndAdmin"}),
        el(
            "input",
            {
                "type": "text",
                "name": "[05]loginid",
                "id": "adminloginid",
                "value": staff.loginid,
            },
        ),
        _check("[05]AdminLDAPEnabled", staff.adminldapenabled, id="adminldapenabled"),
    )
    form = el(
        "form",
        {"method": "post", "action": f"{AFFILIATIONS}?frn={key}"},
        hidden("pstoken", ctx.pstoken),
        table,
        buttons,
        admin_copy,
    )
    title = f"Teachers and Affiliations: {staff.lastfirst}"
    script = el("script", {}, _grid_script(ctx, staff))
    return layout.page(ctx, title, el("h1", {}, title), message, form, script)


def _posted_rows(ctx: Ctx) -> list[dict[str, object]] | None:
    raw = ctx.form.require(JSON_FIELD)
    if raw == "":
        return None
    try:
        rows = json.loads(raw)
    except ValueError:
        raise Invalid(f"Invalid value for {JSON_FIELD}") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise Invalid(f"Invalid value for {JSON_FIELD}")
    return rows


def _affiliation(ctx: Ctx, row: dict[str, object]) -> tuple[SimAffiliation, bool]:
    """One posted grid row as an affiliation, and whether it is the home row."""
    school, kind = row.get("schoolid"), row.get("staffstatus")
    active, home = row.get("active"), row.get("homeschool", False)
    if not isinstance(school, int) or school not in ctx.state.schools:
        raise Invalid(f"{JSON_FIELD}: unknown school {school!r}")
    if not isinstance(kind, int) or kind not in _TYPES:
        raise Invalid(f"{JSON_FIELD}: invalid staff type {kind!r}")
    if not isinstance(active, bool) or not isinstance(home, bool):
        raise Invalid(f"{JSON_FIELD}: active and homeschool must be true or false")
    return SimAffiliation(school=school, active=active, staff_type=kind), home


def _set_affiliations(ctx: Ctx, staff: SimStaff, rows: list[dict[str, object]]) -> None:
    """Rows update or add affiliations; a row left out is kept as it was."""
    posted = [_affiliation(ctx, row) for row in rows]
    schools = [a.school for a, _ in posted]
    if len(set(schools)) != len(schools):
        raise Invalid(f"{JSON_FIELD}: a school appears twice")
    homes = [a for a, home in posted if home]
    if len(homes) > 1:
        raise Invalid("Only one school can be the home school")
    by_school = {a.school: a for a in staff.affiliations}
    for new, _ in posted:
        by_school[new.school] = new
    home = homes[0].school if homes else staff.home_school
    if home not in by_school and ctx.form.get("autoAddHome") == "true":
        by_school[home] = SimAffiliation(school=home)
    if home not in by_school or not by_school[home].active:
        raise Invalid("The home school affiliation must be active")
    staff.affiliations = [by_school[s] for s in sorted(by_school)]
    staff.home_school = home


def _admin_copy(ctx: Ctx, staff: SimStaff) -> None:
    """Save ``[05]loginid`` and ``[05]AdminLDAPEnabled`` when they are posted.

    The page's script posts them only to copy the teacher sign-in to the admin one.
    """
    loginid = ctx.form.get("[05]loginid")
    if loginid is None:
        return
    loginid = loginid.strip()
    other = ctx.state.staff_by_login(loginid) if loginid else None
    if other is not None and other is not staff:
        raise Invalid(f"The username {loginid} is already in use")
    staff.loginid = loginid
    staff.adminldapenabled = ctx.form.checked("[05]AdminLDAPEnabled")


def save_affiliations(ctx: Ctx) -> None:
    """Save PowerTeacher access, the teacher username and the grid's rows."""
    staff, form = target(ctx), ctx.form
    if "prim" not in form.getlist("ac"):
        raise Invalid("Invalid value for ac")
    if form.get("frn") != frn(staff) or form.get("TeacherID") != str(staff.dcid):
        raise Invalid("The form does not belong to this staff member")
    rows = _posted_rows(ctx)
    if rows is not None:
        _set_affiliations(ctx, staff, rows)
    _admin_copy(ctx, staff)
    staff.ptaccess = form.checked("[05]ptaccess")
    staff.teacherloginid = form.require("[05]teacherloginid").strip()


ROUTES = [form_route(AFFILIATIONS, affiliations_page, save_affiliations)]
