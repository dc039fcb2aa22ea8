"""Plan -> Markdown for a pull-request comment (tfcmt / Atlantis style).

Layout (the built-in template ``templates/plan.md.j2``): a hidden marker
(``<!-- psconfig:plan name=NAME -->``, so a CI step can find and update its earlier
comment), a title, the summary line, a ``[!WARNING]`` banner when anything
escalates privilege or removes access, the changes grouped under Create / Update /
Delete with their severity, and the full text plan collapsed in ``<details>``
inside a ``diff`` fence (symbols moved to column 0, ``~`` shown as ``!``, so GitHub
colours the lines). Bodies are capped at ``LIMIT`` characters: the lists are
shortened first, then the text plan keeps its head and tail with a note between.

A district's ``--template DIR`` may hold its own ``plan.md.j2`` (and ``fleet.md.j2``
for a fleet run, ``psconfig.render.fleet``); ``{% extends "psconfig/plan.md.j2" %}``
reuses the built-in one and overrides its blocks. What a template receives is
``PlanComment``'s fields; every value it prints is Markdown-escaped unless it is
already Markdown (``psconfig.render.templating``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from psconfig.engine.planning.plan import Change, Plan, SpecRef, Target
from psconfig.model import Frozen
from psconfig.render.printable import printable
from psconfig.render.templating import MarkdownText, Templates
from psconfig.render.text import (
    no_changes_line,
    render_text,
    source_line,
    summary_line,
)

LIMIT = 60_000
PLAN_TEMPLATE = "plan.md.j2"
FLEET_TEMPLATE = "fleet.md.j2"
_MAX_LISTED = 100
_GROUPS = (("Create", "create"), ("Update", "update"), ("Delete", "delete"))


class Effect(Frozen):
    """What a change does to access, and the findings that say why."""

    kind: Literal["escalation", "reduction"]
    reasons: tuple[str, ...]


class Item(Frozen):
    """One change in a list: its address, its detail and its effects."""

    address: str
    detail: str
    effects: tuple[Effect, ...]


class Group(Frozen):
    """The changes of one action (``Create``; in drift ``Missing``), as listed."""

    title: str
    items: tuple[Item, ...]
    more: int = 0


class PlanComment(Frozen):
    """Everything ``plan.md.j2`` receives, each field a template variable.

    ``banner`` lines and ``body`` (the text plan as a ``diff`` fence's content,
    capped) are Markdown already; every other string is untrusted text that the
    template escapes when it prints it.
    """

    plan: Plan
    mode: str
    name: str
    target: Target
    spec: SpecRef
    summary: str
    no_changes: str
    source: str
    banner: tuple[str, ...]
    notes: tuple[str, ...]
    groups: tuple[Group, ...]
    unlisted: int
    details_title: str
    body: str

    def context(self) -> dict[str, object]:
        """The template's variables: the fields, Markdown ones marked as such."""
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        fields["banner"] = tuple(MarkdownText(line) for line in self.banner)
        fields["body"] = MarkdownText(self.body)
        return fields


def comment_templates(template_dir: Path | None = None) -> Templates:
    """The comment's templates, ``template_dir``'s first, checked to compile.

    Raises:
        PsconfigError: a template in ``template_dir`` does not compile (the
            message names its file and line).

    """
    templates = Templates("markdown", template_dir)
    for name in (PLAN_TEMPLATE, FLEET_TEMPLATE):
        templates.check(name)
    return templates


@functools.cache
def builtin_templates() -> Templates:
    """The built-in Markdown templates (comments and verify's), compiled once."""
    return Templates("markdown")


def render_markdown(
    plan: Plan, *, limit: int = LIMIT, templates: Templates | None = None
) -> str:
    """The PR comment body, at most ``limit`` characters, every line printable.

    Raises:
        PsconfigError: an operator's template fails to render (file and line).

    """
    return printable(_markdown(plan, limit, templates or builtin_templates()))


def _markdown(plan: Plan, limit: int, templates: Templates) -> str:
    comment = _comment(plan)

    def render(c: PlanComment) -> str:
        return templates.render(PLAN_TEMPLATE, **c.context())

    full = render(comment)
    if len(full) <= limit:
        return full
    # Too long: measure what the template writes around the lists and the text
    # plan, give the lists at most half of what is left, the text plan the rest.
    fixed = len(render(comment.model_copy(update={"groups": (), "body": ""})))
    room = limit - fixed
    listed = comment.model_copy(update={"body": ""})
    if len(render(listed)) - fixed + len(comment.body) > room:
        listed = _fit_lists(listed, fixed + room // 2, render)
    budget = room - (len(render(listed)) - fixed)
    capped = render(listed.model_copy(update={"body": _cap(comment.body, budget)}))
    return capped if len(capped) <= limit else _cut(capped, limit)


def _comment(plan: Plan) -> PlanComment:
    return PlanComment(
        plan=plan,
        mode=plan.mode,
        name=plan.spec.name,
        target=plan.target,
        spec=plan.spec,
        summary=summary_line(plan) if plan.changes else "",
        no_changes="" if plan.changes else no_changes_line(plan),
        source=source_line(plan),
        banner=tuple(_banner(plan)),
        notes=plan.notes,
        groups=tuple(_groups(plan)),
        unlisted=0,
        details_title="Full drift report" if plan.mode == "drift" else "Full plan",
        body=_diff_body(render_text(plan)) if plan.changes else "",
    )


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


def _groups(plan: Plan) -> Iterator[Group]:
    counted = [c for c in plan.changes if not c.temporary]
    for title, action in _GROUPS:
        members = [c for c in counted if c.actions[0] == action]
        if members:
            yield Group(
                title=_title(title, plan.mode),
                items=tuple(_item(c) for c in members[:_MAX_LISTED]),
                more=max(len(members) - _MAX_LISTED, 0),
            )


def _title(title: str, mode: str) -> str:
    if mode != "drift":
        return title
    return {"Create": "Missing", "Update": "Changed", "Delete": "Should be absent"}[
        title
    ]


def _item(change: Change) -> Item:
    """One change: its reasons under the effect each has.

    A change that escalates and also reduces something lists the reductions after
    the escalations, under their own label, never as escalation reasons.
    """
    effects = []
    for kind in ("escalation", "reduction"):
        reasons = tuple(f.message for f in change.findings if f.effect == kind)
        if reasons:
            effects.append(Effect(kind=kind, reasons=reasons))
    detail = change.detail if change.detail not in ("", "delete") else ""
    return Item(address=change.address, detail=detail, effects=tuple(effects))


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


def _fit_lists(
    comment: PlanComment, budget: int, render: Callable[[PlanComment], str]
) -> PlanComment:
    """``comment`` listing as many changes as fit in ``budget`` characters.

    The rest are counted in ``unlisted``; a binary search over how many are kept,
    since only rendering tells how long an operator's template makes a list.
    """
    items = [(g, i) for g, group in enumerate(comment.groups) for i in group.items]

    def keep(n: int) -> PlanComment:
        groups = []
        unlisted = len(items) - n
        for g, group in enumerate(comment.groups):
            kept = tuple(item for h, item in items[:n] if h == g)
            if kept:
                groups.append(group.model_copy(update={"items": kept}))
            else:
                unlisted += group.more
        update = {"groups": tuple(groups), "unlisted": unlisted}
        return comment.model_copy(update=update)

    low, high = 0, len(items)
    while low < high:
        mid = (low + high + 1) // 2
        if len(render(keep(mid))) <= budget:
            low = mid
        else:
            high = mid - 1
    return keep(low)


def _cut(text: str, limit: int) -> str:
    """The lines of ``text`` that fit in ``limit``, with a note (a last resort)."""
    note = "\n… cut: the comment is too long; see the CI log or the JSON plan\n"
    head = text[: max(limit - len(note), 0)].rsplit("\n", 1)[0]
    return head + note


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
