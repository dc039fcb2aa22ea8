"""Fixtures: a seeded simulator per flavor and a driver signed in to it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from psconfig.drivers.portal import AsgiApp, PortalDriver, RetryPolicy, open_portal
from psconfig.model import Flavor
from psconfig.sim import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    SimApp,
    SimState,
    create_app,
    load_state,
    save_state,
    seed_state,
)

FAST = RetryPolicy(
    attempts=4,
    timeout=10.0,
    wait_initial=0.001,
    wait_max=0.005,
    wait_jitter=0.0,
    retry_after_cap=0.05,
)
"""Retries without real waiting, so fault tests stay fast."""

SIM_URL = "sim://test"


@pytest.fixture(params=["legacy", "modern"])
def flavor(request: pytest.FixtureRequest) -> Flavor:
    value: Flavor = request.param
    return value


@pytest.fixture
def state_path(tmp_path: Path, flavor: Flavor) -> Path:
    path = tmp_path / "sim" / "test.json"
    path.parent.mkdir()
    save_state(seed_state(flavor=flavor), path)
    return path


@pytest.fixture
def sim(state_path: Path) -> SimApp:
    return create_app(state_path)


@pytest.fixture
def edit_state(state_path: Path) -> Callable[[Callable[[SimState], object]], None]:
    """Change the simulator's state the way an administrator would have."""

    def edit(change: Callable[[SimState], object]) -> None:
        state = load_state(state_path)
        change(state)
        save_state(state, state_path)

    return edit


def portal(
    app: AsgiApp,
    *,
    username: str = DEMO_ADMIN_USERNAME,
    password: str = DEMO_ADMIN_PASSWORD,
    **options: object,
) -> PortalDriver:
    """A driver for ``app`` (not yet signed in: use ``async with``)."""
    options.setdefault("retry", FAST)
    return open_portal(
        SIM_URL,
        username,
        SecretStr(password),
        app=app,
        **options,  # type: ignore[arg-type]
    )


def posts(app: SimApp, path: str) -> int:
    """How many POSTs to ``path`` the simulator answered."""
    return sum(1 for r in app.requests if r.method == "POST" and r.path == path)
