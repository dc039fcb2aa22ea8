"""Plan values: changes, summary, fingerprints and the saved-plan JSON format.

A ``Plan`` is a frozen value. It binds itself to its target (server URL, PowerSchool
version, flavor, signed-in username), to its spec (path, name, digest) and to the
live objects it was computed from (``live_fingerprint``), so ``apply --plan`` can
refuse a stale plan.

JSON format (``format_version`` major.minor; a minor bump only adds keys, readers
ignore keys they do not know and refuse another major)::

    {format_version, mode, psconfig_version, timestamp,
     target {url, powerschool_version, flavor, username},
     spec {path, name, digest}, live_fingerprint,
     summary {create, update, delete, escalation, reduction, neutral},
     changes [{address, kind, key, actions, detail, temporary, changed_paths,
               before, after, severity, findings, password_ref, op}],
     notes [...], source {kind, read_at, age_seconds, path, content_hash,
     not_checked} (only when the live state was not read live: a snapshot or
     the plugin API)}

Secrets: an op's ``password`` is written as ``"(sensitive)"`` when the change sets
one and ``null`` otherwise, never as a value; ``password_ref`` is the reference text
(``${env:NAME}``). Loading a plan therefore never yields a password: ``apply --plan``
recomputes the changes with the secrets resolved and checks they match.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import JsonValue, TypeAdapter, ValidationError

from psconfig.engine.planning.severity import Finding, Severity
from psconfig.errors import PlanFileError
from psconfig.model import Frozen, Op, Scope, State

FORMAT_VERSION = "1.0"
SENSITIVE = "(sensitive)"

SECTION_FIELDS = frozenset({"health", "admin_access"})
"""Fields whose values are nested objects in ``before``/``after`` (see ``diff``)."""

Kind = Literal["group", "page_toggle", "page_permissions", "staff"]
Action = Literal["create", "update", "delete"]
Mode = Literal["plan", "drift"]


class Target(Frozen):
    """The PowerSchool a plan was computed against."""

    url: str
    powerschool_version: str
    flavor: str
    username: str


class SpecRef(Frozen):
    """The spec a plan was computed from."""

    path: str
    name: str
    digest: str


class LiveSource(Frozen):
    """Where a plan's live state came from, when not from signing in to PowerSchool.

    ``snapshot``: a snapshot file read at ``read_at``
    (``psconfig.engine.sources.snapshot``); such a plan can never be applied.
    ``plugin_api``: the read-only plugin API, which cannot see everything
    (``not_checked``).
    """

    kind: Literal["snapshot", "plugin_api"]
    read_at: str
    age_seconds: int | None = None
    path: str | None = None
    content_hash: str | None = None
    not_checked: tuple[str, ...] = ()


class Change(Frozen):
    """One object to create, update or delete, with the one ``Op`` that does it.

    ``before``/``after`` hold the managed fields (all fields for a create or a
    delete); ``changed_paths`` the exact leaves that differ. ``temporary`` marks the
    page-permission toggle bracket (turned on for this apply, restored after it).
    """

    address: str
    kind: Kind
    key: str
    actions: tuple[Action, ...]
    detail: str = ""
    temporary: bool = False
    changed_paths: tuple[tuple[str, ...], ...] = ()
    before: dict[str, JsonValue] | None = None
    after: dict[str, JsonValue] | None = None
    severity: Severity = "neutral"
    findings: tuple[Finding, ...] = ()
    password_ref: str | None = None
    op: Op


class Summary(Frozen):
    """Counts of net changes by action and by severity (the toggle bracket excluded)."""

    create: int = 0
    update: int = 0
    delete: int = 0
    escalation: int = 0
    reduction: int = 0
    neutral: int = 0


class Plan(Frozen):
    """Everything ``apply`` needs, and everything a reviewer reads."""

    format_version: str = FORMAT_VERSION
    mode: Mode = "plan"
    psconfig_version: str
    timestamp: str
    target: Target
    spec: SpecRef
    live_fingerprint: str
    summary: Summary
    changes: tuple[Change, ...] = ()
    notes: tuple[str, ...] = ()
    source: LiveSource | None = None

    @property
    def has_changes(self) -> bool:
        """True when applying would change PowerSchool."""
        return bool(self.changes)


def summarize(changes: tuple[Change, ...]) -> Summary:
    """Count the net changes; the temporary toggle bracket leaves no trace."""
    counted = [c for c in changes if not c.temporary]
    return Summary(
        create=sum("create" in c.actions for c in counted),
        update=sum(c.actions == ("update",) for c in counted),
        delete=sum("delete" in c.actions for c in counted),
        escalation=sum(c.severity == "escalation" for c in counted),
        reduction=sum(c.severity == "reduction" for c in counted),
        neutral=sum(c.severity == "neutral" for c in counted),
    )


# ---------------------------------------------------------------------------
# Fingerprints


def canonical_json(value: Any) -> str:
    """Key-sorted, whitespace-free JSON: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def live_fingerprint(live: State, scope: Scope) -> str:
    """sha256 of the live objects in ``scope``.

    Covers every group, page (all groups' levels) and staff member read for the
    scope, and the toggle. Schools are read-only context and are left out, so is
    anything a driver returned beyond the scope.
    """
    groups = {
        str(n): g.model_dump(mode="json")
        for n, g in live.groups.items()
        if scope.groups is None or n in scope.groups
    }
    pages = {
        page: {str(g): level for g, level in levels.items()}
        for page, levels in live.page_permissions.items()
        if page in scope.pages
    }
    staff = {
        sid: s.model_dump(mode="json")
        for sid, s in live.staff.items()
        if scope.staff_ids is None or sid in scope.staff_ids
    }
    data = {
        "groups": groups,
        "page_toggle": live.page_toggle,
        "page_permissions": pages,
        "staff": staff,
    }
    digest = hashlib.sha256(canonical_json(data).encode()).hexdigest()
    return f"sha256:{digest}"


# ---------------------------------------------------------------------------
# JSON (de)serialization


def change_to_dict(change: Change) -> dict[str, Any]:
    """A change as JSON data, with any password masked."""
    data = change.model_dump(mode="json")
    op = data["op"]
    if "password" in op:
        has_secret = change.password_ref is not None or op["password"] is not None
        op["password"] = SENSITIVE if has_secret else None
    return data


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """A plan as JSON data; secrets masked (see the module docstring)."""
    data = plan.model_dump(mode="json", exclude={"changes"})
    data["changes"] = [change_to_dict(change) for change in plan.changes]
    # Keep the documented key order: changes before notes.
    data["notes"] = data.pop("notes")
    source = data.pop("source")
    if source is not None:  # only plans not read live carry it
        data["source"] = source
    return data


def plan_to_json(plan: Plan) -> str:
    """The saved-plan document (``--out``, ``--format json``), newline-terminated."""
    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n"


_PLAN = TypeAdapter(Plan)


def plan_from_json(text: str, *, source: str = "plan") -> Plan:
    """Load a saved plan; ``PlanFileError`` naming ``source`` when it cannot be used."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(
            f"{source}:{exc.lineno}:{exc.colno}: not a JSON plan: {exc.msg}"
        ) from None
    if not isinstance(data, dict):
        raise PlanFileError(f"{source}: not a psconfig plan (expected an object)")
    _check_version(data.get("format_version"), source)
    try:
        return _PLAN.validate_python(_known_keys(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(step) for step in first["loc"])
        raise PlanFileError(
            f"{source}: invalid plan at {where}: {first['msg']}"
        ) from None


def _check_version(version: object, source: str) -> None:
    major = FORMAT_VERSION.split(".")[0]
    if not isinstance(version, str) or version.split(".")[0] != major:
        raise PlanFileError(
            f"{source}: plan format_version {version!r} is not supported "
            f"(this psconfig reads {major}.x); run psconfig plan again"
        )


def _known_keys(data: dict[str, Any]) -> dict[str, Any]:
    """Drop keys a newer minor version added, and the masked passwords."""
    out = {k: v for k, v in data.items() if k in Plan.model_fields}
    changes = out.get("changes")
    if isinstance(changes, list):
        out["changes"] = [_known_change(c) for c in changes]
    return out


def _known_change(change: object) -> object:
    if not isinstance(change, dict):
        return change
    out = {k: v for k, v in change.items() if k in Change.model_fields}
    op = out.get("op")
    if isinstance(op, dict) and "password" in op:
        out["op"] = {**op, "password": None}
    return out
