"""Fixtures for the workflow tests: fake ``psconfig`` and ``gh`` on PATH, and a runner.

The fakes are small Python programs (``fake_psconfig.py``, ``fake_gh.py``) behind
shell wrappers, sharing one state folder with the test: the test says what psconfig
returns and what GitHub holds, runs a job through ``gha.run_job``, then reads back
what the job did to GitHub.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.ci import gha

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples" / "github"
# Every workflow we ship: this repository's own and the ones districts copy.
WORKFLOWS = sorted(
    [*(REPO_ROOT / ".github" / "workflows").glob("*.y*ml"), *EXAMPLES.glob("*.y*ml")]
)
ACTION = REPO_ROOT / "action.yml"
# How the example workflows name this repository's action (OWNER is a placeholder
# districts replace); the emulator runs it from this checkout.
ACTION_NAME = "OWNER/psconfig"

CONTEXT = {
    "secrets.PS_ADMIN_USER": "ps-admin",
    "secrets.PS_ADMIN_PASSWORD": "admin-pw-0001",
    "secrets.CLEVER_SYNC_PASSWORD": "sync-pw-0002",
    "github.token": "ghs_fake_token",
    "github.repository": "springfield-usd/psconfig-specs",
    "github.server_url": "https://github.com",
    "github.run_id": "4242",
    "github.run_attempt": "1",
    "github.event.pull_request.number": "7",
    "github.event.pull_request.head.sha": "0123456789abcdef0123456789abcdef01234567",
    "github.event_name": "pull_request",
    "github.sha": "fedcba9876543210fedcba9876543210fedcba98",
    "github.ref": "refs/heads/main",
    "inputs.plan_run": "",
    "inputs.allow_lower_access": "",
    "inputs.allow_remove_staff": "",
    "inputs.allow_add_groups": "",
}
RUN_URL = "https://github.com/springfield-usd/psconfig-specs/actions/runs/4242"


@dataclass(frozen=True)
class Fakes:
    """The shared state folder and the bin folder holding the fake commands."""

    state: Path
    bin: Path

    @classmethod
    def install(cls, root: Path) -> Fakes:
        state, bin_dir = root / "state", root / "bin"
        state.mkdir(parents=True)
        bin_dir.mkdir()
        for command in ("psconfig", "gh"):
            program = Path(__file__).with_name(f"fake_{command}.py")
            wrapper = bin_dir / command
            wrapper.write_text(
                "#!/bin/sh\n"
                f"FAKE_STATE={shlex.quote(str(state))} exec "
                f'{shlex.quote(sys.executable)} {shlex.quote(str(program))} "$@"\n',
                encoding="utf-8",
            )
            wrapper.chmod(0o755)
        fakes = cls(state, bin_dir)
        fakes.psconfig_returns(0)
        fakes.seed_github()
        return fakes

    def psconfig_returns(
        self, exit_code: int, stdout: str = "", stderr: str = ""
    ) -> None:
        config = {"exit": exit_code, "stdout": stdout, "stderr": stderr}
        (self.state / "psconfig.json").write_text(json.dumps(config), encoding="utf-8")

    def psconfig_returns_for(
        self, command: str, exit_code: int, stdout: str = "", stderr: str = ""
    ) -> None:
        """What psconfig returns for ``command`` (``plan`` or ``plan:json``) only."""
        path = self.state / "psconfig.json"
        config = json.loads(path.read_text(encoding="utf-8"))
        result = {"exit": exit_code, "stdout": stdout, "stderr": stderr}
        config.setdefault("by_command", {})[command] = result
        path.write_text(json.dumps(config), encoding="utf-8")

    def use_real_psconfig(self, live_env: Mapping[str, str]) -> None:
        """Run the real psconfig; a plan ``--live`` signs in with ``live_env``."""
        config = {"real": True, "live_env": dict(live_env)}
        (self.state / "psconfig.json").write_text(json.dumps(config), encoding="utf-8")

    def psconfig_calls(self) -> list[dict[str, Any]]:
        return _jsonl(self.state / "psconfig-calls.jsonl")

    def seed_github(self, **data: Any) -> None:
        """Replace the fake GitHub state: comments, issues, labels, pulls, runs."""
        state = {"comments": {}, "issues": [], "labels": {}} | data
        (self.state / "github.json").write_text(json.dumps(state), encoding="utf-8")

    def github(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(
            (self.state / "github.json").read_text(encoding="utf-8")
        )
        return state

    def update_github(self, **data: Any) -> None:
        """Set some keys of the fake GitHub's state, keeping the rest."""
        state = self.github() | data
        (self.state / "github.json").write_text(json.dumps(state), encoding="utf-8")

    def add_run(self, **run: Any) -> int:
        """Record a finished workflow run (with ``artifacts``); its ID."""
        runs: list[dict[str, Any]] = self.github().get("runs", [])
        run_id = 9000 + len(runs) + 1
        defaults = {"event": "pull_request", "conclusion": "success", "artifacts": {}}
        runs.append(defaults | run | {"databaseId": run_id})
        self.update_github(runs=runs)
        return run_id

    def gh_calls(self) -> list[list[str]]:
        return [list(call) for call in _jsonl(self.state / "gh-calls.jsonl")]


def _jsonl(path: Path) -> list[Any]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


RunJob = Callable[..., gha.JobResult]


@pytest.fixture
def fakes(tmp_path: Path) -> Fakes:
    return Fakes.install(tmp_path / "fakes")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The checked-out spec repository the jobs run in (``specs/`` is the spec path)."""
    path = tmp_path / "workspace"
    (path / "specs").mkdir(parents=True)
    return path


@pytest.fixture
def run_example(workspace: Path, fakes: Fakes) -> RunJob:
    """Run one job of an example workflow with the fakes, skipping the pip install.

    The action runs from this checkout with its install step skipped, so it runs
    the ``psconfig`` on PATH: the fake (which can run the real one, see
    ``Fakes.use_real_psconfig``).
    """

    def run(
        workflow: str,
        job: str,
        context: Mapping[str, str] | None = None,
    ) -> gha.JobResult:
        return gha.run_job(
            EXAMPLES / workflow,
            job,
            workdir=workspace,
            context={**CONTEXT, **(context or {})},
            path_prepend=[fakes.bin],
            skip_ids={"install"},
            actions={ACTION_NAME: REPO_ROOT},
        )

    return run
