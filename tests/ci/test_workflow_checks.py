"""Every workflow we ship passes check-jsonschema and zizmor, offline.

The tools come from the dev extras and are run from this interpreter's bin folder
(never the network): check-jsonschema with its vendored GitHub workflow schema
(plus its "every job has a timeout" schema), and ``zizmor --offline`` at the default
persona with no configuration file, so only justified inline ignores can silence
it. A negative control proves each gate actually rejects a bad workflow.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ci.conftest import REPO_ROOT, WORKFLOWS

HOOKS = REPO_ROOT / ".pre-commit-hooks.yaml"
ZIZMOR_FLAGS = ("--offline", "--no-config", "--no-progress", "--color=never")
SCHEMAS = ("vendor.github-workflows", "custom.github-workflows-require-timeout")

BAD_WORKFLOW = """\
name: bad
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.head_commit.message }}"
"""


def tool(name: str) -> Path:
    """A dev tool from this interpreter's environment (``pip install -e '.[dev]'``)."""
    path = Path(sys.executable).parent / name
    assert path.exists(), f"{name} is missing: install the dev extras (make test does)"
    return path


def run_tool(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    # No token in reach: the checks must pass offline, and stay offline.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN"}
    }
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )


def test_the_expected_workflows_are_checked() -> None:
    names = {p.relative_to(REPO_ROOT).as_posix() for p in WORKFLOWS}
    assert names == {
        ".github/workflows/ci.yml",
        "examples/github/apply.yml",
        "examples/github/drift.yml",
        "examples/github/plan.yml",
    }


@pytest.mark.parametrize("schema", SCHEMAS)
def test_workflows_match_the_github_workflow_schema(schema: str) -> None:
    result = run_tool(tool("check-jsonschema"), "--builtin-schema", schema, *WORKFLOWS)

    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_and_hooks_pass_zizmor_offline() -> None:
    result = run_tool(tool("zizmor"), *ZIZMOR_FLAGS, *WORKFLOWS, HOOKS)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_the_gates_reject_a_bad_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_WORKFLOW.replace("runs-on", "runs_on"), encoding="utf-8")
    schema = run_tool(tool("check-jsonschema"), "--builtin-schema", SCHEMAS[0], bad)
    assert schema.returncode == 1, schema.stdout + schema.stderr

    bad.write_text(BAD_WORKFLOW, encoding="utf-8")
    zizmor = run_tool(tool("zizmor"), *ZIZMOR_FLAGS, bad)
    assert zizmor.returncode != 0
    for audit in ("template-injection", "unpinned-uses", "artipacked"):
        assert audit in zizmor.stdout
