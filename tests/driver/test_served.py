"""The driver over real HTTP: ``psconfig sim serve`` (uvicorn) on a loopback port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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

URL = re.compile(r"at (http://127\.0\.0\.1:\d+) ")
DDE = ("/admin/tech/dde/home.html",)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A ``psconfig sim serve`` process (legacy flavor); yields its URL and state."""
    state = tmp_path / "served.json"
    command = [sys.executable, "-m", "psconfig", "sim", "serve", "--port", "0"]
    command += ["--flavor", "legacy", "--state", str(state)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = URL.search(line)
        assert found, f"sim serve said: {line!r}"
        yield found.group(1), state
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.anyio
async def test_read_and_apply_over_loopback_http(served: tuple[str, Path]) -> None:
    url, state = served
    secret = SecretStr(DEMO_ADMIN_PASSWORD)
    async with open_portal(url, DEMO_ADMIN_USERNAME, secret, retry=FAST) as drv:
        assert (drv.info.flavor, drv.info.url) == ("legacy", url)
        live = await drv.read(Scope(pages=frozenset(DDE)))
        assert live == expected_state(load_state(state), pages=DDE)
        group = live.groups[12]
        renamed = group.model_copy(update={"name": "Read-Only Export"})
        await drv.apply(EnsureGroup(before=group, after=renamed))
    assert load_state(state).groups[11].name == "Read-Only Export"

    report = await run_doctor(url, DEMO_ADMIN_USERNAME, secret, retry=FAST)
    assert report.ok
    tls = next(c for c in report.checks if c.check == "tls")
    assert (tls.status, tls.detail) == ("ok", "plain http on loopback")
