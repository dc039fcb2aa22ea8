"""Policy rules, warnings and waivers, through load_spec."""

from __future__ import annotations

import re

import pytest

from psconfig.errors import Problem, SpecError
from psconfig.spec import RULES, load_spec
from tests.spec.conftest import CORPUS, PRESET_SPEC, WriteSpec


def findings(write_spec: WriteSpec, text: str) -> list[Problem]:
    try:
        return list(load_spec(write_spec(text)).warnings)
    except SpecError as exc:
        return list(exc.problems)


def test_the_preset_spec_is_clean(write_spec: WriteSpec) -> None:
    assert findings(write_spec, PRESET_SPEC) == []


def test_rules_have_ids_severities_and_meanings() -> None:
    assert list(RULES) == [f"PS{n:03d}" for n in range(1, len(RULES) + 1)]
    for rule in RULES.values():
        assert rule.severity in ("error", "warning")
        assert rule.meaning.endswith(".")


def test_every_error_rule_has_a_corpus_case() -> None:
    covered = set(re.findall(r"# expect: \S+ (PS\d{3})", "".join(
        path.read_text(errors="replace") for path in CORPUS.glob("*.yaml")
    )))  # fmt: skip
    errors = {rule.id for rule in RULES.values() if rule.severity == "error"}
    assert errors <= covered


def test_missing_allowed_ips_is_a_warning_at_the_preset(write_spec: WriteSpec) -> None:
    text = PRESET_SPEC.replace("    allowed_ips: [192.0.2.10]\n", "")
    (problem,) = findings(write_spec, text)
    assert (problem.rule, problem.severity) == ("PS011", "warning")
    # The preset wrote no allowed_ips parameter: point at the preset's key.
    assert (problem.line, problem.col) == (5, 3)


def test_empty_allowed_ips_warns_at_the_written_value(write_spec: WriteSpec) -> None:
    text = PRESET_SPEC.replace("[192.0.2.10]", "[]")
    (problem,) = findings(write_spec, text)
    assert (problem.rule, problem.line, problem.col) == ("PS011", 7, 18)


@pytest.mark.parametrize(
    ("addition", "rule", "where"),
    [
        ("staff:\n  - id: '99999'\n    teacher_access: true\n", "PS016", (10, 21)),
        ("page_permissions:\n  toggle: on\n", "PS017", (9, 11)),
    ],
)
def test_warnings_do_not_fail(
    write_spec: WriteSpec, addition: str, rule: str, where: tuple[int, int]
) -> None:
    loaded = load_spec(write_spec(PRESET_SPEC + addition))
    (problem,) = loaded.warnings
    assert (problem.rule, problem.severity) == (rule, "warning")
    assert (problem.line, problem.col) == where


def test_a_sync_account_without_a_password_is_warned(write_spec: WriteSpec) -> None:
    text = """\
psconfig: 1
name: district
server: {url: sim://district}
security_groups:
  - {number: 14, name: Export, access_level: view_only, can_modify_schedules: "no",
     powerscheduler_access: false, language_translator: false, log_types: [],
     incident_types: [], health_and_immunization: {}}
page_permissions:
  pages:
    /admin/tech/dde/home.html: {14: full}
    /admin/tech/dde/exportrecords.html: {14: full}
staff:
  - id: "1"
    admin_access: {enabled: true, default_group: 14, allowed_ips: [192.0.2.1]}
"""
    (problem,) = load_spec(write_spec(text)).warnings
    assert (problem.rule, problem.line, problem.col) == ("PS018", 14, 5)


def test_a_literal_sync_password_is_fine_on_the_simulator(
    write_spec: WriteSpec,
) -> None:
    text = PRESET_SPEC.replace("${env:CLEVER_SYNC_PASSWORD}", "demo-password")
    loaded = load_spec(write_spec(text))
    assert loaded.warnings == ()
    assert "demo-password" not in repr(loaded)
    assert loaded.desired(resolve_secrets=False).password_refs == {
        "99999": "(literal in spec)"
    }


def test_a_waiver_turns_findings_into_notices(write_spec: WriteSpec) -> None:
    text = PRESET_SPEC.replace("    allowed_ips: [192.0.2.10]\n", "") + (
        "policy:\n  waive:\n    - {rule: PS011, reason: firewall rules}\n"
    )
    (problem,) = load_spec(write_spec(text)).warnings
    assert (problem.rule, problem.severity) == ("PS011", "notice")
    assert problem.message.endswith("(waived: firewall rules)")


def test_waived_errors_do_not_fail(write_spec: WriteSpec) -> None:
    text = PRESET_SPEC + (
        "security_groups:\n  - {number: 12, report_queue_priority: 0,"
        " log_types: [attendance]}\n"
        "policy:\n  waive:\n    - {rule: PS002, reason: attendance sync approved}\n"
    )
    (problem,) = load_spec(write_spec(text)).warnings
    assert (problem.rule, problem.severity, problem.line) == ("PS002", "notice", 9)


def test_an_unused_waiver_is_a_warning(write_spec: WriteSpec) -> None:
    text = PRESET_SPEC + "policy:\n  waive:\n    - {rule: PS011, reason: x}\n"
    (problem,) = load_spec(write_spec(text)).warnings
    assert problem.severity == "warning"
    assert "the waiver for PS011 matches no finding" in problem.message
    assert (problem.line, problem.col) == (10, 7)


def test_a_rule_waived_twice_is_an_error(write_spec: WriteSpec) -> None:
    text = PRESET_SPEC + (
        "policy:\n  waive:\n"
        "    - {rule: PS011, reason: a}\n"
        "    - {rule: PS011, reason: b}\n"
    )
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    assert any(
        p.severity == "error" and p.line == 11 and "already waived" in p.message
        for p in caught.value.problems
    )


def test_all_findings_are_reported_at_once(write_spec: WriteSpec) -> None:
    text = PRESET_SPEC + (
        "security_groups:\n"
        "  - number: 12\n"
        "    access_level: view_and_modify\n"
        "    powerscheduler_access: true\n"
        "    log_types: [health]\n"
    )
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    got = [(p.rule, p.line) for p in caught.value.problems]
    assert got == [("PS001", 10), ("PS005", 11), ("PS002", 12)]


def test_each_export_group_is_checked_once_for_several_accounts(
    write_spec: WriteSpec,
) -> None:
    text = PRESET_SPEC + (
        "security_groups:\n  - {number: 12, language_translator: true}\n"
        "staff:\n"
        "  - id: '2'\n"
        "    admin_access:\n"
        "      enabled: true\n"
        "      password: ${env:OTHER}\n"
        "      default_group: 12\n"
        "      allowed_ips: [192.0.2.11]\n"
    )
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    assert [p.rule for p in caught.value.problems if p.severity == "error"] == ["PS006"]


def test_a_second_admin_account_is_not_a_sync_account(write_spec: WriteSpec) -> None:
    # A principal's account: admin sign-in, a built-in default group, no allowed
    # IPs, no managed password. None of that is the sync account's business.
    text = PRESET_SPEC + (
        "staff:\n"
        "  - id: '2'\n"
        "    admin_access:\n"
        "      enabled: true\n"
        "      username: principal\n"
        "      default_group: Administrator\n"
    )
    assert findings(write_spec, text) == []


def test_an_account_whose_default_group_is_full_on_a_dde_page_is_a_sync_account(
    write_spec: WriteSpec,
) -> None:
    text = PRESET_SPEC + (
        "staff:\n"
        "  - id: '2'\n"
        "    admin_access: {enabled: true, default_group: 12, username: other}\n"
    )
    got = {(p.rule, p.line) for p in findings(write_spec, text)}
    assert got == {("PS011", 10), ("PS018", 10)}


@pytest.mark.parametrize("key", ["default_group: Administrator", "default_group: 9"])
def test_a_built_in_export_group_is_reported_at_the_default_group(
    write_spec: WriteSpec, key: str
) -> None:
    # The preset's account moved to group 9: the spec defines no group 9 and no
    # DDE page for it, so every finding about group 9 lands on that value.
    text = PRESET_SPEC + f"staff:\n  - id: '99999'\n    admin_access:\n      {key}\n"
    got = sorted((p.rule, p.line, p.col) for p in findings(write_spec, text))
    assert got == [
        ("PS008", 11, 22),
        ("PS009", 11, 22),
        ("PS009", 11, 22),
        ("PS012", 11, 22),
    ]


def test_a_group_full_on_a_dde_page_is_an_export_group(write_spec: WriteSpec) -> None:
    text = """\
psconfig: 1
name: district
server: {url: sim://district}
page_permissions:
  pages:
    /admin/tech/dde/home.html: {Administrator: full}
"""
    got = sorted((p.rule, p.line, p.col) for p in findings(write_spec, text))
    assert got == [
        ("PS008", 6, 48),  # at the page entry that made group 9 an export group
        ("PS009", 5, 3),  # at the pages mapping, where the other page belongs
        ("PS012", 6, 48),
    ]


@pytest.mark.parametrize(
    "ips", ["[0.0.0.0/0]", "['::/0']", "['::ffff:0:0/96']", "[0.0.0.0/1, 128.0.0.0/1]"]
)
def test_a_catch_all_range_is_any_ip_address(write_spec: WriteSpec, ips: str) -> None:
    text = PRESET_SPEC.replace("[192.0.2.10]", ips)
    (problem,) = findings(write_spec, text)
    assert (problem.rule, problem.severity) == ("PS011", "warning")
    assert (problem.line, problem.col) == (7, 18)
    assert "any IP address" in problem.message
