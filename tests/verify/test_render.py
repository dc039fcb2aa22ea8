"""Report renderers, and the address helpers behind the sim:// allowed-IP proof."""

from __future__ import annotations

import ipaddress
import json
import random
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from psconfig.engine.planning.plan import SpecRef, Target
from psconfig.engine.proving.access import (
    OUTSIDE_NETWORK,
    inside_address,
    outside_address,
    same_ips,
)
from psconfig.engine.proving.verify_report import ProbeResult, SyncAccount, VerifyReport
from psconfig.render.verify import render_json, render_markdown, render_text

REPORT = VerifyReport(
    timestamp="2025-03-03T12:00:00Z",
    target=Target(
        url="https://ps.example.org",
        powerschool_version="23.10.0.2",
        flavor="legacy",
        username="admin",
    ),
    spec=SpecRef(path="district.yaml", name="district", digest="sha256:" + "ab" * 32),
    account=SyncAccount(staff_id="99999", username="cleversync", ensure="present"),
    results=(
        ProbeResult(
            id="sign-in",
            description="sign in to the admin portal as the sync account",
            reason="guide 4.D",
            expected="allowed",
            observed="signed in as cleversync",
            outcome="pass",
        ),
        ProbeResult(
            id="log-health",
            description="open the Health log",
            reason="guide 2: no Health records",
            method="GET",
            path="/admin/students/log.html?type=health",
            expected="denied",
            observed="allowed (HTTP 200) | odd\nline",
            outcome="fail",
        ),
        ProbeResult(
            id="sign-in-outside-allowed-ips",
            description="sign in from an address outside the allowed IPs",
            reason="guide 4.D",
            expected="denied",
            observed="not tried: only on sim://",
            outcome="skip",
        ),
    ),
    notes=("a note",),
)


def test_text_names_the_failure_and_its_reason() -> None:
    text = render_text(REPORT)
    assert text.splitlines()[:5] == [
        "psconfig verify: district",
        "  time:    2025-03-03T12:00:00Z",
        f"  spec:    district.yaml (sha256:{'ab' * 32})",
        "  target:  https://ps.example.org (PowerSchool 23.10.0.2, legacy), "
        "read as admin",
        "  account: cleversync (staff 99999)",
    ]
    assert "  [FAIL] log-health: GET /admin/students/log.html?type=health" in text
    assert "         why: guide 2: no Health records" in text
    assert "  [skip] sign-in-outside-allowed-ips: sign in from an address" in text
    assert "  # a note" in text
    assert text.endswith(
        "Verify: FAILED (log-health). 1 passed, 1 failed, 1 skipped.\n"
    )


def test_markdown_keeps_every_cell_in_its_column() -> None:
    md = render_markdown(REPORT)
    assert md.startswith("<!-- psconfig:verify name=district -->\n")
    row = next(line for line in md.splitlines() if "`log-health`" in line)
    assert row.count(" | ") == 5
    assert "allowed (HTTP 200) \\| odd line" in row
    assert "**FAIL**" in row


def test_json_is_the_report_with_its_verdict() -> None:
    data = json.loads(render_json(REPORT))
    assert list(data)[:6] == [
        "format_version",
        "psconfig_version",
        "timestamp",
        "passed",
        "summary",
        "failed",
    ]
    assert data["passed"] is False and data["failed"] == ["log-health"]
    assert data["summary"] == {"pass": 1, "fail": 1, "skip": 1}
    assert data["results"][1]["path"] == "/admin/students/log.html?type=health"


def test_a_removed_account_without_a_username_reads_well() -> None:
    removed = REPORT.model_copy(
        update={
            "account": SyncAccount(staff_id="99999", username="", ensure="absent"),
            "results": REPORT.results[:1],
        }
    )
    text = render_text(removed)
    assert "account: (username unknown) (staff 99999, removed by the spec)" in text
    assert text.endswith("Verify: PASSED. 1 passed, 0 failed, 0 skipped.\n")


networks = st.builds(
    lambda address, prefix: str(
        ipaddress.ip_network(f"{ipaddress.IPv4Address(address)}/{prefix}", strict=False)
    ),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=8, max_value=32),
)


@given(st.lists(networks, max_size=6))
def test_the_outside_address_is_outside_every_entry(entries: list[str]) -> None:
    found = outside_address(entries)
    if found is None:
        nets = [ipaddress.ip_network(e) for e in entries]
        assert all(any(h in n for n in nets) for h in OUTSIDE_NETWORK.hosts())
        return
    address = ipaddress.ip_address(found)
    assert address in OUTSIDE_NETWORK
    assert not any(address in ipaddress.ip_network(e) for e in entries)


@given(st.lists(networks, min_size=1, max_size=6))
def test_the_inside_address_is_inside_the_first_entry(entries: list[str]) -> None:
    found = inside_address(entries)
    assert found is not None
    assert ipaddress.ip_address(found) in ipaddress.ip_network(entries[0])


@given(st.lists(networks, max_size=6), st.randoms())
def test_same_ips_ignores_order_and_spelling(
    entries: list[str], rnd: random.Random
) -> None:
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    spelled = [e.removesuffix("/32") for e in shuffled]
    assert same_ips(entries, spelled)
    assert same_ips(entries, [*entries, "10.0.0.0/8"]) == ("10.0.0.0/8" in entries)


def test_inside_address_skips_what_cannot_be_parsed() -> None:
    assert inside_address(["not an ip", "10.1.0.0/16"]) == "10.1.0.1"
    assert inside_address(["2001:db8::/64"]) == "2001:db8::1"
    assert inside_address([]) is None
    assert outside_address(["203.0.113.0/24"]) is None
    assert outside_address(["203.0.113.1"]) == "203.0.113.2"


GOLDEN = Path(__file__).with_name("golden") / "verify.md"


def test_markdown_is_the_built_in_template_byte_for_byte() -> None:
    # Written from the string-building renderer before verify.md.j2 replaced it.
    assert render_markdown(REPORT) == GOLDEN.read_text(encoding="utf-8")


def test_markdown_keeps_hostile_server_text_inert() -> None:
    hostile = "x` | <!-- @district-it [click](https://evil.example) **y**\nz"
    result = REPORT.results[1].model_copy(
        update={"observed": hostile, "reason": hostile, "id": "a`b|c"}
    )
    md = render_markdown(REPORT.model_copy(update={"results": (result,)}))
    row = next(line for line in md.splitlines() if "**FAIL**" in line)
    cells = row.strip("|").split(" | ")
    assert len(cells) == 6 and row.count(" | ") == 5
    assert "<!--" not in row and "@district-it" not in row and "](" not in row
    assert "`a'b\\|c`" in row  # the id stays one code span in its cell
    assert "\nz" not in md and "x' \\|" in row
