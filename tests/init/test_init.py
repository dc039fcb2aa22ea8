"""``psconfig init``: a starter spec that validates and plans, from flags or answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from psconfig.cli import _register_all, app, common
from psconfig.spec import load_spec

SYNC = {"CLEVER_SYNC_PASSWORD": "init-test-Cl3ver-sync"}


def run(*args: str, stdin: str | None = None) -> Result:
    _register_all()
    return CliRunner().invoke(app, list(args), input=stdin, env=SYNC)


def test_a_sim_starter_validates_and_plans() -> None:
    made = run(
        "init",
        "springfield.yaml",
        "--server",
        "sim://springfield",
        "--allowed-ip",
        "192.0.2.10",
        "--allowed-ip",
        "203.0.113.0/28",
        "--group-number",
        "14",
        "--username",
        "clever-sync",
    )
    assert made.exit_code == 0, made.output
    assert made.stdout.splitlines()[0] == (
        "Wrote springfield.yaml: the clever-dde-sync preset for springfield on "
        "sim://springfield."
    )
    assert made.stderr == ""  # allowed IPs given: no warning
    text = Path("springfield.yaml").read_text()
    assert text.startswith("# psconfig spec for springfield")
    assert 'password: "${env:CLEVER_SYNC_PASSWORD}"' in text
    validated = run("validate", "springfield.yaml")
    assert validated.exit_code == 0, validated.output
    assert "0 warnings" in validated.stderr
    planned = run("plan", "springfield.yaml")
    assert planned.exit_code == 2, planned.output  # the whole setup to do
    assert "# group.14 will be created" in planned.stdout
    assert '+ admin_access.username: "clever-sync"' in planned.stdout
    assert run("apply", "springfield.yaml", "--auto-approve").exit_code == 0
    assert run("plan", "springfield.yaml").exit_code == 0


@pytest.mark.parametrize("secrets", ["env", "file"])
def test_a_real_server_starter_reads_its_secrets_by_reference(secrets: str) -> None:
    made = run(
        "init",
        "district.yaml",
        "--server",
        "https://ps.shelbyville.example",
        "--name",
        "shelbyville-usd",
        "--secrets",
        secrets,
    )
    assert made.exit_code == 0, made.output
    # no allowed IPs: the warning validate would give, shown at once
    assert "[PS011]" in made.stderr
    spec = load_spec(Path("district.yaml"))
    assert (spec.name, spec.server.url) == (
        "shelbyville-usd",
        "https://ps.shelbyville.example",
    )
    expected = {
        "env": ("${env:PS_ADMIN_USER}", "${env:PS_ADMIN_PASSWORD}"),
        "file": ("${file:secrets/ps-admin-user}", "${file:secrets/ps-admin-password}"),
    }[secrets]
    assert (str(spec.server.username), str(spec.server.password)) == expected
    assert f"Its secrets come from {expected[0]}, {expected[1]}" in made.stdout
    assert run("validate", "district.yaml").exit_code == 0


def test_an_existing_file_is_kept_unless_forced() -> None:
    Path("springfield.yaml").write_text("# the district's own spec\n")
    refused = run("init", "springfield.yaml", "--server", "sim://springfield")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "error: springfield.yaml exists; pass --force to overwrite it\n"
    )
    assert Path("springfield.yaml").read_text() == "# the district's own spec\n"
    forced = run("init", "springfield.yaml", "--server", "sim://springfield", "--force")
    assert forced.exit_code == 0
    assert Path("springfield.yaml").read_text().startswith("# psconfig spec")


def test_wrong_answers_are_named_by_their_flag_and_nothing_is_written() -> None:
    result = run(
        "init",
        "x.yaml",
        "--server",
        "http://ps.example",
        "--group-number",
        "900",
        "--allowed-ip",
        "10.0.0.300",
        "--name",
        "-bad",
    )
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line.split(":")[1].strip() for line in lines] == [
        "--name",
        "--server",
        "--group-number",
        "--allowed-ip",
    ]
    assert all(line.startswith("error: --") for line in lines)
    assert not Path("x.yaml").exists()


def test_without_a_terminal_the_server_is_required() -> None:
    result = run("init", "x.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: init needs --server URL")
    assert not Path("x.yaml").exists()


def test_on_a_terminal_what_no_flag_gave_is_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(common, "stdin_is_tty", lambda: True)
    answers = "\n".join(
        ["lincoln-usd", "sim://lincoln", "", "", "192.0.2.10, 198.51.100.7", "file"]
    )
    result = run("init", "lincoln.yaml", stdin=answers + "\n")
    assert result.exit_code == 0, result.output
    assert "PowerSchool URL" in result.stdout and "[cleversync]" in result.stdout
    spec = load_spec(Path("lincoln.yaml"))
    assert (spec.name, spec.server.url) == ("lincoln-usd", "sim://lincoln")
    text = Path("lincoln.yaml").read_text()
    assert "group_number: 12" in text and 'username: "cleversync"' in text
    assert '- "192.0.2.10"\n      - "198.51.100.7"' in text
    assert "${file:secrets/clever-sync-password}" in text


def test_a_flag_is_not_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "stdin_is_tty", lambda: True)
    result = run(
        "init",
        "a.yaml",
        "--name",
        "a",
        "--server",
        "sim://a",
        "--group-number",
        "13",
        "--username",
        "u",
        "--allowed-ip",
        "192.0.2.1",
        "--secrets",
        "env",
        stdin="",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Wrote a.yaml")  # no question came first


CUSTOM = """\
psconfig: 1
name: district
server: {url: "sim://handmade"}
preset:
  clever-dde-sync:
    group_number: 14
    staff_id: "4242"
    username: clever-export
    password: ${env:CLEVER_SYNC_PASSWORD}
    allowed_ips: ["192.0.2.10", "198.51.100.0/24"]
"""


def test_from_server_starts_from_the_setup_it_finds() -> None:
    # A server someone set up by hand, with other choices than the preset's.
    Path("handmade.yaml").write_text(CUSTOM)
    assert run("apply", "handmade.yaml", "--auto-approve").exit_code == 0
    made = run("init", "new.yaml", "--server", "sim://handmade", "--from-server")
    assert made.exit_code == 0, made.output
    text = Path("new.yaml").read_text()
    assert "group_number: 14" in text and 'staff_id: "4242"' in text
    assert 'username: "clever-export"' in text
    assert '- "192.0.2.10"\n      - "198.51.100.0/24"' in text
    planned = run("plan", "new.yaml")
    assert planned.exit_code == 0, planned.stdout  # nothing to change
    # A flag still wins over what the server has.
    flagged = run(
        "init",
        "new.yaml",
        "--server",
        "sim://handmade",
        "--from-server",
        "--username",
        "cleversync",
        "--force",
    )
    assert flagged.exit_code == 0
    assert 'username: "cleversync"' in Path("new.yaml").read_text()


def test_from_server_on_a_fresh_server_keeps_the_preset_defaults() -> None:
    made = run("init", "new.yaml", "--server", "sim://fresh", "--from-server")
    assert made.exit_code == 0, made.output
    text = Path("new.yaml").read_text()
    assert "group_number: 12" in text and 'staff_id: "99999"' in text
    assert run("plan", "new.yaml").exit_code == 2


def test_from_server_signs_in_with_the_specs_references(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PS_ADMIN_USER", raising=False)
    no_server = run("init", "new.yaml", "--from-server")
    assert no_server.exit_code == 1
    assert no_server.stderr.startswith("error: --from-server reads the server given")
    unset = run("init", "new.yaml", "--server", "https://ps.example", "--from-server")
    assert unset.exit_code == 1
    assert unset.stderr == (
        "error: --from-server: ${env:PS_ADMIN_USER}: environment variable is not set\n"
    )
    assert not Path("new.yaml").exists()
