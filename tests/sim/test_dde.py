"""DDE: record selection by school context, delimited exports, refusals."""

from __future__ import annotations

import httpx
import pytest

from tests.sim.browser import Browser, alert, text_of

pytestmark = pytest.mark.anyio

DDE = "/admin/tech/dde/home.html"
EXPORT = "/admin/tech/dde/exportrecords.html"


async def select(
    admin: Browser, table: str, school: str | None = None
) -> httpx.Response:
    if school is not None:
        await admin.get(f"/admin/schoolcontext.html?schoolid={school}")
    # Choosing the table reloads the page for it; Select All then selects.
    page = await admin.submit(await admin.get(DDE), "ddeForm", {"filenum": table})
    return await admin.submit(page, "ddeForm", {"searchselectall": "1"})


async def test_select_all_needs_the_page_reloaded_for_the_table(
    admin: Browser,
) -> None:
    page = await admin.get(DDE)  # shows Students
    answer = await admin.submit(
        page, "ddeForm", {"filenum": "5", "searchselectall": "1"}
    )
    assert (alert(answer) or "").startswith("The page shows another table")
    assert text_of(answer, '//p[@id="selectionCount"]') == []


async def export(admin: Browser, **changes: str | None) -> httpx.Response:
    page = await admin.get(EXPORT)
    return await admin.submit(page, "exportForm", changes)


async def test_students_at_the_district_office(admin: Browser) -> None:
    page = await select(admin, "1")
    assert text_of(page, '//p[@id="selectionCount"]') == ["7 records selected"]
    assert (
        '<a href="/admin/tech/dde/exportrecords.html">Export Records</a>' in page.text
    )
    summary = text_of(await admin.get(EXPORT), '//p[@id="exportSummary"]')
    assert summary == ["Exporting 7 records from Students"]
    response = await export(
        admin,
        tt="student_number\nLastFirst\nGrade_Level",
        fielddelim="tab",
        recdelim="crlf",
    )
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.split("\r\n")
    assert lines[0] == "student_number\tLastFirst\tGrade_Level"
    assert lines[1] == "100001\tAnderson, Ava\t9"
    assert len(lines) == 9 and lines[-1] == ""  # titles + 7 records, each ends in CRLF


async def test_a_school_context_limits_the_rows(admin: Browser) -> None:
    page = await select(admin, "1", school="200")
    assert text_of(page, '//p[@id="selectionCount"]') == ["3 records selected"]
    response = await export(
        admin, tt="Student_Number", recdelim="lf", columntitles=None
    )
    assert response.text == "200005\n200006\n200007\n"


async def test_teachers_export_security_fields(admin: Browser) -> None:
    await select(admin, "5")
    fields = "TeacherNumber\nLoginID\nPSAccess\nGroup\nSchoolID"
    response = await export(admin, tt=fields, fielddelim="other", custfielddelim="|")
    assert (
        response.headers["content-disposition"]
        == "attachment; filename=teacher.export.text"
    )
    records = response.text.split("\r")
    assert records[:3] == [
        "TeacherNumber|LoginID|PSAccess|Group|SchoolID",
        "1|admin|1|9|0",
        "1001||0||100",
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tt": "Last_Name\nPassword"}, "Unknown field for Students: Password"),
        ({"tt": "  \n"}, "Enter at least one field to export"),
        ({"tt": "Last_Name", "fielddelim": "other"}, "Enter the Other field delimiter"),
        ({"tt": "Last_Name", "recdelim": "nul"}, "Invalid value for recdelim: 'nul'"),
        ({"tt": None}, "Missing field tt"),
    ],
)
async def test_export_refusals(
    admin: Browser, changes: dict[str, str | None], message: str
) -> None:
    await select(admin, "1")
    response = await export(admin, **changes)
    assert response.status_code == 200
    assert alert(response) == message


async def test_export_needs_a_selection(admin: Browser) -> None:
    response = await export(admin, tt="Last_Name")
    assert alert(response) == "No records are selected. Select records on the DDE page."


async def test_unknown_table(admin: Browser) -> None:
    response = await admin.submit(await admin.get(DDE), "ddeForm", {"filenum": "3"})
    assert alert(response) == "Unknown table: '3'"


async def test_a_school_switch_drops_the_selection(admin: Browser) -> None:
    await select(admin, "1")
    await admin.get("/admin/schoolcontext.html?schoolid=100")
    assert "selectionCount" not in (await admin.get(DDE)).text
