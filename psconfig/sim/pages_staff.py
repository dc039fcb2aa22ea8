"""Staff: search, New Staff Member, the staff page, Edit Information, deletion.

Forms use PowerSchool's tlist names (``[05]Last_Name``...). ``frn`` selects a staff
member: ``005`` (the Teachers table) followed by the DCID. A new staff member gets an
active affiliation with the session's current school as home school; its Staff
Type (``[05]StaffStatus``) is that home affiliation's type, here and on Edit.
"""

from __future__ import annotations

from starlette.responses import Response

from psconfig.sim import layout
from psconfig.sim.flavors import STAFF_STATUSES, STAFF_TYPES, choices
from psconfig.sim.html import Markup, el, feedback, field_row, hidden, select
from psconfig.sim.routing import Route, form_route
from psconfig.sim.runtime import Ctx, Invalid, Refused, redirect
from psconfig.sim.state import SimAffiliation, SimStaff

BASE = "/admin/faculty"
SEARCH, NEW, HOME = f"{BASE}/search.html", f"{BASE}/new.html", f"{BASE}/home.html"
EDIT, DELETE = f"{BASE}/edit.html", f"{BASE}/delete.html"

# (form name, SimStaff attribute, label)
TEXT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("[05]Last_Name", "last_name", "Last Name"),
    ("[05]First_Name", "first_name", "First Name"),
    ("[05]middle_name", "middle_name", "Middle Name"),
    ("[05]preferredname", "preferred_name", "Preferred Name"),
    ("[05]email_addr", "email_addr", "Email Address"),
    ("[05]title", "title", "Title"),
    ("[05]gender", "gender", "Gender"),
    ("[05]Ethnicity", "ethnicity", "Ethnicity"),
    ("[05]teachernumber", "teachernumber", "ID"),
    ("[05]homeroom", "homeroom", "Homeroom"),
    ("[05]lunch_id", "lunch_id", "Lunch ID"),
    ("[05]home_phone", "home_phone", "Home Phone #"),
    ("[05]school_phone", "school_phone", "School Phone #"),
    ("[05]street", "street", "Street"),
    ("[05]city", "city", "City"),
    ("[05]state", "state", "State"),
    ("[05]zip", "zip", "Zip"),
    ("[05]ssn", "ssn", "SSN"),
    ("[05]dob", "dob", "DOB (MM/DD/YYYY)"),
)
_REQUIRED = {
    "last_name": "Last Name",
    "first_name": "First Name",
    "teachernumber": "ID",
}


def frn(staff: SimStaff) -> str:
    """The ``frn`` of a staff member: ``005`` + DCID."""
    return f"005{staff.dcid}"


def target(ctx: Ctx) -> SimStaff:
    """The staff member named by the ``frn`` query parameter (else 404)."""
    raw = ctx.query("frn") or ""
    dcid = raw[3:] if raw.startswith("005") else ""
    staff = ctx.state.staff_by_dcid(int(dcid)) if dcid.isdigit() else None
    if staff is None:
        body = el("p", {"class": "feedback-alert"}, f"No such staff member: {raw!r}")
        raise Refused(layout.page(ctx, "Not Found", body, status=404))
    return staff


def home_type(staff: SimStaff) -> int:
    """Staff Type at the home school (2, Staff, when there is no such row)."""
    home = next((a for a in staff.affiliations if a.school == staff.home_school), None)
    return home.staff_type if home else 2


def _matches(staff: SimStaff, text: str) -> bool:
    if "=" in text:
        field, _, value = text.partition("=")
        actual = {
            "psaccess": "1" if staff.psaccess else "0",
            "status": str(staff.status),
            "teachernumber": staff.teachernumber,
        }
        return actual.get(field.strip().lower()) == value.strip()
    return staff.teachernumber == text or text.lower() in staff.lastfirst.lower()


def search_page(ctx: Ctx) -> Response:
    """``GET /admin/faculty/search.html?search=TEXT``."""
    text = (ctx.query("search") or "").strip()
    field = text.partition("=")[0].strip().lower() if "=" in text else ""
    bad = field not in ("", "psaccess", "status", "teachernumber")
    found = [] if bad else [s for s in ctx.state.staff if _matches(s, text)]
    rows = [
        el(
            "tr",
            {"data-dcid": s.dcid},
            el(
                "td",
                {"class": "name"},
                el("a", {"href": f"{HOME}?frn={frn(s)}"}, s.lastfirst),
            ),
            el("td", {"class": "teachernumber"}, s.teachernumber),
            el("td", {"class": "school"}, s.home_school),
        )
        for s in sorted(found, key=lambda s: (s.last_name.lower(), s.dcid))
    ]
    form = el(
        "form",
        {"id": "staffSearchForm", "method": "get", "action": SEARCH},
        el("input", {"type": "text", "name": "search", "value": text}),
        el("button", {"type": "submit"}, "Search"),
    )
    return layout.page(
        ctx,
        "Search Staff",
        el("h1", {}, "Search Staff"),
        feedback("alert", f"Unknown search field: {field}") if bad else None,
        form,
        el("p", {"id": "staffCount"}, f"List ({len(rows)})"),
        el("table", {"id": "staffResults"}, rows),
    )


def _text_rows(values: dict[str, str]) -> list[Markup]:
    return [
        field_row(
            label, el("input", {"type": "text", "name": name, "value": values[name]})
        )
        for name, _, label in TEXT_FIELDS
    ]


def _posted(ctx: Ctx) -> dict[str, str]:
    """The text fields of a rejected New Staff POST (blank on GET)."""
    return {name: ctx.form.get(name) or "" for name, _, _ in TEXT_FIELDS}


def _stored(staff: SimStaff) -> dict[str, str]:
    return {name: str(getattr(staff, attr)) for name, attr, _ in TEXT_FIELDS}


def new_page(ctx: Ctx, message: Markup | None = None) -> Response:
    """``GET /admin/faculty/new.html``: posts to ``home.html`` in the current school."""
    school = ctx.state.schools.get(ctx.school, str(ctx.school))
    staff_type = ctx.form.get("[05]StaffStatus") or "0"
    form = el(
        "form",
        {"id": "newStaffForm", "action": "home.html", "method": "POST"},
        hidden("pstoken", ctx.pstoken),
        hidden("ac", "prim"),
        hidden("[05]gradebooktype", "1"),
        hidden("[05]status", "1"),
        hidden("[05]schoolID", ctx.school),
        el(
            "table",
            {},
            _text_rows(_posted(ctx)),
            field_row("School", school),
            field_row(
                "Staff Type",
                select("[05]StaffStatus", choices(STAFF_TYPES), staff_type),
            ),
        ),
        el("button", {"type": "submit", "name": "btnSubmit"}, "Submit"),
    )
    title = "New Staff Member"
    return layout.page(ctx, title, el("h1", {}, title), message, form)


def _read_fields(ctx: Ctx, myself: SimStaff | None) -> dict[str, str]:
    """Validated text fields by attribute; ``myself`` may keep its own ID."""
    values: dict[str, str] = {}
    for name, attr, _ in TEXT_FIELDS:
        value = ctx.form.get(name)
        if value is None and myself is not None:
            raise Invalid(f"Missing field {name}")
        values[attr] = (value or "").strip()
    for attr, label in _REQUIRED.items():
        if not values[attr]:
            raise Invalid(f"{label} is required")
    number = values["teachernumber"]
    if any(s.teachernumber == number and s is not myself for s in ctx.state.staff):
        raise Invalid(f"The ID {number} is already in use")
    return values


def _require_prim(ctx: Ctx) -> None:
    if ctx.form.require("ac") != "prim":
        raise Invalid("Invalid value for ac")


def create_staff(ctx: Ctx) -> Response:
    """``POST /admin/faculty/home.html`` from New Staff Member."""
    try:
        _require_prim(ctx)
        values = _read_fields(ctx, None)
        school_raw = ctx.form.require("[05]schoolID")
        school = int(school_raw) if school_raw.lstrip("-").isdigit() else None
        if school is None or school not in ctx.state.schools:
            raise Invalid(f"Invalid value for [05]schoolID: {school_raw!r}")
        staff_type = ctx.form.choice("[05]StaffStatus", STAFF_TYPES)
        status = ctx.form.choice("[05]status", STAFF_STATUSES)
    except Invalid as exc:
        return new_page(ctx, feedback("alert", exc.message))
    staff = SimStaff.model_validate(
        {
            **values,
            "dcid": max((s.dcid for s in ctx.state.staff), default=0) + 1,
            "status": status,
            "home_school": school,
            "affiliations": [SimAffiliation(school=school, staff_type=staff_type)],
        }
    )
    ctx.state.staff.append(staff)
    ctx.commit()
    return redirect(f"{HOME}?frn={frn(staff)}")


def staff_page(ctx: Ctx) -> Response:
    """``GET /admin/faculty/home.html?frn=005D``: the staff member's page."""
    staff = target(ctx)
    key = frn(staff)
    links = [
        (f"{EDIT}?frn={key}", "Edit Information"),
        (f"{BASE}/security/affiliations.html?frn={key}", "Teachers and Affiliations"),
        (f"{BASE}/security/adminaccess.html?frn={key}", "Admin Access and Roles"),
        (f"{DELETE}?frn={key}", "Delete Staff Member"),
    ]
    status = dict(choices(STAFF_STATUSES))[str(staff.status)]
    return layout.page(
        ctx,
        staff.lastfirst,
        el("h1", {"id": "staffName"}, staff.lastfirst),
        el("p", {}, "ID: ", el("span", {"id": "teachernumber"}, staff.teachernumber)),
        el("p", {}, "Status: ", el("span", {"id": "staffStatus"}, status)),
        el("ul", {}, [el("li", {}, el("a", {"href": h}, t)) for h, t in links]),
    )


def edit_page(ctx: Ctx, message: Markup | None) -> Response:
    """``GET /admin/faculty/edit.html?frn=005D``: Edit Information."""
    staff = target(ctx)
    form = el(
        "form",
        {"id": "editStaffForm", "method": "post", "action": f"{EDIT}?frn={frn(staff)}"},
        hidden("pstoken", ctx.pstoken),
        hidden("ac", "prim"),
        hidden("[05]gradebooktype", staff.gradebooktype),
        el(
            "table",
            {},
            _text_rows(_stored(staff)),
            field_row(
                "Staff Type",
                select("[05]StaffStatus", choices(STAFF_TYPES), str(home_type(staff))),
            ),
            field_row(
                "Status",
                select("[05]status", choices(STAFF_STATUSES), str(staff.status)),
            ),
        ),
        el("button", {"type": "submit", "name": "btnSubmit"}, "Submit"),
    )
    title = f"Edit Information: {staff.lastfirst}"
    return layout.page(ctx, title, el("h1", {}, title), message, form)


def save_edit(ctx: Ctx) -> None:
    """Rewrite the staff member's information from the posted form."""
    staff = target(ctx)
    _require_prim(ctx)
    values = _read_fields(ctx, staff)
    staff_type = ctx.form.choice("[05]StaffStatus", STAFF_TYPES)
    status = ctx.form.choice("[05]status", STAFF_STATUSES)
    for attr, value in values.items():
        setattr(staff, attr, value)
    staff.status = 1 if status == 1 else 2
    for affiliation in staff.affiliations:
        if affiliation.school == staff.home_school:
            affiliation.staff_type = staff_type


def delete_page(ctx: Ctx, message: Markup | None) -> Response:
    """``GET /admin/faculty/delete.html?frn=005D``: confirm the deletion."""
    staff = target(ctx)
    form = el(
        "form",
        {
            "id": "deleteStaffForm",
            "method": "post",
            "action": f"{DELETE}?frn={frn(staff)}",
        },
        hidden("pstoken", ctx.pstoken),
        hidden("ac", "prim"),
        el("p", {}, f"Delete {staff.lastfirst} ({staff.teachernumber})?"),
        el("button", {"type": "submit", "name": "confirm", "value": "1"}, "Delete"),
    )
    title = "Delete Staff Member"
    return layout.page(ctx, title, el("h1", {}, title), message, form)


def delete_staff(ctx: Ctx) -> Response:
    """Delete the staff member unless related records exist or it is the user."""
    staff = target(ctx)
    _require_prim(ctx)
    if staff.has_history:
        raise Invalid(
            "This staff member cannot be deleted because related records exist. "
            "Set the status to No longer here instead."
        )
    if staff.dcid == ctx.user.dcid:
        raise Invalid("You cannot delete the account you are signed in with.")
    ctx.state.staff.remove(staff)
    return redirect(SEARCH)


ROUTES = [
    Route(SEARCH, get=search_page),
    Route(NEW, get=new_page),
    Route(HOME, get=staff_page, post=create_staff),
    form_route(EDIT, edit_page, save_edit),
    form_route(DELETE, delete_page, delete_staff),
]
