"""Plan, drift and verify results -> one self-contained HTML page (``psconfig report``).

Input: the JSON documents psconfig writes, in any mix: a plan or drift report of one
district (``plan --format json``, ``plan --out``), a fleet run's document (``plan``,
``drift`` or ``apply`` of several specs with ``--format json``) and verify reports
(``verify --format json``). A verify report joins the district of the same spec name;
one without a plan or drift result is a district of its own.

Output: one HTML page with inline CSS and no script, whose Content-Security-Policy
forbids every outside resource, so it opens the same from a CI artifact, a mail
attachment or a file share, offline. It shows, in this order: what needs attention
(CRITICAL findings first: privilege escalations found by drift and failed verify
probes; then errors; then escalations a plan would make), each district's status,
and per district its changes, its verify probes and when and against what each
result was produced.

Templates are Jinja2 with autoescape on for every template, the operator's too. A
directory given as ``template_dir`` is searched first: a ``report.html.j2`` there
replaces the page, and ``{% extends "psconfig/report.html.j2" %}`` reuses the
built-in page and overrides its blocks (``title``, ``style``, ``header``,
``footer``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from psconfig import __version__
from psconfig.engine.planning.plan import Change, Plan, SpecRef, Target, plan_from_json
from psconfig.engine.proving.verify_report import ProbeResult, VerifyReport
from psconfig.errors import PsconfigError
from psconfig.model import Frozen
from psconfig.render.templating import Templates
from psconfig.render.text import change_lines, no_changes_line, summary_line

TEMPLATE = "report.html.j2"
"""The page's template name, in the built-in directory and an operator's."""
_MAJOR = "1"

Tone = Literal["critical", "error", "attention", "ok"]
Level = Literal["critical", "error", "review"]
LineTone = Literal["add", "remove", "update", "comment", "critical", "plain"]
DocumentKind = Literal["plan", "drift", "fleet", "verify"]


class Line(Frozen):
    """One line of a change block, with how it reads (added, removed, ...)."""

    text: str
    tone: LineTone


class ChangeView(Frozen):
    """One change of a plan or drift report, as the text output shows it."""

    address: str
    escalation: bool
    escalations: tuple[str, ...]
    lines: tuple[Line, ...]


class Attention(Frozen):
    """One thing a reader must look at: a finding, a failed probe, an error."""

    level: Level
    district: str
    subject: str
    message: str


class Run(Frozen):
    """When and against what one result was produced."""

    what: str
    timestamp: str
    target: Target
    spec: SpecRef
    psconfig_version: str


class District(Frozen):
    """One district's results, merged from every document that names it."""

    name: str
    path: str
    ran: tuple[str, ...]
    result: str
    tone: Tone
    error: str | None = None
    mode: str = ""
    summary: str = ""
    changes: tuple[ChangeView, ...] = ()
    notes: tuple[str, ...] = ()
    verify: VerifyReport | None = None
    probes: tuple[ProbeResult, ...] = ()
    runs: tuple[Run, ...] = ()
    critical: int = 0


class Source(Frozen):
    """One input document."""

    name: str
    kind: DocumentKind
    timestamp: str
    psconfig_version: str


class Report(Frozen):
    """Everything the page shows (the template's ``report``)."""

    title: str
    generated: str
    psconfig_version: str = __version__
    attention: tuple[Attention, ...]
    districts: tuple[District, ...]
    sources: tuple[Source, ...]

    def count(self, tone: Tone) -> int:
        """How many districts have ``tone``."""
        return sum(d.tone == tone for d in self.districts)

    def level_count(self, level: Level) -> int:
        """How many attention items have ``level``."""
        return sum(a.level == level for a in self.attention)


# ---------------------------------------------------------------------------
# Reading documents


class _Part(Frozen):
    """A district's worth of one document, before merging."""

    name: str
    path: str
    command: str
    result: str
    error: str | None = None
    plan: Plan | None = None
    verify: VerifyReport | None = None


def read_documents(
    documents: Sequence[tuple[str, str]],
) -> tuple[list[_Part], list[Source]]:
    """Parse ``(name, JSON text)`` pairs into district parts and their sources.

    Raises:
        PsconfigError: a document is not JSON or not a psconfig result; the message
            names the document and what is wrong.

    """
    parts: list[_Part] = []
    sources: list[Source] = []
    for name, text in documents:
        data = _json(name, text)
        kind = _kind(name, data)
        _check_version(name, data.get("format_version"))
        sources.append(
            Source(
                name=name,
                kind=kind,
                timestamp=str(data.get("timestamp", "")),
                psconfig_version=str(data.get("psconfig_version", "")),
            )
        )
        parts.extend(_parts(name, kind, data))
    return parts, sources


def _json(name: str, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PsconfigError(
            f"{name}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}"
        ) from None
    if not isinstance(data, dict):
        raise PsconfigError(f"{name}: not a psconfig result (expected an object)")
    return data


def _kind(name: str, data: dict[str, Any]) -> DocumentKind:
    if "districts" in data and "command" in data:
        return "fleet"
    if "results" in data and "account" in data:
        return "verify"
    if "changes" in data and data.get("mode") in ("plan", "drift"):
        return "drift" if data["mode"] == "drift" else "plan"
    raise PsconfigError(
        f"{name}: not a psconfig plan, drift, fleet or verify JSON document "
        "(write one with --format json)"
    )


def _check_version(name: str, version: object) -> None:
    if not isinstance(version, str) or version.split(".")[0] != _MAJOR:
        raise PsconfigError(
            f"{name}: format_version {version!r} is not supported "
            f"(this psconfig reads {_MAJOR}.x)"
        )


def _parts(name: str, kind: DocumentKind, data: dict[str, Any]) -> Iterator[_Part]:
    if kind == "verify":
        report = _verify(name, data)
        result = "verified" if report.passed else "verify failed"
        yield _Part(
            name=report.spec.name,
            path=report.spec.path,
            command="verify",
            result=result,
            verify=report,
        )
    elif kind == "fleet":
        districts = data.get("districts")
        if not isinstance(districts, list):
            raise PsconfigError(f"{name}: districts: expected a list")
        for i, entry in enumerate(districts):
            yield _fleet_part(f"{name}: districts[{i}]", str(data["command"]), entry)
    else:
        plan = plan_from_json(json.dumps(data), source=name)
        yield _Part(
            name=plan.spec.name,
            path=plan.spec.path,
            command=plan.mode,
            result=_result(plan),
            plan=plan,
        )


def _fleet_part(where: str, command: str, entry: object) -> _Part:
    if not isinstance(entry, dict):
        raise PsconfigError(f"{where}: expected an object")
    raw_plan = entry.get("plan")
    plan = None
    if raw_plan is not None:
        plan = plan_from_json(json.dumps(raw_plan), source=f"{where}.plan")
    try:
        return _Part(
            name=str(entry["name"]),
            path=str(entry["path"]),
            command=command,
            result=str(entry["result"]),
            error=None if entry.get("error") is None else str(entry["error"]),
            plan=plan,
        )
    except KeyError as exc:
        raise PsconfigError(f"{where}: missing {exc.args[0]!r}") from None


def _verify(name: str, data: dict[str, Any]) -> VerifyReport:
    known = {k: v for k, v in data.items() if k in VerifyReport.model_fields}
    try:
        return VerifyReport.model_validate(known)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(step) for step in first["loc"])
        raise PsconfigError(
            f"{name}: invalid verify report at {where}: {first['msg']}"
        ) from None


def _result(plan: Plan) -> str:
    if not plan.changes:
        return "clean"
    return "drift" if plan.mode == "drift" else "changes"


# ---------------------------------------------------------------------------
# Building the report


def build_report(
    documents: Sequence[tuple[str, str]], *, title: str, generated: str
) -> Report:
    """The report of ``(name, JSON text)`` documents (see ``read_documents``)."""
    parts, sources = read_documents(documents)
    districts = [_district(group) for group in _merge(parts)]
    order: dict[Tone, int] = {"critical": 0, "error": 1, "attention": 2, "ok": 3}
    districts.sort(key=lambda d: order[d.tone])  # stable: input order within a tone
    attention = sorted(
        (item for d in districts for item in _attention(d)),
        key=lambda a: ("critical", "error", "review").index(a.level),
    )
    return Report(
        title=title,
        generated=generated,
        attention=tuple(attention),
        districts=tuple(districts),
        sources=tuple(sources),
    )


def _merge(parts: Iterable[_Part]) -> list[list[_Part]]:
    """Group parts by district: a verify report joins a plan of the same name."""
    groups: list[list[_Part]] = []
    for part in parts:
        home = next(
            (
                g
                for g in groups
                if g[0].name == part.name
                and part.verify is not None
                and all(p.verify is None for p in g)
            ),
            None,
        )
        if home is None:
            groups.append([part])
        else:
            home.append(part)
    return groups


def _district(group: list[_Part]) -> District:
    head = group[0]
    plan = next((p.plan for p in group if p.plan is not None), None)
    verify = next((p.verify for p in group if p.verify is not None), None)
    error = next((p.error for p in group if p.error is not None), None)
    changes = () if plan is None else tuple(_change(c, plan) for c in plan.changes)
    probes = () if verify is None else _probes(verify)
    critical = sum(c.escalation for c in changes if plan and plan.mode == "drift")
    critical += 0 if verify is None else verify.count("fail")
    return District(
        name=head.name,
        path=head.path,
        ran=tuple(p.command for p in group),
        result=", ".join(dict.fromkeys(p.result for p in group)),
        tone=_tone(group, critical),
        error=error,
        mode="" if plan is None else plan.mode,
        summary=_summary(plan),
        changes=changes,
        notes=() if plan is None else plan.notes,
        verify=verify,
        probes=probes,
        runs=tuple(_runs(plan, verify)),
        critical=critical,
    )


def _tone(group: list[_Part], critical: int) -> Tone:
    results = {p.result for p in group}
    if critical:
        return "critical"
    if results & {"error", "refused"}:
        return "error"
    if results & {"changes", "drift"}:
        return "attention"
    return "ok"


def _summary(plan: Plan | None) -> str:
    if plan is None:
        return ""
    return summary_line(plan) if plan.changes else no_changes_line(plan)


def _change(change: Change, plan: Plan) -> ChangeView:
    lines = change_lines(change, drift=plan.mode == "drift")
    return ChangeView(
        address=change.address,
        escalation=change.severity == "escalation",
        escalations=tuple(
            f.message for f in change.findings if f.effect == "escalation"
        ),
        lines=tuple(Line(text=line, tone=_line_tone(line)) for line in lines),
    )


def _line_tone(line: str) -> LineTone:
    stripped = line.lstrip()
    if "CRITICAL" in line or "(!)" in line:
        return "critical"
    tones: dict[str, LineTone] = {
        "+ ": "add",
        "- ": "remove",
        "~ ": "update",
        "# ": "comment",
    }
    return next((t for p, t in tones.items() if stripped.startswith(p)), "plain")


def _probes(verify: VerifyReport) -> tuple[ProbeResult, ...]:
    """Failed probes first, then the rest in the order they ran."""
    rank = {"fail": 0, "pass": 1, "skip": 2}
    return tuple(sorted(verify.results, key=lambda r: rank[r.outcome]))


def _runs(plan: Plan | None, verify: VerifyReport | None) -> Iterator[Run]:
    if plan is not None:
        yield Run(
            what=plan.mode,
            timestamp=plan.timestamp,
            target=plan.target,
            spec=plan.spec,
            psconfig_version=plan.psconfig_version,
        )
    if verify is not None:
        yield Run(
            what="verify",
            timestamp=verify.timestamp,
            target=verify.target,
            spec=verify.spec,
            psconfig_version=verify.psconfig_version,
        )


def _attention(district: District) -> Iterator[Attention]:
    drift = district.mode == "drift"
    for change in district.changes:
        if not change.escalation:
            continue
        level: Level = "critical" if drift else "review"
        for message in change.escalations or ["grants more access than before"]:
            yield Attention(
                level=level,
                district=district.name,
                subject=change.address,
                message=message,
            )
    for probe in district.probes:
        if probe.outcome == "fail":
            yield Attention(
                level="critical",
                district=district.name,
                subject=f"verify {probe.id}",
                message=f"{probe.description}: expected {probe.expected}, "
                f"observed {probe.observed}",
            )
    if district.error is not None:
        yield Attention(
            level="error",
            district=district.name,
            subject=district.path,
            message=district.error,
        )


# ---------------------------------------------------------------------------
# Rendering


def render_html(report: Report, *, template_dir: Path | None = None) -> str:
    """The page, from the built-in template or ``template_dir``'s.

    Raises:
        PsconfigError: the operator's template cannot be read or rendered; the
            message names the template (and its line when known).

    """
    return Templates("html", template_dir).render(TEMPLATE, report=report)
