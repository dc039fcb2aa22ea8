"""The spec format, version 1, as pydantic models (the YAML keys are the field names).

These models check the shape of a spec: keys, types, value labels, single-field
formats (URLs, IP addresses, times, page paths). Checks that need the whole spec
(group and school references, duplicates, presets, policy) happen after this, in
``resolve`` and ``policy``, where the positions of the file are at hand.

Optional fields default to ``None``: a field a spec leaves out is not managed, so
psconfig never changes it in PowerSchool. Models are strict: YAML already has types,
so ``"yes"`` is not a boolean and ``"12"`` is not a number.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from psconfig.model import Frozen
from psconfig.spec.formats import (
    GroupNumber,
    GroupRef,
    IpEntry,
    PagePath,
    SchoolRef,
    ServerUrl,
    SignInTime,
    SpecName,
    StaffId,
    Text,
    Username,
    check_version,
)
from psconfig.spec.labels import (
    AccessLevelLabel,
    HealthLabel,
    LogTypeLabel,
    PageLevelLabel,
    Removal,
    ScheduleLabel,
    StaffStatusLabel,
    StaffTypeLabel,
    ToggleLabel,
)
from psconfig.spec.plugin_api import PluginApi
from psconfig.spec.secrets import SecretValue, UsernameValue

DAY_START, DAY_END = "05:00", "22:00"
"""The guide: "Choose times between 05:00 AM and 10:00 PM"."""


class SpecModel(Frozen):
    """Base of every spec model: frozen, closed to unknown keys, strictly typed."""

    model_config = ConfigDict(strict=True)


class Server(SpecModel):
    """The PowerSchool to manage and the account psconfig signs in with."""

    url: ServerUrl = Field(
        description="https://HOST, sim://NAME[?flavor=legacy|modern], or http:// "
        "on loopback only."
    )
    flavor: Literal["auto", "legacy", "modern"] = Field(
        "auto", description="PowerSchool page flavor; auto detects it at sign-in."
    )
    sign_in: Literal["auto", "pcas", "plain"] = Field(
        "auto",
        description="How the sign-in page takes the password: pcas (hashed in the "
        "browser with the page's pskey and md5.js), plain, or auto (read from the "
        "page; an unclear page is refused before any password is sent).",
    )
    map: str | None = Field(
        None,
        description="A site map learned by `psconfig doctor --learn --out FILE`, "
        "relative to this spec: its pins must agree with the pages' labels, and a "
        "pinned control that changed stops every run before anything is written.",
    )
    username: UsernameValue | None = Field(
        None, description="Admin username (literal or reference); sim:// default admin."
    )
    password: SecretValue | None = Field(
        None, description="Admin password reference; sim:// default psconfig-demo."
    )
    # issue 15 (drift --via api): the plugin's OAuth client, defined in plugin_api.
    api: PluginApi | None = Field(
        None, description="The psconfig plugin's OAuth client, for drift --via api."
    )


class Health(SpecModel):
    """Health and Immunization access; areas left out are No Access."""

    certification: HealthLabel | None = None
    immunization: HealthLabel | None = None
    office_visit: HealthLabel | None = None
    screening: HealthLabel | None = None


class SecurityGroup(SpecModel):
    """A security group by number (Security > Groups > Edit Group)."""

    number: GroupNumber
    name: Annotated[str, Field(min_length=1, max_length=60)] | None = None
    access_level: AccessLevelLabel | None = None
    can_modify_schedules: ScheduleLabel | None = None
    powerscheduler_access: bool | None = None
    language_translator: bool | None = None
    report_queue_priority: Annotated[int, Field(ge=0, le=9)] | None = Field(
        None, description="0 = Highest ... 9 = Lowest."
    )
    log_types: list[LogTypeLabel] | None = None
    incident_types: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, description="Incident type codes (e.g. BUL); [] = none."
    )
    health_and_immunization: Health | None = None


class PagePermissions(SpecModel):
    """The page-permission toggle and per-page levels by group."""

    toggle: ToggleLabel | None = None
    pages: dict[PagePath, dict[GroupRef, PageLevelLabel]] = Field(
        default_factory=dict,
        description="Page path -> group (number or name) -> level.",
    )


class TimeWindow(SpecModel):
    """An admin sign-in window within 05:00-22:00 (the guide), in half hours."""

    start: SignInTime = Field(alias="from")
    end: SignInTime = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if not DAY_START <= self.start < self.end <= DAY_END:
            raise ValueError(
                f"the window must satisfy {DAY_START} <= from < to <= {DAY_END} "
                "(PowerSchool allows sign-in times between 05:00 AM and 10:00 PM)"
            )
        return self


def _window_kind(value: Any) -> str | None:
    if value == "any_time":
        return "keyword"
    if isinstance(value, dict | TimeWindow):
        return "window"
    return None


SignInWindow = Annotated[
    Annotated[Literal["any_time"], Tag("keyword")]
    | Annotated[TimeWindow, Tag("window")],
    Discriminator(
        _window_kind,
        custom_error_type="sign_in_window",
        custom_error_message='expected any_time or {from: "HH:MM", to: "HH:MM"}',
    ),
]


class Role(SpecModel):
    """A row of Roles and Schools: a school and the group used there."""

    school: SchoolRef
    group: GroupRef | Literal["default"] = Field(
        "default", description='A group, or "default" for Default Group Access.'
    )


class Affiliation(SpecModel):
    """A row of Teachers and Affiliations."""

    school: SchoolRef
    home: bool = False
    active: bool = True
    staff_type: StaffTypeLabel = "staff"


class AdminAccess(SpecModel):
    """The Admin Access and Roles tab."""

    enabled: bool | None = Field(
        None, description="Sign in to Administrative Portion of PowerSchool."
    )
    username: Username | None = None
    password: SecretValue | None = Field(
        None, description="Write-only: set on create or rotation, never read back."
    )
    ldap_enabled: bool | None = None
    default_group: GroupRef | None = None
    sign_in_window: SignInWindow | None = None
    allowed_ips: list[IpEntry] | None = Field(
        None, description="IPv4/IPv6 addresses or CIDR networks; [] = any address."
    )
    roles: list[Role] | None = None


class Staff(SpecModel):
    """A staff member by staff ID; ``ensure: absent`` removes it (guide 5)."""

    id: StaffId
    ensure: Literal["present", "absent"] = "present"
    removal: Removal | None = Field(
        None, description="For ensure: absent; overrides the top-level removal."
    )
    last_name: Text | None = None
    first_name: Text | None = None
    middle_name: Text | None = None
    preferred_name: Text | None = None
    email: Text | None = None
    title: Text | None = None
    school: SchoolRef | None = None
    staff_type: StaffTypeLabel | None = None
    status: StaffStatusLabel | None = None
    affiliations: list[Affiliation] | None = None
    admin_access: AdminAccess | None = None
    teacher_access: bool | None = Field(None, description="PowerTeacher access.")


class CleverDdeSync(SpecModel):
    """Parameters of the clever-dde-sync preset (the whole Clever guide)."""

    group_number: GroupNumber = 12
    group_name: Annotated[str, Field(min_length=1, max_length=60)] = "Read-Only Export"
    staff_id: StaffId = "99999"
    username: Username = "cleversync"
    password: SecretValue = Field(description="The sync account's password reference.")
    last_name: Text = "Sync"
    first_name: Text = "Clever"
    allowed_ips: list[IpEntry] = Field(default_factory=list)
    sign_in_window: SignInWindow = "any_time"


class Presets(SpecModel):
    """Presets to expand; keys written beside them override or extend them."""

    clever_dde_sync: CleverDdeSync | None = Field(None, alias="clever-dde-sync")


class Waiver(SpecModel):
    """Accept one policy rule's findings, for a stated reason."""

    rule: Annotated[str, Field(pattern=r"^PS\d{3}$")]
    reason: Annotated[str, Field(min_length=1, pattern=r"\S")]


class Policy(SpecModel):
    """Policy settings."""

    waive: list[Waiver] = Field(default_factory=list)


class Spec(SpecModel):
    """A psconfig spec, format version 1."""

    model_config = ConfigDict(title="psconfig spec v1")

    psconfig: Annotated[Literal[1], BeforeValidator(check_version)] = Field(
        description="Format version; always 1."
    )
    name: SpecName = Field(description="Label used in reports and fleet summaries.")
    server: Server
    schools: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, description="School names usable as references."
    )
    preset: Presets | None = None
    security_groups: list[SecurityGroup] = Field(default_factory=list)
    page_permissions: PagePermissions | None = None
    staff: list[Staff] = Field(default_factory=list)
    removal: Removal = Field(
        "delete", description="How ensure: absent removes staff: delete or deactivate."
    )
    policy: Policy = Field(default_factory=Policy)
