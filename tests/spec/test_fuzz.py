"""Spec-shaped random input never escapes as anything but a located SpecError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psconfig.errors import SpecError
from psconfig.spec import expand_spec, load_spec
from psconfig.spec.loader import dump_yaml
from psconfig.spec.models import (
    AdminAccess,
    Affiliation,
    CleverDdeSync,
    Health,
    PagePermissions,
    Role,
    SecurityGroup,
    Server,
    Spec,
    Staff,
    TimeWindow,
)

KEYS = sorted(
    {
        info.alias or name
        for model in (Spec, Server, SecurityGroup, Health, PagePermissions, Staff,
                      Affiliation, AdminAccess, Role, TimeWindow, CleverDdeSync)
        for name, info in model.model_fields.items()
    }
    | {"clever-dde-sync", "/admin/tech/dde/home.html", "bogus"}
)  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 600),
    st.sampled_from(
        [
            "sim://fuzz",
            "https://ps.example.org",
            "${env:FUZZ}",
            "${file:x}",
            "${nope}",
            "Read-Only Export",
            "District Office",
            "Full",
            "view_only",
            "any_time",
            "05:00",
            "192.0.2.1",
            "default",
            "absent",
            "",
        ]
    ),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.integers(1, 20), inner, max_size=4)
    ),
    max_leaves=25,
)
BASE: dict[str, Any] = {
    "psconfig": 1,
    "name": "fuzz",
    "server": {"url": "sim://fuzz"},
    "preset": {"clever-dde-sync": {"password": "${env:FUZZ}"}},
}


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5),
    st.sampled_from([(), ("server",), ("preset", "clever-dde-sync")]),
)
def test_random_specs_load_or_fail_with_located_problems(
    tmp_path: Path, extra: dict[str, Any], into: tuple[str, ...]
) -> None:
    data: dict[str, Any] = {
        **BASE,
        "server": dict(BASE["server"]),
        "preset": {"clever-dde-sync": dict(BASE["preset"]["clever-dde-sync"])},
    }
    target = data
    for key in into:
        target = target[key]
    target.update(extra)
    path = tmp_path / "fuzz.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    try:
        loaded = load_spec(path)
    except SpecError as exc:
        assert exc.problems
        assert any(p.severity == "error" for p in exc.problems)
        assert all(p.line >= 1 and p.col >= 1 for p in exc.problems)
    else:
        loaded.desired(resolve_secrets=False)
        assert expand_spec(loaded)
