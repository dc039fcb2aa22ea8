"""Plan -> plain text, in the style of ``terraform plan``.

Pure: returns a string with no colour codes. Each line starts (after indentation)
with the symbol that says what it is (``+`` create, ``~`` update, ``-`` delete,
``#`` comment), so the CLI can colour by prefix. Secrets never reach this module:
a password is shown as ``(sensitive, from ${env:NAME})``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

from pydantic import JsonValue

from psconfig.engine.planning.plan import SECTION_FIELDS, Change, Plan
from psconfig.engine.sources.snapshot import human_age
from psconfig.render.printable import printable_lines

_SYMBOL = {"create": "+", "update": "~", "delete": "-"}
_DRIFT_SYMBOL = {"create": "-", "update": "~", "delete": "+"}
_MARK = {"escalation": "(!)", "reduction": "(-)"}
_IDENTITY = (
    ("id",),
    ("last_name",),
    ("first_name",),
    ("admin_access", "username"),
)


def value(data: JsonValue) -> str:
    """A JSON value as written in a plan line."""
    return json.dumps(data, ensure_ascii=False)


def header(plan: Plan) -> list[str]:
    """The lines naming the plan, its spec and its target."""
    t = plan.target
    lines = [
        f"psconfig {plan.mode}: {plan.spec.name}",
        f"  spec:   {plan.spec.path} ({plan.spec.digest[:19]})",
        f"  target: {t.url} (PowerSchool {t.powerschool_version}, {t.flavor}), "
        f"signed in as {t.username}",
    ]
    line = source_line(plan)
    if line:
        lines.append(f"  live:   {line}")
    return lines


def source_line(plan: Plan) -> str:
    """Where the live state came from when it was not read live, else ``""``."""
    source = plan.source
    if source is None:
        return ""
    if source.kind == "snapshot":
        age = human_age(timedelta(seconds=source.age_seconds or 0))
        return (
            f"SNAPSHOT {source.path} taken at {source.read_at} ({age} ago), "
            "not PowerSchool; this plan cannot be applied"
        )
    unseen = ", ".join(source.not_checked)
    return (
        f"PARTIAL read through the plugin API at {source.read_at}; "
        f"NOT CHECKED: {unseen}"
    )


def summary_line(plan: Plan) -> str:
    """``Plan: 1 to create, ...`` or, for drift, ``Drift: ...``."""
    s = plan.summary
    if plan.mode == "drift":
        count = len(plan.changes)
        objects = "object differs" if count == 1 else "objects differ"
        return (
            f"Drift: {count} {objects} from the spec. "
            f"{s.escalation} critical (privilege escalation), {s.reduction} reduce."
        )
    return (
        f"Plan: {s.create} to create, {s.update} to change, {s.delete} to remove. "
        f"{s.escalation} escalate privilege, {s.reduction} reduce."
    )


def no_changes_line(plan: Plan) -> str:
    """What an empty plan or a clean drift check says."""
    if plan.source is not None and plan.source.kind == "plugin_api":
        return "No drift in what the plugin API can see (the rest is NOT CHECKED)."
    if plan.mode == "drift":
        return "No drift. PowerSchool matches the spec."
    return "No changes. PowerSchool matches the spec."


def render_text(plan: Plan) -> str:
    """The whole plan as text, newline-terminated."""
    lines = [*header(plan), ""]
    if not plan.changes:
        lines.append(no_changes_line(plan))
    else:
        lines.append(_intro(plan))
        for change in plan.changes:
            lines.append("")
            lines.extend(change_lines(change, drift=plan.mode == "drift"))
    if plan.notes:
        lines.extend(["", "Notes:", *(f"  - {note}" for note in plan.notes)])
    if plan.changes:
        lines.extend(["", summary_line(plan)])
    return printable_lines(lines).rstrip("\n") + "\n"


def _intro(plan: Plan) -> str:
    if plan.mode == "drift":
        return (
            "PowerSchool has drifted from the spec. Differences (spec -> live), "
            "critical first:"
        )
    return "psconfig will perform the following actions, in this order:"


def change_lines(change: Change, *, drift: bool = False) -> list[str]:
    """One change: comment lines, then the object block.

    In a plan, values read ``live -> spec`` (what apply will do). In a drift report
    they read ``spec -> live`` (what happened to PowerSchool), and the symbols follow:
    ``-`` an object the spec wants is gone, ``+`` one that should be absent exists.
    """
    lines = [f"  # {_headline(change, drift)}"]
    lines.extend(f"  # {_MARK[f.effect]} {f.message}" for f in change.findings)
    symbols = _DRIFT_SYMBOL if drift else _SYMBOL
    symbol = symbols[change.actions[0]]
    body = list(_drift_body(change) if drift else _body(change))
    if not body:
        return [*lines, f"  {symbol} {change.address}"]
    return [*lines, f"  {symbol} {change.address} {{", *body, "    }"]


def _headline(change: Change, drift: bool) -> str:
    verb = {
        "enable (temporary)": "will be turned on for this apply only",
        "restore off": "will be restored off",
        "turn on": "will be turned on",
        "turn off": "will be turned off",
        "deactivate": "will be deactivated (sign-in revoked, roles removed)",
        "delete": "will be deleted",
    }.get(change.detail)
    if drift:
        verb = {
            "create": "is missing from PowerSchool",
            "delete": "should be absent but exists",
        }.get(change.actions[0], "has drifted")
    elif verb is None:
        verb = {"create": "will be created", "update": "will be updated"}.get(
            change.actions[0], "will be removed"
        )
        if change.detail:  # e.g. how many groups creating a group adds
            verb += f" ({change.detail})"
    marker = ""
    if change.severity == "escalation":
        marker = (
            "  CRITICAL privilege escalation" if drift else "  (!) privilege escalation"
        )
    return f"{change.address} {verb}{marker}"


def _body(change: Change) -> Iterator[str]:
    if change.actions == ("create",):
        yield from _attributes("+", change.after or {})
        if change.password_ref:
            ref = change.password_ref
            yield f"      + admin_access.password: (sensitive, from {ref})"
        return
    if change.actions == ("delete",) and change.after is None:
        yield from _identity("-", change.before or {})
        return
    yield from _updates(change, change.before or {}, change.after or {})
    if change.password_ref:
        yield f"      + admin_access.password: (sensitive, from {change.password_ref})"


def _drift_body(change: Change) -> Iterator[str]:
    if change.actions == ("create",):
        yield from _identity(" ", change.after or {})
    elif change.actions == ("delete",) and change.after is None:
        yield from _identity(" ", change.before or {})
    else:
        yield from _updates(change, change.after or {}, change.before or {})


def _attributes(symbol: str, data: dict[str, JsonValue]) -> Iterator[str]:
    for path, leaf in _flatten(data):
        yield f"      {symbol} {'.'.join(path)}: {value(leaf)}"


def _identity(symbol: str, data: dict[str, JsonValue]) -> Iterator[str]:
    flat = dict(_flatten(data))
    shown = [path for path in _IDENTITY if flat.get(path) not in (None, "")]
    for path in shown:
        yield f"      {symbol} {'.'.join(path)}: {value(flat[path])}"
    hidden = len(flat) - len(shown)
    if hidden > 0:
        yield f"        # ({hidden} more attributes)"


def _updates(
    change: Change, old_data: dict[str, JsonValue], new_data: dict[str, JsonValue]
) -> Iterator[str]:
    before = dict(_flatten(old_data))
    after = dict(_flatten(new_data))
    for path in change.changed_paths:
        old, new = before.get(path), after.get(path)
        name = (
            f"group {path[0]}" if change.kind == "page_permissions" else ".".join(path)
        )
        yield f"      ~ {name}: {value(old)} -> {value(new)}"
    hidden = len(after) - len(change.changed_paths)
    if hidden > 0 and change.kind != "page_toggle":
        noun = "attribute" if hidden == 1 else "attributes"
        yield f"        # ({hidden} unchanged managed {noun} hidden)"


def _flatten(
    data: dict[str, JsonValue], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], JsonValue]]:
    """Leaves of a before/after object; only sections nest, as in ``diff.leaves``."""
    for key, leaf in data.items():
        path = (*prefix, key)
        if isinstance(leaf, dict) and key in SECTION_FIELDS and not prefix:
            yield from _flatten(leaf, path)
        else:
            yield path, leaf
