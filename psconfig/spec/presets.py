"""The ``clever-dde-sync`` preset: the whole Clever guide as spec items.

``preset: {clever-dde-sync: {...}}`` expands to exactly the state that
``specs/clever-dde-sync.yaml`` writes out in full (a test keeps the two equal), with
the preset's parameters applied. Each value below cites the section of the guide
("Clever School Signup: PowerSchool") it comes from.

Items are returned as spec models, so they go through the same reference checks,
merging and policy as items a district writes itself. Group references use the group
number, so renaming the group beside the preset cannot leave them dangling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from psconfig.model import DDE_PAGES, PageLevel, ToggleMode
from psconfig.spec.document import RawPath
from psconfig.spec.merge import FieldPath
from psconfig.spec.models import (
    AdminAccess,
    Affiliation,
    CleverDdeSync,
    Health,
    Role,
    SecurityGroup,
    Staff,
)

PRESET_NAME = "clever-dde-sync"
PRESET_PATH: RawPath = ("preset", PRESET_NAME)
"""Guide 3.B and 3.C: the two Direct Database Export pages Clever needs Full on."""


@dataclass(frozen=True)
class Fragment:
    """The spec items a preset contributes, and which parameter set which field.

    ``group_params`` and ``staff_params`` map a field path inside an item to the
    preset parameter it came from, so findings can point at that parameter.
    """

    groups: tuple[SecurityGroup, ...]
    pages: Mapping[str, Mapping[int | str, PageLevel]]
    toggle: ToggleMode
    staff: tuple[Staff, ...]
    base: RawPath = PRESET_PATH
    group_params: Mapping[FieldPath, str] = field(default_factory=dict)
    staff_params: Mapping[FieldPath, str] = field(default_factory=dict)


def clever_dde_sync(params: CleverDdeSync) -> Fragment:
    """Expand the preset with its parameters applied."""
    group = params.group_number
    return Fragment(
        groups=(_export_group(params),),
        # Guide 3.A turns "Access to Page Permissions" On to edit the pages;
        # during_apply does that and then restores the toggle.
        toggle="during_apply",
        # Guide 3.B and 3.C: the export group is Full on both DDE pages.
        pages={page: {group: "full"} for page in DDE_PAGES},
        staff=(_sync_account(params),),
        group_params={("number",): "group_number", ("name",): "group_name"},
        staff_params={
            ("id",): "staff_id",
            ("last_name",): "last_name",
            ("first_name",): "first_name",
            ("admin_access", "username"): "username",
            ("admin_access", "password"): "password",
            ("admin_access", "default_group"): "group_number",
            ("admin_access", "allowed_ips"): "allowed_ips",
            ("admin_access", "sign_in_window"): "sign_in_window",
        },
    )


def _export_group(params: CleverDdeSync) -> SecurityGroup:
    return SecurityGroup(
        number=params.group_number,  # guide 2: an unused group ("Group 12")
        name=params.group_name,  # guide 2: renamed "Read-Only Export"
        access_level="view_only",  # guide 2: Access Level "View Only"
        can_modify_schedules="no",  # guide 2: "No, not at all"
        powerscheduler_access=False,  # guide 2: PowerScheduler Access unchecked
        language_translator=False,  # guide 2: Language Translator unchecked
        report_queue_priority=0,  # guide 2: Report Queue Priority "0 Highest"
        log_types=[],  # guide 2: every Accessible Log Type unchecked
        incident_types=[],  # guide 2: Accessible Incident Types empty
        health_and_immunization=Health(  # guide 2: Health and Immunization
            certification="no_access",  # Certification "No Access"
            immunization="no_access",  # Immunization "No Access"
            office_visit="no_access",  # Office Visit "No Access"
            screening="no_access",  # Screening "No Access"
        ),
    )


def _sync_account(params: CleverDdeSync) -> Staff:
    return Staff(
        id=params.staff_id,  # guide 4.A: ID 99999
        last_name=params.last_name,  # guide 4.A: Name (Last, First) "Sync, Clever"
        first_name=params.first_name,
        school="District Office",  # guide 4.A: School "District Office"
        staff_type="staff",  # guide 4.C: Staff Type "Staff"
        affiliations=[
            # guide 4.C: connected to the District Office, home school, active
            Affiliation(school="District Office", home=True, active=True)
        ],
        admin_access=AdminAccess(
            enabled=True,  # guide 4.D.I: sign in to the administrative portion
            username=params.username,  # guide 4.D.II: e.g. cleversync
            password=params.password,  # guide 4.D.III: a secure password
            ldap_enabled=False,  # guide 4.D.III: a password of its own, not LDAP
            default_group=params.group_number,  # guide 4.D.IV: "Read-Only Export"
            sign_in_window=params.sign_in_window,  # guide 4.D: "Any time"
            allowed_ips=params.allowed_ips,  # guide 4.D: Allowed IPs (blank)
            # guide 4.D.V: District Office with "Default Group Access"
            roles=[Role(school="District Office", group="default")],
        ),
        # guide 1: DDE export access only, so no PowerTeacher access
        teacher_access=False,
    )
