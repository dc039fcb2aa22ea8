"""The job emulator behaves like the hosted runner where our workflows rely on it.

If these drift from GitHub's behaviour, the workflow tests prove nothing, so each
runner rule the workflows depend on is pinned here on a tiny workflow.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ci import gha

HEADER = "name: t\non: push\ndefaults:\n  run:\n    shell: bash\njobs:\n  j:\n"


def run(
    tmp_path: Path, steps: str, context: dict[str, str] | None = None
) -> gha.JobResult:
    workflow = tmp_path / "w.yml"
    workflow.write_text(HEADER + "    steps:\n" + steps, encoding="utf-8")
    return gha.run_job(workflow, "j", workdir=tmp_path, context=context or {})


def test_pipefail_and_errexit_fail_the_step(tmp_path: Path) -> None:
    job = run(
        tmp_path,
        """\
      - name: pipe
        run: |
          false | true
          echo after
""",
    )
    assert job.conclusion == "failure"
    assert job.step("pipe").stdout == ""


def test_later_steps_skip_after_a_failure_unless_always(tmp_path: Path) -> None:
    job = run(
        tmp_path,
        """\
      - {name: boom, run: exit 3}
      - {name: next, run: echo next}
      - {name: cleanup, if: always(), run: echo cleanup}
      - {name: on-failure, if: '${{ failure() }}', run: echo failed}
""",
    )
    assert [s.outcome for s in job.steps] == [
        "failure",
        "skipped",
        "success",
        "success",
    ]
    assert job.step("boom").exit_code == 3


def test_outputs_env_and_summary_flow_between_steps(tmp_path: Path) -> None:
    job = run(
        tmp_path,
        """\
      - id: a
        run: |
          echo "code=2" >> "$GITHUB_OUTPUT"
          printf 'text<<EOF\\nline 1\\nline 2\\nEOF\\n' >> "$GITHUB_OUTPUT"
          echo "FROM_ENV=yes" >> "$GITHUB_ENV"
      - name: b
        env:
          CODE: ${{ steps.a.outputs.code }}
          TEXT: ${{ steps.a.outputs.text }}
          WHO: ${{ github.actor }}
        run: echo "$CODE|$TEXT|$FROM_ENV|$WHO" | tee -a "$GITHUB_STEP_SUMMARY"
""",
        {"github.actor": "octocat"},
    )
    assert job.step("b").stdout == "2|line 1\nline 2|yes|octocat\n"
    assert job.summary == "2|line 1\nline 2|yes|octocat\n"


@pytest.mark.parametrize(
    "steps",
    [
        "      - {name: x, if: github.ref == 'refs/heads/main', run: 'true'}\n",
        "      - {name: x, env: {A: '${{ secrets.UNKNOWN }}'}, run: 'true'}\n",
        "      - {name: x, shell: sh, run: 'true'}\n",
        "      - {name: x, continue-on-error: true, run: 'true'}\n",
    ],
    ids=["if-expression", "unknown-context", "other-shell", "continue-on-error"],
)
def test_what_it_cannot_emulate_raises(tmp_path: Path, steps: str) -> None:
    with pytest.raises(gha.Unsupported):
        run(tmp_path, steps)


def test_or_takes_the_first_non_empty_operand(tmp_path: Path) -> None:
    job = run(
        tmp_path,
        """\
      - name: x
        env:
          A: ${{ github.head_ref || github.ref_name }}
        run: echo "$A"
""",
        {"github.head_ref": "", "github.ref_name": "main"},
    )
    assert job.step("x").stdout == "main\n"


ACTION = """\
name: local
inputs:
  who: {required: true}
  greeting: {default: hello}
outputs:
  said:
    value: ${{ steps.say.outputs.said }}
runs:
  using: composite
  steps:
    - id: say
      shell: bash
      env:
        WHO: ${{ inputs.who }}
        GREETING: ${{ inputs.greeting }}
        WHERE: ${{ github.action_path }}
      run: |
        echo "said=$GREETING $WHO" >> "$GITHUB_OUTPUT"
        test "$WHERE" = "$GITHUB_ACTION_PATH"
        echo "$SECRET_VALUE" > /dev/null
"""


def test_a_mapped_composite_action_runs_with_inputs_and_outputs(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "action"
    folder.mkdir()
    (folder / "action.yml").write_text(ACTION, encoding="utf-8")
    workflow = tmp_path / "w.yml"
    workflow.write_text(
        HEADER
        + """\
    steps:
      - id: a
        uses: me/local@0123
        env:
          SECRET_VALUE: s
        with:
          who: world
      - name: after
        env:
          SAID: ${{ steps.a.outputs.said }}
        run: echo "$SAID"
""",
        encoding="utf-8",
    )

    job = gha.run_job(
        workflow, "j", workdir=tmp_path, context={}, actions={"me/local": folder}
    )

    assert job.conclusion == "success", job.log
    assert job.step("after").stdout == "hello world\n"


def test_a_composite_action_rejects_an_undeclared_input(tmp_path: Path) -> None:
    folder = tmp_path / "action"
    folder.mkdir()
    (folder / "action.yml").write_text(ACTION, encoding="utf-8")
    workflow = tmp_path / "w.yml"
    workflow.write_text(
        HEADER + "    steps:\n      - uses: me/local@1\n        with: {whom: x}\n",
        encoding="utf-8",
    )

    with pytest.raises(gha.Unsupported):
        gha.run_job(
            workflow, "j", workdir=tmp_path, context={}, actions={"me/local": folder}
        )
