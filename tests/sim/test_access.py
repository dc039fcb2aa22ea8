"""Access enforcement: the effective-level rules, a View Only user, the Clever account.

The Clever test follows the guide step by step through the admin's browser, then
signs in as the sync account: it can run a DDE export end to end and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from psconfig.sim import SimApp, SimState, load_state, seed_state
from psconfig.sim.access import Level, effective_level, group_level
from psconfig.sim.state import Flavor
from tests.sim.browser import Browser, confirmed, nodes, text_of
from tests.sim.factory import PASSWORD, add_user

pytestmark = pytest.mark.anyio

Edit = Callable[[Callable[[SimState], object]], None]
DDE = "/admin/tech/dde/home.html"
EXPORT = "/admin/tech/dde/exportrecords.html"
DENIED_VIEW = "You do not have permission to view this page."
DENIED_MODIFY = "You do not have permission to modify this page."
SYNC_PASSWORD = "Clever-Sync-Pw-42"


@pytest.mark.parametrize(
    ("access", "path", "expected"),
    [
        ("view_and_modify", "/admin/security/groups/home.html", Level.FULL),
        ("view_only", "/admin/security/groups/home.html", Level.NONE),
        ("view_only", "/admin/tech/dde/home.html", Level.NONE),
        ("view_only", "/admin/faculty/search.html", Level.NONE),
        ("view_only", "/admin/students/home.html", Level.VIEW),
        ("no_access", "/admin/students/home.html", Level.NONE),
        ("view_and_modify", "/admin/students/home.html", Level.FULL),
    ],
)
def test_group_defaults(access: str, path: str, expected: Level) -> None:
    state = seed_state()
    group = state.groups[11]
    group.access_level = access  # type: ignore[assignment]
    assert group_level(state, group, path) is expected


def test_overrides_and_the_highest_level_wins() -> None:
    state = seed_state()
    admin = state.staff[0]
    state.page_permissions[DDE] = {9: "none", 12: "full"}
    assert effective_level(state, admin, 0, DDE) is Level.NONE
    state.page_permissions[DDE][9] = "group_default"  # the same as no override
    assert effective_level(state, admin, 0, DDE) is Level.FULL
    # A role at another school adds its group there only.
    admin.groupvalue = 1
    admin.roles[0].group = None
    admin.roles.append(admin.roles[0].model_copy(update={"school": 100, "group": 12}))
    assert effective_level(state, admin, 0, DDE) is Level.NONE
    assert effective_level(state, admin, 100, DDE) is Level.FULL


async def test_view_only_user_can_look_but_not_post(
    app: SimApp, edit_state: Edit
) -> None:
    groups_edit = "/admin/security/groups/edit.html"

    def setup(state: SimState) -> None:
        add_user(state, "officer", group=6)  # Resource Officer: View Only
        state.page_permissions[groups_edit] = {6: "view_only"}

    edit_state(setup)
    officer = Browser(app)
    assert (await officer.sign_in("officer", PASSWORD)).status_code == 302
    assert (await officer.get("/admin/home.html")).status_code == 200
    assert (await officer.get("/admin/students/home.html")).status_code == 200
    assert (
        await officer.get("/admin/students/log.html?type=discipline")
    ).status_code == 200
    denied = await officer.get("/admin/security/groups/home.html")
    assert denied.status_code == 403
    assert text_of(denied, "//h1") == ["Access Denied"]
    assert DENIED_VIEW in denied.text
    page = await officer.get(f"{groups_edit}?group=12")
    assert page.status_code == 200
    response = await officer.submit(page, "groupForm", {"name": "Hijacked"})
    assert response.status_code == 403
    assert DENIED_MODIFY in response.text
    assert load_state(app.state_path).groups[11].name == "Group 12"
    for path in (
        "/admin/students/log.html?type=health",
        "/admin/students/health/screening.html",
    ):
        assert (await officer.get(path)).status_code == 403
    await officer.close()


async def _set_group_12(admin: Browser, flavor: Flavor) -> None:
    page = await admin.get("/admin/security/groups/edit.html?group=12")
    changes = {
        "name": "Read-Only Export",
        "accesslevel": "1" if flavor == "legacy" else "view",
        "canmodifyschedules": "0",
        "reportqueuepriority": "0",
        "logtypes": None,
        "powerscheduler": None,
        "translator": None,
    }
    assert confirmed(await admin.submit(page, "groupForm", changes))


async def _grant_dde(admin: Browser, flavor: Flavor) -> None:
    toggle = await admin.get("/admin/security/changepageaccesspriv.html")
    field, on = (
        ("modifypermissions", "1")
        if flavor == "legacy"
        else ("enablepagepermissions", "true")
    )
    assert confirmed(await admin.submit(toggle, "pagePrivForm", {field: on}))
    full = "2" if flavor == "legacy" else "edit"
    for page_path in (DDE, EXPORT):
        page = await admin.get(page_path)
        (link,) = nodes(page, '//a[@id="modifyAccessLink"]')
        editor = await admin.get(str(link.get("href")))
        assert confirmed(
            await admin.submit(editor, "pageAccessForm", {"group_12": full})
        )


async def _create_sync_user(admin: Browser) -> None:
    values = {"Last_Name": "Sync", "First_Name": "Clever", "teachernumber": "99999"}
    created = await admin.new_staff({**values, "StaffStatus": "2"})
    frn = created.headers["location"].split("frn=")[1]
    page = await admin.get(f"/admin/faculty/security/adminaccess.html?frn={frn}")
    changes = {
        "psaccess": "1",
        "loginid": "cleversync",
        "password": SYNC_PASSWORD,
        "groupvalue": "12",
        "logintimes": "any",
        "newrole_schools": "0",
    }
    assert confirmed(await admin.submit(page, "adminAccessForm", changes))


async def test_clever_account_exports_through_dde_and_nothing_else(
    admin: Browser, app: SimApp, flavor: Flavor
) -> None:
    await _set_group_12(admin, flavor)
    await _grant_dde(admin, flavor)
    await _create_sync_user(admin)
    clever = Browser(app, ip="54.241.134.131")
    assert (await clever.sign_in("cleversync", SYNC_PASSWORD)).status_code == 302
    # DDE, end to end: select every student, export two fields.
    page = await clever.get(DDE)  # Students is the table it opens on
    selected = await clever.submit(page, "ddeForm", {"searchselectall": "1"})
    assert text_of(selected, '//p[@id="selectionCount"]') == ["7 records selected"]
    export = await clever.get(EXPORT)
    changes = {
        "tt": "Student_Number\nLast_Name",
        "fielddelim": "comma",
        "recdelim": "lf",
    }
    download = await clever.submit(export, "exportForm", changes)
    assert download.status_code == 200
    assert (
        download.headers["content-disposition"]
        == "attachment; filename=student.export.text"
    )
    assert download.text.splitlines()[:2] == [
        "Student_Number,Last_Name",
        "100001,Anderson",
    ]
    # Everything else is closed: security, staff, logs, health, PowerScheduler.
    closed = [
        "/admin/security/groups/home.html",
        "/admin/security/groups/edit.html?group=12",
        "/admin/security/changepageaccesspriv.html",
        f"/admin/security/pageaccess.html?page={DDE}",
        "/admin/faculty/search.html",
        "/admin/faculty/new.html",
        "/admin/faculty/home.html?frn=0055",
        "/admin/faculty/security/adminaccess.html?frn=0055",
        "/admin/scheduling/powerscheduler/home.html",
        *(
            f"/admin/students/log.html?type={t}"
            for t in (
                "discipline",
                "health",
                "counselor",
                "attendance",
                "parent_contact",
                "grade_change",
            )
        ),
        *(
            f"/admin/students/health/{a}.html"
            for a in ("certification", "immunization", "officevisit", "screening")
        ),
    ]
    for path in closed:
        response = await clever.get(path)
        assert response.status_code == 403, path
        assert DENIED_VIEW in response.text
    await clever.close()


async def test_roles_give_a_school_its_own_group(app: SimApp, edit_state: Edit) -> None:
    def setup(state: SimState) -> None:
        add_user(
            state,
            "split",
            group=1,
            fields={"roles": [{"school": 0}, {"school": 100, "group": 9}]},
        )
        state.staff[-1].affiliations.append(
            state.staff[-1].affiliations[0].model_copy(update={"school": 100})
        )

    edit_state(setup)
    browser = Browser(app)
    await browser.sign_in("split", PASSWORD)
    assert (await browser.get("/admin/home.html")).status_code == 403  # No Access at DO
    page = await browser.get("/admin/schoolcontext.html")
    await browser.submit(page, "", {"Schoolid": "100"})
    assert (await browser.get("/admin/security/groups/home.html")).status_code == 200
    await browser.close()
