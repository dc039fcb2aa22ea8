"""Staff pages as the public stock pages show them: search, New Staff Member in both
eras with the duplicate check, the record, Edit Information, Teachers and
Affiliations (the JSON grid)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from psconfig.sim import SimState, load_state
from tests.sim.browser import Browser, alert, confirmed, nodes, text_of

pytestmark = pytest.mark.anyio

Edit = Callable[[Callable[[SimState], object]], None]
SYNC = {
    "Last_Name": "Sync",
    "First_Name": "Clever",
    "teachernumber": "99999",
    "StaffStatus": "2",
}
AFFILIATIONS = "/admin/faculty/security/affiliations.html?frn=0055"


def hidden_values(page: httpx.Response, form_xpath: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for node in nodes(page, f'{form_xpath}//input[@type="hidden"]'):
        out.setdefault(str(node.get("name")), []).append(str(node.get("value")))
    return out


async def test_new_staff_is_the_2013_form(admin: Browser) -> None:
    """GET new.html: form#staffCreateForm -> staffcheckduplicates.html (row 1)."""
    page = await admin.get("/admin/faculty/new.html")
    [form] = nodes(page, '//form[@id="staffCreateForm"]')
    assert (form.get("action"), form.get("method")) == (
        "staffcheckduplicates.html",
        "POST",
    )
    names = {str(n.get("name")) for n in nodes(page, "//form//*[@name]")}
    assert {"Last_Name", "First_Name", "teachernumber", "StaffStatus"} <= names
    assert not any(name.startswith("[05]") for name in names)
    hidden = hidden_values(page, '//form[@id="staffCreateForm"]')
    assert len(hidden.pop("pstoken")) == 1
    assert hidden == {
        "gradebooktype": ["1"],
        "status": ["1"],
        "schoolID": ["0"],
        "HomeSchoolID": ["0"],
        "ac": ["staffCheckCreateDuplicates"],
    }


async def test_the_duplicate_check_creates_only_on_the_go_ahead(
    admin: Browser, state_path: Path
) -> None:
    before = len(load_state(state_path).staff)
    page = await admin.get("/admin/faculty/new.html")
    check = await admin.submit(page, "staffCreateForm", SYNC)
    assert text_of(check, "//h1") == ["Check for Duplicate Staff"]
    assert len(load_state(state_path).staff) == before  # nothing created yet
    created = await admin.submit(check, "")
    assert created.headers["location"] == "/admin/faculty/home.html?frn=0055"
    staff = load_state(state_path).staff[-1]
    assert (staff.dcid, staff.teachernumber, staff.home_school) == (5, "99999", 0)
    assert [(a.school, a.active, a.staff_type) for a in staff.affiliations] == [
        (0, True, 2)
    ]


async def test_a_real_duplicate_is_offered_not_created(
    admin: Browser, state_path: Path
) -> None:
    """Same ID (Smith, Alice is 1001) or same name: the match links to its record."""
    before = load_state(state_path)
    page = await admin.get("/admin/faculty/new.html")
    twin = {"Last_Name": "smith", "First_Name": "ALICE", "teachernumber": "1001"}
    check = await admin.submit(page, "staffCreateForm", twin)
    [row] = nodes(check, "//main//table//tr[td]")
    assert [c.text_content() for c in row.findall("td")][1:] == [
        "1001",
        "Springfield High",
        "ID",
    ]
    [link] = row.findall(".//a")
    assert re.fullmatch(r"/admin/faculty/home\.html\?frn=005[0-9]+", link.get("href"))
    going_ahead = await admin.submit(check, "")
    assert alert(going_ahead) == "The ID 1001 is already in use"
    assert load_state(state_path) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"Last_Name": ""}, "Last Name is required"),
        ({"StaffStatus": "9"}, "Invalid value for StaffStatus: '9'"),
        ({"schoolID": "7"}, "Invalid value for schoolID: '7'"),
        ({"ac": "prim"}, "Invalid value for ac"),
    ],
    ids=["no-last-name", "bad-type", "bad-school", "wrong-ac"],
)
async def test_new_staff_validation(
    admin: Browser, state_path: Path, changes: dict[str, str], message: str
) -> None:
    before = load_state(state_path)
    page = await admin.get("/admin/faculty/new.html")
    response = await admin.submit(page, "staffCreateForm", {**SYNC, **changes})
    assert alert(response) == message
    assert load_state(state_path) == before


async def test_before_2013_new_staff_posts_prefixed_names_to_home(
    admin: Browser, edit_state: Edit, state_path: Path
) -> None:
    edit_state(lambda s: setattr(s, "version", "7.8.1"))
    page = await admin.get("/admin/faculty/new.html")
    assert nodes(page, '//form[@id="staffCreateForm"]') == []
    [form] = nodes(page, "//main//form")
    assert (form.get("id"), form.get("action")) == (None, "home.html")
    fields = hidden_values(page, "//main//form")
    assert fields["ac"] == ["prim"] and fields["[05]schoolID"] == ["0"]
    assert fields["[05]status"] == ["1"] and fields["[05]gradebooktype"] == ["1"]
    created = await admin.new_staff(SYNC)
    assert created.status_code == 302
    assert load_state(state_path).staff[-1].teachernumber == "99999"


async def test_new_staff_takes_the_current_school(
    admin: Browser, state_path: Path
) -> None:
    home = await admin.get("/admin/home.html")
    [item] = nodes(home, '//ul[@id="school_choices"]//a[text()="Lincoln Elementary"]')
    await admin.get(str(item.get("href")))
    assert (await admin.new_staff(SYNC)).status_code == 302
    assert load_state(state_path).staff[-1].home_school == 200


def _listed(page: httpx.Response) -> list[str]:
    return text_of(page, '//main//a[contains(@href, "frn=005")]')


async def test_staff_search_form_and_lists(admin: Browser) -> None:
    """search.html: form#ssForm POSTs selectteacher/teachersonly to home.html."""
    await admin.new_staff(SYNC)
    page = await admin.get("/admin/faculty/search.html")
    [form] = nodes(page, '//form[@id="ssForm"]')
    assert (form.get("action"), form.get("method")) == ("home.html", "POST")
    found = await admin.submit(page, "ssForm", {"selectteacher": "SYNC"})
    assert _listed(found) == ["Sync, Clever"]
    lists = {
        "": ["Administrator, Demo", "Garcia, Maria", "Jones, Bob", "Smith, Alice"],
        "99999": ["Sync, Clever"],
        "psaccess=1": ["Administrator, Demo"],
        "teachernumber=1001": ["Smith, Alice"],
        "loginid=admin": ["Administrator, Demo"],
        "status=2": [],
    }
    for text, names in lists.items():
        page = await admin.get(
            f"/admin/faculty/home.html?selectteacher={text}&teachersonly=0"
        )
        expected = sorted([*names, "Sync, Clever"]) if text == "" else names
        assert _listed(page) == expected, text
    teachers = await admin.get("/admin/faculty/home.html?selectteacher=&teachersonly=1")
    assert "Sync, Clever" not in _listed(teachers)  # a Staff (2), not a Teacher (1)
    bad = await admin.get("/admin/faculty/home.html?selectteacher=password=x")
    assert alert(bad) == "Unknown search field: password"


async def test_edit_information_is_the_92_form(
    admin: Browser, state_path: Path
) -> None:
    """No form id, POST to changesrecorded.white.html; Active + hidden [05]status."""
    await admin.new_staff(SYNC)
    page = await admin.get("/admin/faculty/edit.html?frn=0055")
    [form] = nodes(page, "//main//form")
    assert (form.get("id"), form.get("action")) == (
        None,
        "/admin/changesrecorded.white.html",
    )
    [box] = nodes(page, '//input[@id="statusCheckbox"]')
    assert box.get("checked") is None  # the page's script checks it on load
    assert hidden_values(page, "//main//form")["[05]status"] == ["1"]
    changes = {"[05]title": "Integration", "[05]status": "2", "[05]StaffStatus": "0"}
    assert confirmed(await admin.submit(page, "", changes))
    staff = load_state(state_path).staff[-1]
    assert (staff.title, staff.status, staff.affiliations[0].staff_type) == (
        "Integration",
        2,
        0,
    )
    response = await admin.submit(page, "", {"[05]email_addr": None})
    assert alert(response) == "Missing field [05]email_addr"
    response = await admin.submit(page, "", {"[05]teachernumber": "1001"})
    assert alert(response) == "The ID 1001 is already in use"


async def test_unknown_staff_is_not_found(admin: Browser) -> None:
    for frn in ("0059999", "xyz", ""):
        response = await admin.get(f"/admin/faculty/edit.html?frn={frn}")
        assert response.status_code == 404


def grid_rows(page: httpx.Response) -> list[dict[str, object]]:
    found = re.search(r"data:(\[.*?\]),//", page.text)
    assert found, "no grid data in the page"
    rows = json.loads(found.group(1))
    assert isinstance(rows, list)
    return rows


async def test_affiliations_tab_carries_the_stock_fields(admin: Browser) -> None:
    await admin.new_staff(SYNC)
    page = await admin.get(AFFILIATIONS)
    form = "//main//form"
    names = {str(n.get("name")) for n in nodes(page, f"{form}//input[@name]")}
    assert {"[05]ptaccess", "[05]teacherloginid", "[05]teacherloginpw"} <= names
    assert {"[05]loginid", "[05]AdminLDAPEnabled"} <= names  # the hidden block
    hidden = hidden_values(page, form)
    assert hidden["ac"] == ["prim", "GetSchoolSwitch"]
    assert hidden["teacherAccessSchoolsAsJSON"] == [""]
    assert (hidden["autoAddHome"], hidden["forcepresavetrigger"]) == (
        ["true"],
        ["true"],
    )
    assert hidden["frn"] == ["0055"] and hidden["TeacherID"] == ["5"]
    assert grid_rows(page) == [
        {
            "schoolid": 0,
            "schoolname": "District Office",
            "homeschool": True,
            "active": True,
            "staffstatus": 2,
        }
    ]


async def test_affiliations_round_trip_through_the_json_field(
    admin: Browser, state_path: Path
) -> None:
    await admin.new_staff(SYNC)
    page = await admin.get(AFFILIATIONS)
    rows = grid_rows(page)
    rows.append(
        {"schoolid": 100, "homeschool": False, "active": True, "staffstatus": 1}
    )
    changes = {"[05]ptaccess": "1", "teacherAccessSchoolsAsJSON": json.dumps(rows)}
    assert confirmed(await admin.submit(page, "", changes))
    staff = load_state(state_path).staff[-1]
    assert staff.ptaccess
    assert [(a.school, a.active, a.staff_type) for a in staff.affiliations] == [
        (0, True, 2),
        (100, True, 1),
    ]
    page = await admin.get(AFFILIATIONS)
    rows = grid_rows(page)
    assert [r["schoolid"] for r in rows] == [0, 100]
    rows[0].update(homeschool=False, active=False)
    rows[1].update(homeschool=True)
    assert confirmed(
        await admin.submit(page, "", {"teacherAccessSchoolsAsJSON": json.dumps(rows)})
    )
    staff = load_state(state_path).staff[-1]
    assert staff.home_school == 100 and not staff.affiliations[0].active
    page = await admin.get(AFFILIATIONS)
    rows = grid_rows(page)
    rows[1]["active"] = False
    response = await admin.submit(
        page, "", {"teacherAccessSchoolsAsJSON": json.dumps(rows)}
    )
    assert alert(response) == "The home school affiliation must be active"


async def test_an_unserialized_grid_changes_no_affiliation(
    admin: Browser, state_path: Path
) -> None:
    """A client that does not run the page's script posts an empty JSON field."""
    await admin.new_staff(SYNC)
    before = load_state(state_path).staff[-1].affiliations
    page = await admin.get(AFFILIATIONS)
    assert confirmed(await admin.submit(page, "", {"[05]ptaccess": "1"}))
    after = load_state(state_path).staff[-1]
    assert after.ptaccess and after.affiliations == before


async def test_posting_the_hidden_admin_block_changes_the_admin_username(
    admin: Browser, state_path: Path
) -> None:
    """Why a client must drop [05]loginid as the page's script does."""
    await admin.new_staff(SYNC)
    page = await admin.get(AFFILIATIONS)
    assert confirmed(await admin.submit(page, "", {"[05]loginid": "someone"}))
    assert load_state(state_path).staff[-1].loginid == "someone"
