"""A nested section the README gives defaults for is managed as a whole.

``health_and_immunization`` is documented as "areas left out are no_access": a spec
that writes the section manages all four areas, so an area it leaves out is put
back to No Access, never left as someone set it by hand.
"""

from __future__ import annotations

from pathlib import Path

from psconfig.model import Health
from psconfig.sim import save_state, seed_state
from psconfig.spec import load_spec
from tests.spec.conftest import PRESET_SPEC, Invoke, WriteSpec

GROUP_13 = """\
psconfig: 1
name: district
server: {url: sim://district}
security_groups:
  - number: 13
    name: Health Office
    health_and_immunization: {immunization: view_only}
"""


def test_health_areas_left_out_are_no_access(write_spec: WriteSpec) -> None:
    desired = load_spec(write_spec(GROUP_13)).desired(resolve_secrets=False)
    group = desired.groups[13]
    assert group.health == Health(immunization="view_only")
    assert group.health.model_fields_set == set(Health.model_fields)


def test_an_empty_health_section_is_no_access_everywhere(
    write_spec: WriteSpec,
) -> None:
    text = GROUP_13.replace("{immunization: view_only}", "{}")
    group = load_spec(write_spec(text)).desired(resolve_secrets=False).groups[13]
    assert group.health == Health()
    assert group.health.model_fields_set == set(Health.model_fields)


def test_beside_the_preset_the_written_areas_override_its_no_access(
    write_spec: WriteSpec,
) -> None:
    text = PRESET_SPEC + (
        "security_groups:\n"
        "  - {number: 12, health_and_immunization: {screening: view_only}}\n"
        "policy:\n  waive:\n    - {rule: PS004, reason: school nurse exports}\n"
    )
    desired = load_spec(write_spec(text)).desired(resolve_secrets=False)
    assert desired.groups[12].health == Health(screening="view_only")


def test_a_plan_lowers_an_area_the_spec_leaves_out(
    cli: Invoke, write_spec: WriteSpec, tmp_path: Path
) -> None:
    state = seed_state()
    state.groups[12].health.screening = "full_access"  # group 13, set by hand
    (tmp_path / ".psconfig" / "sim").mkdir(parents=True)
    save_state(state, tmp_path / ".psconfig" / "sim" / "district.json")
    result = cli("plan", str(write_spec(GROUP_13)))
    assert result.exit_code == 2, result.output
    assert 'health.screening: "full_access" -> "no_access"' in result.stdout
    assert 'health.immunization: "no_access" -> "view_only"' in result.stdout
