"""Plan -> Markdown for a pull-request comment (tfcmt / Atlantis style).

Layout: a hidden marker (``<!-- psconfig:plan name=NAME -->``, so a CI step can find
and update its earlier comment), a title, the summary line, a ``[!WARNING]`` banner
when anything escalates privilege or removes access, the changes grouped under
Create / Update / Delete with their severity, and the full text plan collapsed in
``<details>`` inside a ``diff`` fence (symbols moved to column 0, ``~`` shown as
``!``, so GitHub colours the lines). Bodies are capped at ``LIMIT`` characters,
keeping the head and the tail of the text plan with a note in between.
"""

from __future__ import annotations

from collections.abc import Iterator

from psconfig.engine.planning.plan import Change, Plan
from psconfig.render.printable import printable
from psconfig.render.text import (
    no_changes_line,
    render_text,
    source_line,
    summary_line,
)

LIMIT = 60_000
_MAX_LISTED = 100
_GROUPS = (("Create", "create"), ("Update", "update"), ("Delete", "delete"))


def render_markdown(plan: Plan, *, limit: int = LIMIT) -> str:
    """The PR comment body, at most ``limit`` characters, every line printable."""
    return printable(_markdown(plan, limit=limit))


def _markdown(plan: Plan, *, limit: int) -> str:
    head = "\n".join(_head(plan)) + "\n"
    if not plan.changes:
        return head + f"\n{no_changes_line(plan)}\n"
    body = _diff_body(render_text(plan))
    title = "Full drift report" if plan.mode == "drift" else "Full plan"
    frame_open = f"\n<details><summary>{title}</summary>\n\n```diff\n"
    frame_close = "```\n\n</details>\n"
    room = limit - len(head) - len(frame_open) - len(frame_close)
    lists = "\n".join(_lists(plan)) + "\n"
    if len(lists) + len(body) > room:
        lists = _fit_lines(lists, room // 2)
    return head + lists + frame_open + _cap(body, room - len(lists)) + frame_close


def _head(plan: Plan) -> Iterator[str]:
    t = plan.target
    yield f"<!-- psconfig:{plan.mode} name={plan.spec.name} -->"
    yield f"## psconfig {plan.mode}: {plan.spec.name}"
    yield ""
    if plan.changes:
        yield f"**{summary_line(plan)}**"
        yield ""
    yield (
        f"Target `{t.url}` (PowerSchool {t.powerschool_version}, {t.flavor}) "
        f"as `{t.username}` · spec `{plan.spec.path}` (`{plan.spec.digest[:19]}`)"
    )
    source = source_line(plan)
    if source:
        yield ""
        yield f"**Live state:** {source}"
    banner = list(_banner(plan))
    if banner:
        yield ""
        yield "> [!WARNING]"
        yield from (f"> {line}" for line in banner)
    if plan.notes:
        yield ""
        yield from (f"- Note: {note}" for note in plan.notes)


def _banner(plan: Plan) -> Iterator[str]:
    s = plan.summary
    if plan.mode == "drift":
        if s.escalation:
            verb = "grants" if s.escalation == 1 else "grant"
            yield (
                f"**CRITICAL:** {_n(s.escalation, 'drifted object')} {verb} "
                "more access than the spec allows."
            )
        return
    if s.escalation:
        yield f"This plan **escalates privilege** in {_n(s.escalation, 'change')}."
    if s.delete:
        yield f"This plan **removes** {_n(s.delete, 'object')}."


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _lists(plan: Plan) -> Iterator[str]:
    counted = [c for c in plan.changes if not c.temporary]
    for title, action in _GROUPS:
        members = [c for c in counted if c.actions[0] == action]
        if not members:
            continue
        yield ""
        yield f"### {_title(title, plan.mode)}"
        yield ""
        for change in members[:_MAX_LISTED]:
            yield f"- {_item(change, plan.mode)}"
        if len(members) > _MAX_LISTED:
            yield f"- … and {len(members) - _MAX_LISTED} more"


def _title(title: str, mode: str) -> str:
    if mode != "drift":
        return title
    return {"Create": "Missing", "Update": "Changed", "Delete": "Should be absent"}[
        title
    ]


_LABELS = {
    "escalation": "**privilege escalation**",
    "reduction": "privilege reduction",
}


def _item(change: Change, mode: str) -> str:
    """One change: its severity, then its reasons under the effect each has.

    A change that escalates and also reduces something lists the reductions after
    the escalations, under their own label, never as escalation reasons.
    """
    detail = f" ({change.detail})" if change.detail not in ("", "delete") else ""
    parts = []
    for effect in ("escalation", "reduction"):
        reasons = [f.message for f in change.findings if f.effect == effect]
        if reasons:
            parts.append(f"{_label(effect, mode)}: {'; '.join(reasons)}")
    return f"`{change.address}`{detail} — {' · '.join(parts) or 'neutral'}"


def _label(effect: str, mode: str) -> str:
    if effect == "escalation" and mode == "drift":
        return "**CRITICAL** privilege escalation"
    return _LABELS[effect]


def _diff_body(text: str) -> str:
    """Move each line's symbol to column 0 so a ``diff`` fence colours it."""
    out = []
    in_notes = False
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        indent = line[: len(line) - len(stripped)]
        in_notes = line == "Notes:" or (in_notes and bool(line))
        if not in_notes and stripped[:2] in ("+ ", "- ", "~ "):
            symbol = "!" if stripped[0] == "~" else stripped[0]
            out.append(f"{symbol}{indent}{stripped[1:]}")
        else:
            out.append(f" {line}" if line else "")
    # A body that itself contains a fence would close ours early.
    return "\n".join(out).replace("```", "'''") + "\n"


def _fit_lines(text: str, budget: int) -> str:
    """The first lines of ``text`` that fit in ``budget``, and how many were cut."""
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    used = 64  # room for the note below
    for line in lines:
        if used + len(line) > budget:
            break
        kept.append(line)
        used += len(line)
    cut = len(lines) - len(kept)
    return "".join(kept) + (f"\n… {cut} more lines not listed\n" if cut else "")


def _cap(body: str, budget: int) -> str:
    if len(body) <= budget:
        return body
    omitted_note = (
        "\n … {n} characters omitted: the plan is too long for a comment; "
        "see the CI log or the JSON plan …\n\n"
    )
    keep = max(budget - len(omitted_note) - 10, 0) // 2
    head = body[:keep].rsplit("\n", 1)[0] + "\n"
    tail = body[len(body) - keep :].split("\n", 1)[-1]
    omitted = len(body) - len(head) - len(tail)
    return head + omitted_note.format(n=omitted) + tail
