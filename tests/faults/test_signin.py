"""psconfig never retries a failed sign-in: one post, then the run stops.

PowerSchool counts failed sign-ins and locks the account and the client's address
after a few (the simulator after five), so a retried sign-in can lock a district's
administrator out. Whatever made the sign-in fail (wrong password, a locked
account, a 503 or a 429 from the server or a proxy, a re-login after a session
expiry that fails), the simulator's request record shows exactly one sign-in post
from the failure on, and the run ends with a psconfig error, also when several
concurrent requests found the session expired and waited on the same re-login.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from psconfig.drivers.portal import AsgiApp, PortalDriver, open_portal
from psconfig.errors import DriverError, LockedOutError, LoginError, SignInSchemeError
from psconfig.model import SignInScheme
from psconfig.sim import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    SimApp,
    create_app,
    save_state,
    seed_state,
)
from psconfig.sim.state import SimFaults
from tests.driver.asgi import Flaky, Message, Receive, Send
from tests.faults.runs import SignInRetriedError, apply_until_converged
from tests.properties.harness import (
    SIGN_IN_POST,
    District,
    SpecParams,
    apply_district,
    write_district,
)


class FailNthSignIn:
    """Answer the ``n``-th sign-in post (1-based) with ``status``; pass the rest."""

    def __init__(self, app: AsgiApp, *, n: int, status: int) -> None:
        self.app, self.n, self.status = app, n, status
        self.seen = 0

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        is_sign_in = scope.get("method") == "POST" and scope.get("path") == SIGN_IN_POST
        self.seen += is_sign_in
        if not (is_sign_in and self.seen == self.n):
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": self.status})
        await send({"type": "http.response.body", "body": b"unavailable"})


def district(root: Path, **faults: object) -> tuple[District, SimApp]:
    start = seed_state()
    start.faults = SimFaults.model_validate(faults)
    made = write_district(root, start, SpecParams())
    return made, create_app(made.state_path)


def sign_in_posts(app: SimApp) -> list[int]:
    return [r.status for r in app.requests if r.is_write and r.path == SIGN_IN_POST]


@pytest.mark.anyio
async def test_a_wrong_password_is_posted_once(tmp_path: Path) -> None:
    made, app = district(tmp_path)
    with pytest.raises(LoginError, match="does not retry"):
        await apply_district(made, app, password="not-the-password")
    assert sign_in_posts(app) == [200]  # the sign-in page again, with an alert
    assert [r.path for r in app.requests].count(SIGN_IN_POST) == 1


@pytest.mark.anyio
async def test_a_locked_account_is_posted_once(tmp_path: Path) -> None:
    made, app = district(tmp_path)
    state = app.state
    state.locked_accounts = ["admin"]
    save_state(state, made.state_path)
    with pytest.raises(LockedOutError):
        await apply_district(made, app)
    assert len(sign_in_posts(app)) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("status", [503, 429])
async def test_a_sign_in_answered_with_a_server_error_is_not_retried(
    tmp_path: Path, status: int
) -> None:
    made, app = district(tmp_path)
    flaky = Flaky(
        app, method="POST", path=SIGN_IN_POST, statuses=[status], retry_after="0"
    )
    with pytest.raises(DriverError, match=r"does not retry|not retried"):
        await apply_district(made, flaky)
    assert flaky.failed == 1
    assert sign_in_posts(app) == []  # the wrapper answered; nothing reached it
    await apply_district(made, flaky)  # the next run signs in and applies


@pytest.mark.anyio
async def test_a_failed_re_login_after_expiry_ends_the_run(tmp_path: Path) -> None:
    made, app = district(tmp_path, session_expiry_every=11)
    second_fails = FailNthSignIn(app, n=2, status=503)
    runs = await apply_until_converged(made, app, max_runs=1, target=second_fails)
    assert isinstance(runs.errors[0], DriverError)
    assert second_fails.seen == 2


@pytest.mark.anyio
async def test_concurrent_requests_do_not_retry_a_failed_re_login(
    tmp_path: Path,
) -> None:
    made, app = district(tmp_path, session_expiry_every=4)
    second_fails = FailNthSignIn(app, n=2, status=503)
    runs = await apply_until_converged(made, app, max_runs=1, target=second_fails)
    assert isinstance(runs.errors[0], DriverError)
    if second_fails.seen > 2:
        raise SignInRetriedError(f"{second_fails.seen - 2} sign-in(s) after a failure")


def markers_district(root: Path, markers: str) -> tuple[District, SimApp]:
    """A legacy (hashing) district whose sign-in page shows ``markers``."""
    start = seed_state(flavor="legacy")
    start.settings.signin_markers = markers  # type: ignore[assignment]
    made = write_district(root, start, SpecParams())
    return made, create_app(made.state_path)


def admin_portal(app: SimApp, pin: SignInScheme) -> PortalDriver:
    secret = SecretStr(DEMO_ADMIN_PASSWORD)
    return open_portal("sim://d", DEMO_ADMIN_USERNAME, secret, sign_in=pin, app=app)


@pytest.mark.anyio
@pytest.mark.parametrize("markers", ["pskey_without_md5js", "md5js_without_pskey"])
async def test_contradictory_markers_get_no_password_at_all(
    tmp_path: Path, markers: str
) -> None:
    made, app = markers_district(tmp_path, markers)
    with pytest.raises(SignInSchemeError, match=r"server\.sign_in: pcas or plain"):
        await apply_district(made, app)
    assert [r.method for r in app.requests] == ["GET"]  # the sign-in page only
    assert app.state.failed_logins == {}


@pytest.mark.anyio
async def test_the_spec_pin_settles_contradictory_markers(tmp_path: Path) -> None:
    _, app = markers_district(tmp_path, "pskey_without_md5js")
    async with admin_portal(app, "pcas") as driver:
        assert driver.info.flavor == "legacy"
    assert sign_in_posts(app) == [302]


@pytest.mark.anyio
async def test_a_pin_the_page_contradicts_posts_nothing(tmp_path: Path) -> None:
    _, app = markers_district(tmp_path, "flavor")  # a clear hashing page
    with pytest.raises(SignInSchemeError, match=r"server\.sign_in is plain but"):
        async with admin_portal(app, "plain"):
            pass
    assert sign_in_posts(app) == []
