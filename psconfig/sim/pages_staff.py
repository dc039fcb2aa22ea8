"""Staff: search, New Staff Member (two eras), the record, Edit Information, delete.

Written from the stock pages (ksdtech/powerschool-web; PAGES.md cites each):

- search: ``search.html`` carries ``form#ssForm`` POSTing ``selectteacher`` and
  ``teachersonly`` to ``home.html``; lists are ``home.html?selectteacher=...``
  (``field=value`` searches, e.g. ``gender=m``). The list's markup is not public:
  here a plain table whose names link to each record (``frn=005<DCID>``).
- New Staff Member: from 7.9 ``form#staffCreateForm`` POSTs unprefixed names to
  ``staffcheckduplicates.html`` (``ac=staffCheckCreateDuplicates``), which offers
  the staff members it matches (same ID, or same last and first name) before
  anything is created; earlier ``[05]`` names go straight to ``home.html``
  (``ac=prim``). ``eras`` decides by the state's version.
- Edit Information: no form id, POST to ``/admin/changesrecorded.white.html`` with a
  hidden ``frn``; "Active" is a ``statusCheckbox`` the page's script keeps in step
  with the hidden ``[05]status`` (1 Current, 2 No longer here), which is what saves.

A new staff member gets an active affiliation with the posted school as home
school; its Staff Type (``StaffStatus``) is that home affiliation's type, here and
on Edit.
"""

from __future__ import annotations

from starlette.responses import Response

from psconfig.sim import layout
from psconfig.sim.access import Level, effective_level
from psconfig.sim.eras import checks_staff_duplicates
from psconfig.sim.flavors import STAFF_STATUSES, STAFF_TYPES, choices
from psconfig.sim.html import (
    AttrValue,
    Markup,
    el,
    feedback,
    field_row,
    hidden,
    join,
    select,
)
from psconfig.sim.routing import CONFIRM, Route, form_route
from psconfig.sim.runtime import Ctx, Invalid, Refused, redirect
from psconfig.sim.state import SimAffiliation, SimStaff

BASE = "/admin/faculty"
SEARCH, NEW, HOME = f"{BASE}/search.html", f"{BASE}/new.html", f"{BASE}/home.html"
EDIT, DELETE = f"{BASE}/edit.html", f"{BASE}/delete.html"
CHECK = f"{BASE}/staffcheckduplicates.html"
RECORDED = "/admin/changesrecorded.white.html"
CHECK_AC = "staffCheckCreateDuplicates"
CREATE_AC = "staffCreateNotDup"
"""The duplicate check's "create anyway" action: PowerSchool's value is not public."""

# (field name without the [05] prefix, SimStaff attribute)
TEXT_FIELDS: tuple[tuple[str, str], ...] = (
    ("Last_Name", "last_name"),
    ("First_Name", "first_name"),
    ("middle_name", "middle_name"),
    ("preferredname", "preferred_name"),
    ("email_addr", "email_addr"),
    ("title", "title"),
    ("gender", "gender"),
    ("Ethnicity", "ethnicity"),
    ("teachernumber", "teachernumber"),
    ("homeroom", "homeroom"),
    ("lunch_id", "lunch_id"),
    ("home_phone", "home_phone"),
    ("school_phone", "school_phone"),
    ("street", "street"),
    ("city", "city"),
    ("state", "state"),
    ("zip", "zip"),
    ("ssn", "ssn"),
    ("dob", "dob"),
)
# Rows as the stock pages lay them out: (label, fields in the row)
_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Name (Last, First MI)", ("Last_Name", "First_Name", "middle_name")),
    ("Preferred Name", ("preferredname",)),
    ("Email Address", ("email_addr",)),
    ("Title", ("title",)),
    ("Gender", ("gender",)),
    ("Ethnicity", ("Ethnicity",)),
    ("ID", ("teachernumber",)),
    ("Homeroom", ("homeroom",)),
    ("Lunch ID", ("lunch_id",)),
    ("Home Phone #", ("home_phone",)),
    ("School Phone #", ("school_phone",)),
    ("Street", ("street",)),
    ("City, State Zip", ("city", "state", "zip")),
    ("SSN", ("ssn",)),
    ("DOB", ("dob",)),
)
_GENDERS = (("", ""), ("m", "Male"), ("f", "Female"))
_REQUIRED = {
    "last_name": "Last Name",
    "first_name": "First Name",
    "teachernumber": "ID",
}
_SEARCH_FIELDS = ("psaccess", "status", "teachernumber", "gender", "loginid")


def frn(staff: SimStaff) -> str:
    """The ``frn`` of a staff member: ``005`` + DCID."""
    return f"005{staff.dcid}"


def staff_by_frn(ctx: Ctx, raw: str) -> SimStaff:
    """The staff member an ``frn`` names (else 404)."""
    dcid = raw[3:] if raw.startswith("005") else ""
    staff = ctx.state.staff_by_dcid(int(dcid)) if dcid.isdigit() else None
    if staff is None:
        body = el("p", {"class": "feedback-alert"}, f"No such staff member: {raw!r}")
        raise Refused(layout.page(ctx, "Not Found", body, status=404))
    return staff


def target(ctx: Ctx) -> SimStaff:
    """The staff member named by the ``frn`` query parameter (else 404)."""
    return staff_by_frn(ctx, ctx.query("frn") or "")


def home_type(staff: SimStaff) -> int:
    """Staff Type at the home school (2, Staff, when there is no such row)."""
    home = next((a for a in staff.affiliations if a.school == staff.home_school), None)
    return home.staff_type if home else 2


# -- search ------------------------------------------------------------------------


def search_page(ctx: Ctx) -> Response:
    """``GET /admin/faculty/search.html``: ``form#ssForm`` and the quick links."""
    kinds = [("All", "All"), ("1", "Teachers"), ("2", "Staff")]
    kinds += [("3", "Lunch Staff"), ("4", "Substitutes")]
    form = el(
        "form",
        {"action": "home.html", "method": "POST", "id": "ssForm"},
        hidden("pstoken", ctx.pstoken),
        el("select", {"name": "teachersonly", "id": "staffType"}, _options(kinds)),
        el(
            "input",
            {"type": "text", "name": "selectteacher", "id": "teacherSearchInput"},
        ),
        el("button", {"type": "submit", "id": "btnSearch"}, "Search"),
    )
    links = [
        (f"home.html?selectteacher=&teachersonly={n}", label) for n, label in kinds[1:]
    ]
    links += [("home.html?selectteacher=gender=m&teachersonly=0", "M")]
    links += [("home.html?selectteacher=gender=f&teachersonly=0", "F")]
    return layout.page(
        ctx,
        "Start Page",
        el("h1", {}, "Start Page"),
        form,
        el("p", {}, [join(el("a", {"href": h}, t), " ") for h, t in links]),
    )


def _options(pairs: list[tuple[str, str]]) -> list[Markup]:
    return [el("option", {"value": v}, label) for v, label in pairs]


def _search_value(staff: SimStaff, field: str) -> str:
    values = {
        "psaccess": "1" if staff.psaccess else "0",
        "status": str(staff.status),
        "teachernumber": staff.teachernumber,
        "gender": staff.gender,
        "loginid": staff.loginid,
    }
    return values[field]


def _matches(staff: SimStaff, text: str, only: str) -> bool:
    if only not in ("", "All", "0") and str(home_type(staff)) != only:
        return False
    if "=" in text:
        field, _, value = text.partition("=")
        return _search_value(staff, field.strip().lower()) == value.strip()
    if not text:
        return True
    return staff.teachernumber == text or text.lower() in staff.lastfirst.lower()


def staff_list(ctx: Ctx, text: str, only: str) -> Response:
    """The staff matching a search (``selectteacher``), as a list of record links."""
    field = text.partition("=")[0].strip().lower() if "=" in text else ""
    bad = bool(field) and field not in _SEARCH_FIELDS
    found = [] if bad else [s for s in ctx.state.staff if _matches(s, text, only)]
    rows = [
        el(
            "tr",
            {},
            el("td", {}, el("a", {"href": f"{HOME}?frn={frn(s)}"}, s.lastfirst)),
            el("td", {}, s.teachernumber),
            el("td", {}, ctx.state.schools.get(s.home_school, str(s.home_school))),
        )
        for s in sorted(found, key=lambda s: (s.last_name.lower(), s.dcid))
    ]
    head = el(
        "tr", {}, el("th", {}, "Name"), el("th", {}, "ID"), el("th", {}, "School")
    )
    return layout.page(
        ctx,
        "Staff",
        el("h1", {}, "Staff"),
        feedback("alert", f"Unknown search field: {field}") if bad else None,
        el("p", {}, f"Staff found: {len(rows)}"),
        el("table", {"class": "grid"}, head, rows),
    )


def home_get(ctx: Ctx) -> Response:
    """``GET /admin/faculty/home.html``: a record (``frn``) or a staff list."""
    if ctx.query("frn") is not None:
        return staff_page(ctx)
    text = ctx.query("selectteacher") or ""
    return staff_list(ctx, text.strip(), ctx.query("teachersonly") or "")


def home_post(ctx: Ctx) -> Response:
    """``POST /admin/faculty/home.html``: the search form, or creating a record."""
    ac = ctx.form.get("ac")
    if ac is None:
        text = (ctx.form.get("selectteacher") or "").strip()
        return staff_list(ctx, text, ctx.form.get("teachersonly") or "")
    return create_staff(ctx, ac)


# -- New Staff Member ---------------------------------------------------------------


def _prefix(ctx: Ctx) -> str:
    """``[05]`` before 7.9's duplicate check; unprefixed names since."""
    return "" if checks_staff_duplicates(ctx.state) else "[05]"


def _row_controls(
    prefix: str, names: tuple[str, ...], values: dict[str, str]
) -> list[Markup | str]:
    out: list[Markup | str] = []
    for name in names:
        full = prefix + name
        if name == "gender":
            out.append(select(full, list(_GENDERS), values.get(name, "")))
        elif name == "Ethnicity":
            value = values.get(name, "")
            options = [("", "")] + ([(value, value)] if value else [])
            out.append(select(full, options, value))
        else:
            value = values.get(name, "")
            out.append(el("input", {"type": "text", "name": full, "value": value}))
        out.append(" ")
    return out


def _info_rows(prefix: str, values: dict[str, str]) -> list[Markup]:
    return [
        field_row(label, *_row_controls(prefix, names, values))
        for label, names in _ROWS
    ]


def _type_row(name: str, value: str) -> Markup:
    return field_row("Staff Type", select(name, choices(STAFF_TYPES), value))


def _posted(ctx: Ctx, prefix: str) -> dict[str, str]:
    """The fields of a New Staff POST by bare name (blank on GET)."""
    return {name: ctx.form.get(prefix + name) or "" for name, _ in TEXT_FIELDS}


def new_page(ctx: Ctx, message: Markup | None = None) -> Response:
    """``GET /admin/faculty/new.html`` in the current school's context."""
    prefix = _prefix(ctx)
    school = ctx.state.schools.get(ctx.school, str(ctx.school))
    staff_type = ctx.form.get(prefix + "StaffStatus") or "0"
    table = el(
        "table",
        {},
        _info_rows(prefix, _posted(ctx, prefix)),
        field_row("School", school),
        _type_row(prefix + "StaffStatus", staff_type),
    )
    attrs: dict[str, AttrValue]
    if prefix:  # before 7.9
        attrs = {"action": "home.html", "method": "POST"}
        extra = [
            hidden("[05]gradebooktype", "1"),
            hidden("[05]status", "1"),
            hidden("[05]schoolID", ctx.school),
            hidden("ac", "prim"),
        ]
    else:
        attrs = {
            "id": "staffCreateForm",
            "action": "staffcheckduplicates.html",
            "method": "POST",
        }
        extra = [
            hidden("gradebooktype", "1"),
            hidden("status", "1"),
            hidden("schoolID", ctx.school),
            hidden("HomeSchoolID", ctx.school),
            hidden("ac", CHECK_AC),
        ]
    form = el(
        "form",
        attrs,
        hidden("pstoken", ctx.pstoken),
        table,
        el("div", {"class": "button-row"}, *extra, submit_button()),
    )
    title = "New Staff Member"
    return layout.page(ctx, title, el("h1", {}, title), message, form)


def submit_button(text: str = "Submit") -> Markup:
    """The stock submit button (``id="btnSubmit"``)."""
    return el(
        "button", {"type": "submit", "id": "btnSubmit", "name": "btnSubmit"}, text
    )


def _read_fields(ctx: Ctx, prefix: str, myself: SimStaff | None) -> dict[str, str]:
    """Validated text fields by attribute; ``myself`` may keep its own ID."""
    values: dict[str, str] = {}
    for name, attr in TEXT_FIELDS:
        value = ctx.form.get(prefix + name)
        if value is None and myself is not None:
            raise Invalid(f"Missing field {prefix + name}")
        values[attr] = (value or "").strip()
    for attr, label in _REQUIRED.items():
        if not values[attr]:
            raise Invalid(f"{label} is required")
    if values["gender"] not in {v for v, _ in _GENDERS}:
        raise Invalid(f"Invalid value for {prefix}gender: {values['gender']!r}")
    number = values["teachernumber"]
    if any(s.teachernumber == number and s is not myself for s in ctx.state.staff):
        raise Invalid(f"The ID {number} is already in use")
    return values


def _school(ctx: Ctx, name: str) -> int:
    raw = ctx.form.require(name)
    school = int(raw) if raw.lstrip("-").isdigit() else None
    if school is None or school not in ctx.state.schools:
        raise Invalid(f"Invalid value for {name}: {raw!r}")
    return school


def _duplicates(ctx: Ctx, values: dict[str, str]) -> list[tuple[SimStaff, str]]:
    """Existing staff a new record may duplicate, with what matched."""
    out = []
    for staff in ctx.state.staff:
        if staff.teachernumber == values["teachernumber"]:
            out.append((staff, "ID"))
        elif (staff.last_name.lower(), staff.first_name.lower()) == (
            values["last_name"].lower(),
            values["first_name"].lower(),
        ):
            out.append((staff, "Name"))
    return out


def check_duplicates(ctx: Ctx) -> Response:
    """``POST staffcheckduplicates.html``: offer matches; create nothing yet."""
    try:
        if ctx.form.require("ac") != CHECK_AC:
            raise Invalid("Invalid value for ac")
        _may_create(ctx)
        values = _check_fields(ctx)
        _school(ctx, "schoolID")
        ctx.form.choice("StaffStatus", STAFF_TYPES)
    except Invalid as exc:
        return new_page(ctx, feedback("alert", exc.message))
    matches = _duplicates(ctx, values)
    rows = [
        el(
            "tr",
            {},
            el("td", {}, el("a", {"href": f"{HOME}?frn={frn(s)}"}, s.lastfirst)),
            el("td", {}, s.teachernumber),
            el("td", {}, ctx.state.schools.get(s.home_school, str(s.home_school))),
            el("td", {}, matched),
        )
        for s, matched in matches
    ]
    head = [el("th", {}, t) for t in ("Name", "ID", "School", "Matched By")]
    names = [n for n, _ in TEXT_FIELDS]
    names += ["StaffStatus", "gradebooktype", "status", "schoolID", "HomeSchoolID"]
    carried = [hidden(name, ctx.form.get(name) or "") for name in names]
    form = el(
        "form",
        {"action": HOME, "method": "POST"},
        hidden("pstoken", ctx.pstoken),
        hidden("ac", CREATE_AC),
        *carried,
        el("div", {"class": "button-row"}, submit_button("Create Staff Member")),
    )
    advice = (
        "If one of the staff members above is the person you are adding, click the "
        "name to go to that record. Otherwise create the new staff member."
    )
    title = "Check for Duplicate Staff"
    return layout.page(
        ctx,
        title,
        el("h1", {}, title),
        el("table", {"class": "grid"}, el("tr", {}, head), rows),
        el("p", {}, advice if rows else "No matching staff members were found."),
        form,
    )


def _may_create(ctx: Ctx) -> None:
    """Creating a record needs Full on New Staff Member (else 403)."""
    if effective_level(ctx.state, ctx.user, ctx.school, NEW) < Level.FULL:
        raise Refused(layout.denied(ctx, write=True))


def _check_fields(ctx: Ctx) -> dict[str, str]:
    """The posted fields by attribute: required ones present, no ID check yet."""
    values = {attr: (ctx.form.get(name) or "").strip() for name, attr in TEXT_FIELDS}
    for attr, label in _REQUIRED.items():
        if not values[attr]:
            raise Invalid(f"{label} is required")
    return values


def create_staff(ctx: Ctx, ac: str) -> Response:
    """Create a record: pre-7.9 ``ac=prim``, or the duplicate check's go-ahead."""
    expected = CREATE_AC if checks_staff_duplicates(ctx.state) else "prim"
    prefix = _prefix(ctx)
    try:
        _may_create(ctx)
        if ac != expected:
            raise Invalid("Invalid value for ac")
        values = _read_fields(ctx, prefix, None)
        school = _school(ctx, prefix + "schoolID")
        staff_type = ctx.form.choice(prefix + "StaffStatus", STAFF_TYPES)
        status = ctx.form.choice(prefix + "status", STAFF_STATUSES)
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


# -- the record --------------------------------------------------------------------


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
    title = f"{staff.lastfirst} ({staff.teachernumber})"
    return layout.page(
        ctx,
        title,
        el("h1", {}, title),
        el("ul", {}, [el("li", {}, el("a", {"href": h}, t)) for h, t in links]),
    )


_STATUS_SCRIPT = Markup(
    "function setStatusColumnValue() {"
    " var box = document.getElementById('statusCheckbox');"
    " document.getElementById('statusColumn').value = box.checked ? '1' : '2'; }"
    " document.getElementById('statusCheckbox').checked ="
    " document.getElementById('statusColumn').value === '1';"
)


def edit_page(ctx: Ctx) -> Response:
    """``GET /admin/faculty/edit.html?frn=005D``: Edit Information."""
    return _edit_form(ctx, target(ctx), None)


def _edit_form(ctx: Ctx, staff: SimStaff, message: Markup | None) -> Response:
    """Edit Information of ``staff``.

    As served, the Active box is unchecked: the page's script checks it from the
    hidden ``[05]status`` on load, and sets ``[05]status`` 1 or 2 when clicked.
    """
    stored = {name: str(getattr(staff, attr)) for name, attr in TEXT_FIELDS}
    active = join(
        el(
            "input",
            {
                "type": "checkbox",
                "name": "statusCheckbox",
                "id": "statusCheckbox",
                "value": "",
                "onclick": "setStatusColumnValue()",
            },
        ),
        el(
            "input",
            {
                "type": "hidden",
                "name": "[05]status",
                "id": "statusColumn",
                "value": staff.status,
            },
        ),
    )
    form = el(
        "form",
        {"action": RECORDED, "method": "POST"},
        hidden("pstoken", ctx.pstoken),
        hidden("frn", frn(staff)),
        el(
            "table",
            {"id": "infoTable"},
            _info_rows("[05]", stored),
            _type_row("[05]StaffStatus", str(home_type(staff))),
            field_row("Active", active),
        ),
        el("div", {"class": "button-row"}, hidden("ac", "prim"), submit_button()),
    )
    title = f"Edit Information: {staff.lastfirst} ({staff.teachernumber})"
    script = el("script", {}, _STATUS_SCRIPT)
    return layout.page(ctx, title, el("h1", {}, title), message, form, script)


def save_edit(ctx: Ctx, staff: SimStaff) -> None:
    """Rewrite the staff member's information from the posted form."""
    if ctx.form.require("ac") != "prim":
        raise Invalid("Invalid value for ac")
    values = _read_fields(ctx, "[05]", staff)
    staff_type = ctx.form.choice("[05]StaffStatus", STAFF_TYPES)
    status = ctx.form.choice("[05]status", STAFF_STATUSES)
    for attr, value in values.items():
        setattr(staff, attr, value)
    staff.status = 1 if status == 1 else 2
    for affiliation in staff.affiliations:
        if affiliation.school == staff.home_school:
            affiliation.staff_type = staff_type


def changes_recorded(ctx: Ctx) -> Response:
    """``POST /admin/changesrecorded.white.html``: save a Teachers record (005).

    The save is allowed where Edit Information may be modified.
    """
    raw = ctx.form.get("frn") or ""
    staff = staff_by_frn(ctx, raw)
    if effective_level(ctx.state, ctx.user, ctx.school, EDIT) < Level.FULL:
        return layout.denied(ctx, write=True)
    try:
        save_edit(ctx, staff)
    except Invalid as exc:
        ctx.discard()
        return _edit_form(ctx, staff, feedback("alert", exc.message))
    ctx.commit()
    title = "Changes Recorded"
    return layout.page(ctx, title, feedback("confirm", CONFIRM))


# -- delete (its markup is not public) ------------------------------------------------


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
    if ctx.form.require("ac") != "prim":
        raise Invalid("Invalid value for ac")
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
    Route(CHECK, post=check_duplicates, post_needs=Level.VIEW),
    Route(HOME, get=home_get, post=home_post, post_needs=Level.VIEW),
    Route(EDIT, get=edit_page),
    Route(RECORDED, post=changes_recorded, post_needs=Level.NONE),
    form_route(DELETE, delete_page, delete_staff),
]
"""Searching posts too, so ``home.html`` takes a POST with View on it; checking for
duplicates and creating a record need Full on New Staff Member (``_may_create``).
Edit Information saves through ``changesrecorded.white.html``, which checks Full on
``edit.html`` itself."""
