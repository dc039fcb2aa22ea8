"""A small emulator of one GitHub Actions job, to test our workflows' shell logic.

It runs each ``run:`` step the way a hosted Linux runner does for ``shell: bash``
(``bash --noprofile --norc -eo pipefail FILE``), with the workflow, job and step
``env:`` merged, ``${{ }}`` expressions resolved from a context the test supplies,
and the ``GITHUB_OUTPUT`` / ``GITHUB_ENV`` / ``GITHUB_STEP_SUMMARY`` files wired
between steps. ``uses:`` steps are recorded with their expanded ``with:`` inputs and
not run, except a composite action the test maps to a local checkout (``actions``):
its steps run like the job's, with ``inputs.*`` (defaults applied) and
``github.action_path``, and its ``outputs:`` become the step's outputs. Anything
it cannot emulate faithfully (another shell, ``working-directory``,
``continue-on-error``, an ``if:`` that is not a status function, an unknown
expression, an input the action does not declare) raises ``Unsupported``, so a
workflow change that outgrows the emulator fails loudly instead of passing quietly.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML

Outcome = Literal["success", "failure", "skipped"]

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# The status functions `if:` may use, and when each lets a step run.
_STATUS_IFS = {
    "always()": "always",
    "!cancelled()": "always",
    "success()": "success",
    "failure()": "failure",
}
# GitHub's command for `shell: bash` on Linux runners.
_BASH = ("bash", "--noprofile", "--norc", "-eo", "pipefail")


class Unsupported(Exception):
    """The workflow uses a feature this emulator does not model."""


@dataclass(frozen=True)
class StepResult:
    name: str
    outcome: Outcome
    uses: str | None = None
    inputs: Mapping[str, str] = field(default_factory=dict)
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""


@dataclass(frozen=True)
class JobResult:
    conclusion: Literal["success", "failure"]
    steps: tuple[StepResult, ...]
    summary: str

    def step(self, name: str) -> StepResult:
        """The step whose ``name`` (or ``uses`` for unnamed steps) is ``name``."""
        for step in self.steps:
            if name in (step.name, step.uses):
                return step
        raise KeyError(f"no step {name!r} in {[s.name for s in self.steps]}")

    @property
    def log(self) -> str:
        """Every step's stdout and stderr, for assertion messages."""
        return "\n".join(f"--- {s.name}\n{s.stdout}{s.stderr}" for s in self.steps)


def load_workflow(path: Path) -> dict[str, Any]:
    """Parse a workflow file (YAML 1.2, so ``on:`` stays a string key)."""
    data: dict[str, Any] = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return data


def run_job(
    workflow: Path,
    job: str,
    *,
    workdir: Path,
    context: Mapping[str, str],
    path_prepend: Sequence[Path] = (),
    skip_ids: Collection[str] = (),
    actions: Mapping[str, Path] | None = None,
    env: Mapping[str, str] | None = None,
    step_timeout: float = 60,
) -> JobResult:
    """Run the ``run:`` steps of ``job`` in ``workdir`` and report what happened.

    ``context`` maps dotted expression names (``secrets.X``, ``github.repository``)
    to values; ``steps.ID.outputs.NAME`` and ``env.NAME`` come from the run itself.
    Steps whose ``id`` is in ``skip_ids`` (an install that would need the network),
    in the job or in a composite action, are reported as skipped. ``actions`` maps
    an action (``owner/name``, the part before ``@``) to the local folder holding
    its ``action.yml``, to run it instead of recording it. ``env`` adds variables
    the runner itself would have (a package cache); a step taking longer than
    ``step_timeout`` seconds fails the test.
    """
    data = load_workflow(workflow)
    spec = data["jobs"][job]
    runner = _Runner(workdir, dict(context), path_prepend, dict(actions or {}))
    runner.timeout = step_timeout
    runner.env.update(env or {})
    runner.env.update(runner.expand_all(data.get("env", {})))
    runner.env.update(runner.expand_all(spec.get("env", {})))
    shell = _shell(data, spec)
    results = [runner.step(step, shell, skip_ids) for step in spec["steps"]]
    failed = any(r.outcome == "failure" for r in results)
    summary = runner.summary.read_text(encoding="utf-8")
    return JobResult("failure" if failed else "success", tuple(results), summary)


def _shell(workflow: Mapping[str, Any], job: Mapping[str, Any]) -> str:
    for level in (job, workflow):
        shell = level.get("defaults", {}).get("run", {}).get("shell")
        if shell is not None:
            return str(shell)
    raise Unsupported(
        "set `defaults: run: shell: bash` (the implicit shell lacks pipefail)"
    )


class _Runner:
    def __init__(
        self,
        workdir: Path,
        context: dict[str, str],
        path_prepend: Sequence[Path],
        actions: dict[str, Path],
    ) -> None:
        self.workdir = workdir
        self.context = context
        self.actions = actions
        self.timeout: float = 60
        self.outputs: dict[str, dict[str, str]] = {}
        self.failed = False
        temp = workdir / "_runner_temp"
        temp.mkdir(parents=True, exist_ok=True)
        self.summary = temp / "step_summary.md"
        self.summary.touch()
        self.env: dict[str, str] = {
            "PATH": os.pathsep.join([*map(str, path_prepend), os.environ["PATH"]]),
            "HOME": str(workdir),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workdir),
            "RUNNER_TEMP": str(temp),
            "GITHUB_STEP_SUMMARY": str(self.summary),
        }
        self.context.setdefault("runner.temp", str(temp))

    def expand(self, value: object) -> str:
        """Resolve every ``${{ name }}`` in ``value``; unknown names raise."""
        return _EXPR.sub(lambda m: self._lookup(m.group(1)), str(value))

    def expand_all(self, env: Mapping[str, object]) -> dict[str, str]:
        return {name: self.expand(value) for name, value in env.items()}

    def _lookup(self, name: str) -> str:
        if " || " in name:  # the first operand that is not empty, as GitHub's ||
            values = (self._lookup(part.strip()) for part in name.split(" || "))
            return next((value for value in values if value), "")
        parts = name.split(".")
        if len(parts) == 4 and parts[0] == "steps" and parts[2] == "outputs":
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        if len(parts) == 2 and parts[0] == "env" and parts[1] in self.env:
            return self.env[parts[1]]
        if name in self.context:
            return self.context[name]
        raise Unsupported(f"expression not in the test's context: {name!r}")

    def step(
        self, step: Mapping[str, Any], shell: str, skip_ids: Collection[str]
    ) -> StepResult:
        name = str(step.get("name") or step.get("uses") or step.get("id"))
        for key in ("working-directory", "continue-on-error"):
            if key in step:
                raise Unsupported(f"step {name!r} uses {key}")
        if not self._should_run(step.get("if")) or step.get("id") in skip_ids:
            return StepResult(name, "skipped", step.get("uses"))
        if "uses" in step:
            inputs = self.expand_all(step.get("with", {}))
            local = self.actions.get(str(step["uses"]).split("@", 1)[0])
            if local is not None:
                return self._composite(step, name, local, inputs, skip_ids)
            return StepResult(name, "success", str(step["uses"]), inputs)
        if step.get("shell", shell) != "bash":
            raise Unsupported(f"step {name!r}: only `shell: bash` is emulated")
        result = self._run_script(step, name)
        self.failed = self.failed or result.outcome == "failure"
        return result

    def _composite(
        self,
        step: Mapping[str, Any],
        name: str,
        folder: Path,
        given: Mapping[str, str],
        skip_ids: Collection[str],
    ) -> StepResult:
        """Run a composite action's steps as one step of this job."""
        action = load_workflow(folder / "action.yml")
        if action["runs"]["using"] != "composite":
            raise Unsupported(f"{folder}: only composite actions are emulated")
        declared: dict[str, Any] = action.get("inputs", {})
        if unknown := set(given) - set(declared):
            raise Unsupported(f"step {name!r}: inputs {sorted(unknown)} not declared")
        inputs = {k: str(v.get("default", "")) for k, v in declared.items()}
        inputs |= given
        if missing := [
            k for k, v in declared.items() if v.get("required") and not inputs[k]
        ]:
            raise Unsupported(f"step {name!r}: required inputs {missing} not given")
        context = {**self.context, "github.action_path": str(folder)}
        context |= {f"inputs.{k}": v for k, v in inputs.items()}
        inner = _Runner(self.workdir, context, (), self.actions)
        inner.timeout = self.timeout
        inner.summary = self.summary
        inner.env = {**self.env, **self.expand_all(step.get("env", {}))}
        inner.env["GITHUB_ACTION_PATH"] = str(folder)
        results = [inner.step(s, "", skip_ids) for s in action["runs"]["steps"]]
        outputs = {
            key: inner.expand(value.get("value", ""))
            for key, value in action.get("outputs", {}).items()
        }
        if "id" in step:
            self.outputs[str(step["id"])] = outputs
        self.failed = self.failed or inner.failed
        codes = [r.exit_code for r in results if r.exit_code]
        return StepResult(
            name,
            "failure" if inner.failed else "success",
            str(step["uses"]),
            given,
            codes[-1] if codes else 0,
            "".join(r.stdout for r in results),
            "".join(r.stderr for r in results),
        )

    def _should_run(self, condition: object) -> bool:
        if condition is None:
            return not self.failed
        text = _EXPR.sub(r"\1", str(condition)).strip()
        if text not in _STATUS_IFS:
            raise Unsupported(f"if: {condition!r} (only status functions are emulated)")
        wanted = _STATUS_IFS[text]
        return wanted == "always" or (wanted == "failure") == self.failed

    def _run_script(self, step: Mapping[str, Any], name: str) -> StepResult:
        temp = Path(self.env["RUNNER_TEMP"])
        script = temp / "step.sh"
        script.write_text(str(step["run"]), encoding="utf-8")
        output, genv = temp / "output", temp / "env"
        output.write_text("", encoding="utf-8")
        genv.write_text("", encoding="utf-8")
        env = {**self.env, **self.expand_all(step.get("env", {}))}
        env |= {"GITHUB_OUTPUT": str(output), "GITHUB_ENV": str(genv)}
        proc = subprocess.run(
            [*_BASH, str(script)],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        if "id" in step:
            self.outputs[str(step["id"])] = _parse_commands_file(output)
        self.env.update(_parse_commands_file(genv))
        outcome: Outcome = "success" if proc.returncode == 0 else "failure"
        return StepResult(
            name, outcome, None, {}, proc.returncode, proc.stdout, proc.stderr
        )


def _parse_commands_file(path: Path) -> dict[str, str]:
    """Parse GITHUB_OUTPUT/GITHUB_ENV: ``name=value`` and ``name<<DELIM`` blocks."""
    values: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            for body_line in lines:
                if body_line == delimiter:
                    break
                body.append(body_line)
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values
