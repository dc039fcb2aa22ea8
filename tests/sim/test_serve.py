"""``psconfig sim serve``: real uvicorn on a loopback port, and its refusals."""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from psconfig.cli import _register_all, app
from psconfig.sim import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, load_state
from psconfig.sim.pcas import pcas_password
from tests.sim.serving import sim_serve

LINE = re.compile(
    r"^Simulated PowerSchool \((legacy|modern) ([\d.]+)\) at (http://127\.0\.0\.1:\d+) "
    r"\(state: (.+)\)$"
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    state = tmp_path / "served.json"
    args = ("--flavor", "legacy", "--state", str(state), "--latency-ms", "5")
    with sim_serve(*args) as (line, process):
        match = LINE.match(line)
        assert match, (line, process.stderr.read() if process.stderr else "")
        assert match.group(1, 2, 4) == ("legacy", "23.10.0.2", str(state))
        yield match.group(3), state, process


def test_serve_speaks_real_http(
    served: tuple[str, Path, subprocess.Popen[str]],
) -> None:
    url, state, process = served
    with httpx.Client(base_url=url, timeout=10) as client:
        page = client.get("/admin/pw.html")
        assert page.status_code == 200 and "var pskey" in page.text
        token = re.search(r'name="pstoken" value="(\w+)"', page.text)
        key = re.search(r'var pskey = "(\w+)"', page.text)
        assert token and key
        form = {
            "pstoken": token.group(1),
            "username": DEMO_ADMIN_USERNAME,
            "password": pcas_password(key.group(1), DEMO_ADMIN_PASSWORD),
            "ldappassword": DEMO_ADMIN_PASSWORD,
        }
        response = client.post("/admin/home.html", data=form)
        assert response.status_code == 302
        home = client.get("/admin/home.html")
        assert "Administrator, Demo" in home.text
        assert home.elapsed.total_seconds() >= 0.005  # --latency-ms 5
    assert load_state(state).flavor == "legacy"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) in (0, 130)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "example.org"])
def test_serve_refuses_non_loopback_hosts(host: str) -> None:
    _register_all()
    result = CliRunner().invoke(app, ["sim", "serve", "--host", host])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: --host {host}:")
    assert "Traceback" not in result.output


def test_serve_refuses_a_flavor_that_contradicts_the_state(tmp_path: Path) -> None:
    _register_all()
    state = tmp_path / "s.json"
    runner = CliRunner()
    result = runner.invoke(
        app, ["sim", "serve", "--state", str(state), "--host", "::2"]
    )
    assert result.exit_code == 1 and state.exists()  # seeded before binding
    result = runner.invoke(
        app, ["sim", "serve", "--state", str(state), "--flavor", "legacy"]
    )
    assert result.exit_code == 1
    assert "holds a modern simulator" in result.output
