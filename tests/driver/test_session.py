"""Sign-in, session expiry, retries and uncertain posts, against the simulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from psconfig.drivers.portal import RetryPolicy, open_portal
from psconfig.errors import (
    ConnectError,
    FormMapError,
    LockedOutError,
    LoginError,
    ServerError,
    SessionExpiredError,
)
from psconfig.model import EnsureGroup, Flavor, Scope
from psconfig.sim import SimApp, SimFaults, SimState, create_app, seed_state
from tests.driver.asgi import (
    ConfirmOnly,
    DiesAfter,
    Flaky,
    Message,
    Peak,
    Receive,
    Send,
)
from tests.driver.conftest import FAST, portal, posts
from tests.driver.expected import expected_state
from tests.properties.harness import (
    SpecParams,
    apply_district,
    plan_district,
    write_district,
)

SIGNIN_POST = "/admin/home.html"
GROUPS = "/admin/security/groups/home.html"
EDIT_12 = "/admin/security/groups/edit.html"
EDIT_12_POST = "/admin/security/groups/edit.html?group=12"


@pytest.mark.anyio
async def test_wrong_password_fails_once_with_a_clear_message(sim: SimApp) -> None:
    with pytest.raises(LoginError) as caught:
        async with portal(sim, password="not-the-password"):
            pass
    assert type(caught.value) is LoginError
    message = str(caught.value)
    assert "Invalid Username or Password" in message
    assert "does not retry" in message and "not-the-password" not in message
    assert posts(sim, SIGNIN_POST) == 1


@pytest.mark.anyio
async def test_lockout_is_reported_as_such(
    sim: SimApp, edit_state: Callable[[Callable[[SimState], object]], None]
) -> None:
    def one_strike(state: SimState) -> None:
        state.settings.lockout_threshold = 1

    edit_state(one_strike)
    with pytest.raises(LoginError):
        async with portal(sim, password="wrong"):
            pass
    with pytest.raises(LockedOutError, match="unlock the account"):
        async with portal(sim):  # the right password, from the disabled IP
            pass
    with pytest.raises(LockedOutError):
        async with portal(sim, client_ip="127.0.0.2"):
            pass  # the account itself is locked too, from any address
    assert posts(sim, SIGNIN_POST) == 3


@pytest.mark.anyio
async def test_explicit_flavor_that_contradicts_the_page(
    sim: SimApp, flavor: Flavor
) -> None:
    other: Flavor = "modern" if flavor == "legacy" else "legacy"
    with pytest.raises(FormMapError) as caught:
        async with portal(sim, flavor=other):
            pass
    assert f"looks like the {flavor} flavor, not {other}" in str(caught.value)
    assert posts(sim, SIGNIN_POST) == 0  # nothing was sent before failing


@pytest.mark.anyio
async def test_session_expiry_mid_run_recovers(state_path: Path) -> None:
    app = create_app(state_path, faults=SimFaults(session_expiry_every=7))
    pages = ("/admin/tech/dde/home.html",)
    expected = expected_state(app.state, pages=pages)
    async with portal(app) as drv:
        live = await drv.read(Scope(pages=frozenset(pages)))
        group = live.groups[12]
        renamed = group.model_copy(update={"name": "Read-Only Export"})
        await drv.apply(EnsureGroup(before=group, after=renamed))
    assert live == expected
    assert posts(app, SIGNIN_POST) > 2  # expired and signed in again, repeatedly
    assert app.state.groups[11].name == "Read-Only Export"
    assert app.state.page_toggle is False  # the read's toggle bracket closed


@pytest.mark.anyio
async def test_expiry_right_after_signing_in_again_gives_up(state_path: Path) -> None:
    app = create_app(state_path, faults=SimFaults(session_expiry_every=1))
    async with portal(app) as drv:
        with pytest.raises(SessionExpiredError, match="ended again"):
            await drv.read(Scope(groups=frozenset({1})))


@pytest.mark.anyio
async def test_requests_that_wait_on_a_failed_re_login_do_not_sign_in_again(
    sim: SimApp, edit_state: Callable[[Callable[[SimState], object]], None]
) -> None:
    def expire_every_request(state: SimState) -> None:
        state.faults.session_expiry_every = 1

    flaky = Flaky(sim, method="POST", path=SIGNIN_POST, statuses=[])
    async with portal(flaky) as drv:
        edit_state(expire_every_request)
        flaky.statuses.append(503)  # the re-login's sign-in fails
        results = await asyncio.gather(
            drv.read(Scope(groups=frozenset({1}))),
            drv.read(Scope(groups=frozenset({2}))),
            return_exceptions=True,
        )
    assert [type(r) for r in results] == [ServerError, ServerError], results
    assert results[0] is results[1]  # the one failure, raised to both
    assert flaky.failed == 1
    assert posts(sim, SIGNIN_POST) == 1  # the first sign-in only: never retried


@pytest.mark.anyio
@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_get_is_retried_on_5xx_and_429(sim: SimApp, status: int) -> None:
    flaky = Flaky(sim, method="GET", path=GROUPS, statuses=[status, status])
    async with portal(flaky) as drv:
        groups = (await drv.read(Scope(groups=frozenset({12})))).groups
    assert groups[12].name == "Group 12" and flaky.failed == 2


@pytest.mark.anyio
async def test_retry_after_is_honoured_up_to_its_cap(sim: SimApp) -> None:
    policy = FAST.model_copy(update={"retry_after_cap": 0.3})
    flaky = Flaky(
        sim, method="GET", path=GROUPS, statuses=[429, 429], retry_after="0.2"
    )
    async with portal(flaky, retry=policy) as drv:
        started = time.monotonic()
        await drv.read(Scope(groups=frozenset({1})))
        elapsed = time.monotonic() - started
    assert 0.4 <= elapsed < 2.0  # two waits of Retry-After, not the tiny backoff

    capped = Flaky(sim, method="GET", path=GROUPS, statuses=[429], retry_after="30")
    async with portal(capped, retry=policy) as drv:
        started = time.monotonic()
        await drv.read(Scope(groups=frozenset({1})))
        assert time.monotonic() - started < 2.0  # 30 s asked, 0.3 s waited


@pytest.mark.anyio
async def test_retries_are_bounded_and_name_the_page(sim: SimApp) -> None:
    flaky = Flaky(sim, method="GET", path=GROUPS, statuses=[503] * 10)
    async with portal(flaky) as drv:
        with pytest.raises(ServerError) as caught:
            await drv.read(Scope(groups=frozenset({1})))
    assert caught.value.status == 503
    assert str(caught.value) == f"{GROUPS}: server answered HTTP 503 (after 4 attempts)"
    assert flaky.failed == FAST.attempts


@pytest.mark.anyio
@pytest.mark.parametrize("status", [500, 502, 504])
async def test_failed_post_is_not_retried_and_read_back_says_so(
    sim: SimApp, status: int
) -> None:
    # 500/502/504 do not say whether the server processed the post: never resent.
    flaky = Flaky(sim, method="POST", path=EDIT_12, statuses=[status])
    async with portal(flaky) as drv:
        group = (await drv.read(Scope(groups=frozenset({12})))).groups[12]
        renamed = group.model_copy(update={"name": "Read-Only Export"})
        with pytest.raises(ServerError, match="reading back shows it was not saved"):
            await drv.apply(EnsureGroup(before=group, after=renamed))
    assert posts(sim, EDIT_12_POST) == 0
    assert flaky.failed == 1 and sim.state.groups[11].name == "Group 12"


@pytest.mark.anyio
@pytest.mark.parametrize("status", [503, 429])
async def test_a_post_the_server_did_not_process_is_posted_again(
    sim: SimApp, status: int
) -> None:
    # 503 and 429 say the server did not process the post: safe to send again.
    flaky = Flaky(
        sim, method="POST", path=EDIT_12, statuses=[status, status], retry_after="0"
    )
    async with portal(flaky) as drv:
        group = (await drv.read(Scope(groups=frozenset({12})))).groups[12]
        renamed = group.model_copy(update={"name": "Read-Only Export"})
        await drv.apply(EnsureGroup(before=group, after=renamed))
    assert flaky.failed == 2 and posts(sim, EDIT_12_POST) == 1
    assert sim.state.groups[11].name == "Read-Only Export"


@pytest.mark.anyio
async def test_a_repost_waits_as_retry_after_asks(sim: SimApp) -> None:
    policy = FAST.model_copy(update={"retry_after_cap": 0.3})
    flaky = Flaky(sim, method="POST", path=EDIT_12, statuses=[429], retry_after="0.2")
    async with portal(flaky, retry=policy) as drv:
        group = (await drv.read(Scope(groups=frozenset({12})))).groups[12]
        renamed = group.model_copy(update={"name": "Read-Only Export"})
        started = time.monotonic()
        await drv.apply(EnsureGroup(before=group, after=renamed))
        assert 0.2 <= time.monotonic() - started < 2.0
    assert posts(sim, EDIT_12_POST) == 1


@pytest.mark.anyio
async def test_reposts_share_the_retry_budget_then_read_back(sim: SimApp) -> None:
    flaky = Flaky(sim, method="POST", path=EDIT_12, statuses=[503] * 10)
    async with portal(flaky) as drv:
        group = (await drv.read(Scope(groups=frozenset({12})))).groups[12]
        renamed = group.model_copy(update={"name": "Read-Only Export"})
        with pytest.raises(ServerError, match="reading back shows it was not saved"):
            await drv.apply(EnsureGroup(before=group, after=renamed))
    assert flaky.failed == FAST.attempts and posts(sim, EDIT_12_POST) == 0


@pytest.mark.anyio
async def test_failed_post_that_landed_is_confirmed_by_read_back(sim: SimApp) -> None:
    flaky = Flaky(sim, method="POST", path=EDIT_12, statuses=[502], forward=True)
    async with portal(flaky) as drv:
        group = (await drv.read(Scope(groups=frozenset({12})))).groups[12]
        renamed = group.model_copy(update={"name": "Read-Only Export"})
        await drv.apply(EnsureGroup(before=group, after=renamed))
    assert posts(sim, EDIT_12_POST) == 1
    assert sim.state.groups[11].name == "Read-Only Export"


@pytest.mark.anyio
async def test_unreachable_server_is_a_connect_error() -> None:
    policy = RetryPolicy(attempts=2, timeout=2.0, wait_initial=0.01, wait_max=0.01)
    drv = open_portal(
        "http://127.0.0.1:9", "admin", SecretStr("x"), retry=policy, timeout=2.0
    )
    with pytest.raises(
        ConnectError, match=r"/admin/pw.html: cannot reach .*2 attempts"
    ):
        async with drv:
            pass
    assert drv.request_count == 2


def test_unsupported_url_is_refused_before_any_request() -> None:
    with pytest.raises(ConnectError, match="unsupported server URL"):
        open_portal("ftp://example.org", "admin", SecretStr("x"))


@pytest.mark.anyio
async def test_concurrent_reads_stay_within_max_connections(state_path: Path) -> None:
    peak = Peak(create_app(state_path, faults=SimFaults(latency_ms=15)))
    async with portal(peak, max_connections=3) as drv:
        await drv.read(Scope(staff_ids=None))
    assert peak.peak == 3  # concurrent, and never more than allowed


@pytest.mark.anyio
async def test_post_accepted_but_read_back_failing_says_so(sim: SimApp) -> None:
    confirm = ConfirmOnly(sim, method="POST", path=EDIT_12)
    dies = DiesAfter(confirm, method="POST", path=EDIT_12)
    async with portal(dies) as drv:
        group = (await drv.read(Scope(groups=frozenset({12})))).groups[12]
        renamed = group.model_copy(update={"name": "Read-Only Export"})
        with pytest.raises(ConnectError) as caught:
            await drv.apply(EnsureGroup(before=group, after=renamed))
    message = str(caught.value)
    assert message.startswith(
        "/admin/security/groups/edit.html?group=12: the change was posted and "
        "accepted, but reading it back failed"
    )
    assert "run plan again" in message
    assert sim.state.groups[11].name == "Read-Only Export"


@pytest.mark.anyio
async def test_an_answer_showing_the_form_is_the_posts_read_back(sim: SimApp) -> None:
    async with portal(sim) as drv:
        group = (await drv.read(Scope(groups=frozenset({12})))).groups[12]
        renamed = group.model_copy(update={"name": "Read-Only Export"})
        await drv.apply(EnsureGroup(before=group, after=renamed))
        methods = [r.method for r in sim.requests]
        last_post = len(methods) - 1 - methods[::-1].index("POST")
        tail = sim.requests[last_post + 1 :]
    assert sim.requests[last_post].path == EDIT_12_POST
    assert not [r for r in tail if r.path.startswith(EDIT_12)]  # no GET read-back
    assert sim.state.groups[11].name == "Read-Only Export"


@pytest.mark.anyio
async def test_sign_out_is_one_best_effort_request(sim: SimApp) -> None:
    flaky = Flaky(sim, method="GET", path="/admin/logout.html", statuses=[503] * 5)
    async with portal(flaky) as drv:
        before = drv.request_count
    assert drv.request_count == before + 1 and flaky.failed == 1


class FirstPostUnavailable:
    """Answer the first post to each form 503 (not processed); pass the rest."""

    def __init__(self, app: SimApp) -> None:
        self.app = app
        self.refused: list[str] = []

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        path = f"{scope.get('path')}?{scope.get('query_string', b'').decode()}"
        post = scope.get("method") == "POST" and scope.get("path") != SIGNIN_POST
        if not post or path in self.refused:
            await self.app(scope, receive, send)
            return
        self.refused.append(path)
        await send({"type": "http.response.start", "status": 503})
        await send({"type": "http.response.body", "body": b"busy"})


@pytest.mark.anyio
async def test_an_apply_whose_every_form_is_refused_once_converges_in_one_run(
    tmp_path: Path,
) -> None:
    district = write_district(tmp_path / "d", seed_state(), SpecParams())
    app = create_app(district.state_path)
    busy = FirstPostUnavailable(app)
    await apply_district(district, busy)
    assert len(busy.refused) >= 5  # groups, toggle, pages, staff: each posted again
    assert (await plan_district(district, app)).changes == ()


@pytest.mark.anyio
async def test_a_first_attempt_that_spends_the_budget_is_not_retried(
    state_path: Path,
) -> None:
    slow = create_app(state_path, faults=SimFaults(latency_ms=60))
    flaky = Flaky(slow, method="GET", path=GROUPS, statuses=[503, 503], forward=True)
    policy = FAST.model_copy(update={"timeout": 0.05})
    async with portal(flaky, retry=policy) as drv:
        with pytest.raises(ServerError, match=r"HTTP 503 \(after 1 attempt\)"):
            await drv.read(Scope(groups=frozenset({12})))
    assert flaky.failed == 1
