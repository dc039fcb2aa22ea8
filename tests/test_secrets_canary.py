"""No secret leaves psconfig: every command runs with canary passwords, none leaks.

Three canaries: the administrator's password (the one psconfig signs in with), the
sync account's password (the one it sets) and a wrong administrator password (the
failing sign-in path). The simulator's administrator really has the admin canary
as its password, so every sign-in uses it for real: in-process over ``sim://``
(modern flavor, plain password) and over loopback HTTP on a served simulator
(legacy flavor, where the page hashes the password PCAS-style before posting).

Every command runs in the test's working directory through the real CLI:
validate (text, json, github, --expand), schema, plan (text, json, markdown,
--out), apply (from a saved plan and from the spec), drift (every format), verify
(--out), doctor --capture, import --out, rotate-password --out, sim errors, a
refused sign-in and the apply audit log. Then no canary, in any form a leak could
take (as is, URL-encoded, as PCAS's base64 MD5), may appear in stdout, stderr, the
log records (DEBUG and up) or any file under the working directory. The
simulator's own state files are the one exception: they are the server's password
store (salted hashes, and for the legacy flavor the base64 MD5 PCAS needs), not
psconfig's output.

The commands added for operators run too: init, drift --notify to a loopback webhook
whose URL holds a fourth canary, and report over the saved plan and verify report.

A command missing from the CLI fails this test by name rather than being skipped,
and so does a command the CLI gains that this test does not run yet.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from typer.testing import CliRunner, Result

from psconfig.cli import _register_all, app
from psconfig.drivers.portal.http.pcas import b64_md5
from psconfig.sim import create_app, plugin_api, save_state, seed_state
from psconfig.sim.pcas import cached_hash
from psconfig.sim.state import SimState
from tests.faults.served import serve
from tests.notify.receiver import receiving

ADMIN = "Canary-Admin-7Qx#2pLm&9"
SYNC = "Canary-Sync-4Tz%8wNc+3"
WRONG = "Canary-Wrong-5Rk!1vHs?6"
API_SECRET = "Canary-ApiSecret-6Wm$3qZt=1"
TOKEN = "Canary-Token-2Hv7Lp0Xr4"
HOOK = "Canary-Hook-8Jw-6dFq"  # the token in a drift notification's webhook URL
CANARIES = {
    "admin": ADMIN,
    "sync": SYNC,
    "wrong": WRONG,
    "client secret": API_SECRET,
    "token": TOKEN,
    "hook": HOOK,
}

COMMANDS = (
    "validate",
    "schema",
    "plan",
    "apply",
    "drift",
    "verify",
    "rotate-password",
    "doctor",
    "import",
    "sim",
    "plugin",
    "report",
    "init",
)

SPEC = """\
psconfig: 1
name: canary
server:
  url: sim://canary
  username: ${env:PS_ADMIN_USER}
  password: ${env:PS_ADMIN_PASSWORD}
  api: {client_id: "${env:PS_API_CLIENT_ID}", client_secret: "${env:PS_API_SECRET}"}
preset:
  clever-dde-sync:
    password: ${env:CLEVER_SYNC_PASSWORD}
    allowed_ips: [127.0.0.1]
"""


def forms(secret: str) -> set[str]:
    """The shapes a leaked secret could take in text."""
    return {secret, quote(secret), quote_plus(secret), b64_md5(secret)}


@dataclass
class Session:
    """The CLI runs of this test, everything they printed and logged."""

    runner: CliRunner
    caplog: pytest.LogCaptureFixture
    outputs: list[tuple[str, str]] = field(default_factory=list)

    def run(self, *args: str, code: int | tuple[int, ...] = 0) -> Result:
        result = self.runner.invoke(app, list(args))
        label = " ".join(args)
        self.outputs.append((f"{label} (stdout)", result.stdout))
        self.outputs.append((f"{label} (stderr)", result.stderr))
        codes = (code,) if isinstance(code, int) else code
        assert result.exit_code in codes, (label, result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr, label
        return result

    def logged(self) -> Iterator[tuple[str, str]]:
        for record in self.caplog.records:
            yield f"log {record.name}", record.getMessage()
            if record.exc_text:
                yield f"log {record.name} (exception)", record.exc_text


def admin_state(flavor: str) -> SimState:
    """A fresh simulator whose administrator's password is the admin canary."""
    state = seed_state(flavor="legacy" if flavor == "legacy" else "modern")
    state.staff[0].password = cached_hash(ADMIN, pcas=flavor == "legacy")
    return state


def registered_commands() -> set[str]:
    _register_all()
    names = {c.name for c in app.registered_commands}
    names |= {g.name for g in app.registered_groups}
    return {name for name in names if name}


def run_every_command(cli: Session, served_url: str) -> None:
    # Offline.
    cli.run("validate", "spec.yaml")
    cli.run("validate", "--format", "json", "--expand", "spec.yaml")
    cli.run("validate", "--format", "github", "spec.yaml")
    cli.run("schema")
    cli.run(
        "init", "starter.yaml", "--server", "https://ps.example", "--secrets", "env"
    )
    # Plan in every format, saved, then applied from the saved plan.
    for fmt in ("text", "json", "markdown"):
        cli.run("plan", "spec.yaml", "--format", fmt, code=2)
    cli.run("plan", "spec.yaml", "--out", "plan.json", code=2)
    cli.run("apply", "--plan", "plan.json", "--auto-approve")
    cli.run("apply", "spec.yaml", "--auto-approve")
    for fmt in ("text", "json", "markdown"):
        cli.run("drift", "spec.yaml", "--format", fmt)
    # Snapshots, and a plan from one; the plugin API (client secret, token).
    cli.run("drift", "spec.yaml", "--snapshot-out", "live.json")
    cli.run("plan", "spec.yaml", "--snapshot-out", "snaps/plan.json")
    for fmt in ("text", "json", "markdown"):
        cli.run("plan", "spec.yaml", "--live", "live.json", "--format", fmt)
    cli.run("plan", "spec.yaml", "--live", "live.json", "--out", "offline.json")
    cli.run("apply", "--plan", "offline.json", "--auto-approve", code=3)
    cli.run("plugin", "--out", "plugin")
    cli.run(
        "sim",
        "install-plugin",
        "plugin/psconfig-plugin.zip",
        "--state",
        ".psconfig/sim/canary.json",
        "--client-secret-env",
        "PS_API_SECRET",
        "--max-page-size",
        "1",
    )
    for fmt in ("text", "json", "markdown"):
        cli.run("drift", "spec.yaml", "--via", "api", "--format", fmt)
    # The nightly summary, to a webhook whose URL (with its token) is a secret.
    cli.run("drift", "spec.yaml", "--notify", "${env:HOOK_URL}", "--notify-always")
    # The sync account proves itself, with its own (canary) password.
    cli.run("verify", "spec.yaml", "--format", "json", "--out", "verify.json")
    cli.run("report", "plan.json", "verify.json", "--out", "report.html")
    # Tooling that signs in with the admin password from the environment (for
    # sim:// only when asked to: it defaults to the simulator's demo password).
    env = ("--password-env", "PS_ADMIN_PASSWORD")
    cli.run("doctor", "--server", "sim://canary", *env, "--capture", "capture")
    cli.run("import", "--server", "sim://canary", *env, "--out", "imported.yaml")
    # Over real HTTP, legacy flavor: the password is hashed on the page.
    cli.run("apply", "spec.yaml", "--server", served_url, "--auto-approve")
    cli.run("verify", "spec.yaml", "--server", served_url, "--out", "verify2.json")
    cli.run("doctor", "--server", served_url, "--capture", "capture-served")
    # Rotation last: the spec's sync password stops working after it.
    cli.run("rotate-password", "spec.yaml", "--out", "new-sync-password.txt")
    # Errors: the simulator's and a refused sign-in.
    cli.run("plan", "spec.yaml", "--server", "sim://bad name!", code=1)
    cli.run("sim", "serve", "--host", "192.0.2.1", code=1)
    cli.run("plan", "spec.yaml", "--server", "sim://canary?flavor=legacy", code=1)


def leaks(cli: Session, root: Path) -> list[str]:
    """Every place a canary (in any form) appears, as 'CANARY in WHERE'."""
    texts = [*cli.outputs, *cli.logged()]
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.parent.name == "sim" and path.suffix == ".json":
            continue  # the simulator's password store (see the module docstring)
        if path.name == "served.json":
            continue
        texts.append((str(path.relative_to(root)), path.read_bytes().decode("latin-1")))
    found = []
    for name, secret in CANARIES.items():
        shapes = forms(secret)
        found += [f"{name} in {where}" for where, text in texts if _any(shapes, text)]
    return found


def _any(shapes: set[str], text: str) -> bool:
    return any(shape in text for shape in shapes)


def test_no_command_writes_a_secret_anywhere(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    registered = registered_commands()
    missing = sorted(set(COMMANDS) - registered)
    assert not missing, f"commands missing from the CLI (tell the lead): {missing}"
    new = sorted(registered - set(COMMANDS))
    assert not new, f"commands this test does not run yet (add them): {new}"
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("PS_ADMIN_USER", "admin")
    monkeypatch.setenv("PS_ADMIN_PASSWORD", ADMIN)
    monkeypatch.setenv("CLEVER_SYNC_PASSWORD", SYNC)
    monkeypatch.setenv("PS_API_CLIENT_ID", "canary-client")
    monkeypatch.setenv("PS_API_SECRET", API_SECRET)
    # Every plugin token the simulator issues is the token canary.
    monkeypatch.setattr(plugin_api, "new_token", lambda: TOKEN)
    monkeypatch.delenv("PSCONFIG_AUDIT_LOG", raising=False)
    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    save_state(admin_state("modern"), tmp_path / ".psconfig" / "sim" / "canary.json")
    served_state = tmp_path / "served.json"
    save_state(admin_state("legacy"), served_state)
    cli = Session(CliRunner(), caplog)

    with serve(create_app(served_state)) as url, receiving() as hook:
        monkeypatch.setenv("HOOK_URL", hook.url(f"/{HOOK}"))
        run_every_command(cli, url)
        monkeypatch.setenv("PS_ADMIN_PASSWORD", WRONG)
        refused = cli.run("plan", "spec.yaml", "--server", url, code=1)
        assert "refused" in refused.stderr

    audit = tmp_path / ".psconfig" / "audit.jsonl"
    assert audit.is_file() and '"event": "change"' in audit.read_text()
    assert [path for path, _ in hook.received] == [f"/{HOOK}"]
    assert (tmp_path / "report.html").is_file()
    assert (tmp_path / "capture").is_dir() and (tmp_path / "capture-served").is_dir()
    new_password = (tmp_path / "new-sync-password.txt").read_text().strip()
    assert len(new_password) >= 24
    assert leaks(cli, tmp_path) == []
    # The new password, too, is only in its file.
    CANARIES["rotated"] = new_password
    try:
        found = leaks(cli, tmp_path)
    finally:
        del CANARIES["rotated"]
    assert found == ["rotated in new-sync-password.txt"]
    assert not re.search(r"Canary-\w+", "".join(t for _, t in cli.outputs))


def test_the_leak_check_finds_every_shape_in_every_channel(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The check above can fail: it finds a canary wherever and however it leaks."""
    cli = Session(CliRunner(), caplog)
    cli.outputs.append(("plan (stdout)", f"password={quote_plus(SYNC)}"))
    logging.getLogger("psconfig.test").warning("key %s", b64_md5(ADMIN))
    (tmp_path / "capture").mkdir()
    (tmp_path / "capture" / "page.html").write_text(f"<input value='{WRONG}'>")
    sim_store = tmp_path / ".psconfig" / "sim"
    sim_store.mkdir(parents=True)
    (sim_store / "canary.json").write_text(b64_md5(ADMIN))  # the server's store
    assert sorted(leaks(cli, tmp_path)) == [
        "admin in log psconfig.test",
        "sync in plan (stdout)",
        "wrong in capture/page.html",
    ]
