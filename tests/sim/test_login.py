"""Sign-in/out, lockout, idle expiry, sign-in window, allowed IPs, school context."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from psconfig.sim import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    SimApp,
    SimState,
    create_app,
    load_state,
)
from psconfig.sim.pcas import pcas_password
from psconfig.sim.state import Flavor
from tests.sim.browser import Browser, alert, nodes, text_of
from tests.sim.conftest import FakeClock
from tests.sim.factory import PASSWORD, add_user

pytestmark = pytest.mark.anyio

INVALID = "Invalid Username or Password!"
DISABLED = (
    "Sign in from this IP address has been disabled. Your account has been locked."
)
NOT_ALLOWED = "You are not allowed to sign in at this time or from this location."
Edit = Callable[[Callable[[SimState], object]], None]


async def test_sign_in_page_matches_the_flavor(anon: Browser, flavor: Flavor) -> None:
    page = await anon.get("/admin/pw.html")
    fields = dict(Browser.form_fields(page, "LoginForm"))
    assert set(fields) == {"pstoken", "ldappassword", "username", "password"}
    legacy = flavor == "legacy"
    assert ('<script src="/admin/javascript/md5.js">' in page.text) is legacy
    assert (re.search(r'var pskey = "[0-9A-F]{32}";', page.text) is not None) is legacy
    # Real pages load the hashing functions from md5.js; none is spelled inline.
    assert "hex_hmac_md5" not in page.text
    version = "23.10.0.2" if legacy else "25.3.0.1"
    (legal,) = text_of(page, '//div[@id="legal"]')
    assert legal.startswith(f"PowerSchool SIS Version {version}")
    assert "PS Server Uptime:" in legal
    cookie = "psaid" if legacy else "JSESSIONID"
    assert cookie in page.cookies


async def test_demo_admin_signs_in(anon: Browser) -> None:
    response = await anon.sign_in(DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    assert response.status_code == 302
    assert response.headers["location"] == "/admin/home.html"
    home = await anon.get("/admin/home.html")
    assert home.status_code == 200
    assert text_of(home, '//span[@id="userName"]') == ["Administrator, Demo"]
    assert text_of(
        home, '//button[@id="school_picker_adminSchoolPicker_toggle_btn"]'
    ) == ["District Office"]


async def test_wrong_password_shows_the_sign_in_page(anon: Browser) -> None:
    response = await anon.sign_in(DEMO_ADMIN_USERNAME, "not-it")
    assert response.status_code == 200
    assert alert(response) == INVALID
    assert 'id="LoginForm"' in response.text
    assert (await anon.get("/admin/home.html")).status_code == 302


async def test_each_flavor_accepts_only_its_own_scheme(
    anon: Browser, flavor: Flavor
) -> None:
    page = await anon.get("/admin/pw.html")
    found = re.search(r'var pskey = "(\w+)"', page.text)
    key = found.group(1) if found else "0" * 32
    # The other generation's password field: hashed for modern, plain for legacy.
    other = (
        DEMO_ADMIN_PASSWORD
        if flavor == "legacy"
        else pcas_password(key, DEMO_ADMIN_PASSWORD)
    )
    changes = {"username": DEMO_ADMIN_USERNAME, "password": other}
    response = await anon.submit(page, "LoginForm", changes)
    assert alert(response) == INVALID


@pytest.mark.parametrize("flavor", ["legacy"], indirect=True)
async def test_legacy_accepts_the_public_admin_clients_post(anon: Browser) -> None:
    """Exactly the four fields bscpm.js posts: no contextData, no dbpw."""
    page = await anon.get("/admin/pw.html")
    found = re.search(r'var pskey = "(\w+)"', page.text)
    token = dict(Browser.form_fields(page, "LoginForm"))["pstoken"]
    assert found is not None
    posted = [
        ("username", DEMO_ADMIN_USERNAME),
        ("password", pcas_password(found.group(1), DEMO_ADMIN_PASSWORD)),
        ("ldappassword", DEMO_ADMIN_PASSWORD),
        ("pstoken", token),
    ]
    response = await anon.post("/admin/home.html", posted)
    assert response.status_code == 302
    assert response.headers["location"] == "/admin/home.html"


@pytest.mark.parametrize(
    ("markers", "script", "pskey"),
    [("pskey_without_md5js", False, True), ("md5js_without_pskey", True, False)],
)
async def test_the_markers_knob_renders_a_contradictory_page(
    anon: Browser, edit_state: Edit, markers: str, script: bool, pskey: bool
) -> None:
    edit_state(lambda s: setattr(s.settings, "signin_markers", markers))
    page = await anon.get("/admin/pw.html")
    assert ('src="/admin/javascript/md5.js"' in page.text) is script
    assert ("var pskey" in page.text) is pskey


async def test_sign_in_without_the_page_token_is_refused(anon: Browser) -> None:
    await anon.get("/admin/pw.html")
    response = await anon.post(
        "/admin/home.html",
        [("username", DEMO_ADMIN_USERNAME), ("password", DEMO_ADMIN_PASSWORD)],
    )
    assert response.status_code == 400
    assert "Invalid pstoken" in response.text


async def test_lockout_disables_the_ip_and_persists(
    anon: Browser, app: SimApp, state_path: Path, clock: FakeClock
) -> None:
    for attempt in range(1, 6):
        response = await anon.sign_in(DEMO_ADMIN_USERNAME, "wrong")
        assert alert(response) == (DISABLED if attempt == 5 else INVALID)
    response = await anon.sign_in(DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    assert alert(response) == DISABLED
    state = load_state(state_path)
    assert state.locked_accounts == ["admin"]
    assert state.disabled_ips == ["127.0.0.1"]
    # A new simulator instance on the same file still refuses this IP ...
    fresh = Browser(create_app(state_path, clock=clock))
    response = await fresh.sign_in(DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    assert alert(response) == DISABLED
    # ... and the locked account, from any IP.
    elsewhere = Browser(app, ip="10.9.8.7")
    response = await elsewhere.sign_in(DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    assert alert(response) == DISABLED
    await fresh.close()
    await elsewhere.close()


async def test_success_resets_the_failure_count(
    anon: Browser, edit_state: Edit
) -> None:
    edit_state(lambda s: setattr(s.settings, "lockout_threshold", 2))
    assert alert(await anon.sign_in(DEMO_ADMIN_USERNAME, "wrong")) == INVALID
    ok = await anon.sign_in(DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    assert ok.status_code == 302
    assert alert(await anon.sign_in(DEMO_ADMIN_USERNAME, "wrong")) == INVALID


@pytest.mark.parametrize(
    "fields", [{"psaccess": False}, {"status": 2}], ids=["no-admin-access", "gone"]
)
async def test_users_who_may_not_sign_in_look_like_bad_passwords(
    anon: Browser, edit_state: Edit, fields: dict[str, object]
) -> None:
    edit_state(lambda s: add_user(s, "someone", group=9, fields=fields))
    assert alert(await anon.sign_in("someone", PASSWORD)) == INVALID


async def test_protected_pages_redirect_to_sign_in(anon: Browser) -> None:
    for path in ("/admin/home.html", "/admin/security/groups/home.html"):
        response = await anon.get(path)
        assert response.status_code == 302
        assert response.headers["location"] == "/admin/pw.html"


async def test_idle_sessions_expire(admin: Browser, clock: FakeClock) -> None:
    assert (await admin.get("/admin/home.html")).status_code == 200
    clock.now += timedelta(seconds=1799)
    assert (await admin.get("/admin/home.html")).status_code == 200
    clock.now += timedelta(seconds=1801)
    response = await admin.get("/admin/home.html")
    assert response.status_code == 302
    assert response.headers["location"] == "/admin/pw.html"


async def test_sign_out_ends_the_session(admin: Browser) -> None:
    response = await admin.get("/admin/logout.html")
    assert response.status_code == 302
    assert (await admin.get("/admin/home.html")).status_code == 302


async def test_sign_in_window_is_enforced_at_sign_in_and_after(
    anon: Browser, edit_state: Edit, clock: FakeClock
) -> None:
    window = {"allow_login_start": "07:00", "allow_login_end": "08:00"}
    edit_state(lambda s: add_user(s, "early", group=9, fields=window))
    clock.now = datetime(2025, 9, 1, 6, 59)
    assert alert(await anon.sign_in("early", PASSWORD)) == NOT_ALLOWED
    clock.now = datetime(2025, 9, 1, 7, 30)
    assert (await anon.sign_in("early", PASSWORD)).status_code == 302
    assert (await anon.get("/admin/home.html")).status_code == 200
    clock.now = datetime(2025, 9, 1, 8, 0)
    assert (await anon.get("/admin/home.html")).status_code == 302


async def test_a_fixed_clock_in_the_state_file_rules_the_window(
    anon: Browser, edit_state: Edit
) -> None:
    def setup(state: SimState) -> None:
        window = {"allow_login_start": "22:00", "allow_login_end": "23:00"}
        add_user(state, "night", group=9, fields=window)
        state.settings.clock = datetime(2025, 9, 1, 22, 30)

    edit_state(setup)
    assert (await anon.sign_in("night", PASSWORD)).status_code == 302


async def test_allowed_ips_are_enforced(app: SimApp, edit_state: Edit) -> None:
    edit_state(
        lambda s: add_user(
            s, "sync", group=9, fields={"ipaddrrestrict": ["10.0.0.0/8"]}
        )
    )
    outside, inside = Browser(app), Browser(app, ip="10.1.2.3")
    assert alert(await outside.sign_in("sync", PASSWORD)) == NOT_ALLOWED
    assert (await inside.sign_in("sync", PASSWORD)).status_code == 302
    assert (await inside.get("/admin/home.html")).status_code == 200
    await outside.close()
    await inside.close()


async def test_revoking_admin_access_ends_live_sessions(
    app: SimApp, edit_state: Edit
) -> None:
    edit_state(lambda s: add_user(s, "temp", group=9))
    browser = Browser(app)
    assert (await browser.sign_in("temp", PASSWORD)).status_code == 302
    edit_state(lambda s: setattr(s.staff[-1], "psaccess", False))
    assert (await browser.get("/admin/home.html")).status_code == 302
    await browser.close()


PICKER = "school_picker_adminSchoolPicker_toggle_btn"


async def test_the_school_picker_shows_and_switches_the_school(admin: Browser) -> None:
    """20.x+: no data-school; the toggle button's text is the school's name."""
    home = await admin.get("/admin/home.html")
    assert "data-school" not in home.text
    assert text_of(home, f'//button[@id="{PICKER}"]') == ["District Office"]
    items = '//ul[@id="school_choices"]/li[@role="menuitem"]/a'
    assert text_of(home, items) == [
        "District Office",
        "Springfield High",
        "Lincoln Elementary",
    ]
    [item] = nodes(home, f'{items}[text()="Springfield High"]')
    assert (await admin.get(str(item.get("href")))).status_code == 302
    home = await admin.get("/admin/home.html")
    assert text_of(home, f'//button[@id="{PICKER}"]') == ["Springfield High"]


async def test_the_older_header_switches_through_the_school_link(
    admin: Browser, edit_state: Edit
) -> None:
    """Before 20.x: a "School:" link to a Schoolid select and attSubmitButton."""
    edit_state(lambda s: setattr(s, "version", "12.1.2"))
    home = await admin.get("/admin/home.html")
    assert nodes(home, f'//*[@id="{PICKER}"]') == []
    [link] = nodes(home, '//a[text()="School:"]')
    href = str(link.get("href"))
    page = await admin.get(href)
    options = text_of(page, '//select[@name="Schoolid"]/option')
    assert options == ["District Office", "Springfield High", "Lincoln Elementary"]
    assert nodes(page, '//input[@name="attSubmitButton"]')
    response = await admin.submit(page, "", {"Schoolid": "100"})
    assert response.status_code == 302
    home = await admin.get("/admin/home.html")
    assert text_of(home, '//a[text()="School:"]/following-sibling::span[1]') == [
        "Springfield High"
    ]
    page = await admin.get(href)
    response = await admin.submit(page, "", {"Schoolid": "999"})
    assert alert(response) == "Invalid school: '999'"


async def test_a_school_user_sees_only_its_schools(
    app: SimApp, edit_state: Edit
) -> None:
    edit_state(lambda s: add_user(s, "principal", group=10, school=100))
    browser = Browser(app)
    await browser.sign_in("principal", PASSWORD)
    page = await browser.get("/admin/schoolcontext.html")
    assert text_of(page, '//select[@name="Schoolid"]/option') == ["Springfield High"]
    await browser.close()


async def test_posts_need_the_session_pstoken(admin: Browser) -> None:
    page = await admin.get("/admin/security/changepageaccesspriv.html")
    response = await admin.submit(page, "pagePrivForm", {"pstoken": "forged"})
    assert response.status_code == 400
    assert "Invalid pstoken" in response.text


async def test_a_lockout_stops_sign_ins_not_open_sessions(
    admin: Browser, app: SimApp
) -> None:
    intruder = Browser(app)  # same client IP as the signed-in admin
    for _ in range(5):
        await intruder.sign_in(DEMO_ADMIN_USERNAME, "guess")
    assert (await admin.get("/admin/home.html")).status_code == 200
    await intruder.close()
