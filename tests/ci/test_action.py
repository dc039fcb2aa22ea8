"""The action at the repository root (action.yml) and its hash-locked install.

The lock (requirements.lock) must describe pyproject.toml as it is: its first line
records a digest of the dependencies it was resolved from, every pinned
distribution carries hashes, and every dependency is pinned within its range. The
install runs for real, once, in a temporary folder: the action's own steps, from
this checkout, through the job emulator, with the package index as the only thing
reached. A lock whose hash does not match what the index serves stops the install.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import psconfig
from tests.ci import gha
from tests.ci.conftest import ACTION_NAME, CONTEXT, REPO_ROOT, Fakes
from tools import lock

LOCK = REPO_ROOT / "requirements.lock"
PYPROJECT = REPO_ROOT / "pyproject.toml"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)(?:\s*;\s*([^\\]+?))?\s*\\?$")
# The folders and files the install needs from a checkout (the action's own).
SOURCE = ("action.yml", "action", "pyproject.toml", "README.md", "psconfig")
ONE_STEP = """\
name: t
on: push
defaults:
  run:
    shell: bash
jobs:
  j:
    steps:
      - name: psconfig via the action
        id: ps
        uses: OWNER/psconfig@0000000000000000000000000000000000000000
        with:
          command: validate
          specs: specs
          python: {python}
      - name: outputs
        env:
          CODE: ${{{{ steps.ps.outputs.exit-code }}}}
          VERSION: ${{{{ steps.ps.outputs.version }}}}
          REPORT: ${{{{ steps.ps.outputs.report }}}}
        run: echo "$CODE|$VERSION|$REPORT"
"""


def pins(text: str) -> dict[str, tuple[str, str, int]]:
    """name -> (version, marker, number of hashes) for each pin of a lock file."""
    found: dict[str, tuple[str, str, int]] = {}
    name = ""
    for line in text.splitlines():
        if match := PIN.match(line):
            name = canonicalize_name(match[1])
            found[name] = (match[2], (match[3] or "").strip(), 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, marker, hashes = found[name]
            found[name] = (version, marker, hashes + 1)
    return found


def test_the_lock_was_written_for_this_pyproject() -> None:
    assert lock.recorded_digest(LOCK) == lock.inputs_digest(PYPROJECT), (
        "requirements.lock is out of date with pyproject.toml: run `make lock`"
    )


def test_the_digest_changes_with_the_dependencies(tmp_path: Path) -> None:
    changed = tmp_path / "pyproject.toml"
    text = PYPROJECT.read_text(encoding="utf-8")
    changed.write_text(text.replace('"sniffio>=1.3"', '"sniffio>=1.4"'), "utf-8")

    assert lock.inputs_digest(changed) != lock.inputs_digest(PYPROJECT)


def test_every_dependency_is_pinned_in_range_with_hashes() -> None:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    locked = pins(LOCK.read_text(encoding="utf-8"))
    wanted = [*data["project"]["dependencies"], *data["build-system"]["requires"]]
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements.lock: run `make lock`"
        version = locked[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{name}=={version} is outside {requirement.specifier}: run `make lock`"
        )
    assert all(hashes > 0 for _, _, hashes in locked.values())
    assert "psconfig" not in locked


def source_copy(root: Path) -> Path:
    """The files an action checkout holds for the install, copied to ``root``."""
    root.mkdir(parents=True)
    for name in SOURCE:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, root / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(source, root / name)
    return root


def run_action(tmp_path: Path, source: Path) -> gha.JobResult:
    """The action, install included, in a fresh job with nothing but the runner."""
    workdir = tmp_path / "work"
    (workdir / "specs").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "examples" / "demo.yaml", workdir / "specs")
    workflow = tmp_path / "w.yml"
    workflow.write_text(ONE_STEP.format(python=sys.executable), encoding="utf-8")
    # PATH without this environment's bin folder: only the action's psconfig can
    # run. The pip cache and index settings are the machine's, as on a runner.
    passed = {k: v for k, v in os.environ.items() if k.startswith("PIP_")}
    cache = Path.home() / ".cache" / "pip"
    return gha.run_job(
        workflow,
        "j",
        workdir=workdir,
        context=CONTEXT,
        actions={ACTION_NAME: source},
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "PIP_CACHE_DIR": str(cache)}
        | passed,
        step_timeout=600,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, gha.JobResult]:
    tmp = tmp_path_factory.mktemp("action")
    source = source_copy(tmp / "checkout")
    shutil.copy(LOCK, source / "requirements.lock")
    return tmp, run_action(tmp, source)


def test_the_action_installs_from_its_checkout_with_hashes_and_runs(
    installed: tuple[Path, gha.JobResult],
) -> None:
    tmp, job = installed

    assert job.conclusion == "success", job.log
    step = job.step("psconfig via the action")
    assert f"psconfig {psconfig.__version__} from {tmp / 'checkout'}" in step.stdout
    venv = tmp / "work" / "_runner_temp" / "psconfig-venv"
    # The exact versions of the lock, and psconfig itself from the checkout.
    freeze = subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "freeze", "--all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    frozen: dict[str, str] = {
        canonicalize_name(name): version
        for name, _, version in (line.partition("==") for line in freeze.split())
    }
    for name, (version, marker, _) in pins(LOCK.read_text("utf-8")).items():
        if "win32" not in marker:
            assert frozen.get(name) == version, name
    probe = "import importlib.metadata as m, psconfig as p; "
    probe += "print(m.version('psconfig'), p.__file__)"
    version, where = subprocess.run(
        [venv / "bin" / "python", "-c", probe],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert version == psconfig.__version__
    assert where.startswith(str(venv))  # installed, not a link to the checkout


def test_the_action_reports_its_outputs(
    installed: tuple[Path, gha.JobResult],
) -> None:
    tmp, job = installed
    report = tmp / "work" / "_runner_temp" / "psconfig" / "validate.txt"

    assert job.step("outputs").stdout == f"0|{psconfig.__version__}|{report}\n"
    # validate ran on the spec: its warning is in the report.
    assert "PS011" in report.read_text(encoding="utf-8")


def test_a_second_call_in_the_job_reuses_the_environment(
    installed: tuple[Path, gha.JobResult],
) -> None:
    tmp, _ = installed
    result = subprocess.run(
        ["bash", str(tmp / "checkout" / "action" / "install.sh")],
        env={
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "PSCONFIG_SOURCE": str(tmp / "checkout"),
            "PSCONFIG_VENV": str(tmp / "work" / "_runner_temp" / "psconfig-venv"),
            "PSCONFIG_PYTHON": sys.executable,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "already installed" in result.stdout


def test_a_lock_whose_hashes_do_not_match_stops_the_install(tmp_path: Path) -> None:
    source = source_copy(tmp_path / "checkout")
    text = LOCK.read_text(encoding="utf-8")
    # Every hash of one package replaced: what a swapped upload would look like.
    # The lock keeps only that package, so pip stops at it without fetching more.
    start = text.index("\nsniffio==")
    end = text.index("\n", text.index("# via", start))
    block = re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, text[start:end])
    (source / "requirements.lock").write_text(block.lstrip("\n") + "\n")

    job = run_action(tmp_path, source)

    assert job.conclusion == "failure"
    assert "DO NOT MATCH THE HASHES" in job.log
    assert not (
        tmp_path / "work" / "_runner_temp" / "psconfig-venv/bin/psconfig"
    ).exists()


def test_the_action_refuses_an_unknown_command(tmp_path: Path) -> None:
    script = REPO_ROOT / "action" / "run.sh"
    output = tmp_path / "output"
    result = subprocess.run(
        ["bash", str(script)],
        env={
            "PATH": os.environ["PATH"],
            "PSCONFIG_OUT": str(tmp_path / "out"),
            "GITHUB_OUTPUT": str(output),
            "INPUT_COMMAND": "rotate-password",
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert "command must be plan, apply, drift, verify or validate" in result.stdout


def test_the_dockerfile_pins_its_base_and_runs_as_a_user_with_the_lock() -> None:
    text = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    build, final = re.findall(r"^FROM (\S+)", text, re.M)
    assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", build)
    assert final == build  # the venv copied from the build stage finds its Python
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert "bash action/install.sh" in text
    assert re.search(r"^ENTRYPOINT \[\"psconfig\"\]$", text, re.M)
    # Everything the build copies gets past .dockerignore.
    ignore = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8")
    allowed = {line[1:].rstrip("/") for line in ignore.splitlines() if line[:1] == "!"}
    copied = re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M)
    for name in " ".join(copied).split():
        assert name in allowed, name
        assert (REPO_ROOT / name).exists(), name


def test_the_readme_documents_every_input_and_output() -> None:
    action = gha.load_workflow(REPO_ROOT / "action.yml")
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    install = readme[readme.index("## Install") : readme.index("<!-- END:install")]
    for name in [*action["inputs"], *action["outputs"]]:
        assert f"`{name}`" in install, name
    assert json.dumps(sorted(action["inputs"]))  # inputs exist at all


def test_make_install_runs_the_same_install_and_links_the_command() -> None:
    result = subprocess.run(
        ["make", "-n", "install", "PREFIX=/opt/x", "BINDIR=/usr/y"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    assert 'PSCONFIG_VENV="/opt/x"' in result.stdout
    assert "bash action/install.sh" in result.stdout
    assert 'ln -sf "/opt/x/bin/psconfig" "/usr/y/psconfig"' in result.stdout


def run_with_fakes(
    tmp_path: Path, fakes: Fakes, inputs: dict[str, str]
) -> gha.JobResult:
    """The action with its install skipped: the fake psconfig runs."""
    workflow = tmp_path / "w.yml"
    lines = "".join(
        f"          {key}: {json.dumps(value)}\n" for key, value in inputs.items()
    )
    workflow.write_text(
        ONE_STEP.split("        with:\n")[0] + "        with:\n" + lines,
        encoding="utf-8",
    )
    (tmp_path / "specs").mkdir(exist_ok=True)
    return gha.run_job(
        workflow,
        "j",
        workdir=tmp_path,
        context=CONTEXT,
        path_prepend=[fakes.bin],
        skip_ids={"install"},
        actions={ACTION_NAME: REPO_ROOT},
    )


def test_apply_passes_its_intents_and_approves_for_ci(
    tmp_path: Path, fakes: Fakes
) -> None:
    job = run_with_fakes(
        tmp_path,
        fakes,
        {
            "command": "apply",
            "allow-lower-access": "true",
            "allow-remove-staff": "true",
            "args": "--lock-timeout 30",
        },
    )

    assert job.conclusion == "success", job.log
    [call] = fakes.psconfig_calls()
    audit = str(tmp_path / "_runner_temp" / "psconfig" / "audit.jsonl")
    assert call["argv"] == [
        "apply", "specs", "--auto-approve", "--audit-log", audit,
        "--allow-lower-access", "--allow-remove-staff", "--lock-timeout", "30",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"command": "apply", "allow-remove-staff": "yes"}, "expected true or false"),
        ({"command": "plan", "format": "yaml"}, "format must be text, json"),
    ],
)
def test_bad_inputs_fail_before_psconfig_runs(
    tmp_path: Path, fakes: Fakes, inputs: dict[str, str], message: str
) -> None:
    job = run_with_fakes(tmp_path, fakes, inputs)

    assert job.conclusion == "failure"
    assert message in job.log
    assert fakes.psconfig_calls() == []


@pytest.mark.parametrize(
    ("code", "fails"), [(0, False), (2, False), (1, True), (3, True)]
)
def test_only_errors_and_refusals_fail_the_step(
    tmp_path: Path, fakes: Fakes, code: int, fails: bool
) -> None:
    fakes.psconfig_returns(code, "report\n")

    job = run_with_fakes(tmp_path, fakes, {"command": "drift", "format": "markdown"})

    assert (job.conclusion == "failure") is fails
    report = tmp_path / "_runner_temp" / "psconfig" / "drift.md"
    assert report.read_text(encoding="utf-8") == "report\n"
