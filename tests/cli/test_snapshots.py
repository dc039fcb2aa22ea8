"""Snapshots: ``--snapshot-out``, ``plan --live`` and what they refuse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from psconfig.engine.applying.audit import iso, utc_now
from psconfig.engine.sources.snapshot import snapshot_from_json, snapshot_to_json
from psconfig.sim import create_app, save_state, seed_state
from tests.cli.helpers import error_lines, run, write_demo
from tests.faults.served import serve

PR_SPEC = """\
psconfig: 1
name: district
server:
  url: {url}
  username: ${{env:PS_ADMIN_USER}}
  password: ${{env:PS_ADMIN_PASSWORD}}
preset:
  clever-dde-sync:
    group_number: 12
    password: ${{env:CLEVER_SYNC_PASSWORD}}
    allowed_ips: ["192.0.2.10"]
"""


def changes(document: str) -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads(document)
    found: list[dict[str, Any]] = data["changes"]
    return found


def snapshot_of_demo(path: str = "snap.json") -> Path:
    write_demo()
    taken = run("drift", "demo.yaml", "--snapshot-out", path)
    assert taken.exit_code == 2, taken.output
    return Path(path)


def age(path: Path, hours: float) -> None:
    """Make the snapshot ``hours`` old, resealed (a genuine old snapshot)."""
    snapshot = snapshot_from_json(path.read_text(), source=str(path))
    then = iso(utc_now() - timedelta(hours=hours))
    path.write_text(
        snapshot_to_json(snapshot.model_copy(update={"read_at": then}).sealed())
    )


def test_a_pr_run_without_credentials_plans_the_same_changes_as_a_live_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "served.json"
    save_state(seed_state(flavor="modern"), state)
    with serve(create_app(state)) as url:
        Path("spec.yaml").write_text(PR_SPEC.format(url=url))
        # The nightly job: the admin credential, and the snapshot it publishes.
        monkeypatch.setenv("PS_ADMIN_USER", "admin")
        monkeypatch.setenv("PS_ADMIN_PASSWORD", "psconfig-demo")
        nightly = run("drift", "spec.yaml", "--snapshot-out", "live.json")
        assert nightly.exit_code == 2, nightly.output
        live = run("plan", "spec.yaml", "--format", "json")
        assert live.exit_code == 2, live.output
    # The pull-request job: PowerSchool is gone and no secret is in the environment.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PS_", "CLEVER_", "PSCONFIG_"))
    }
    command = ["plan", "spec.yaml", "--live", "live.json", "--format", "json"]
    pr = subprocess.run(
        [sys.executable, "-m", "psconfig", *command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert pr.returncode == 2, pr.stderr
    assert changes(pr.stdout) == changes(live.stdout)
    assert json.loads(pr.stdout)["source"]["kind"] == "snapshot"


def test_every_format_says_the_plan_came_from_a_snapshot_and_when() -> None:
    snap = snapshot_of_demo()
    read_at = json.loads(snap.read_text())["read_at"]
    text = run("plan", "demo.yaml", "--live", "snap.json")
    markdown = run("plan", "demo.yaml", "--live", "snap.json", "--format", "markdown")
    as_json = run("plan", "demo.yaml", "--live", "snap.json", "--format", "json")
    for result in (text, markdown, as_json):
        assert result.exit_code == 2, result.output
        assert f"planned from a snapshot taken at {read_at}" in result.stdout
        assert "ago" in result.stdout
    assert f"live:   SNAPSHOT snap.json taken at {read_at}" in text.stdout
    assert "**Live state:** SNAPSHOT" in markdown.stdout
    source = json.loads(as_json.stdout)["source"]
    assert source["read_at"] == read_at and source["age_seconds"] >= 0


def test_an_old_snapshot_is_a_warning_and_with_max_age_a_refusal() -> None:
    snap = snapshot_of_demo()
    age(snap, 40)
    warned = run("plan", "demo.yaml", "--live", "snap.json", "--format", "json")
    assert warned.exit_code == 2, warned.output
    notes = json.loads(warned.stdout)["notes"]
    assert any(n.startswith("warning: the snapshot is 1 d 16 h old") for n in notes)
    quiet = run("plan", "demo.yaml", "--live", "snap.json", "--warn-age", "2d")
    assert "warning: the snapshot" not in quiet.stdout
    refused = run("plan", "demo.yaml", "--live", "snap.json", "--max-age", "36h")
    assert refused.exit_code == 3, refused.output
    assert error_lines(refused) == [
        "error: snap.json: the snapshot is 1 d 16 h old, older than --max-age 1 d "
        "12 h; take a new one (psconfig drift --snapshot-out)"
    ]
    fresh_enough = run("plan", "demo.yaml", "--live", "snap.json", "--max-age", "2d")
    assert fresh_enough.exit_code == 2, fresh_enough.output


def test_a_tampered_snapshot_is_refused() -> None:
    snap = snapshot_of_demo()
    data = json.loads(snap.read_text())
    data["state"]["page_toggle"] = not data["state"]["page_toggle"]
    snap.write_text(json.dumps(data))
    result = run("plan", "demo.yaml", "--live", "snap.json")
    assert result.exit_code == 1, result.output
    assert error_lines(result) == [
        "error: snap.json: the snapshot was modified after it was taken (its "
        "content_hash does not match); take a new one"
    ]


def test_a_snapshot_of_another_server_is_refused() -> None:
    snapshot_of_demo()
    write_demo(url="sim://other")
    result = run("plan", "demo.yaml", "--live", "snap.json")
    assert result.exit_code == 1, result.output
    assert error_lines(result) == [
        "error: snap.json: the snapshot is of sim://demo, but the spec targets "
        "sim://other; refusing to plan one server from another's state"
    ]


def test_a_snapshot_plan_can_never_be_applied() -> None:
    snapshot_of_demo()
    saved = run("plan", "demo.yaml", "--live", "snap.json", "--out", "plan.json")
    assert saved.exit_code == 2, saved.output
    refused = run("apply", "--plan", "plan.json", "--auto-approve")
    assert refused.exit_code == 3, refused.output
    assert error_lines(refused) == [
        "error: plan.json: planned from the snapshot snap.json, not from "
        "PowerSchool; a snapshot plan cannot be applied: run psconfig apply SPEC"
    ]
    # Even with its source removed, its fingerprint never matches a live read.
    data = json.loads(Path("plan.json").read_text())
    del data["source"]
    Path("plan.json").write_text(json.dumps(data))
    stale = run("apply", "--plan", "plan.json", "--auto-approve")
    assert stale.exit_code == 3, stale.output
    assert "PowerSchool changed since the plan was made" in stale.stderr


def test_a_spec_reading_more_than_the_snapshot_holds_says_what_is_missing() -> None:
    snapshot_of_demo()
    spec = Path("demo.yaml")
    spec.write_text(spec.read_text() + 'staff:\n  - id: "4242"\n    title: Clerk\n')
    result = run("plan", "demo.yaml", "--live", "snap.json")
    assert result.exit_code == 1, result.output
    assert error_lines(result) == [
        'error: snap.json: the snapshot does not hold staff "4242", which this spec '
        "reads; take a new one (psconfig drift --snapshot-out)"
    ]


def test_a_spec_changed_in_a_pr_still_plans_from_the_nightly_snapshot() -> None:
    """The broad read: any group and any admin account, not only the spec's."""
    snapshot_of_demo()
    spec = Path("demo.yaml")
    spec.write_text(spec.read_text().replace("group_number: 12", "group_number: 14"))
    offline = run("plan", "demo.yaml", "--live", "snap.json", "--format", "json")
    live = run("plan", "demo.yaml", "--format", "json")
    assert offline.exit_code == live.exit_code == 2, offline.output
    assert changes(offline.stdout) == changes(live.stdout)


def test_a_fleet_writes_and_reads_one_snapshot_per_spec() -> None:
    write_demo("specs/a.yaml")
    other = Path("specs/b.yaml")
    other.write_text(
        Path("specs/a.yaml").read_text().replace("name: demo", "name: other")
    )
    other.write_text(other.read_text().replace("sim://demo", "sim://other"))
    taken = run("drift", "specs", "--snapshot-out", "snaps")
    assert taken.exit_code == 2, taken.output
    assert sorted(p.name for p in Path("snaps").iterdir()) == [
        "demo.json",
        "other.json",
    ]
    offline = run("plan", "specs", "--live", "snaps", "--format", "json")
    live = run("plan", "specs", "--format", "json")
    assert offline.exit_code == live.exit_code == 2, offline.output
    got = json.loads(offline.stdout)["districts"]
    want = json.loads(live.stdout)["districts"]
    assert [d["plan"]["changes"] for d in got] == [d["plan"]["changes"] for d in want]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--max-age", "soon"],
            "error: --max-age: expected a duration such as 36h, 2d or 90m, got 'soon'",
        ),
        (["--snapshot-out", "x.json"], "error: --snapshot-out reads PowerSchool; "),
    ],
)
def test_bad_snapshot_flags_are_one_line(args: list[str], line: str) -> None:
    snapshot_of_demo()
    result = run("plan", "demo.yaml", "--live", "snap.json", *args)
    assert result.exit_code == 1, result.output
    [only] = error_lines(result)
    assert only.startswith(line)
