"""Test inputs: the Clever desired state (as the preset would produce it) and a spec."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from psconfig.engine.planning.build import build_plan
from psconfig.engine.planning.plan import Plan, SpecRef, Target, live_fingerprint
from psconfig.model import (
    AdminAccess,
    Affiliation,
    Desired,
    Group,
    Health,
    Role,
    Staff,
    State,
)
from tests.engine.fakes import INFO

DDE_HOME = "/admin/tech/dde/home.html"
DDE_EXPORT = "/admin/tech/dde/exportrecords.html"
CANARY = "canary-7f3a9c-NEVER-PRINT"
PASSWORD_REF = "${env:CLEVER_SYNC_PASSWORD}"


def clever_group(number: int = 12) -> Group:
    return Group(
        number=number,
        name="Read-Only Export",
        access_level="view_only",
        can_modify_schedules="no",
        powerscheduler_access=False,
        language_translator=False,
        report_queue_priority=0,
        log_types=(),
        incident_types=(),
        health=Health(
            certification="no_access",
            immunization="no_access",
            office_visit="no_access",
            screening="no_access",
        ),
    )


def clever_staff(group: int = 12, staff_id: str = "99999") -> Staff:
    return Staff(
        id=staff_id,
        last_name="Sync",
        first_name="Clever",
        school=0,
        staff_type="staff",
        affiliations=(Affiliation(school=0, home=True, active=True),),
        admin_access=AdminAccess(
            enabled=True,
            username="cleversync",
            default_group=group,
            sign_in_window="any_time",
            allowed_ips=(),
            roles=(Role(school=0),),
        ),
        teacher_access=False,
    )


def clever_desired(**changes: object) -> Desired:
    base = Desired(
        groups={12: clever_group()},
        toggle="during_apply",
        page_permissions={DDE_HOME: {12: "full"}, DDE_EXPORT: {12: "full"}},
        staff={"99999": clever_staff()},
        passwords={"99999": SecretStr(CANARY)},
        password_refs={"99999": PASSWORD_REF},
    )
    return base.model_copy(update=changes)


@dataclass(frozen=True)
class FakeSpec:
    """A ``SpecSource`` holding a resolved desired state."""

    state: Desired = field(default_factory=clever_desired)
    path: Path = Path("specs/district.yaml")
    name: str = "district"
    digest: str = "sha256:" + "ab" * 32

    def desired(self, *, resolve_secrets: bool) -> Desired:
        if resolve_secrets:
            return self.state
        return self.state.model_copy(update={"passwords": {}})


TARGET = Target(
    url=INFO.url,
    powerschool_version=INFO.version,
    flavor=INFO.flavor,
    username=INFO.username,
)
SPEC = SpecRef(
    path="specs/district.yaml", name="district", digest="sha256:" + "ab" * 32
)


def plan_for(desired: Desired, live: State, *, mode: str = "plan") -> Plan:
    """A plan with fixed identity and timestamp (for golden and determinism tests)."""
    assert mode in ("plan", "drift")
    return build_plan(
        desired,
        live,
        target=TARGET,
        spec=SPEC,
        live_fingerprint=live_fingerprint(live, desired.scope()),
        timestamp="2025-01-31T12:00:00Z",
        mode="drift" if mode == "drift" else "plan",
    )
