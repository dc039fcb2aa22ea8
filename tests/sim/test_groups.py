"""Security groups: the guide's seeded table, Edit Group round trips, Add Groups."""

from __future__ import annotations

from pathlib import Path

import pytest

from psconfig.sim import load_state
from psconfig.sim.state import Flavor
from tests.sim.browser import Browser, alert, confirmed, text_of

pytestmark = pytest.mark.anyio

GUIDE_TABLE = [
    ("1", "Unassigned", "No Access"),
    ("2", "Admin", "View & Modify"),
    ("3", "Counselors", "View & Modify"),
    ("4", "Registrar", "View & Modify"),
    ("5", "Nurse", "View & Modify"),
    ("6", "Resource Officer", "View Only"),
    ("7", "Teachers", "View & Modify"),
    ("8", "View Only", "View & Modify"),
    ("9", "Administrator", "View & Modify"),
    ("10", "Principal", "View & Modify"),
    ("11", "SPED Teachers", "View Only"),
    ("12", "Group 12", "View Only"),
    ("13", "Group 13", "View Only"),
]
EDIT_12 = "/admin/security/groups/edit.html?group=12"


async def test_groups_list_is_the_guides_table(admin: Browser, flavor: Flavor) -> None:
    page = await admin.get("/admin/security/groups/home.html")
    assert text_of(page, '//p[@id="groupCount"]') == [
        "Current Number of Security Groups: 13"
    ]
    rows = list(
        zip(
            text_of(page, '//tr[@data-group]/td[@class="number"]'),
            text_of(page, '//tr[@data-group]/td[@class="name"]'),
            text_of(page, '//tr[@data-group]/td[@class="access"]'),
            strict=True,
        )
    )
    modify = "View & Modify" if flavor == "legacy" else "View and Modify"
    assert rows == [
        (n, name, a.replace("View & Modify", modify)) for n, name, a in GUIDE_TABLE
    ]
    assert set(text_of(page, '//tr[@data-group]/td[@class="rqp"]')) == {"0"}


async def test_edit_group_round_trip(
    admin: Browser, flavor: Flavor, state_path: Path
) -> None:
    page = await admin.get(EDIT_12)
    view_only = "1" if flavor == "legacy" else "view"
    assert ("accesslevel", view_only) in Browser.form_fields(page, "groupForm")
    changes = {
        "name": "Read-Only Export",
        "accesslevel": view_only,
        "canmodifyschedules": "0",
        "reportqueuepriority": "0",
        "logtypes": ["-100003", "-100000"],
        "incidenttypes": ["VAN"],
        "powerscheduler": "1",
        "health_screening": "1",
    }
    response = await admin.submit(page, "groupForm", changes)
    assert response.status_code == 200
    assert confirmed(response)
    group = load_state(state_path).groups[11]
    assert group.name == "Read-Only Export"
    assert group.log_types == ["discipline", "attendance"]
    assert group.incident_types == ["VAN"]
    assert group.powerscheduler and not group.translator
    assert group.health.screening == "view_only"
    # Read back through the page: exactly what was posted.
    fields = Browser.form_fields(await admin.get(EDIT_12), "groupForm")
    assert ("name", "Read-Only Export") in fields
    assert [v for k, v in fields if k == "logtypes"] == ["-100000", "-100003"]
    # Unchecking is posting without the box.
    page = await admin.get(EDIT_12)
    response = await admin.submit(
        page, "groupForm", {"logtypes": None, "powerscheduler": None}
    )
    assert confirmed(response)
    group = load_state(state_path).groups[11]
    assert group.log_types == [] and not group.powerscheduler


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reportqueuepriority": None}, "Missing field reportqueuepriority"),
        ({"name": None}, "Missing field name"),
        ({"name": "  "}, "Group Name must be 1 to 60 characters"),
        ({"accesslevel": "everything"}, "Invalid value for accesslevel: 'everything'"),
        ({"logtypes": "-1"}, "Invalid value for logtypes: '-1'"),
        ({"incidenttypes": "XYZ"}, "Invalid value for incidenttypes: 'XYZ'"),
        ({"groupnumber": "11"}, "Group number does not match the group being edited"),
    ],
    ids=[
        "missing-select",
        "missing-text",
        "blank-name",
        "bad-level",
        "bad-log",
        "bad-incident",
        "wrong-number",
    ],
)
async def test_edit_group_validation(
    admin: Browser, state_path: Path, changes: dict[str, str | None], message: str
) -> None:
    before = load_state(state_path)
    page = await admin.get(EDIT_12)
    response = await admin.submit(page, "groupForm", {"name": "Changed", **changes})
    assert response.status_code == 200
    assert alert(response) == message
    assert load_state(state_path) == before
    assert ("name", "Group 12") in Browser.form_fields(response, "groupForm")


async def test_unknown_group_is_not_found(admin: Browser) -> None:
    response = await admin.get("/admin/security/groups/edit.html?group=99")
    assert response.status_code == 404


async def test_add_groups_appends_view_only_groups(
    admin: Browser, state_path: Path
) -> None:
    page = await admin.get("/admin/security/groups/add.html")
    assert text_of(page, '//span[@id="currentCount"]') == ["13"]
    response = await admin.submit(
        page, "addGroupsForm", {"numtoadd": "2", "prefix": "Sync"}
    )
    assert confirmed(response)
    assert text_of(response, '//span[@id="currentCount"]') == ["15"]
    groups = load_state(state_path).groups
    assert [(g.number, g.name, g.access_level) for g in groups[13:]] == [
        (14, "Sync 14", "view_only"),
        (15, "Sync 15", "view_only"),
    ]
    listing = await admin.get("/admin/security/groups/home.html")
    assert "Current Number of Security Groups: 15" in listing.text


async def test_add_groups_stops_at_500(admin: Browser, state_path: Path) -> None:
    page = await admin.get("/admin/security/groups/add.html")
    response = await admin.submit(page, "addGroupsForm", {"numtoadd": "488"})
    assert alert(response) == "Number of Groups to Add must be from 1 to 487"
    response = await admin.submit(
        page, "addGroupsForm", {"numtoadd": "487", "prefix": ""}
    )
    assert confirmed(response)
    state = load_state(state_path)
    assert len(state.groups) == 500 and state.groups[-1].name == "Group 500"
    page = await admin.get("/admin/security/groups/add.html")
    response = await admin.submit(page, "addGroupsForm", {"numtoadd": "1"})
    assert alert(response) == "There are already 500 security groups"
