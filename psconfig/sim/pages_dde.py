"""Direct Database Export: select a table's records, then export chosen fields.

Selecting (``POST /admin/tech/dde/home.html``) keeps the current school's records
(District Office: every school) in the session; a Teachers record is one school
affiliation of a staff member. The export answers ``text/plain`` as an attachment,
every record (and the optional title line) ending with the record delimiter. Field
names are case-insensitive; the title line repeats them as typed.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import PlainTextResponse, Response

from psconfig.sim import layout
from psconfig.sim.faults import kind_of
from psconfig.sim.html import Markup, checkbox, el, feedback, hidden, select
from psconfig.sim.routing import Route
from psconfig.sim.runtime import Ctx, DdeSelection, Invalid
from psconfig.sim.state import SimAffiliation, SimStaff, SimStudent
from psconfig.sim.variants import select_control, variant

HOME = "/admin/tech/dde/home.html"
EXPORT = "/admin/tech/dde/exportrecords.html"
TABLES = {1: "Students", 5: "Teachers"}
FILENAMES = {1: "student.export.text", 5: "teacher.export.text"}
FIELD_DELIMS = (("tab", "Tab", "\t"), ("comma", "Comma", ","), ("other", "Other:", ""))
RECORD_DELIMS = (("cr", "CR", "\r"), ("lf", "LF", "\n"), ("crlf", "CRLF", "\r\n"))

StudentField = Callable[[SimStudent], object]
TeacherField = Callable[[SimStaff, SimAffiliation], object]

STUDENT_FIELDS: dict[str, StudentField] = {
    "dcid": lambda s: s.dcid,
    "id": lambda s: s.dcid,
    "student_number": lambda s: s.student_number,
    "last_name": lambda s: s.last_name,
    "first_name": lambda s: s.first_name,
    "lastfirst": lambda s: f"{s.last_name}, {s.first_name}",
    "grade_level": lambda s: s.grade_level,
    "schoolid": lambda s: s.schoolid,
    "enroll_status": lambda s: s.enroll_status,
}
TEACHER_FIELDS: dict[str, TeacherField] = {
    "dcid": lambda t, a: t.dcid,
    "id": lambda t, a: t.dcid,
    "teachernumber": lambda t, a: t.teachernumber,
    "last_name": lambda t, a: t.last_name,
    "first_name": lambda t, a: t.first_name,
    "lastfirst": lambda t, a: t.lastfirst,
    "email_addr": lambda t, a: t.email_addr,
    "schoolid": lambda t, a: a.school,
    "homeschoolid": lambda t, a: t.home_school,
    "status": lambda t, a: t.status,
    "staffstatus": lambda t, a: a.staff_type,
    "loginid": lambda t, a: t.loginid,
    "psaccess": lambda t, a: int(t.psaccess),
    "ptaccess": lambda t, a: int(t.ptaccess),
    "group": lambda t, a: "" if t.groupvalue is None else t.groupvalue,
    "ipaddrrestrict": lambda t, a: ";".join(t.ipaddrrestrict),
    "allowloginstart": lambda t, a: t.allow_login_start or "",
    "allowloginend": lambda t, a: t.allow_login_end or "",
}


def _in_school(ctx: Ctx, school: int) -> bool:
    return ctx.school == 0 or school == ctx.school


def _selection_note(ctx: Ctx) -> Markup | None:
    selection = ctx.session.dde if ctx.session else None
    if selection is None:
        return None
    count = f"{len(selection.records)} records selected"
    return el(
        "div",
        {},
        el("p", {"id": "selectionCount"}, count),
        el("a", {"href": EXPORT}, "Export Records"),
    )


def _tables(ctx: Ctx) -> tuple[tuple[str, str, int], ...]:
    # ``filenum`` and its numbers are confirmed by public clients; the order and
    # the texts of the list are not, so variants may reorder it.
    table = tuple((str(n), t, n) for n, t in TABLES.items())
    v = variant(ctx)
    return (
        table if v.canonical else tuple(sorted(table, key=lambda o: o[1], reverse=True))
    )


def dde_home(ctx: Ctx, message: Markup | None = None) -> Response:
    """``GET /admin/tech/dde/home.html``: choose a table and select its records.

    Choosing another table in the list reloads the page for it (a POST without the
    Select All button); Select All selects the records of the table the page shows.
    """
    table = ctx.session.dde_table if ctx.session else 1
    v = variant(ctx)
    choices = [(value, text) for value, text, _ in _tables(ctx)]
    control = select_control("filenum", choices, str(table))
    form = el(
        "form",
        {"id": v.name("ddeForm"), "method": "post", "action": HOME},
        hidden("pstoken", ctx.pstoken),
        v.block(v.field("filenum", "Current Table", control)),
        el(
            "button",
            {"type": "submit", "name": "searchselectall", "value": "1"},
            "Select All Records",
        ),
    )
    title = "Direct Database Export (DDE)"
    note = _selection_note(ctx)
    return layout.page(ctx, title, el("h1", {}, title), message, form, note)


def select_records(ctx: Ctx) -> Response:
    """``POST /admin/tech/dde/home.html``: reload for a table, or select its records."""
    raw = ctx.form.get("filenum") or ""
    if not raw.isdigit() or int(raw) not in TABLES:
        return dde_home(ctx, feedback("alert", f"Unknown table: {raw!r}"))
    table = int(raw)
    assert ctx.session is not None
    if ctx.form.get("searchselectall") is None:
        ctx.session.dde_table = table  # the list's change reloads the page
        return dde_home(ctx)
    if table != ctx.session.dde_table:
        message = "The page shows another table: choose the table, then select."
        return dde_home(ctx, feedback("alert", message))
    if table == 1:
        records = [
            (s.dcid, s.schoolid)
            for s in ctx.state.students
            if _in_school(ctx, s.schoolid)
        ]
    else:
        records = [
            (t.dcid, a.school)
            for t in ctx.state.staff
            for a in t.affiliations
            if _in_school(ctx, a.school)
        ]
    ctx.session.dde = DdeSelection(table=table, records=records)
    return dde_home(ctx)


def _column_titles(ctx: Ctx) -> Markup:
    kind = kind_of(ctx.state.faults, "columntitles")
    if kind is None:
        return checkbox("columntitles", "1", True, "Include column titles")
    control = el("input", {"type": kind, "name": "columntitles", "value": "1"})
    return el("label", {}, control, " Include column titles")


def _export_form(ctx: Ctx) -> Markup:
    v = variant(ctx)
    custom = el("input", {"type": "text", "name": "custfielddelim", "value": ""})
    field_delims = v.options("fielddelim", FIELD_DELIMS)
    record_delims = v.options("recdelim", RECORD_DELIMS)
    tab = next(value for value, _, d in field_delims if d == "\t")
    cr = next(value for value, _, d in record_delims if d == "\r")
    fields = select("fielddelim", [(val, lab) for val, lab, _ in field_delims], tab)
    records = select("recdelim", [(val, lab) for val, lab, _ in record_delims], cr)
    return el(
        "form",
        {"id": v.name("exportForm"), "method": "post", "action": EXPORT},
        hidden("pstoken", ctx.pstoken),
        el("p", {}, "Fields to export (one per line)"),
        el("textarea", {"name": "tt", "rows": 8, "cols": 40}, ""),
        el("p", {}, "Field delimiter ", fields, " ", custom),
        el("p", {}, "Record delimiter ", records),
        el("p", {}, _column_titles(ctx)),
        el("button", {"type": "submit", "name": "btnSubmit"}, "Submit"),
    )


def export_page(ctx: Ctx, message: Markup | None = None) -> Response:
    """``GET /admin/tech/dde/exportrecords.html``: the export settings form."""
    selection = ctx.session.dde if ctx.session else None
    what = "No records are selected."
    if selection is not None:
        count, table = len(selection.records), TABLES[selection.table]
        what = f"Exporting {count} records from {table}"
    title = "Export Records"
    summary = el("p", {"id": "exportSummary"}, what)
    return layout.page(
        ctx, title, el("h1", {}, title), summary, message, _export_form(ctx)
    )


def _rows(ctx: Ctx, selection: DdeSelection, names: list[str]) -> list[list[object]]:
    wanted = set(selection.records)
    if selection.table == 1:
        getters = [STUDENT_FIELDS[n.lower()] for n in names]
        return [
            [get(s) for get in getters]
            for s in ctx.state.students
            if (s.dcid, s.schoolid) in wanted
        ]
    teacher_getters = [TEACHER_FIELDS[n.lower()] for n in names]
    return [
        [get(t, a) for get in teacher_getters]
        for t in ctx.state.staff
        for a in t.affiliations
        if (t.dcid, a.school) in wanted
    ]


def _settings(ctx: Ctx, table: int) -> tuple[list[str], str, str]:
    names = [
        line.strip() for line in ctx.form.require("tt").splitlines() if line.strip()
    ]
    if not names:
        raise Invalid("Enter at least one field to export")
    known = STUDENT_FIELDS if table == 1 else TEACHER_FIELDS
    for name in names:
        if name.lower() not in known:
            raise Invalid(f"Unknown field for {TABLES[table]}: {name}")
    v = variant(ctx)
    field_delim = ctx.form.choice("fielddelim", v.options("fielddelim", FIELD_DELIMS))
    if not field_delim:
        field_delim = ctx.form.require("custfielddelim")
        if not field_delim:
            raise Invalid("Enter the Other field delimiter")
    record_delims = v.options("recdelim", RECORD_DELIMS)
    return names, field_delim, ctx.form.choice("recdelim", record_delims)


def export_records(ctx: Ctx) -> Response:
    """``POST /admin/tech/dde/exportrecords.html``: the delimited export file."""
    selection = ctx.session.dde if ctx.session else None
    try:
        if selection is None:
            raise Invalid("No records are selected. Select records on the DDE page.")
        names, field_delim, record_delim = _settings(ctx, selection.table)
    except Invalid as exc:
        return export_page(ctx, feedback("alert", exc.message))
    lines: list[list[object]] = (
        [list(names)] if ctx.form.checked("columntitles") else []
    )
    lines += _rows(ctx, selection, names)
    body = "".join(field_delim.join(map(str, line)) + record_delim for line in lines)
    disposition = f"attachment; filename={FILENAMES[selection.table]}"
    return PlainTextResponse(body, headers={"Content-Disposition": disposition})


ROUTES = [
    Route(HOME, get=dde_home, post=select_records),
    Route(EXPORT, get=export_page, post=export_records),
]
