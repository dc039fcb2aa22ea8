"""``doctor --learn``: a district's pages learned on first contact, then pinned.

On a markup variant the bundled maps do not name (other control names, ids,
values and layouts), ``doctor --learn`` writes a site map; a spec naming it
(``server.map``) plans, applies and plans empty; a pinned control that later
disappears stops the next run, naming the page and the label, having written
nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psconfig.sim import load_state, save_state
from psconfig.sim.variants import Variant
from tests.cli.helpers import error_lines, log_requests, run, state_file, writes

VARIANT = 4
EDIT = "/admin/security/groups/edit.html"
SPEC = """\
psconfig: 1
name: demo
server: {url: "sim://demo", map: site-map.json}
preset:
  clever-dde-sync:
    group_number: 12
    username: cleversync
    password: ${env:CLEVER_SYNC_PASSWORD}
    allowed_ips: ["192.0.2.10"]
"""


def set_state(**update: object) -> None:
    path = state_file()
    save_state(load_state(path).model_copy(update=update), path)


@pytest.fixture(autouse=True)
def _variant_server() -> None:
    # Seed sim://demo through a first (learning) doctor run, then make it a
    # variant: the bundled maps name none of its controls.
    assert run("doctor", "--server", "sim://demo").exit_code == 0
    set_state(markup_variant=VARIANT)


def test_learn_then_converge_then_a_removed_pin_fails_closed() -> None:
    learned = run(
        "doctor", "--server", "sim://demo", "--learn", "--out", "site-map.json"
    )
    assert learned.exit_code == 0, learned.output
    assert "wrote site-map.json" in learned.stderr
    pins = json.loads(Path("site-map.json").read_text())["pages"]
    access = pins["group_edit"]["fields"]["access_level"]
    assert access == Variant(VARIANT).name("accesslevel") != "accesslevel"
    assert "bound:" in learned.stdout and "ambiguous" not in learned.stdout

    Path("demo.yaml").write_text(SPEC)
    assert run("plan", "demo.yaml").exit_code == 2
    applied = run("apply", "demo.yaml", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert run("plan", "demo.yaml").exit_code == 0  # converged

    log_requests(toggle=True)  # no read bracket: any write would be the change
    before = load_state(state_file())
    faults = before.faults.model_copy(update={"absent_controls": ["accesslevel"]})
    set_state(faults=faults)
    failed = run("plan", "demo.yaml")
    assert failed.exit_code == 1, failed.output
    [line] = error_lines(failed)
    assert line.startswith(f"error: {EDIT}?group=")
    assert "'Access Level' labels no control" in line
    applied = run("apply", "demo.yaml", "--auto-approve")
    assert applied.exit_code == 1
    assert writes() == []
    after = load_state(state_file())
    assert after.groups == before.groups and after.staff == before.staff


def test_a_pin_the_page_no_longer_agrees_with_fails_closed() -> None:
    assert (
        run(
            "doctor", "--server", "sim://demo", "--learn", "--out", "site-map.json"
        ).exit_code
        == 0
    )
    Path("demo.yaml").write_text(SPEC)
    set_state(markup_variant=VARIANT + 1)  # an upgrade renames every control
    log_requests(toggle=True)
    failed = run("plan", "demo.yaml")
    assert failed.exit_code == 1, failed.output
    [line] = error_lines(failed)
    assert "but the map pins" in line
    assert writes() == []


def test_replay_rebinds_a_redacted_capture_offline() -> None:
    captured = run("doctor", "--server", "sim://demo", "--capture", "cap")
    assert captured.exit_code == 0, captured.output
    replayed = run("doctor", "--replay", "cap", "--out", "replayed.json")
    assert replayed.exit_code == 0, replayed.output
    pins = json.loads(Path("replayed.json").read_text())["pages"]
    assert pins["group_edit"]["fields"]["access_level"] == Variant(VARIANT).name(
        "accesslevel"
    )


def test_learning_never_flips_the_toggle_unless_told() -> None:
    log_requests(toggle=False)
    quiet = run("doctor", "--server", "sim://demo", "--learn")
    assert quiet.exit_code == 0, quiet.output
    assert writes() == []
    told = run("doctor", "--server", "sim://demo", "--learn", "--toggle")
    assert told.exit_code == 0, told.output
    toggle = "/admin/security/changepageaccesspriv.html"
    assert writes() == [toggle, toggle]
    assert "(group rows)" in told.stdout
    assert load_state(state_file()).page_toggle is False


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read the site map"),
        (
            '{"psconfig_site_map": 1, "flavor": "modern", "pages": []}',
            "invalid site map",
        ),
        (
            '{"flavor": "legacy", "pages": {}}',
            "was learned on a legacy server, this one is modern",
        ),
        (
            '{"flavor": "modern", "pages": {"group_edit": {"fields": {"nope": "x"}}}}',
            "'group_edit.nope' is no pinnable field",
        ),
    ],
)
def test_a_bad_site_map_is_one_error_line_before_any_write(
    content: str | None, expected: str
) -> None:
    Path("demo.yaml").write_text(SPEC)
    if content is not None:
        Path("site-map.json").write_text(content)
    log_requests()
    failed = run("plan", "demo.yaml")
    assert failed.exit_code == 1, failed.output
    [line] = error_lines(failed)
    assert expected in line and "site-map.json" in line
    assert writes() == []
