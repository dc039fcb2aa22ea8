"""Form maps: what each PowerSchool flavor's admin pages look like, as validated data.

Everything version-specific the driver knows (URLs, form ids, field names, option
value <-> normalized value tables, success/failure markers and the version regex)
lives in ``pagemap/data/<flavor>.json``. This module only loads and
validates those files; the Python code reading and writing pages refers to fields by
their normalized key (``group_edit.fields.access_level``) and never spells a portal
field name itself, so a capture of a real server can fix a map without code changes.
The building blocks (a field, a page, markers) are in ``map_parts``; this module
declares each page of a map and loads the files.

Models are frozen and closed (``extra="forbid"``): a misspelled key in a map file is a
load error, not a silently ignored field.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from pydantic import ValidationError

from psconfig.drivers.portal.pagemap.map_parts import (
    Capture,
    FieldMap,
    Fields,
    FormPage,
    Markers,
    Page,
    PathTemplate,
    Regex,
    Template,
)
from psconfig.errors import FormMapError
from psconfig.model import Flavor, Frozen

FLAVORS: tuple[Flavor, ...] = ("legacy", "modern")


class SigninFields(Fields):
    username: FieldMap
    password: FieldMap
    token: FieldMap


class SigninOptionalFields(Fields):
    """Inputs some sign-in pages carry and the driver fills only when present."""

    key: FieldMap
    dbpw: FieldMap
    ldappassword: FieldMap


class Signin(FormPage):
    """The sign-in page; the scheme (hashed or plain) is detected per page load."""

    fields: SigninFields
    optional_fields: SigninOptionalFields
    key_script_regex: Regex
    invalid_markers: tuple[str, ...]
    lockout_markers: tuple[str, ...]
    refused_markers: tuple[str, ...]


class Home(Page):
    """The start page and the header every page carries.

    The current school is the text of the school picker's toggle button (20.x+,
    research row 21); switching follows the picker item whose text is the school's
    name. Older headers have a link whose text is ``school_link_text`` to
    ``school_context`` instead.
    """

    logout_url: PathTemplate
    school_button_xpath: str
    school_items_xpath: str
    school_link_text: str


class SchoolContextFields(Fields):
    school: FieldMap
    submit: FieldMap


class SchoolContext(FormPage):
    """The older UI's school page, reached by the header's "School:" link."""

    fields: SchoolContextFields


class GroupList(Page):
    """The group list: one link per group to its edit page, named by the group.

    ``edit_link_regex`` captures the group number from a link's address.
    """

    edit_link_regex: Regex


class GroupFields(Fields):
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
    current_count_label: str


class ToggleFields(Fields):
    enabled: FieldMap


class Toggle(FormPage):
    fields: ToggleFields
    title_marker: str


class PageEditorFields(Fields):
    filter: FieldMap
    set_all: FieldMap
    level: FieldMap


class PageEditor(FormPage):
    """A page's access-privileges editor, reached as a person reaches it.

    That is by following the link whose text is ``link_text`` on the page (shown
    only while the toggle is on); its address is whatever the link says, so
    ``url`` is unused.
    """

    url: PathTemplate = "/"
    fields: PageEditorFields
    link_text: str


class StaffSearch(Page):
    """A staff list for a search (``url`` takes ``{query}``).

    The list's markup is not public: records are found by their links
    (``frn_regex``), and each one's staff ID is confirmed on its own pages.
    """

    id_query: Template
    admin_query: str
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


class StaffNew(FormPage):
    fields: StaffNewFields


class StaffEditFields(PersonFields):
    status: FieldMap
    active_box: FieldMap


class StaffEdit(FormPage):
    fields: StaffEditFields


class AffiliationFields(Fields):
    teacher_access: FieldMap
    grid: FieldMap
    admin_login: FieldMap
    admin_ldap: FieldMap


class GridKeys(Frozen):
    """The keys of one affiliation row in the grid's JSON (not public: pins)."""

    school: str
    name: str
    home: str
    active: str
    staff_type: str


class Grid(Frozen):
    """The school affiliations jqGrid of Teachers and Affiliations.

    Its rows are a JSON array in the page's script (``rows_regex`` ends where the
    array starts); the schools its Add dialog offers likewise (``others_regex``).
    On submit the page serializes the rows into the hidden ``fields.grid``.
    """

    rows_regex: Regex
    others_regex: Regex
    home_school_xpath: str
    keys: GridKeys
    staff_types: dict[str, int]


class Affiliations(FormPage):
    """Teachers and Affiliations.

    ``admin_login``/``admin_ldap`` are the hidden copy of the admin sign-in that
    the page's script removes before submitting.
    """

    fields: AffiliationFields
    grid: Grid


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


class RolesTable(Frozen):
    """The "Roles and Schools" table: one row per role, read as it is shown.

    Columns are found by their headings; ``home_suffix_regex`` is what the school
    cell adds to the home school's name (the guide: " (Home School)").
    """

    label: str
    school_column: str
    role_column: str
    home_suffix_regex: str
    role: FieldMap
    """The role cell's texts ("Read-Only Export (12)", "Default Group Access")."""
    remove: FieldMap
    """A row's remove action, found by its label inside the row ("Remove")."""


class AddRoleFields(Fields):
    schools: FieldMap
    """The dialog's school boxes, each chosen by its school's name."""
    role: FieldMap


class AddRole(Frozen):
    """The "Add User Access Roles" dialog behind "Roles and Schools [?] Add".

    One school or several, then a role; its controls post with the page's form.
    """

    title: str
    fields: AddRoleFields


class AdminAccess(FormPage):
    fields: AdminAccessFields
    roles: RolesTable
    add_role: AddRole


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
    staff_new_pre2013: StaffNew
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
        resources.files("psconfig.drivers.portal.pagemap")
        .joinpath("data")
        .joinpath(name)
        .read_text("utf-8")
    )
    portal_map = parse_map(text, source=f"pagemap/data/{name}")
    if portal_map.flavor != flavor:
        raise FormMapError(
            page=f"pagemap/data/{name}",
            field="flavor",
            flavor=flavor,
            detail=f"says {portal_map.flavor!r}",
        )
    return portal_map
