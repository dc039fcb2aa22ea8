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

    def psconfig_calls(self) -> list[dict[str, Any]]:
        return _jsonl(self.state / "psconfig-calls.jsonl")

    def seed_github(self, **data: Any) -> None:
        """Replace the fake GitHub's comments, issues, labels (and fail_writes)."""
        state = {"comments": {}, "issues": [], "labels": {}} | data
        (self.state / "github.json").write_text(json.dumps(state), encoding="utf-8")

    def github(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(
            (self.state / "github.json").read_text(encoding="utf-8")
        )
        return state

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

    ``real_psconfig=True`` puts this environment's psconfig ahead of the fake one.
    """

    def run(
        workflow: str,
        job: str,
        context: Mapping[str, str] | None = None,
        *,
        real_psconfig: bool = False,
    ) -> gha.JobResult:
        bins = [Path(sys.executable).parent] if real_psconfig else []
        return gha.run_job(
            EXAMPLES / workflow,
            job,
            workdir=workspace,
            context={**CONTEXT, **(context or {})},
            path_prepend=[*bins, fakes.bin],
            skip_ids={"install"},
        )

    return run
