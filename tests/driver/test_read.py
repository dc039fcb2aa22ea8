"""A full read matches the simulator's state file, in both flavors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from psconfig.errors import DriverError
from psconfig.model import Scope, SetPageToggle
from psconfig.sim import SimApp, SimState
from psconfig.sim.state import SimRole
from tests.driver.asgi import Message, Receive, Send
from tests.driver.conftest import portal
from tests.driver.expected import expected_state
from tests.sim.factory import add_user

DDE = ("/admin/tech/dde/home.html", "/admin/tech/dde/exportrecords.html")
TOGGLE = "/admin/security/changepageaccesspriv.html"


def _customize(state: SimState) -> None:
    """Give the read something beyond the seed: overrides, a restricted user."""
    state.page_permissions = {
        DDE[0]: {12: "full", 3: "none", 4: "group_default"},
        DDE[1]: {12: "view_only"},
    }
    sync = add_user(state, "cleversync", group=12, school=0)
    sync.ipaddrrestrict = ["54.241.134.131", "10.0.0.0/8"]
    sync.allow_login_start, sync.allow_login_end = "06:00", "21:30"
    sync.roles = [SimRole(school=0), SimRole(school=100, group=11)]
    sync.email_addr = "sync@example.org"


@pytest.mark.anyio
async def test_full_read_matches_the_state_file(
    sim: SimApp, edit_state: Callable[[Callable[[SimState], object]], None]
) -> None:
    edit_state(_customize)
    async with portal(sim) as drv:
        assert drv.info.flavor == sim.state.flavor
        assert drv.info.version == sim.state.version
        live = await drv.read(Scope(pages=frozenset(DDE)))
    assert live == expected_state(sim.state, pages=DDE)
    assert "cleversync" in {s.admin_access.username for s in live.staff.values()}


@pytest.mark.anyio
async def test_toggle_is_turned_on_for_the_read_and_restored(sim: SimApp) -> None:
    async with portal(sim) as drv:
        live = await drv.read(Scope(pages=frozenset(DDE)))
        assert drv.notes == [
            "turned the page-permission toggle on to read page permissions, then off"
        ]
    assert live.page_toggle is False
    assert sim.state.page_toggle is False
    writes = [r.path for r in sim.requests if r.is_write]
    assert writes.count("/admin/security/changepageaccesspriv.html") == 2


@pytest.mark.anyio
async def test_read_without_pages_sends_no_write(sim: SimApp) -> None:
    async with portal(sim) as drv:
        await drv.read(Scope())
        assert drv.notes == []
    assert [r.path for r in sim.requests if r.is_write] == ["/admin/home.html"]


@pytest.mark.anyio
async def test_toggle_for_read_can_be_forbidden(sim: SimApp) -> None:
    async with portal(sim, allow_toggle_for_read=False) as drv:
        with pytest.raises(DriverError, match="toggle is off"):
            await drv.read(Scope(pages=frozenset(DDE)))
    assert sim.state.page_toggle is False


@pytest.mark.anyio
async def test_scoped_read_covers_exactly_the_scope(
    sim: SimApp, edit_state: Callable[[Callable[[SimState], object]], None]
) -> None:
    edit_state(_customize)
    sync = next(s for s in sim.state.staff if s.loginid == "cleversync")
    async with portal(sim) as drv:
        live = await drv.read(
            Scope(
                groups=frozenset({12, 99}),
                staff_ids=frozenset({sync.teachernumber, "no-such-id"}),
            )
        )
    assert set(live.groups) == {12}
    assert set(live.staff) == {sync.teachernumber}
    assert live.page_permissions == {}


class _SecondToggleFails:
    """Answer the second toggle post 500 without passing it on (not saved)."""

    def __init__(self, app: SimApp) -> None:
        self.app, self.seen = app, 0

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope.get("method") == "POST" and scope.get("path") == TOGGLE:
            self.seen += 1
            if self.seen == 2:
                start = {"type": "http.response.start", "status": 500, "headers": []}
                await send(start)
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)


@pytest.mark.anyio
async def test_a_toggle_left_on_fails_the_session_before_any_write(
    sim: SimApp,
) -> None:
    """The bracket's "off" runs beside later reads, but is settled before a write."""
    async with portal(_SecondToggleFails(sim)) as drv:
        await drv.read(Scope(pages=frozenset(DDE)))
        with pytest.raises(DriverError, match="not saved"):
            await drv.apply(SetPageToggle(on=False))
    assert sim.state.page_toggle is True  # left on, and the session said so
    assert [r.path for r in sim.requests if r.is_write].count(TOGGLE) == 1
