"""Fault knobs (latency, 503s, 429s, session expiry, crash) and the request log."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from psconfig.sim import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    SimApp,
    SimFaults,
    SimState,
    create_app,
    load_state,
    request_log_path,
)
from tests.sim.browser import Browser, confirmed

pytestmark = pytest.mark.anyio

Edit = Callable[[Callable[[SimState], object]], None]
GROUP = "/admin/security/groups/edit.html?group=12"


def faults(edit_state: Edit, **knobs: float) -> None:
    edit_state(lambda s: setattr(s, "faults", SimFaults.model_validate(knobs)))


async def test_latency_delays_every_request(
    app: SimApp, anon: Browser, edit_state: Edit
) -> None:
    faults(edit_state, latency_ms=40)
    started = time.perf_counter()
    await anon.get("/admin/pw.html")
    assert time.perf_counter() - started >= 0.04
    assert app.requests[-1].elapsed_ms >= 40


async def test_error_rate_answers_503_deterministically(
    state_path: Path, edit_state: Edit
) -> None:
    faults(edit_state, error_rate=0.5, seed=7)

    async def statuses() -> list[int]:
        browser = Browser(create_app(state_path))
        codes = [(await browser.get("/admin/pw.html")).status_code for _ in range(40)]
        await browser.close()
        return codes

    first, second = await statuses(), await statuses()
    assert first == second
    assert set(first) == {200, 503}
    assert 8 <= first.count(503) <= 32


async def test_a_503_changes_nothing(
    admin: Browser, state_path: Path, edit_state: Edit
) -> None:
    page = await admin.get(GROUP)
    faults(edit_state, error_rate=1.0)
    response = await admin.submit(page, "groupForm", {"name": "Lost"})
    assert response.status_code == 503
    assert load_state(state_path).groups[11].name == "Group 12"


async def test_rate_limit_answers_429_with_retry_after(
    anon: Browser, edit_state: Edit
) -> None:
    faults(edit_state, rate_limit_rate=1.0, retry_after_seconds=7)
    response = await anon.get("/admin/pw.html")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"


async def test_sessions_expire_every_n_signed_in_requests(
    admin: Browser, edit_state: Edit
) -> None:
    faults(edit_state, session_expiry_every=3)
    codes = [(await admin.get("/admin/home.html")).status_code for _ in range(3)]
    assert codes == [200, 200, 302]
    assert (await admin.get("/admin/home.html")).status_code == 302  # it stays ended
    assert (
        await admin.sign_in(DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    ).status_code == 302
    assert (await admin.get("/admin/home.html")).status_code == 200


async def test_crash_after_n_writes(
    admin: Browser, state_path: Path, edit_state: Edit
) -> None:
    faults(edit_state, crash_after_writes=2)
    for name in ("First", "Second"):
        page = await admin.get(GROUP)
        assert confirmed(await admin.submit(page, "groupForm", {"name": name}))
    with pytest.raises(ConnectionResetError):
        await admin.get(GROUP)
    with pytest.raises(ConnectionResetError):
        await admin.get("/admin/pw.html")
    # The file kept every acknowledged write; a new instance serves again.
    assert load_state(state_path).groups[11].name == "Second"
    fresh = Browser(create_app(state_path))
    assert (await fresh.get("/admin/pw.html")).status_code == 200
    await fresh.close()


async def test_an_app_override_replaces_the_files_faults(state_path: Path) -> None:
    app = create_app(state_path, faults=SimFaults(rate_limit_rate=1.0))
    browser = Browser(app)
    assert (await browser.get("/admin/pw.html")).status_code == 429
    assert load_state(state_path).faults == SimFaults()
    await browser.close()


async def test_requests_are_recorded_for_counting(app: SimApp, admin: Browser) -> None:
    assert [(r.method, r.path, r.status, r.is_write) for r in app.requests] == [
        ("GET", "/admin/pw.html", 200, False),
        ("POST", "/admin/home.html", 302, True),
    ]
    app.reset_requests()
    page = await admin.get(GROUP)
    await admin.submit(page, "groupForm", {"name": "Counted"})
    assert [(r.method, r.path, r.status) for r in app.requests] == [
        ("GET", GROUP, 200),
        ("POST", GROUP, 200),
    ]
    assert sum(r.is_write for r in app.requests) == 1


async def test_request_log_file(
    state_path: Path, edit_state: Edit, anon: Browser
) -> None:
    log = request_log_path(state_path)
    assert log == state_path.with_name("sim.requests.jsonl")
    await anon.get("/admin/pw.html")
    assert not log.exists()
    edit_state(lambda s: setattr(s, "request_log", True))
    await anon.get("/admin/pw.html?x=1")
    await anon.get("/nowhere")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["method"], r["path"], r["status"]) for r in lines] == [
        ("GET", "/admin/pw.html?x=1", 200),
        ("GET", "/nowhere", 404),
    ]
    assert set(lines[0]) == {"method", "path", "status", "is_write", "elapsed_ms"}
