"""Doctor: green on both flavors, the mismatch listed, captures that leak nothing."""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from psconfig.drivers.portal import AsgiApp
from psconfig.drivers.portal.learning.doctor import DoctorReport, run_doctor
from psconfig.model import Flavor
from psconfig.sim import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, SimApp, SimState
from tests.driver.asgi import CookieSpy, Rewrite
from tests.driver.conftest import FAST, SIM_URL
from tests.sim.factory import add_user

CANARY_PASSWORD = "Canary-Pw-7f3a9c"
CANARY_EMAIL = "canary.person@district.example"
CANARY_IP = "203.0.113.77"


async def doctor(
    app: AsgiApp,
    username: str = DEMO_ADMIN_USERNAME,
    password: str = DEMO_ADMIN_PASSWORD,
    **options: object,
) -> DoctorReport:
    return await run_doctor(
        SIM_URL,
        username,
        SecretStr(password),
        app=app,
        retry=FAST,
        **options,  # type: ignore[arg-type]
    )


def failures(report: DoctorReport) -> list[tuple[str, str, str]]:
    return [(c.check, c.page, c.field) for c in report.checks if c.status == "fail"]


@pytest.mark.anyio
async def test_all_green_on_both_flavors(sim: SimApp, flavor: Flavor) -> None:
    report = await doctor(sim)
    assert failures(report) == []
    assert report.ok and report.flavor == flavor
    assert report.version == sim.state.version
    checks = {c.check for c in report.checks}
    assert {
        "reachability",
        "tls",
        "flavor",
        "version",
        "login",
        "page",
        "field",
    } <= checks
    fields = {(c.page.split("?")[0], c.field) for c in report.checks}
    assert ("/admin/security/groups/edit.html", "Access Level") in fields
    assert ("/admin/faculty/security/adminaccess.html", "Roles and Schools") in fields
    skipped = [c for c in report.checks if c.status == "skipped"]
    assert [c.page for c in skipped] == ["/admin/tech/dde/home.html"]
    assert "toggle off" in skipped[0].detail
    assert not [r for r in sim.requests if r.is_write and r.path != "/admin/home.html"]


@pytest.mark.anyio
async def test_editor_is_checked_when_the_toggle_is_on(
    sim: SimApp, edit_state: Callable[[Callable[[SimState], object]], None]
) -> None:
    def toggle_on(state: SimState) -> None:
        state.page_toggle = True

    edit_state(toggle_on)
    report = await doctor(sim)
    assert report.ok
    editor = [
        c for c in report.checks if c.page.startswith("/admin/security/pageaccess")
    ]
    assert {c.field for c in editor} >= {"Filter", "Set All Groups To", "row 1"}
    assert all(c.status == "ok" for c in editor)


@pytest.mark.anyio
async def test_mismatch_is_listed_with_page_field_and_flavor(
    sim: SimApp, flavor: Flavor
) -> None:
    relabelled = Rewrite(
        sim, "<td>Access Level</td>", "<td>Access Level (PowerTeacher)</td>"
    )
    report = await doctor(relabelled)
    assert not report.ok
    assert failures(report) == [
        ("field", "/admin/security/groups/edit.html?group=1", "Access Level")
    ]
    row = next(c for c in report.checks if c.status == "fail")
    assert f"(form map: {flavor})" in row.detail


@pytest.mark.anyio
async def test_refused_sign_in_is_a_failed_row_not_an_exception(sim: SimApp) -> None:
    report = await doctor(sim, password="wrong")
    assert failures(report) == [("login", "/admin/pw.html", "")]
    assert "Invalid Username or Password" in report.checks[-1].detail
    assert sum(1 for r in sim.requests if r.method == "POST") == 1


def _canary_user(state: SimState) -> None:
    user = add_user(state, "canaryadmin", group=9, password=CANARY_PASSWORD)
    user.email_addr = CANARY_EMAIL
    user.ipaddrrestrict = [CANARY_IP, "127.0.0.1"]
    user.last_name, user.first_name = "Zyxwarbler", "Quillon"


@pytest.mark.anyio
async def test_capture_contains_no_password_token_session_or_personal_data(
    sim: SimApp,
    edit_state: Callable[[Callable[[SimState], object]], None],
    tmp_path: Path,
) -> None:
    edit_state(_canary_user)
    spy = CookieSpy(sim)
    report = await doctor(spy, "canaryadmin", CANARY_PASSWORD, capture=tmp_path / "cap")
    assert report.ok, failures(report)
    files = sorted((tmp_path / "cap").iterdir())
    assert [f.name for f in files] == sorted(report.captured)
    assert len(files) >= 15 and spy.values
    text = "\n".join(f.read_text() for f in files)
    leaks = [CANARY_PASSWORD, CANARY_EMAIL, CANARY_IP, "Zyxwarbler", "Quillon"]
    leaks += sorted(spy.values)  # every session cookie the server set
    assert [leak for leak in leaks if leak in text] == []
    assert re.findall(r'name="pstoken" value="(?!REDACTED")', text) == []
    assert re.findall(r"\b[0-9A-Fa-f]{32}\b", text) == []  # no contextData / pskey
    assert "<form" in text and 'name="accesslevel"' in text  # structure kept
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
