"""The driver over real HTTP: ``psconfig sim serve`` (uvicorn) on a loopback port."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from psconfig.drivers.portal import open_portal
from psconfig.drivers.portal.learning.doctor import run_doctor
from psconfig.model import EnsureGroup, Scope
from psconfig.sim import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, load_state
from tests.driver.conftest import FAST
from tests.driver.expected import expected_state
from tests.sim.serving import sim_serve

URL = re.compile(r"at (http://127\.0\.0\.1:\d+) ")
DDE = ("/admin/tech/dde/home.html",)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A ``psconfig sim serve`` process (legacy flavor); yields its URL and state."""
    state = tmp_path / "served.json"
    with sim_serve("--flavor", "legacy", "--state", str(state)) as (line, _):
        found = URL.search(line)
        assert found, f"sim serve said: {line!r}"
        yield found.group(1), state


@pytest.mark.anyio
async def test_read_and_apply_over_loopback_http(served: tuple[str, Path]) -> None:
    url, state = served
    secret = SecretStr(DEMO_ADMIN_PASSWORD)
    # The state before the read: the read's toggle bracket turns the toggle back
    # off in the background (settled before any write and before sign-out), so
    # the file may still say "on" while read() returns.
    before = load_state(state)
    async with open_portal(url, DEMO_ADMIN_USERNAME, secret, retry=FAST) as drv:
        assert (drv.info.flavor, drv.info.url) == ("legacy", url)
        live = await drv.read(Scope(pages=frozenset(DDE)))
        assert live == expected_state(before, pages=DDE)
        group = live.groups[12]
        renamed = group.model_copy(update={"name": "Read-Only Export"})
        await drv.apply(EnsureGroup(before=group, after=renamed))
    after = load_state(state)
    assert after.groups[11].name == "Read-Only Export"
    assert after.page_toggle == before.page_toggle  # the bracket closed

    report = await run_doctor(url, DEMO_ADMIN_USERNAME, secret, retry=FAST)
    assert report.ok
    tls = next(c for c in report.checks if c.check == "tls")
    assert (tls.status, tls.detail) == ("ok", "plain http on loopback")
