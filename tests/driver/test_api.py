"""The plugin-API driver and the simulator's plugin API, over in-process HTTP."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from psconfig.drivers.api import ApiDriver, open_api, plugin_xml
from psconfig.drivers.api.driver import staff_from_rows
from psconfig.errors import AccessDeniedError, DriverError, LoginError, RefusedError
from psconfig.model import Scope, SetPageToggle
from psconfig.sim import SimApp, create_app, save_state, seed_state
from psconfig.sim.plugin_api import install_plugin

CLIENT_ID, SECRET = "client-1", "secret-1"


class Clock:
    """The simulator's local time, moved by the test (no sleeping)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 10, 0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> SimApp:
    path = tmp_path / "sim.json"
    save_state(seed_state(flavor="modern"), path)
    install_plugin(
        path,
        plugin_xml(),
        client_id=CLIENT_ID,
        client_secret=SECRET,
        max_page_size=1,
        token_seconds=3600,
    )
    return create_app(path, clock=clock)


def driver(app: SimApp, secret: str = SECRET) -> ApiDriver:
    return open_api("http://ps.test", SecretStr(CLIENT_ID), SecretStr(secret), app=app)


def every_admin() -> Scope:
    return Scope(groups=frozenset(), pages=frozenset(), staff_ids=None)


@pytest.mark.anyio
async def test_every_admin_account_is_read_across_pages(app: SimApp) -> None:
    async with driver(app) as api:
        live = await api.read(every_admin())
    assert api.info.version == app.state.version and api.info.flavor == "modern"
    admins = {s.teachernumber for s in app.state.staff if s.psaccess}
    assert set(live.staff) == admins and len(admins) >= 1
    users = [
        r.path for r in app.requests if r.path.startswith("/ws/schema/table/users")
    ]
    assert len(users) == len(admins) + 1  # one row a page, then a short page


@pytest.mark.anyio
async def test_an_expired_token_is_replaced_once(app: SimApp, clock: Clock) -> None:
    one = Scope(groups=frozenset(), pages=frozenset(), staff_ids=frozenset({"1"}))
    async with driver(app) as api:
        first = await api.read(one)
        clock.now += timedelta(hours=2)  # the server's token ended; ours thinks not
        again = await api.read(one)
    assert first == again
    tokens = [r for r in app.requests if r.path == "/oauth/access_token"]
    assert len(tokens) == 2
    assert [r.status for r in app.requests].count(401) == 1


@pytest.mark.anyio
async def test_a_wrong_secret_is_a_login_error_naming_no_secret(app: SimApp) -> None:
    with pytest.raises(LoginError) as refused:
        async with driver(app, secret="Not-The-Secret-9"):
            pass
    assert "HTTP 401" in str(refused.value)
    assert "Not-The-Secret-9" not in str(refused.value)


@pytest.mark.anyio
async def test_groups_pages_and_writes_are_refused(app: SimApp) -> None:
    async with driver(app) as api:
        with pytest.raises(DriverError, match="cannot read security groups"):
            await api.read(Scope())
        with pytest.raises(RefusedError, match="read-only"):
            await api.apply(SetPageToggle(on=True))


@pytest.mark.anyio
async def test_the_simulator_refuses_what_the_plugin_was_not_granted(
    app: SimApp,
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ps") as http:
        basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
        issued = await http.post(
            "/oauth/access_token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert issued.status_code == 200
        body = issued.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == "3600"
        bearer = {"Authorization": f"Bearer {body['access_token']}"}
        table = "/ws/schema/table/users"
        ok = await http.get(table, params={"projection": "loginid"}, headers=bearer)
        password = await http.get(
            table, params={"projection": "loginid,password"}, headers=bearer
        )
        other = await http.get("/ws/schema/table/students", headers=bearer)
        anonymous = await http.get(table)
        grant = await http.post(
            "/oauth/access_token",
            data={"grant_type": "password"},
            headers={"Authorization": f"Basic {basic}"},
        )
    assert ok.status_code == 200
    assert set(ok.json()["record"][0]["tables"]["users"]) == {"loginid"}
    assert password.status_code == 403 and "password" in password.json()["message"]
    assert other.status_code == 403
    assert anonymous.status_code == 401
    assert grant.status_code == 400


@pytest.mark.anyio
async def test_a_403_names_the_table(tmp_path: Path) -> None:
    path = tmp_path / "sim.json"
    save_state(seed_state(flavor="modern"), path)
    users_only = plugin_xml().replace('table="SCHOOLSTAFF"', 'table="OTHER"')
    install_plugin(path, users_only, client_id=CLIENT_ID, client_secret=SECRET)
    one = Scope(groups=frozenset(), pages=frozenset(), staff_ids=frozenset({"1"}))
    async with driver(create_app(path)) as api:
        with pytest.raises(AccessDeniedError, match="schoolstaff"):
            await api.read(one)


def test_rows_become_staff_with_the_visible_fields() -> None:
    user = {
        "teachernumber": "7",
        "last_name": "Sync",
        "first_name": "Clever",
        "middle_name": "",
        "email_addr": "",
        "title": "",
        "homeschoolid": "0",
        "psaccess": "1",
        "loginid": "cleversync",
        "adminldapenabled": "0",
        "groupvalue": "12",
        "allowloginstart": "05:00",
        "allowloginend": "22:00",
        "ipaddrrestrict": "192.0.2.1; 192.0.2.2",
        "ptaccess": "0",
    }
    rows = [
        {"schoolid": "100", "status": "2", "staffstatus": "1"},
        {"schoolid": "0", "status": "1", "staffstatus": "2"},
    ]
    staff = staff_from_rows(user, rows)
    access = staff.admin_access
    assert access.default_group == 12 and access.allowed_ips == (
        "192.0.2.1",
        "192.0.2.2",
    )
    assert access.sign_in_window != "any_time"
    assert staff.status == "current" and staff.staff_type == "staff"
    assert [(a.school, a.home, a.active) for a in staff.affiliations] == [
        (0, True, True),
        (100, False, False),
    ]
    anytime = staff_from_rows({**user, "allowloginstart": "", "allowloginend": ""}, [])
    assert anytime.admin_access.sign_in_window == "any_time"
