"""Specs written by psconfig: ``import`` (live state -> spec) and ``validate --expand``.

``dump_spec`` writes the full form of a live ``State``: every group, page
permission and staff member it holds, by number, with every field, so loading it
gives back the same desired state. Passwords cannot be read from PowerSchool, so
each sign-in-enabled staff member gets a reference
``${env:PSCONFIG_PASSWORD_<ID>}``, and the server's credentials are
``${env:PS_ADMIN_USER}`` / ``${env:PS_ADMIN_PASSWORD}`` (sim:// needs none). When
the live setup breaks a policy rule, the written spec waives that rule with a
reason saying so, so that the import loads and the finding stays visible.
"""

from __future__ import annotations

import re
from typing import Any

from psconfig.errors import PsconfigError, SpecError
from psconfig.model import DISTRICT_OFFICE, Group, Staff, State
from psconfig.spec import policy
from psconfig.spec.formats import check_name, check_url
from psconfig.spec.load import LoadedSpec
from psconfig.spec.loader import dump_yaml, parse_document
from psconfig.spec.models import SpecModel
from psconfig.spec.refs import DISTRICT_OFFICE_NAME
from psconfig.spec.resolve import resolve
from psconfig.spec.validation import validate_spec

IMPORT_WAIVER_REASON = (
    "imported from the live server as it was; review this finding, then fix the "
    "setup or state why it is acceptable"
)


def dump_spec(state: State, *, name: str, url: str, flavor: str) -> str:
    """YAML text of a full-form spec that reproduces ``state``.

    The text loads cleanly with ``load_spec`` and resolves to a desired state
    whose groups, page permissions and staff equal ``state``'s.

    Raises:
        PsconfigError: ``name``, ``url`` or ``flavor`` cannot go into a spec.

    """
    data = _spec_data(state, name=name, url=url, flavor=flavor)
    text = dump_yaml(data)
    waive = _violated_rules(text)
    if waive:
        data["policy"] = {
            "waive": [{"rule": rule, "reason": IMPORT_WAIVER_REASON} for rule in waive]
        }
        text = dump_yaml(data)
    return f"# Imported by `psconfig import` from {data['server']['url']}.\n" + text


def expand_spec(loaded: LoadedSpec) -> str:
    """YAML text of ``loaded`` with its preset expanded into explicit items.

    Secrets appear as their references (a literal shows as ``<literal hidden>``).
    Page permissions name groups by number.
    """
    model, resolved = loaded.model, loaded.resolved
    data: dict[str, Any] = model.model_dump(
        by_alias=True,
        exclude_none=True,
        exclude={"preset", "security_groups", "page_permissions", "staff", "policy"},
    )
    if not data["schools"]:
        del data["schools"]
    data["security_groups"] = [_written(g) for g in resolved.groups]
    data["page_permissions"] = {
        "toggle": resolved.desired.toggle,
        "pages": {
            page: dict(sorted(levels.items()))
            for page, levels in resolved.desired.page_permissions.items()
        },
    }
    data["staff"] = [_written(s) for s in resolved.staff]
    if model.policy.waive:
        data["policy"] = _written(model.policy)
    return dump_yaml(data)


def _written(item: SpecModel) -> dict[str, Any]:
    return item.model_dump(by_alias=True, exclude_none=True)


def _spec_data(state: State, *, name: str, url: str, flavor: str) -> dict[str, Any]:
    try:
        check_name(name)
    except ValueError as exc:
        raise PsconfigError(f"spec name {name!r}: {exc}") from None
    if flavor not in ("auto", "legacy", "modern"):
        raise PsconfigError(f"flavor {flavor!r}: use auto, legacy or modern")
    try:
        url = check_url(url)
    except ValueError as exc:
        raise PsconfigError(f"server URL {url!r}: {exc}") from None
    server: dict[str, Any] = {"url": url, "flavor": flavor}
    if not url.startswith("sim://"):
        server["username"] = "${env:PS_ADMIN_USER}"
        server["password"] = "${env:PS_ADMIN_PASSWORD}"
    return {
        "psconfig": 1,
        "name": name,
        "server": server,
        "security_groups": [_group(g) for _, g in sorted(state.groups.items())],
        "page_permissions": {
            # psconfig turns the toggle on to edit and restores it afterwards.
            "toggle": "during_apply",
            "pages": {
                page: dict(sorted(levels.items()))
                for page, levels in sorted(state.page_permissions.items())
                if levels
            },
        },
        "staff": [_staff(s) for _, s in sorted(state.staff.items())],
    }


def _group(group: Group) -> dict[str, Any]:
    data = group.model_dump(exclude={"health"})
    data["log_types"] = list(group.log_types)
    data["incident_types"] = list(group.incident_types)
    data["health_and_immunization"] = group.health.model_dump()
    return data


def _school(number: int) -> int | str:
    return DISTRICT_OFFICE_NAME if number == DISTRICT_OFFICE else number


def _staff(staff: Staff) -> dict[str, Any]:
    data = staff.model_dump(exclude={"affiliations", "admin_access"})
    data["school"] = _school(staff.school)
    data["affiliations"] = [
        {**row.model_dump(), "school": _school(row.school)}
        for row in staff.affiliations
    ]
    admin = staff.admin_access
    access: dict[str, Any] = {"enabled": admin.enabled}
    if admin.username:
        access["username"] = admin.username
    if admin.enabled:
        access["password"] = "${env:" + password_variable(staff.id) + "}"
    access["ldap_enabled"] = admin.ldap_enabled
    if admin.default_group is not None:
        access["default_group"] = admin.default_group
    window = admin.sign_in_window
    access["sign_in_window"] = (
        window if isinstance(window, str) else {"from": window.start, "to": window.end}
    )
    access["allowed_ips"] = list(admin.allowed_ips)
    access["roles"] = [
        {
            "school": _school(role.school),
            "group": "default" if role.group is None else role.group,
        }
        for role in admin.roles
    ]
    data["admin_access"] = access
    return data


def password_variable(staff_id: str) -> str:
    """The environment variable an imported spec reads a staff password from."""
    return "PSCONFIG_PASSWORD_" + re.sub(r"[^A-Za-z0-9]", "_", staff_id).upper()


def _violated_rules(text: str) -> list[str]:
    """Policy rules with error findings in the spec ``text``."""
    try:
        doc = parse_document(text.encode(), "<import>")
        model = validate_spec(doc)
    except SpecError as exc:
        raise PsconfigError(
            f"the live state cannot be written as a spec: {exc.problems[0].message}"
        ) from None
    resolved, problems = resolve(model, doc)
    if resolved is None:
        error = next(p for p in problems if p.severity == "error")
        raise PsconfigError(
            f"the live state cannot be written as a spec: {error.message}"
        )
    context = policy.Context(
        desired=resolved.desired,
        is_sim=model.server.url.startswith("sim://"),
        literal_passwords=frozenset(),
    )
    found = {f.rule for f in policy.check(context)}
    return sorted(rule for rule in found if policy.RULES[rule].severity == "error")
