"""Fleets of spec files on disk, sim:// districts, and running the CLI over them."""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from psconfig.cli import _register_all, app
from psconfig.drivers.base import Driver
from psconfig.sim import SimState, load_state, save_state, state_path_for
from psconfig.spec import LoadedSpec

SIM_DIR = Path(".psconfig") / "sim"
SPEC = """\
psconfig: 1
name: {name}
server: {{url: "{url}"}}
preset:
  clever-dde-sync:
    group_number: 12
    username: cleversync
    password: ${{env:CLEVER_SYNC_PASSWORD}}
    allowed_ips: ["192.0.2.10"]
"""
SPEC_WITH_LOGIN = """\
psconfig: 1
name: {name}
server:
  url: "{url}"
  username: ${{env:PS_ADMIN_USER}}
  password: ${{env:PS_ADMIN_PASSWORD}}
preset:
  clever-dde-sync:
    group_number: 12
    username: cleversync
    password: ${{env:CLEVER_SYNC_PASSWORD}}
    allowed_ips: ["192.0.2.10"]
"""
REMOVAL = """\
psconfig: 1
name: {name}
server: {{url: "{url}"}}
staff:
  - id: "99999"
    ensure: absent
"""

_register_all()


def run(*args: str, stdin: str | None = None) -> Result:
    """The CLI, in process."""
    return CliRunner().invoke(app, list(args), input=stdin)


def write_spec(path: Path, name: str, url: str | None = None) -> Path:
    """A Clever spec for district ``name`` on ``url`` (default ``sim://NAME``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SPEC.format(name=name, url=url or f"sim://{name}"))
    return path


def write_fleet(root: Path, regions: dict[str, range]) -> dict[str, Path]:
    """One spec per district number, ``root/REGION/dNN.yaml``, on ``sim://dNN``."""
    written = {}
    for region, numbers in regions.items():
        for n in numbers:
            name = f"d{n:02d}"
            written[name] = write_spec(root / region / f"{name}.yaml", name)
    return written


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def edit_sim(name: str, edit: Callable[[dict[str, Any]], None]) -> None:
    """Change a simulated PowerSchool by hand, as an administrator would."""
    path = state_path_for(f"sim://{name}", SIM_DIR)
    data = load_state(path).model_dump(mode="json")
    edit(data)
    save_state(SimState.model_validate(data), path)


def group(data: dict[str, Any], number: int) -> dict[str, Any]:
    groups: list[dict[str, Any]] = data["groups"]
    [found] = [g for g in groups if g["number"] == number]
    return found


def grant_health_logs(data: dict[str, Any]) -> None:
    """Widen the Clever group: a privilege escalation."""
    group(data, 12)["log_types"].append("health")


def rename_group(data: dict[str, Any]) -> None:
    """Rename the Clever group: a neutral change."""
    group(data, 12)["name"] = "Clever export (renamed)"


def json_doc(result: Result) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def table_rows(text: str) -> dict[str, list[str]]:
    """The plain summary table's rows, by district name."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("District "))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        cells = line.split()
        rows[cells[0]] = cells
    return rows


OpenTarget = Callable[..., AbstractAsyncContextManager[Driver]]


class SessionCounter:
    """Wraps ``open_target`` to count the sessions open at once, overall and per
    server: an instrumented check of the fan-out's bounds.
    """

    def __init__(self, real: OpenTarget) -> None:
        self.real = real
        self.open = 0
        self.peak = 0
        self.per_server: Counter[str] = Counter()
        self.server_peak = 0
        self.opened = 0

    def __call__(
        self,
        spec: LoadedSpec,
        *,
        url: str,
        insecure: bool,
        warn: bool = True,
        toggle_read: bool = True,
    ) -> AbstractAsyncContextManager[Driver]:
        inner = self.real(
            spec, url=url, insecure=insecure, warn=warn, toggle_read=toggle_read
        )
        return self._session(inner, url)

    @asynccontextmanager
    async def _session(
        self, inner: AbstractAsyncContextManager[Driver], url: str
    ) -> AsyncIterator[Driver]:
        self.open += 1
        self.opened += 1
        self.per_server[url] += 1
        self.peak = max(self.peak, self.open)
        self.server_peak = max(self.server_peak, self.per_server[url])
        try:
            async with inner as driver:
                yield driver
        finally:
            self.open -= 1
            self.per_server[url] -= 1
