"""Staff: Admin Access and Roles, deletion (the other staff pages: test_staff_pages)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from psconfig.sim import SimApp, SimState, load_state
from tests.sim.browser import Browser, alert, confirmed, text_of

pytestmark = pytest.mark.anyio

Edit = Callable[[Callable[[SimState], object]], None]
SYNC_PASSWORD = "Clever-Sync-Pw-42"


async def create_sync(admin: Browser, number: str = "99999") -> httpx.Response:
    values = {
        "Last_Name": "Sync",
        "First_Name": "Clever",
        "teachernumber": number,
        "StaffStatus": "2",
    }
    return await admin.new_staff(values)


async def configure_sign_in(admin: Browser, **extra: str | None) -> httpx.Response:
    page = await admin.get("/admin/faculty/security/adminaccess.html?frn=0055")
    changes: dict[str, str | None] = {
        "psaccess": "1",
        "loginid": "cleversync",
        "password": SYNC_PASSWORD,
        "groupvalue": "12",
        "logintimes": "any",
        "newrole_schools": "0",
        "newrole_group": "",
        **extra,
    }
    return await admin.submit(page, "adminAccessForm", changes)


async def test_admin_access_tab_enables_sign_in(
    admin: Browser, app: SimApp, state_path: Path
) -> None:
    await create_sync(admin)
    page = await admin.get("/admin/faculty/security/adminaccess.html?frn=0055")
    options = text_of(page, '//select[@name="groupvalue"]/option')
    assert options[0] == "No Group Defined" and options[12] == "Group 12 (12)"
    assert confirmed(await configure_sign_in(admin))
    staff = load_state(state_path).staff[-1]
    assert (staff.psaccess, staff.loginid, staff.groupvalue) == (True, "cleversync", 12)
    assert [(r.school, r.group) for r in staff.roles] == [(0, None)]
    assert staff.password is not None
    assert SYNC_PASSWORD not in state_path.read_text()
    page = await admin.get("/admin/faculty/security/adminaccess.html?frn=0055")
    assert SYNC_PASSWORD not in page.text
    assert ("password", "") in Browser.form_fields(page, "adminAccessForm")
    sync = Browser(app, ip="10.0.0.5")
    assert (await sync.sign_in("cleversync", SYNC_PASSWORD)).status_code == 302
    await sync.close()


async def test_admin_access_window_ips_and_roles(
    admin: Browser, state_path: Path
) -> None:
    await create_sync(admin)
    window = {
        "logintimes": "restricted",
        "allowloginstart": "06:00",
        "allowloginend": "21:30",
    }
    ips = "54.241.134.131\n50.18.217.135/32\n\n2001:db8::/64"
    assert confirmed(await configure_sign_in(admin, **window, ipaddrrestrict=ips))
    staff = load_state(state_path).staff[-1]
    assert (staff.allow_login_start, staff.allow_login_end) == ("06:00", "21:30")
    assert staff.ipaddrrestrict == [
        "54.241.134.131",
        "50.18.217.135/32",
        "2001:db8::/64",
    ]
    page = await admin.get("/admin/faculty/security/adminaccess.html?frn=0055")
    fields = Browser.form_fields(page, "adminAccessForm")
    assert ("logintimes", "restricted") in fields
    assert text_of(page, "//table[@id='rolesTable']//td[2]") == ["Default Group Access"]
    # Empty password: unchanged. Add a second role at the same school and one at
    # another through the dialog, then remove a row by its own "Remove".
    hash_before = staff.password
    changes = {"newrole_schools": "0", "newrole_group": "9"}
    assert confirmed(await admin.submit(page, "adminAccessForm", changes))
    page = await admin.get("/admin/faculty/security/adminaccess.html?frn=0055")
    changes = {"newrole_schools": "100", "newrole_group": "10"}
    assert confirmed(await admin.submit(page, "adminAccessForm", changes))
    staff = load_state(state_path).staff[-1]
    assert staff.password == hash_before
    roles = [(r.school, r.group) for r in staff.roles]
    assert roles == [(0, None), (0, 9), (100, 10)]
    page = await admin.get("/admin/faculty/security/adminaccess.html?frn=0055")
    assert text_of(page, "//table[@id='rolesTable']//td[2]")[1].endswith("(9)")
    assert confirmed(await admin.submit(page, "adminAccessForm", {"removerole_0": "1"}))
    assert [(r.school, r.group) for r in load_state(state_path).staff[-1].roles] == [
        (0, 9),
        (100, 10),
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"loginid": "ADMIN"}, "The username ADMIN is already in use"),
        ({"loginid": ""}, "An Admin Username is required to sign in"),
        ({"password": ""}, "An Admin Password is required to sign in"),
        ({"groupvalue": "77"}, "Invalid value for groupvalue: '77'"),
        ({"ipaddrrestrict": "10.0.0.300"}, "Invalid IP address or range: 10.0.0.300"),
        (
            {
                "logintimes": "restricted",
                "allowloginstart": "21:00",
                "allowloginend": "06:00",
            },
            "The sign-in window must end after it starts",
        ),
        ({"allowloginend": None}, "Missing field allowloginend"),
        ({"newrole_schools": "42"}, "Invalid value for newrole_schools: '42'"),
    ],
    ids=[
        "taken",
        "no-username",
        "no-password",
        "bad-group",
        "bad-ip",
        "bad-window",
        "missing",
        "bad-school",
    ],
)
async def test_admin_access_validation(
    admin: Browser, state_path: Path, extra: dict[str, str | None], message: str
) -> None:
    await create_sync(admin)
    before = load_state(state_path)
    response = await configure_sign_in(admin, **extra)
    assert alert(response) == message
    assert load_state(state_path) == before


async def test_delete_staff(admin: Browser, state_path: Path) -> None:
    await create_sync(admin)
    page = await admin.get("/admin/faculty/delete.html?frn=0055")
    response = await admin.submit(page, "deleteStaffForm")
    assert response.status_code == 302
    assert response.headers["location"] == "/admin/faculty/search.html"
    assert [s.teachernumber for s in load_state(state_path).staff] == [
        "1",
        "1001",
        "1002",
        "2001",
    ]
    assert (await admin.get("/admin/faculty/home.html?frn=0055")).status_code == 404


async def test_staff_with_history_cannot_be_deleted(
    admin: Browser, state_path: Path
) -> None:
    page = await admin.get("/admin/faculty/delete.html?frn=0052")
    response = await admin.submit(page, "deleteStaffForm")
    assert response.status_code == 200
    assert alert(response) == (
        "This staff member cannot be deleted because related records exist. "
        "Set the status to No longer here instead."
    )
    assert len(load_state(state_path).staff) == 4


async def test_no_one_deletes_their_own_account(
    admin: Browser, edit_state: Edit
) -> None:
    edit_state(lambda s: setattr(s.staff[0], "has_history", False))
    page = await admin.get("/admin/faculty/delete.html?frn=0051")
    response = await admin.submit(page, "deleteStaffForm")
    assert alert(response) == "You cannot delete the account you are signed in with."
