"""``plan``/``drift --format markdown --template DIR``: a district's own comment."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import run, write_demo


def test_the_default_comment_is_the_built_in_template(tmp_path: Path) -> None:
    write_demo()
    default = run("plan", "demo.yaml", "--format", "markdown")
    empty = tmp_path / "empty"
    empty.mkdir()
    same = run("plan", "demo.yaml", "--format", "markdown", "--template", str(empty))
    assert default.exit_code == same.exit_code == 2
    assert default.stdout.startswith("<!-- psconfig:plan name=demo -->\n")
    assert same.stdout == default.stdout


def test_a_district_template_changes_the_comment(tmp_path: Path) -> None:
    write_demo()
    (tmp_path / "plan.md.j2").write_text(
        '{% extends "psconfig/plan.md.j2" %}\n'
        "{% block title %}\n## Springfield USD: {{ name }} ({{ mode }})\n"
        "{% endblock %}\n"
        "{% block footer %}\n\nQuestions: it@springfield.example\n{% endblock %}\n"
    )
    result = run(
        "plan", "demo.yaml", "--format", "markdown", "--template", str(tmp_path)
    )
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "<!-- psconfig:plan name=demo -->",
        "## Springfield USD: demo (plan)",
    ]
    assert lines[-1] == "Questions: it@springfield.example"
    assert "<details><summary>Full plan</summary>" in lines


def test_a_fleet_comment_uses_both_templates(tmp_path: Path) -> None:
    write_demo("specs/a.yaml")
    write_demo("specs/b.yaml", url="sim://other")
    (tmp_path / "fleet.md.j2").write_text(
        "# {{ districts|length }} districts\n"
        "{% for d in districts %}\n* {{ d.name }}: {{ d.result }}\n{% endfor %}\n"
        "{% for report in reports %}{{ report }}{% endfor %}"
    )
    (tmp_path / "plan.md.j2").write_text("### {{ spec.path }} {{ summary }}\n")
    result = run("plan", "specs", "--format", "markdown", "--template", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert result.stdout == (
        "# 2 districts\n* demo: changes\n* demo: changes\n"
        "### specs/a.yaml Plan: 1 to create, 3 to change, 0 to remove. "
        "3 escalate privilege, 0 reduce.\n"
        "### specs/b.yaml Plan: 1 to create, 3 to change, 0 to remove. "
        "3 escalate privilege, 0 reduce.\n"
    )


def test_a_hostile_spec_path_stays_inside_its_table_cell(tmp_path: Path) -> None:
    hostile = "specs/x|y`z <!-- @district-admins.yaml"
    write_demo("specs/a.yaml")
    write_demo(hostile, url="sim://other")
    result = run("drift", "specs", "--format", "markdown")
    assert result.exit_code == 2, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("| demo")]
    assert rows[1] == (
        "| demo | `specs/x\\|y'z <!-- @district-admins.yaml` | drift | 4 | 0 |"
    )
    # five cells: no unescaped pipe split the row
    assert len(rows[1].replace("\\|", "").split("|")) == 7


def test_a_broken_template_is_one_error_line_before_any_sign_in(
    tmp_path: Path,
) -> None:
    write_demo()
    (tmp_path / "plan.md.j2").write_text("line one\n{% if %}\n")
    result = run(
        "plan", "demo.yaml", "--format", "markdown", "--template", str(tmp_path)
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {tmp_path / 'plan.md.j2'}:2: template: Expected an expression, "
        "got 'end of statement block'\n"
    )
    assert result.stdout == ""
    assert not Path(".psconfig/sim").exists()  # nothing was read


def test_a_template_error_while_rendering_names_file_and_line(
    tmp_path: Path,
) -> None:
    write_demo()
    (tmp_path / "plan.md.j2").write_text("{{ name }}\n{{ plan.no_such }}\n")
    result = run(
        "drift", "demo.yaml", "--format", "markdown", "--template", str(tmp_path)
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {tmp_path / 'plan.md.j2'}:2: template: ")
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


def test_template_mistakes_are_usage_errors(tmp_path: Path) -> None:
    write_demo()
    cases = {
        ("--format", "markdown", "--template", "nowhere"): (
            "error: --template: nowhere is not a directory\n"
        ),
        ("--template", str(tmp_path)): (
            "error: --template shapes the comment: use it with --format markdown\n"
        ),
    }
    for args, message in cases.items():
        result = run("plan", "demo.yaml", *args)
        assert result.exit_code == 1, args
        assert result.stderr == message


def test_the_docs_template_example_works(tmp_path: Path) -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "ci.md"
    block = page.read_text().split("```jinja\n", 1)[1].split("```", 1)[0]
    (tmp_path / "plan.md.j2").write_text(block)
    write_demo()
    result = run(
        "plan", "demo.yaml", "--format", "markdown", "--template", str(tmp_path)
    )
    assert result.exit_code == 2, result.output
    assert result.stdout.endswith(
        "</details>\n\nQuestions about this plan: #it-security on Slack, "
        "it@springfield.example.\n"
    )
