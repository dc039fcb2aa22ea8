"""Fixtures: a seeded simulator per flavor and a signed-in administrator's browser."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import pytest

from psconfig.sim import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    SimApp,
    SimState,
    create_app,
    save_state,
    seed_state,
)
from psconfig.sim.state import Flavor
from tests.sim.browser import Browser


class FakeClock:
    """A settable local clock for sign-in windows and idle expiry."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["legacy", "modern"])
def flavor(request: pytest.FixtureRequest) -> Flavor:
    value: Flavor = request.param
    return value


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 9, 1, 10, 0, 0))


@pytest.fixture
def state_path(tmp_path: Path, flavor: Flavor) -> Path:
    path = tmp_path / "sim.json"
    save_state(seed_state(flavor=flavor), path)
    return path


@pytest.fixture
def edit_state(state_path: Path) -> Callable[[Callable[[SimState], object]], None]:
    """Change the live state the way a test would: by rewriting the file."""
    from psconfig.sim import load_state

    def edit(change: Callable[[SimState], object]) -> None:
        state = load_state(state_path)
        change(state)
        save_state(state, state_path)

    return edit


@pytest.fixture
def app(state_path: Path, clock: FakeClock) -> SimApp:
    return create_app(state_path, clock=clock)


@pytest.fixture
async def anon(app: SimApp) -> AsyncIterator[Browser]:
    browser = Browser(app)
    yield browser
    await browser.close()


@pytest.fixture
async def admin(app: SimApp) -> AsyncIterator[Browser]:
    browser = Browser(app)
    response = await browser.sign_in(DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    assert response.status_code == 302, response.text
    yield browser
    await browser.close()
