"""Shared helpers for the verify tests: the CLI, specs and the simulator's state.

Every test runs in its own directory (the suite's autouse fixture), so
``sim://demo`` is a fresh simulator under ``.psconfig/sim`` each time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from psconfig.cli import _register_all, app
from psconfig.sim import SimState, load_state, save_state, seed_state, state_path_for
from psconfig.sim.state import SimStaff
from tests.engine.portal import AdminBrowser

OLD = "canary-OLD-5d1e-NEVER-PRINT"
"""The sync password the spec's reference resolves to; no output may carry it."""

URL = "sim://demo"
SIM_DIR = Path(".psconfig") / "sim"
HEALTH_LOG = "-100001"

SPEC = """\
psconfig: 1
name: demo
server: {{url: "{url}"}}
preset:
  clever-dde-sync:
    group_number: 12
    username: cleversync
    password: ${{env:CLEVER_SYNC_PASSWORD}}
{extra}"""

REMOVAL = """\
psconfig: 1
name: demo
server: {url: "sim://demo"}
staff:
  - id: "99999"
    ensure: absent
"""

_register_all()


def spec(*, url: str = URL, extra: str = "", path: str = "demo.yaml") -> Path:
    """Write the Clever preset spec (``extra``: more preset parameters)."""
    out = Path(path)
    out.write_text(SPEC.format(url=url, extra=extra))
    return out


def run(*args: str) -> Result:
    """Invoke the CLI; stdout and stderr are captured separately."""
    return CliRunner().invoke(app, list(args))


def converge(path: str = "demo.yaml") -> None:
    """Apply ``path`` so PowerSchool matches it."""
    applied = run(
        "apply", path, "--auto-approve", "--allow-lower-access", "--allow-remove-staff"
    )
    assert applied.exit_code == 0, applied.output


def state_file() -> Path:
    return state_path_for(URL, SIM_DIR)


def seed(**changes: Any) -> None:
    """A fresh simulator for ``sim://demo`` (modern), with ``changes`` to its state."""
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_state(seed_state().model_copy(update=changes), path)


def sim_state() -> SimState:
    return load_state(state_file())


def edit_state(change: Callable[[SimState], object]) -> None:
    """Change PowerSchool behind psconfig's back (an administrator's hand edit)."""
    state = sim_state()
    change(state)
    save_state(state, state_file())


def sync_staff(state: SimState) -> SimStaff:
    found = state.staff_by_login("cleversync")
    assert found is not None
    return found


def add_health_log_by_hand() -> None:
    """An administrator ticks Health on group 12 through the portal's own form."""

    async def edit() -> None:
        async with AdminBrowser(URL, SIM_DIR) as admin:
            await admin.edit_form(
                "/admin/security/groups/edit.html?group=12",
                "groupForm",
                [("logtypes", HEALTH_LOG)],
            )

    asyncio.run(edit())


def report(result: Result) -> dict[str, Any]:
    """The JSON report of a ``verify --format json`` run."""
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def outcomes(data: dict[str, Any]) -> dict[str, str]:
    """Probe id -> outcome of a JSON report."""
    return {r["id"]: r["outcome"] for r in data["results"]}
