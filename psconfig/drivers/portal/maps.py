"""Form maps: what each PowerSchool flavor's admin pages look like, as validated data.

Everything version-specific the driver knows (URLs, form ids, field names, option
value <-> normalized value tables, success/failure markers, the version regex and the
flavor-detection markers) lives in ``maps/<flavor>.json``. This module only loads and
validates those files; the Python code reading and writing pages refers to fields by
their normalized key (``group_edit.fields.access_level``) and never spells a portal
field name itself, so a capture of a real server can fix a map without code changes.

Models are frozen and closed (``extra="forbid"``): a misspelled key in a map file is a
load error, not a silently ignored field.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import AfterValidator, Field, ValidationError, model_validator

from psconfig.errors import FormMapError
from psconfig.model import Flavor, Frozen

FLAVORS: tuple[Flavor, ...] = ("legacy", "modern")

FieldKind = Literal[
    "text",
    "password",
    "hidden",
    "textarea",
    "select",
    "checkbox",
    "checkboxes",
    "radio",
    "submit",
]

_PLACEHOLDERS = frozenset({"number", "page", "frn", "query", "group", "school"})


def _check_template(template: str) -> str:
    """Reject ``{name}`` placeholders the driver never fills."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    unknown = names - _PLACEHOLDERS
    if unknown:
        raise ValueError(f"unknown placeholder(s) {sorted(unknown)} in {template!r}")
    return template


def _check_regex(pattern: str) -> str:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regex {pattern!r}: {exc}") from exc
    if compiled.groups < 1:
        raise ValueError(f"regex {pattern!r} needs one capturing group")
    return pattern


def _check_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"page url {value!r} must be an absolute path")
    return _check_template(value)


Template = Annotated[str, AfterValidator(_check_template)]
"""A control name or text with ``{placeholder}`` parts the driver knows."""
PathTemplate = Annotated[str, AfterValidator(_check_path)]
"""An absolute page path, possibly with ``{placeholder}`` parts."""
Regex = Annotated[str, AfterValidator(_check_regex)]
"""A regular expression with at least one capturing group."""


class FieldMap(Frozen):
    """One form control: its posted name, its kind and its option table.

    ``options`` maps a normalized value (what ``psconfig.model`` uses) to the value
    the portal posts. Empty means the portal's values are used as they are (numbers,
    times, district-defined codes); they are still checked against the page.
    """

    name: Template
    kind: FieldKind
    options: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _options_bijective(self) -> FieldMap:
        if len(set(self.options.values())) != len(self.options):
            raise ValueError(f"field {self.name!r}: two options share a value")
        return self

    def named(self, **params: object) -> str:
        """The control name with row placeholders (``{group}``, ``{school}``) filled."""
        return self.name.format(**params)

    def value_of(self, normalized: str) -> str:
        """The posted value for a normalized one; identity when there is no table."""
        if not self.options:
            return normalized
        return self.options[normalized]

    def normalized_of(self, value: str) -> str | None:
        """The normalized value for a posted one, or None when the table lacks it."""
        if not self.options:
            return value
        for normalized, posted in self.options.items():
            if posted == value:
                return normalized
        return None


class Fields(Frozen):
    """Base of each page's field table; iterable as (key, FieldMap) pairs."""

    def items(self) -> Iterator[tuple[str, FieldMap]]:
        """Every field of this page in declaration order."""
        for key in type(self).model_fields:
            value = getattr(self, key)
            if isinstance(value, FieldMap):
                yield key, value


class Page(Frozen):
    """A page fetched with GET; ``url`` is a path template."""

    url: PathTemplate

    def path(self, **params: str | int) -> str:
        """The page path with its placeholders filled (values URL-quoted)."""
        return self.url.format(
            **{k: quote(str(v), safe="/") for k, v in params.items()}
        )


class FormPage(Page):
    """A page carrying one form, found by its ``id``."""

    form: str
    fields: Fields

    def label(self) -> str:
        """A short page name for reports (the path without its query)."""
        return self.url.split("?", 1)[0]


class Detect(Frozen):
    """Sign-in page markers: all of ``all_of`` present, none of ``none_of``."""

    all_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()

    def matches(self, page_text: str) -> bool:
        return all(m in page_text for m in self.all_of) and not any(
            m in page_text for m in self.none_of
        )


class Markers(Frozen):
    """XPath expressions for the portal's feedback conventions."""

    saved_xpath: str
    alert_xpath: str
    modify_link_xpath: str


class Capture(Frozen):
    """What ``doctor --capture`` keeps and blanks beyond its generic rules.

    ``keep_inputs`` are structural inputs whose values are safe and useful for fixing
    a map (``ac``, ``page``); every other input value is replaced. The text of
    elements matched by ``redact_text_xpaths`` (names, staff IDs) is blanked.
    """

    keep_inputs: frozenset[str]
    redact_text_xpaths: tuple[str, ...]


class SigninFields(Fields):
    username: FieldMap
    password: FieldMap
    key: FieldMap
    dbpw: FieldMap
    ldappassword: FieldMap
    token: FieldMap


class Signin(FormPage):
    """The sign-in page; the scheme (hashed or plain) is detected per page load."""

    fields: SigninFields
    key_script_regex: Regex
    hash_marker: str
    invalid_markers: tuple[str, ...]
    lockout_markers: tuple[str, ...]
    refused_markers: tuple[str, ...]


class Home(Page):
    logout_url: PathTemplate
    user_name_xpath: str
    school_xpath: str


class SchoolContextFields(Fields):
    school: FieldMap


class SchoolContext(FormPage):
    fields: SchoolContextFields


class GroupList(Page):
    count_xpath: str
    count_regex: Regex
    rows_xpath: str
    key_attr: str
    name_xpath: str


class GroupFields(Fields):
    number: FieldMap
    name: FieldMap
    access_level: FieldMap
    can_modify_schedules: FieldMap
    powerscheduler_access: FieldMap
    language_translator: FieldMap
    report_queue_priority: FieldMap
    log_types: FieldMap
    incident_types: FieldMap
    health_certification: FieldMap
    health_immunization: FieldMap
    health_office_visit: FieldMap
    health_screening: FieldMap


class GroupEdit(FormPage):
    fields: GroupFields


class GroupAddFields(Fields):
    count: FieldMap
    prefix: FieldMap


class GroupAdd(FormPage):
    fields: GroupAddFields
    current_count_xpath: str


class ToggleFields(Fields):
    enabled: FieldMap


class Toggle(FormPage):
    fields: ToggleFields
    title_marker: str


class PageEditorFields(Fields):
    page: FieldMap
    filter: FieldMap
    set_all: FieldMap
    level: FieldMap


class PageEditor(FormPage):
    fields: PageEditorFields
    not_enabled_marker: str
    rows_xpath: str
    key_attr: str


class StaffSearch(Page):
    admin_query: str
    rows_xpath: str
    key_attr: str
    id_xpath: str
    school_xpath: str
    link_xpath: str
    frn_regex: Regex


class PersonFields(Fields):
    """The fields New Staff Member and Edit Information share."""

    last_name: FieldMap
    first_name: FieldMap
    middle_name: FieldMap
    preferred_name: FieldMap
    email: FieldMap
    title: FieldMap
    id: FieldMap
    staff_type: FieldMap


class StaffNewFields(PersonFields):
    school: FieldMap
    save: FieldMap


class StaffNew(FormPage):
    fields: StaffNewFields


class StaffEditFields(PersonFields):
    status: FieldMap


class StaffEdit(FormPage):
    fields: StaffEditFields


class AffiliationFields(Fields):
    teacher_access: FieldMap
    home: FieldMap
    active: FieldMap
    staff_type: FieldMap
    new_school: FieldMap
    new_staff_type: FieldMap


class Affiliations(FormPage):
    fields: AffiliationFields
    rows_xpath: str
    key_attr: str


class AdminAccessFields(Fields):
    enabled: FieldMap
    username: FieldMap
    password: FieldMap
    ldap_enabled: FieldMap
    default_group: FieldMap
    sign_in_times: FieldMap
    window_start: FieldMap
    window_end: FieldMap
    allowed_ips: FieldMap
    role: FieldMap
    remove_role: FieldMap
    new_role_school: FieldMap
    new_role_group: FieldMap


class AdminAccess(FormPage):
    fields: AdminAccessFields
    rows_xpath: str
    key_attr: str


class StaffDelete(FormPage):
    fields: Fields


class DdeHomeFields(Fields):
    table: FieldMap
    select_all: FieldMap


class DdeHome(FormPage):
    fields: DdeHomeFields


class DdeExportFields(Fields):
    fields: FieldMap
    field_delimiter: FieldMap
    record_delimiter: FieldMap
    column_titles: FieldMap
    submit: FieldMap


class DdeExport(FormPage):
    fields: DdeExportFields


class PortalMap(Frozen):
    """Everything the driver knows about one flavor of the admin portal."""

    flavor: Flavor
    description: str
    detect: Detect
    version_regex: Regex
    builtin_groups: frozenset[int]
    markers: Markers
    capture: Capture
    signin: Signin
    home: Home
    school_context: SchoolContext
    groups: GroupList
    group_edit: GroupEdit
    group_add: GroupAdd
    toggle: Toggle
    page_editor: PageEditor
    staff_search: StaffSearch
    staff_new: StaffNew
    staff_edit: StaffEdit
    affiliations: Affiliations
    admin_access: AdminAccess
    staff_delete: StaffDelete
    dde_home: DdeHome
    dde_export: DdeExport


def parse_map(text: str, *, source: str) -> PortalMap:
    """Validate a form map's JSON text; a bad map is a FormMapError naming the key."""
    try:
        return PortalMap.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        flavor = _flavor_hint(text)
        raise FormMapError(
            page=source,
            field=where,
            flavor=flavor,
            detail=f"is invalid: {first['msg']}",
        ) from None


def _flavor_hint(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return "unknown"
    return str(data.get("flavor", "unknown")) if isinstance(data, dict) else "unknown"


@cache
def load_map(flavor: Flavor) -> PortalMap:
    """The bundled form map of ``flavor``, validated (cached per process)."""
    name = f"{flavor}.json"
    text = (
        resources.files("psconfig.drivers.portal")
        .joinpath("maps")
        .joinpath(name)
        .read_text("utf-8")
    )
    portal_map = parse_map(text, source=f"maps/{name}")
    if portal_map.flavor != flavor:
        raise FormMapError(
            page=f"maps/{name}",
            field="flavor",
            flavor=flavor,
            detail=f"says {portal_map.flavor!r}",
        )
    return portal_map
