"""Running the CLI in process against sim:// servers, and reading what it left."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from psconfig.cli import _register_all, app
from psconfig.sim import load_state, request_log_path, save_state, state_path_for

SIM_DIR = Path(".psconfig") / "sim"
AUDIT_LOG = Path(".psconfig") / "audit.jsonl"
DEMO_SPEC = """\
psconfig: 1
name: demo
server: {url: "sim://demo"}
preset:
  clever-dde-sync:
    group_number: 12
    username: cleversync
    password: ${env:CLEVER_SYNC_PASSWORD}
    allowed_ips: ["192.0.2.10"]
"""

_register_all()


def run(*args: str, stdin: str | None = None) -> Result:
    """The CLI, in process (stdout and stderr apart)."""
    return CliRunner().invoke(app, list(args), input=stdin)


def write_demo(path: str = "demo.yaml", url: str = "sim://demo") -> Path:
    """The demo spec, pointed at ``url``."""
    spec = Path(path)
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(DEMO_SPEC.replace("sim://demo", url))
    return spec


def audit_events(path: Path = AUDIT_LOG) -> list[dict[str, Any]]:
    """The audit records written so far (none when there is no log)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def state_file(name: str = "demo", sim_dir: Path = SIM_DIR) -> Path:
    """The state file of ``sim://NAME``."""
    return state_path_for(f"sim://{name}", sim_dir)


def log_requests(name: str = "demo", *, toggle: bool | None = None) -> None:
    """Turn the simulator's request log on (and set its toggle when given)."""
    path = state_file(name)
    update: dict[str, object] = {"request_log": True}
    if toggle is not None:
        update["page_toggle"] = toggle
    save_state(load_state(path).model_copy(update=update), path)


def writes(name: str = "demo") -> list[str]:
    """Paths the simulator was posted to since its request log was turned on.

    The sign-in (``/admin/home.html``) is left out.
    """
    path = request_log_path(state_file(name))
    if not path.exists():
        return []
    records = [json.loads(line) for line in path.read_text().splitlines()]
    posted = [r["path"].split("?")[0] for r in records if r["is_write"]]
    return [p for p in posted if p != "/admin/home.html"]


_SPEC_WARNING = re.compile(r"^\S+:\d+:\d+: warning: ")


def error_lines(result: Result) -> list[str]:
    """Stderr lines that report a failure (the spec's policy warnings left out)."""
    lines = result.stderr.splitlines()
    return [line for line in lines if not _SPEC_WARNING.match(line)]
