"""Policy rules drawn from the Clever guide, checked against the resolved desired state.

The rules keep the Clever export narrow. They concern two kinds of object, derived
from the spec rather than declared in it:

- a *sync account* is a staff member the spec enables for admin sign-in
  (``admin_access.enabled: true``) that is the ``clever-dde-sync`` preset's account
  or whose ``default_group`` is set to ``full`` on a DDE page
  (``/admin/tech/dde/home.html`` or ``exportrecords.html``);
- an *export group* is a sync account's default group, or a group set to ``full``
  on a DDE page.

Any other admin account a spec manages is not a sync account, so the rules leave it
alone. A rule whose value the spec does not manage (leaves out) is reported too: an
unmanaged field is whatever someone last set by hand, so psconfig cannot vouch for
it. Each finding is located at the value that breaks the rule; when that value is
not written anywhere (a group the spec does not define, a DDE page it does not
list), at the value that made the group an export group.

Findings become located problems, with waivers applied, in ``waivers``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from psconfig.model import (
    DDE_PAGES,
    DISTRICT_OFFICE,
    Desired,
    Group,
    Staff,
    admits_any_address,
)
from psconfig.spec.locate import DPath
from psconfig.spec.refs import BUILTIN_GROUPS, BUILTIN_PERMISSION_GROUPS


@dataclass(frozen=True)
class Rule:
    """A policy rule: its id, severity and what it requires."""

    id: str
    severity: Literal["error", "warning"]
    meaning: str


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("PS001", "error", "The export group's access level is View Only."),
        Rule("PS002", "error", "The export group has no accessible log types."),
        Rule("PS003", "error", "The export group has no accessible incident types."),
        Rule(
            "PS004",
            "error",
            "The export group has No Access to every Health and Immunization area.",
        ),
        Rule("PS005", "error", "The export group has no PowerScheduler access."),
        Rule("PS006", "error", "The export group has no Language Translator access."),
        Rule("PS007", "error", "The export group cannot modify schedules."),
        Rule("PS008", "error", "The export group is not a built-in group (1-11)."),
        Rule("PS009", "error", "The export group is Full on both DDE pages."),
        Rule(
            "PS010",
            "error",
            "The sync password is a secret reference, not a literal (outside sim://).",
        ),
        Rule("PS011", "warning", "The sync account restricts sign-in to allowed IPs."),
        Rule("PS012", "error", "The spec defines the export group."),
        Rule(
            "PS013",
            "error",
            "The sync account belongs to the District Office "
            "(school, home affiliation and a role there).",
        ),
        Rule(
            "PS014",
            "error",
            "The sync account's roles use Default Group Access "
            "or the export group only.",
        ),
        Rule(
            "PS015",
            "error",
            "The export group is not Full on pages other than the DDE pages.",
        ),
        Rule("PS016", "warning", "The sync account has no PowerTeacher access."),
        Rule("PS017", "warning", "The page-permission toggle is not left on."),
        Rule(
            "PS018",
            "warning",
            "The sync account's password is managed (admin_access.password).",
        ),
        Rule(
            "PS019",
            "warning",
            "No group takes the name of another, built-in group (Admin, Nurse, ...).",
        ),
    )
}


@dataclass(frozen=True)
class Finding:
    """A rule broken at a place in the desired state.

    ``fallback`` is where to point instead when the spec writes nothing at
    ``where`` (the value that made the group an export group).
    """

    rule: str
    where: DPath
    message: str
    fallback: DPath | None = None


@dataclass(frozen=True)
class Context:
    """What the rules look at besides the desired state.

    ``preset_staff`` is the staff ID of the ``clever-dde-sync`` preset's account,
    when the spec uses the preset.
    """

    desired: Desired
    is_sim: bool
    literal_passwords: frozenset[str]
    preset_staff: str | None = None


_GROUP_CHECKS: tuple[tuple[str, str, str, Callable[[Group], bool], str], ...] = (
    (
        "PS001",
        "access_level",
        "access_level",
        lambda g: g.access_level == "view_only",
        "must be view_only (guide 2: Access Level View Only)",
    ),
    (
        "PS002",
        "log_types",
        "log_types",
        lambda g: not g.log_types,
        "must be empty (guide 2: no log types)",
    ),
    (
        "PS003",
        "incident_types",
        "incident_types",
        lambda g: not g.incident_types,
        "must be empty (guide 2: no incident types)",
    ),
    (
        "PS004",
        "health",
        "health_and_immunization",
        lambda g: (
            {
                g.health.certification,
                g.health.immunization,
                g.health.office_visit,
                g.health.screening,
            }
            == {"no_access"}
        ),
        "must be no_access everywhere (guide 2: Health and Immunization No Access)",
    ),
    (
        "PS005",
        "powerscheduler_access",
        "powerscheduler_access",
        lambda g: not g.powerscheduler_access,
        "must be false (guide 2)",
    ),
    (
        "PS006",
        "language_translator",
        "language_translator",
        lambda g: not g.language_translator,
        "must be false (guide 2)",
    ),
    (
        "PS007",
        "can_modify_schedules",
        "can_modify_schedules",
        lambda g: g.can_modify_schedules == "no",
        'must be no (guide 2: "No, not at all")',
    ),
)


def check(ctx: Context) -> list[Finding]:
    """Every finding of every rule for ``ctx``."""
    findings: list[Finding] = []
    full = _full_on_dde(ctx.desired)
    exports: dict[int, DPath] = {}
    for staff in _sync_accounts(ctx.desired, ctx.preset_staff, full):
        findings.extend(_account_findings(ctx, staff))
        group = staff.admin_access.default_group
        if group is not None:
            where = ("staff", staff.id, "admin_access", "default_group")
            exports.setdefault(group, where)
    for number, entry in full.items():
        exports.setdefault(number, entry)
    for number, source in exports.items():
        findings.extend(_group_findings(ctx.desired, number, source))
    findings.extend(_impostor_names(ctx.desired))
    if ctx.desired.toggle == "on":
        findings.append(
            Finding(
                "PS017",
                ("toggle",),
                "toggle: on leaves every page's access "
                "privileges editable; use during_apply or off",
            )
        )
    return findings


def _impostor_names(desired: Desired) -> Iterator[Finding]:
    """A group named like a built-in group it is not reads as that group.

    A reviewer who sees "Admin" in a plan or in PowerSchool's role menus thinks
    of group 2; letter case and spacing do not change how it reads.
    """
    builtin = {_fold(name): number for number, name in BUILTIN_GROUPS.items()}
    for number, group in sorted(desired.groups.items()):
        if "name" not in group.model_fields_set:
            continue
        other = builtin.get(_fold(group.name))
        if other is not None and other != number:
            yield Finding(
                "PS019",
                ("group", number, "name"),
                f"group {number} is named like built-in group {other} "
                f"({BUILTIN_GROUPS[other]}); a reviewer would take one for the "
                "other: choose another name",
            )


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def _full_on_dde(desired: Desired) -> dict[int, DPath]:
    """Groups set to ``full`` on a DDE page, each with its (first) page entry."""
    found: dict[int, DPath] = {}
    for page in DDE_PAGES:
        for number, level in sorted(desired.page_permissions.get(page, {}).items()):
            if level == "full":
                found.setdefault(number, ("page", page, number))
    return found


def _sync_accounts(
    desired: Desired, preset_staff: str | None, full: Mapping[int, DPath]
) -> Iterator[Staff]:
    """The preset's account and those whose default group is Full on a DDE page."""
    for staff in desired.staff.values():
        admin = staff.admin_access
        if "admin_access" not in staff.model_fields_set or not admin.enabled:
            continue
        if staff.id == preset_staff or admin.default_group in full:
            yield staff


def _account_findings(ctx: Context, staff: Staff) -> Iterator[Finding]:
    yield from _password(ctx, staff)
    yield from _reach(staff)
    yield from _district_office(staff)


def _password(ctx: Context, staff: Staff) -> Iterator[Finding]:
    sid = staff.id
    where: DPath = ("staff", sid, "admin_access", "password")
    if sid in ctx.literal_passwords and not ctx.is_sim:
        yield Finding(
            "PS010",
            where,
            "the sync password must be a reference such as "
            "${env:CLEVER_SYNC_PASSWORD}, not a literal",
        )
    if sid not in ctx.desired.password_refs:
        yield Finding(
            "PS018",
            where,
            f"sync account {sid} has no admin_access.password; psconfig "
            "cannot give a new account its password (guide 4.D.III)",
        )


def _reach(staff: Staff) -> Iterator[Finding]:
    """Where the account may sign in from, and what else it may open."""
    sid, admin = staff.id, staff.admin_access
    if admits_any_address(admin.allowed_ips):
        written = " (a range covering every address)" if admin.allowed_ips else ""
        yield Finding(
            "PS011",
            ("staff", sid, "admin_access", "allowed_ips"),
            f"sync account {sid} may sign in from any IP address{written}; list "
            "the sync service's addresses in allowed_ips",
        )
    if "teacher_access" in staff.model_fields_set and staff.teacher_access:
        yield Finding(
            "PS016",
            ("staff", sid, "teacher_access"),
            "the sync account needs no PowerTeacher access (guide 1: DDE export only)",
        )
    for role in admin.roles:
        if role.group is not None and role.group != admin.default_group:
            yield Finding(
                "PS014",
                ("role", sid, role.school, "group"),
                f"the role at school {role.school} grants group {role.group}; "
                "use group: default (guide 4.D.V)",
            )


def _district_office(staff: Staff) -> Iterator[Finding]:
    sid, fields = staff.id, staff.model_fields_set
    if "school" in fields and staff.school != DISTRICT_OFFICE:
        yield Finding(
            "PS013",
            ("staff", sid, "school"),
            "the sync account is created at the District Office (guide 4.A)",
        )
    if "affiliations" in fields and not any(
        a.school == DISTRICT_OFFICE and a.home and a.active for a in staff.affiliations
    ):
        yield Finding(
            "PS013",
            ("staff", sid, "affiliations"),
            "the sync account needs an active home affiliation with the "
            "District Office (guide 4.C)",
        )
    admin = staff.admin_access
    if "roles" in admin.model_fields_set and not any(
        r.school == DISTRICT_OFFICE for r in admin.roles
    ):
        yield Finding(
            "PS013",
            ("staff", sid, "admin_access", "roles"),
            "the sync account needs a role at the District Office (guide 4.D.V)",
        )


def _group_findings(desired: Desired, number: int, source: DPath) -> Iterator[Finding]:
    """Findings about export group ``number``; ``source`` made it one."""
    here: DPath = ("group", number)
    if number in BUILTIN_PERMISSION_GROUPS:
        yield Finding(
            "PS008",
            (*here, "number"),
            f"export group {number} is a built-in group; use an unused group "
            "such as 12 (guide 2)",
            source,
        )
    group = desired.groups.get(number)
    if group is None:
        yield Finding(
            "PS012",
            source,
            f"export group {number} is not defined under security_groups, "
            "so psconfig cannot enforce its permissions",
        )
    else:
        for rule, name, key, ok, must in _GROUP_CHECKS:
            if name not in group.model_fields_set:
                yield Finding(
                    rule,
                    here,
                    f"export group {number} does not manage "
                    f"{key}; set it so psconfig enforces it ({must})",
                )
            elif not ok(group):
                yield Finding(
                    rule, (*here, name), f"{key} of export group {number} {must}"
                )
    yield from _page_findings(desired, number, source)


def _page_findings(desired: Desired, number: int, source: DPath) -> Iterator[Finding]:
    for page in DDE_PAGES:
        level = desired.page_permissions.get(page, {}).get(number)
        if level != "full":
            now = f"it is {level}" if level else "the spec does not set it"
            yield Finding(
                "PS009",
                ("page", page, number),
                f"export group {number} must be full on {page} (guide 3); {now}",
                source,
            )
    for page, levels in sorted(desired.page_permissions.items()):
        if page not in DDE_PAGES and levels.get(number) == "full":
            yield Finding(
                "PS015",
                ("page", page, number),
                f"export group {number} should not be full on {page}; "
                "Clever needs Full on the DDE pages only",
            )
