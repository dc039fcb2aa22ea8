"""dump_spec: a live State written as a spec loads cleanly and means the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psconfig.errors import PsconfigError
from psconfig.model import (
    LOG_TYPES,
    AdminAccess,
    Affiliation,
    Group,
    Health,
    Role,
    Staff,
    State,
    TimeWindow,
)
from psconfig.spec import dump_spec, load_spec
from tests.spec.conftest import REPO

names = st.text(
    st.characters(
        blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"), max_codepoint=0x2FFF
    ),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() == s and s != "")
words = st.text(
    st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp", "Zs")),
    max_size=20,
)
levels = st.sampled_from(["no_access", "view_only", "full_access"])
health = st.builds(
    Health,
    certification=levels,
    immunization=levels,
    office_visit=levels,
    screening=levels,
)
groups = st.builds(
    Group,
    number=st.integers(1, 500),
    name=names,
    access_level=st.sampled_from(["no_access", "view_only", "view_and_modify"]),
    can_modify_schedules=st.sampled_from(["no", "yes"]),
    powerscheduler_access=st.booleans(),
    language_translator=st.booleans(),
    report_queue_priority=st.integers(0, 9),
    log_types=st.lists(st.sampled_from(LOG_TYPES), unique=True).map(tuple),
    incident_types=st.lists(st.sampled_from(["BUL", "FGT", "TRD"]), unique=True).map(
        tuple
    ),
    health=health,
)
times = st.sampled_from(["05:00", "06:30", "12:00", "18:30", "22:00"])
windows = st.one_of(
    st.just("any_time"),
    st.tuples(times, times)
    .filter(lambda t: t[0] < t[1])
    .map(lambda t: TimeWindow(start=t[0], end=t[1])),
)
ips = st.lists(
    st.sampled_from(["192.0.2.1", "198.51.100.0/24", "2001:db8::/32", "::1"]),
    unique=True,
).map(tuple)
schools = st.sampled_from([0, 100, 200])
roles = st.lists(
    st.builds(Role, school=schools, group=st.none() | st.integers(1, 500)),
    unique_by=lambda r: r.school,
    max_size=3,
).map(tuple)
admin = st.builds(
    AdminAccess,
    enabled=st.booleans(),
    username=st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=12
    ),
    ldap_enabled=st.booleans(),
    default_group=st.none() | st.integers(1, 500),
    sign_in_window=windows,
    allowed_ips=ips,
    roles=roles,
)
affiliations = st.lists(
    st.builds(
        Affiliation,
        school=schools,
        home=st.booleans(),
        active=st.booleans(),
        staff_type=st.sampled_from(["teacher", "staff", "substitute"]),
    ),
    unique_by=lambda a: a.school,
    max_size=3,
).filter(lambda rows: sum(a.home for a in rows) <= 1)
staff_members = st.builds(
    Staff,
    id=st.from_regex(r"\A[0-9]{1,10}\Z"),
    last_name=words,
    first_name=words,
    middle_name=words,
    preferred_name=words,
    email=words,
    title=words,
    school=schools,
    staff_type=st.sampled_from(["not_assigned", "teacher", "staff", "lunch_staff"]),
    status=st.sampled_from(["current", "no_longer_here"]),
    affiliations=affiliations.map(tuple),
    admin_access=admin,
    teacher_access=st.booleans(),
)
page_paths = st.sampled_from(
    ["/admin/tech/dde/home.html", "/admin/tech/dde/exportrecords.html", "/admin/x.html"]
)
page_levels = st.dictionaries(
    st.integers(1, 500), st.sampled_from(["group_default", "none", "view_only", "full"])
)


@st.composite
def states(draw: st.DrawFn) -> State:
    group_list = draw(st.lists(groups, unique_by=lambda g: g.number, max_size=4))
    staff_list = draw(
        st.lists(
            staff_members,
            unique_by=(
                lambda s: s.id,
                lambda s: s.admin_access.username.casefold() or s.id,
            ),
            max_size=3,
        )
    )
    return State(
        groups={g.number: g for g in group_list},
        page_toggle=draw(st.booleans()),
        page_permissions=draw(st.dictionaries(page_paths, page_levels, max_size=3)),
        staff={s.id: s for s in staff_list},
        schools={0: "District Office", 100: "Lincoln"},
    )


def load_dumped(text: str, path: Path) -> State:
    path.write_text(text, encoding="utf-8")
    desired = load_spec(path).desired(resolve_secrets=False)
    return State(
        groups=desired.groups,
        page_permissions=desired.page_permissions,
        staff=desired.staff,
    )


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=states(), url=st.sampled_from(["sim://demo", "https://ps.example.org"]))
def test_dumped_state_loads_back_equal(tmp_path: Path, state: State, url: str) -> None:
    text = dump_spec(state, name="imported", url=url, flavor="auto")
    loaded = load_dumped(text, tmp_path / "imported.yaml")
    assert loaded.groups == state.groups
    assert loaded.staff == state.staff
    assert loaded.page_permissions == {
        page: levels for page, levels in state.page_permissions.items() if levels
    }


def clever_state() -> State:
    path = REPO / "specs" / "clever-dde-sync.yaml"
    desired = load_spec(path).desired(resolve_secrets=False)
    return State(
        groups=desired.groups,
        page_toggle=False,
        page_permissions=desired.page_permissions,
        staff=desired.staff,
    )


def test_a_clever_setup_imports_without_waivers(tmp_path: Path) -> None:
    text = dump_spec(clever_state(), name="springfield", url="https://ps.example.org",
                     flavor="legacy")  # fmt: skip
    assert text.startswith(
        "# Imported by `psconfig import` from https://ps.example.org"
    )
    assert "waive" not in text
    assert "password: ${env:PS_ADMIN_PASSWORD}" in text
    assert "password: ${env:PSCONFIG_PASSWORD_99999}" in text
    spec = tmp_path / "springfield.yaml"
    spec.write_text(text)
    loaded = load_spec(spec)
    assert loaded.server.flavor == "legacy"
    assert loaded.desired(resolve_secrets=False).password_refs == {
        "99999": "${env:PSCONFIG_PASSWORD_99999}"
    }


def test_policy_breaches_of_the_live_setup_are_waived_visibly(tmp_path: Path) -> None:
    state = clever_state()
    group = state.groups[12].model_copy(update={"log_types": ("discipline",)})
    state = state.model_copy(update={"groups": {12: group}})
    text = dump_spec(state, name="springfield", url="sim://demo", flavor="auto")
    assert "rule: PS002" in text
    spec = tmp_path / "s.yaml"
    spec.write_text(text)
    notices = [w for w in load_spec(spec).warnings if w.severity == "notice"]
    assert [w.rule for w in notices] == ["PS002"]


def test_sim_imports_need_no_server_credentials() -> None:
    text = dump_spec(State(), name="demo", url="sim://demo", flavor="auto")
    assert "username" not in text and "password" not in text


@pytest.mark.parametrize(
    ("name", "url", "flavor", "message"),
    [
        ("bad name", "sim://demo", "auto", "spec name 'bad name'"),
        ("ok", "http://ps.example.org", "auto", "plain http:// is allowed only"),
        ("ok", "sim://demo", "newest", "flavor 'newest'"),
    ],
)
def test_unusable_parameters_are_refused(
    name: str, url: str, flavor: str, message: str
) -> None:
    with pytest.raises(PsconfigError, match=message):
        dump_spec(State(), name=name, url=url, flavor=flavor)
