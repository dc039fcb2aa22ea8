"""``psconfig rotate-password`` end to end against a sim:// PowerSchool."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import Result

from tests.verify.helpers import OLD, converge, run, seed, sim_state, spec

STAGING = Path(".psconfig") / "rotate"
WAIVED = ("PS008", "PS009", "PS012")
"""Policy rules a spec whose sync account is the demo administrator breaks."""


def verify_with(monkeypatch: pytest.MonkeyPatch, password: str) -> Result:
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", password)
    return run("verify", "demo.yaml")


def everything_written(*results: Result) -> list[bytes]:
    """Every output channel and file a run could have left a secret in."""
    channels = [r.stdout.encode() for r in results] + [
        r.stderr.encode() for r in results
    ]
    files = [p.read_bytes() for p in Path.cwd().rglob("*") if p.is_file()]
    return channels + files


@pytest.mark.parametrize("url", ["sim://demo", "sim://demo?flavor=legacy"])
def test_rotation_changes_the_password_and_delivers_it_only_to_the_file(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    spec(url=url)
    converge()
    rotated = run("rotate-password", "demo.yaml", "--out", "secrets/clever-sync")
    assert rotated.exit_code == 0, rotated.output
    out = Path("secrets/clever-sync")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    new = out.read_text().removesuffix("\n")
    assert len(new) >= 24 and new != OLD
    assert f'Rotated the password of staff["99999"] (cleversync) on {url} ' in (
        rotated.stdout
    )
    assert "the old password is refused: yes" in rotated.stdout
    assert "delivered to: secrets/clever-sync (mode 0600)" in rotated.stdout

    assert verify_with(monkeypatch, new).exit_code == 0
    old_again = verify_with(monkeypatch, OLD)
    assert old_again.exit_code == 1
    assert "Verify: FAILED (sign-in)." in old_again.stdout

    # Canary: neither password reached any output, log or file but the out file.
    out_bytes = out.read_bytes()
    for blob in everything_written(rotated, old_again):
        if blob == out_bytes:
            continue
        assert new.encode() not in blob
        assert OLD.encode() not in blob
    lines = Path(".psconfig/audit.jsonl").read_text().splitlines()
    audit = [json.loads(line) for line in lines]
    assert [e["event"] for e in audit[-3:]] == ["start", "change", "end"]
    assert audit[-2]["detail"] == "password rotation"
    assert audit[-1]["outcome"] == "success"
    assert not STAGING.exists()  # --out stages beside the file, not here
    assert sorted(p.name for p in out.parent.iterdir()) == ["clever-sync"]


def test_rotating_in_place_through_the_specs_file_reference() -> None:
    """--out FILE may be the file the spec reads the password from."""
    Path("secrets").mkdir()
    Path("secrets/clever-sync").write_text(OLD + "\n")
    spec(path="demo.yaml")
    text = Path("demo.yaml").read_text()
    Path("demo.yaml").write_text(
        text.replace("${env:CLEVER_SYNC_PASSWORD}", "${file:secrets/clever-sync}")
    )
    converge()
    first = run("rotate-password", "demo.yaml", "--out", "secrets/clever-sync")
    assert first.exit_code == 0, first.output
    assert run("verify", "demo.yaml").exit_code == 0
    second = run("rotate-password", "demo.yaml", "--out", "secrets/clever-sync")
    assert second.exit_code == 0, second.output
    assert run("verify", "demo.yaml").exit_code == 0


def test_to_command_gets_the_password_on_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    spec()
    converge()
    script = "import sys; open('vault', 'w').write(sys.stdin.read())"
    command = f'{sys.executable} -c "{script}"'
    rotated = run("rotate-password", "demo.yaml", "--to-command", command)
    assert rotated.exit_code == 0, rotated.output
    assert "delivered to: the command" in rotated.stdout
    new = Path("vault").read_text()
    assert len(new) >= 24 and "\n" not in new
    assert not list(STAGING.iterdir())
    assert verify_with(monkeypatch, new).exit_code == 0


def test_a_failing_command_keeps_the_password_and_says_where(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A state home outside the working directory: the kept password must land
    # there, never in the checkout the command runs from.
    home = Path("state-home").resolve()
    monkeypatch.setenv("PSCONFIG_HOME", str(home))
    spec()
    converge()
    command = (
        f'{sys.executable} -c "import sys; p = sys.stdin.read(); '
        "sys.stderr.write('vault sealed, got ' + p); sys.exit(3)\""
    )
    failed = run("rotate-password", "demo.yaml", "--to-command", command)
    assert failed.exit_code == 1
    message = failed.stderr
    assert "the password was already changed in PowerSchool" in message
    assert "exited with status 3: vault sealed, got (redacted)" in message
    assert not Path(".psconfig").exists()
    kept = list((home / "rotate").iterdir())
    assert len(kept) == 1 and str(kept[0]) in message
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    new = kept[0].read_text().removesuffix("\n")
    assert new not in failed.output
    assert verify_with(monkeypatch, new).exit_code == 0
    audit = (home / "audit.jsonl").read_text().splitlines()
    assert json.loads(audit[-1])["outcome"] == "failed"


def test_the_account_psconfig_signs_in_as_is_refused() -> None:
    Path("self.yaml").write_text(
        'psconfig: 1\nname: demo\nserver: {url: "sim://demo"}\nstaff:\n'
        '  - id: "1"\n    admin_access:\n      enabled: true\n'
        "      username: admin\n      password: ${env:CLEVER_SYNC_PASSWORD}\n"
        "      default_group: 9\n"
        "policy:\n  waive:\n"
        + "".join(f"    - {{rule: {r}, reason: test}}\n" for r in WAIVED)
    )
    seed()
    before = sim_state()
    refused = run("rotate-password", "self.yaml", "--out", "new-secret")
    assert refused.exit_code == 3, refused.output
    assert "refusing to change psconfig's own access" in refused.stderr
    assert 'staff["1"] is the account psconfig is signed in as (admin)' in (
        refused.stderr
    )
    assert sorted(p.name for p in Path.cwd().iterdir()) == [".psconfig", "self.yaml"]
    assert sim_state().staff == before.staff
    audit = Path(".psconfig/audit.jsonl").read_text().splitlines()
    assert [json.loads(line)["event"] for line in audit] == ["refused"]


def test_a_missing_account_changes_nothing_and_leaves_no_file() -> None:
    spec()
    failed = run("rotate-password", "demo.yaml", "--out", "new-secret")
    assert failed.exit_code == 1
    assert "staff '99999' does not exist in PowerSchool; apply the spec first" in (
        failed.stderr
    )
    assert sorted(p.name for p in Path.cwd().iterdir()) == [".psconfig", "demo.yaml"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo.yaml"], "give exactly one"),
        (["demo.yaml", "--out", "a", "--to-command", "cat"], "give exactly one"),
        (["demo.yaml", "--to-command", "'unbalanced"], "--to-command: No closing"),
        (["demo.yaml", "--to-command", "  "], "--to-command needs a command"),
        ([], "rotate-password needs a SPEC file"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    spec()
    result = run("rotate-password", *args)
    assert result.exit_code == 1
    assert message in result.stderr


def test_removal_spec_has_nothing_to_rotate() -> None:
    Path("removal.yaml").write_text(
        'psconfig: 1\nname: demo\nserver: {url: "sim://demo"}\n'
        'staff:\n  - id: "99999"\n    ensure: absent\n'
    )
    result = run("rotate-password", "removal.yaml", "--out", "x")
    assert result.exit_code == 1
    assert "cannot rotate staff '99999': the spec removes it" in result.stderr
