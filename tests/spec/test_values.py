"""Values a spec may write: labels, references, URLs, IPs, times, strict types."""

from __future__ import annotations

import pytest

from psconfig.errors import SpecError
from psconfig.model import Desired, TimeWindow
from psconfig.spec import load_spec
from psconfig.spec.labels import (
    ACCESS_LEVELS,
    HEALTH_LEVELS,
    LOG_TYPES,
    PAGE_LEVELS,
    STAFF_STATUSES,
    STAFF_TYPES,
    spellings,
)
from tests.spec.conftest import WriteSpec

BASE = "psconfig: 1\nname: values\nserver: {url: sim://values}\n"


def desired(write_spec: WriteSpec, body: str) -> Desired:
    return load_spec(write_spec(BASE + body)).desired(resolve_secrets=False)


def first_error(write_spec: WriteSpec, body: str) -> str:
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(BASE + body))
    return caught.value.problems[0].message


def variants(table: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    pairs = []
    for canonical, labels in table.items():
        for spelling in (canonical, *labels):
            pairs += [(spelling, canonical), (spelling.upper(), canonical)]
    return pairs


@pytest.mark.parametrize(("label", "value"), variants(dict(PAGE_LEVELS)))
def test_page_levels_accept_both_label_sets(
    write_spec: WriteSpec, label: str, value: str
) -> None:
    body = f"page_permissions:\n  pages:\n    /admin/x.html: {{9: '{label}'}}\n"
    assert desired(write_spec, body).page_permissions == {"/admin/x.html": {9: value}}


@pytest.mark.parametrize(("label", "value"), variants(dict(ACCESS_LEVELS)))
def test_access_levels(write_spec: WriteSpec, label: str, value: str) -> None:
    body = f"security_groups:\n  - {{number: 20, name: G, access_level: '{label}'}}\n"
    assert desired(write_spec, body).groups[20].access_level == value


@pytest.mark.parametrize(("label", "value"), variants(dict(LOG_TYPES)))
def test_log_types(write_spec: WriteSpec, label: str, value: str) -> None:
    body = f"security_groups:\n  - {{number: 20, name: G, log_types: ['{label}']}}\n"
    assert desired(write_spec, body).groups[20].log_types == (value,)


@pytest.mark.parametrize(("label", "value"), variants(dict(HEALTH_LEVELS)))
def test_health_levels(write_spec: WriteSpec, label: str, value: str) -> None:
    body = (
        "security_groups:\n  - number: 20\n    name: G\n"
        f"    health_and_immunization: {{screening: '{label}'}}\n"
    )
    health = desired(write_spec, body).groups[20].health
    assert health.screening == value
    assert health.certification == "no_access"  # an area left out is No Access
    assert health.model_fields_set == set(type(health).model_fields)


@pytest.mark.parametrize(
    ("label", "value"), variants(dict(STAFF_TYPES)) + variants(dict(STAFF_STATUSES))
)
def test_staff_types_and_statuses(
    write_spec: WriteSpec, label: str, value: str
) -> None:
    key = "staff_type" if value in STAFF_TYPES else "status"
    staff = desired(write_spec, f"staff:\n  - {{id: '1', {key}: '{label}'}}\n").staff
    assert getattr(staff["1"], key) == value


@pytest.mark.parametrize(
    ("written", "value"),
    [("no", "no"), ("'No, not at all'", "no"), ("yes", "yes"), ("false", "no")],
)
def test_can_modify_schedules(write_spec: WriteSpec, written: str, value: str) -> None:
    group = f"{{number: 20, name: G, can_modify_schedules: {written}}}"
    body = f"security_groups:\n  - {group}\n"
    assert desired(write_spec, body).groups[20].can_modify_schedules == value


def test_spellings_list_canonical_values_first() -> None:
    assert spellings(PAGE_LEVELS)[:4] == ["group_default", "none", "view_only", "full"]


def test_only_written_fields_are_managed(write_spec: WriteSpec) -> None:
    body = "security_groups:\n  - {number: 20, name: G, report_queue_priority: 2}\n"
    group = desired(write_spec, body).groups[20]
    assert group.model_fields_set == {"number", "name", "report_queue_priority"}


@pytest.mark.parametrize(
    ("ref", "number"),
    [
        ("9", 9),
        ("Administrator", 9),
        ("'sped teachers'", 11),
        ("Group 13", 13),
        ("Export", 20),
        ("export", 20),
    ],
)
def test_group_references(write_spec: WriteSpec, ref: str, number: int) -> None:
    body = (
        "security_groups:\n  - {number: 20, name: Export}\n"
        f"staff:\n  - id: '1'\n    admin_access: {{default_group: {ref}}}\n"
    )
    assert desired(write_spec, body).staff["1"].admin_access.default_group == number


def test_a_renamed_builtin_group_loses_its_builtin_name(write_spec: WriteSpec) -> None:
    body = (
        "security_groups:\n  - {number: 12, name: Read-Only Export}\n"
        "staff:\n  - id: '1'\n    admin_access: {default_group: Group 12}\n"
    )
    assert "unknown group 'Group 12'" in first_error(write_spec, body)


@pytest.mark.parametrize(
    ("ref", "number"), [("0", 0), ("district office", 0), ("Lincoln", 100), ("7", 7)]
)
def test_school_references(write_spec: WriteSpec, ref: str, number: int) -> None:
    body = f"schools: {{Lincoln: 100}}\nstaff:\n  - {{id: '1', school: {ref}}}\n"
    assert desired(write_spec, body).staff["1"].school == number


def test_district_office_is_always_school_zero(write_spec: WriteSpec) -> None:
    assert "District Office is school 0" in first_error(
        write_spec, "schools: {District Office: 5}\n"
    )


def test_roles_affiliations_window_and_ips(write_spec: WriteSpec) -> None:
    body = """\
schools: {Lincoln: 100}
staff:
  - id: 4711
    affiliations:
      - {school: Lincoln, staff_type: Teacher}
      - {school: District Office, home: true}
    admin_access:
      sign_in_window: {from: "05:00", to: "22:00"}
      allowed_ips: [2001:DB8::1, 192.0.2.0/24]
      roles:
        - {school: Lincoln, group: Teachers}
        - {school: District Office}
"""
    staff = desired(write_spec, body).staff["4711"]
    assert [(a.school, a.home, a.staff_type) for a in staff.affiliations] == [
        (0, True, "staff"),
        (100, False, "teacher"),
    ]
    admin = staff.admin_access
    assert admin.sign_in_window == TimeWindow(start="05:00", end="22:00")
    assert admin.allowed_ips == ("2001:db8::1", "192.0.2.0/24")
    assert [(r.school, r.group) for r in admin.roles] == [(0, None), (100, 7)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("staff:\n  - {id: '1', affiliations: [{school: 0, home: true}, "
         "{school: 5, home: true}]}\n", "only one affiliation can be the home school"),
        ("staff:\n  - {id: '1', affiliations: [{school: 0}, {school: 0}]}\n",
         "school 0 is listed twice"),
        ("staff:\n  - id: '1'\n    admin_access: {roles: [{school: 0}, {school: 0}]}\n",
         "school 0 has a role already"),
        ("staff:\n  - id: '1'\n    admin_access:\n"
         "      allowed_ips: [192.0.2.1, 192.0.2.1]\n", "IP listed twice"),
        ("staff:\n  - {id: '1', removal: delete}\n",
         "removal applies only to ensure: absent"),
        ("staff:\n  - {id: 'has space'}\n", "a staff ID is ASCII digits"),
        ("staff:\n  - id: '1'\n    admin_access: {username: 'two words'}\n",
         "a username is 1-64 characters without spaces"),
        ("security_groups:\n  - {number: '12', name: G}\n", "expected a whole number"),
        ("security_groups:\n  - {number: true, name: G}\n", "expected a whole number"),
        ("staff:\n  - id: '1'\n    admin_access: {default_group: 0}\n",
         "group numbers are 1-500"),
        ("staff:\n  - id: '1'\n    admin_access: {default_group: [1]}\n",
         "expected a group number or a group name"),
        ("page_permissions: {toggle: sometimes}\n",
         "is not a page-permission toggle mode"),
        ("page_permissions:\n  pages: {/admin/x.html?y=1: {}}\n",
         "a page path starts with /admin/ and has no query"),
        ("preset: {other-preset: {}}\n",
         "unknown key; expected one of: clever-dde-sync"),
        ("preset:\n  clever-dde-sync: {}\n", "password: missing required key"),
    ],
)  # fmt: skip
def test_invalid_values(write_spec: WriteSpec, body: str, message: str) -> None:
    assert message in first_error(write_spec, body)


@pytest.mark.parametrize(
    "url",
    [
        "https://ps.example.org",
        "https://ps.example.org:8443/powerschool",
        "http://127.0.0.1:8080",
        "http://localhost:9000",
        "http://[::1]:9000",
        "sim://demo",
        "sim://demo?flavor=modern",
    ],
)
def test_accepted_server_urls(write_spec: WriteSpec, url: str) -> None:
    server = f"server:\n  url: '{url}'\n  username: u\n  password: ${{env:P}}\n"
    load_spec(write_spec("psconfig: 1\nname: u\n" + server))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://ps.example.org", "expected https://HOST"),
        ("ps.example.org", "expected https://HOST"),
        ("http://10.0.0.5", "plain http:// is allowed only for loopback"),
        ("https://ps.example.org/?x=1", "takes no query"),
        ("https://ps.example.org:99999", "not a valid URL"),
        ("sim://Demo", "expected sim://NAME"),
        ("sim://demo/x", "expected sim://NAME"),
        ("sim://demo?flavor=new", "only ?flavor=legacy or ?flavor=modern"),
    ],
)
def test_refused_server_urls(write_spec: WriteSpec, url: str, message: str) -> None:
    text = f"psconfig: 1\nname: u\nserver:\n  url: '{url}'\n"
    with pytest.raises(SpecError) as caught:
        load_spec(write_spec(text))
    assert message in caught.value.problems[0].message
    assert (caught.value.problems[0].line, caught.value.problems[0].col) == (4, 8)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("'${env:}'", "needs a variable name"),
        ("'${env:1X}'", "needs a variable name"),
        ("'${file: }'", "needs a path"),
        ("'${env:A'", "malformed secret reference"),
        ("''", "a password cannot be empty"),
        ("12345", "expected a secret reference"),
    ],
)
def test_bad_secret_references(
    write_spec: WriteSpec, password: str, message: str
) -> None:
    body = f"preset:\n  clever-dde-sync: {{password: {password}}}\n"
    assert message in first_error(write_spec, body)
