"""The staff pages as the public stock pages show them, end to end through the driver.

New Staff Member's duplicate check (a real duplicate stops the create, having
created nothing), both eras of New Staff Member and of the header's school switch,
and Teachers and Affiliations posting its grid as JSON without the hidden copy of
the admin sign-in.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

import pytest
from pydantic import SecretStr

from psconfig.errors import DriverError
from psconfig.model import Affiliation, CreateStaff, Scope, UpdateStaff
from psconfig.sim import SimApp, SimState
from tests.driver.asgi import Message, Receive, Rewrite, Send
from tests.driver.conftest import portal, posts
from tests.driver.test_apply import PASSWORD, live_staff, switches, sync_staff
from tests.driver.test_doctor import doctor
from tests.sim.factory import add_user

Edit = Callable[[Callable[[SimState], object]], None]
NEW_STAFF_CHECK = "/admin/faculty/staffcheckduplicates.html"
STAFF_HOME = "/admin/faculty/home.html"


class EmptyStaffLists:
    """Answer every search by staff ID (``selectteacher=teachernumber=...``) with
    no records: a search that misses a record only the duplicate check sees."""

    def __init__(self, app: SimApp) -> None:
        self.app = app

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"").decode()
        if scope.get("path") != STAFF_HOME or "teachernumber" not in query:
            await self.app(scope, receive, send)
            return
        body = b"<html><body><main><p>Staff found: 0</p></main></body></html>"
        headers = [
            (b"content-type", b"text/html"),
            (b"content-length", b"%d" % len(body)),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class PostedBodies:
    """Pass everything through; keep the form fields of each POST by path."""

    def __init__(self, app: SimApp) -> None:
        self.app = app
        self.posted: dict[str, list[list[tuple[str, str]]]] = {}

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        fields = parse_qsl(body.decode(), keep_blank_values=True)
        self.posted.setdefault(str(scope.get("path")), []).append(fields)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


@pytest.mark.anyio
async def test_a_duplicate_the_check_offers_stops_the_create(
    sim: SimApp, edit_state: Edit
) -> None:
    edit_state(
        lambda s: add_user(s, "old", group=None, fields={"teachernumber": "99999"})
    )
    before = len(sim.state.staff)
    async with portal(EmptyStaffLists(sim)) as drv:
        with pytest.raises(DriverError) as caught:
            await drv.apply(CreateStaff(after=sync_staff(), password=None))
    message = str(caught.value)
    assert message.startswith(f"{NEW_STAFF_CHECK}: PowerSchool's duplicate check")
    assert "ID '99999'" in message and "psconfig created nothing" in message
    assert posts(sim, NEW_STAFF_CHECK) == 1
    assert posts(sim, STAFF_HOME) == 0  # the go-ahead was never posted
    assert len(sim.state.staff) == before


@pytest.mark.anyio
async def test_a_name_only_match_is_another_person(
    sim: SimApp, edit_state: Edit
) -> None:
    namesake = {"last_name": "Sync", "first_name": "Clever", "teachernumber": "5"}
    edit_state(lambda s: add_user(s, "namesake", group=None, fields=namesake))
    async with portal(sim) as drv:
        await drv.apply(CreateStaff(after=sync_staff(), password=SecretStr(PASSWORD)))
    assert posts(sim, STAFF_HOME) == 1
    assert await live_staff(sim, "99999") == sync_staff()


@pytest.mark.anyio
async def test_before_2013_and_20x_the_old_pages_work(
    sim: SimApp, edit_state: Edit
) -> None:
    """7.8: New Staff Member posts [05] names to home.html; "School:" switches."""
    edit_state(lambda s: setattr(s, "version", "7.8.1"))
    after = sync_staff(school=100)
    async with portal(sim) as drv:
        await drv.apply(CreateStaff(after=after, password=SecretStr(PASSWORD)))
    assert posts(sim, NEW_STAFF_CHECK) == 0
    assert posts(sim, STAFF_HOME) == 1
    assert posts(sim, "/admin/schoolcontext.html") == 1  # Schoolid + attSubmitButton
    assert await live_staff(sim, "99999") == after


@pytest.mark.anyio
async def test_the_picker_switches_by_the_schools_name(sim: SimApp) -> None:
    after = sync_staff(school=200)
    async with portal(sim) as drv:
        await drv.apply(CreateStaff(after=after, password=SecretStr(PASSWORD)))
    assert switches(sim) == ["/admin/schoolcontext.html?schoolid=200"]
    assert await live_staff(sim, "99999") == after


@pytest.mark.anyio
async def test_affiliations_post_the_grid_json_without_the_admin_copy(
    sim: SimApp,
) -> None:
    before = sync_staff()
    async with portal(sim) as drv:
        await drv.apply(CreateStaff(after=before, password=SecretStr(PASSWORD)))
    watched = PostedBodies(sim)
    after = before.model_copy(
        update={
            "teacher_access": True,
            "affiliations": (
                *before.affiliations,
                Affiliation(school=100, staff_type="teacher"),
            ),
        }
    )
    async with portal(watched) as drv:
        await drv.apply(UpdateStaff(before=before, after=after))
    [fields] = watched.posted["/admin/faculty/security/affiliations.html"]
    names = [name for name, _ in fields]
    assert "[05]loginid" not in names and "[05]AdminLDAPEnabled" not in names
    assert names.count("ac") == 2 and ("[05]ptaccess", "1") in fields
    grid = dict(fields)["teacherAccessSchoolsAsJSON"]
    assert '"schoolid": 100' in grid and '"staffstatus": 1' in grid
    assert await live_staff(sim, "99999") == after
    assert sim.state.staff[-1].loginid == "cleversync"  # untouched


@pytest.mark.anyio
async def test_staff_are_found_by_record_links_and_confirmed_on_their_page(
    sim: SimApp,
) -> None:
    async with portal(sim) as drv:
        staff = (await drv.read(Scope(staff_ids=frozenset({"1001", "4242"})))).staff
    assert set(staff) == {"1001"}
    assert staff["1001"].last_name == "Smith"


@pytest.mark.anyio
async def test_a_staff_id_on_two_records_stops_the_read(sim: SimApp) -> None:
    # Jones, Bob's record shows Smith, Alice's staff ID (a district's duplicate).
    twin = Rewrite(
        sim,
        'name="[05]teachernumber" value="1002"',
        'name="[05]teachernumber" value="1001"',
    )
    async with portal(twin) as drv:
        with pytest.raises(DriverError, match="staff ID '1001' is on several records"):
            await drv.read(Scope(staff_ids=frozenset({"1001", "1002"})))


@pytest.mark.anyio
async def test_a_record_the_search_lists_counts_only_with_the_asked_id(
    sim: SimApp,
) -> None:
    # A search that also lists Jones, Bob (1002, frn 0053) when asked for 1001.
    extra = '<a href="/admin/faculty/home.html?frn=0053">Jones, Bob</a>'
    listing = Rewrite(sim, "Staff found: 1</p>", f"Staff found: 1</p>{extra}")
    async with portal(listing) as drv:
        staff = (await drv.read(Scope(staff_ids=frozenset({"1001"})))).staff
    assert set(staff) == {"1001"}
    # The extra record was looked at, and left out for its own ID.
    assert "/admin/faculty/edit.html?frn=0053" in [r.path for r in sim.requests]


@pytest.mark.anyio
@pytest.mark.parametrize("version", ["7.8.1", "12.1.0", "25.3.0.1"])
async def test_doctor_checks_the_staff_pages_and_header_of_each_era(
    sim: SimApp, edit_state: Edit, version: str
) -> None:
    edit_state(lambda s: setattr(s, "version", version))
    report = await doctor(sim)
    mine = ("/admin/faculty/", "/admin/home.html", "/admin/schoolcontext.html")
    failed = [
        c for c in report.checks if c.status == "fail" and c.page.startswith(mine)
    ]
    assert failed == []
    fields = {(c.page.split("?")[0], c.field) for c in report.checks}
    prefix = "[05]" if version == "7.8.1" else ""
    assert ("/admin/faculty/new.html", f"{prefix}Last_Name") in fields
    assert ("/admin/faculty/edit.html", "[05]status") in fields
    picker = version == "25.3.0.1"
    assert (("/admin/schoolcontext.html", "Schoolid") in fields) is not picker
