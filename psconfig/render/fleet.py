"""A fleet run -> summary table rows, Markdown and JSON. Pure.

The summary table itself is drawn by ``psconfig.cli.output`` (rich, the terminal's
library), from ``HEADER``, ``summary_rows`` and ``totals_line``.

The JSON document (``render_fleet_json``; ``format_version`` major.minor, a minor
bump only adds keys)::

    {format_version, command, psconfig_version, timestamp, shard, parallelism,
     districts [{name, path, result, changes, escalations, duration_s, error,
                 exit_code, plan}],
     summary {districts, specs_given, clean, changes, drift, applied, refused,
              error, changed_objects, escalations, duration_s},
     exit_code}

``plan`` is the district's plan document (``psconfig.engine.planning.plan``, secrets
masked) or ``null`` when none was computed; ``error`` is the message of an error or a
refusal (one line per problem, then any note, such as an audit log that could not
record the refusal). ``shard`` is ``"I/N"`` or ``null``; ``specs_given`` counts the
specs before sharding.

The Markdown (a pull-request comment or an issue body) opens with the summary and
the table, lists errors, then shows the full report of every district with
something to change; clean districts appear in the table only. It holds no
durations or times, so the same findings render to the same text. Its layout is the
template ``templates/fleet.md.j2`` (an operator's ``--template DIR`` may replace it,
as ``psconfig.render.markdown`` describes).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from psconfig import __version__
from psconfig.engine.fleet.runner import RESULTS, DistrictResult, FleetResult
from psconfig.engine.planning.plan import plan_to_dict
from psconfig.render.markdown import (
    FLEET_TEMPLATE,
    builtin_templates,
    render_markdown,
)
from psconfig.render.printable import printable
from psconfig.render.templating import MarkdownText, Templates

FORMAT_VERSION = "1.0"
HEADER = ("District", "Spec", "Result", "Changes", "Escalations", "Duration")
NUMERIC = frozenset({"Changes", "Escalations", "Duration"})
"""The columns of ``HEADER`` that hold numbers (right-justified)."""


def summary_rows(fleet: FleetResult) -> list[tuple[str, ...]]:
    """One row per district, in run order, matching ``HEADER``."""
    return [
        (
            d.name,
            d.path,
            d.result,
            str(d.changes),
            str(d.escalations),
            f"{d.duration_s:.2f} s",
        )
        for d in fleet.districts
    ]


_TOTALS = {
    "clean": "clean",
    "changes": "with changes",
    "drift": "drifted",
    "applied": "applied",
    "refused": "refused",
    "error": "failed",
}


def totals_line(fleet: FleetResult, *, timed: bool = True) -> str:
    """``50 districts: 40 clean, 9 with changes, 1 failed.`` (the shard, the time)."""
    n = len(fleet.districts)
    counts = [f"{fleet.count(r)} {_TOTALS[r]}" for r in RESULTS if fleet.count(r)]
    line = f"{n} district{'' if n == 1 else 's'}"
    line += f": {', '.join(counts)}." if counts else "."
    if fleet.shard is not None:
        line += f" Shard {fleet.shard} of {fleet.total} specs."
    if timed:
        line += f" {fleet.duration_s:.1f} s at parallelism {fleet.parallelism}."
    return line


def progress_line(district: DistrictResult) -> str:
    """``springfield (specs/a.yaml): changes, 4 objects, 1 escalation, 0.42 s``."""
    d = district
    parts: list[str] = [d.result]
    if d.changes:
        parts.append(_count(d.changes, "object"))
    if d.escalations:
        parts.append(_count(d.escalations, "escalation"))
    parts.append(f"{d.duration_s:.2f} s")
    return f"{d.name} ({d.path}): {', '.join(parts)}"


def error_line(district: DistrictResult) -> str:
    """``error: PATH: MESSAGE``, the path not repeated when the message names it."""
    message = district.error or ""
    where = "" if message.startswith(district.path) else f"{district.path}: "
    return f"error: {where}{message}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def render_fleet_markdown(
    fleet: FleetResult, templates: Templates | None = None
) -> str:
    """The whole run as Markdown: summary table, errors, then each report.

    Raises:
        PsconfigError: an operator's template fails to render (file and line).

    """
    templates = templates or builtin_templates()
    reports = [
        MarkdownText(render_markdown(d.plan, templates=templates))
        for d in fleet.districts
        if d.plan is not None and d.plan.has_changes
    ]
    text = templates.render(
        FLEET_TEMPLATE,
        command=fleet.command,
        totals=totals_line(fleet, timed=False),
        districts=fleet.districts,
        failed=[d for d in fleet.districts if d.error is not None],
        reports=reports,
    )
    return printable(text)


def fleet_to_dict(fleet: FleetResult) -> dict[str, Any]:
    """The run as JSON data (see the module docstring)."""
    return {
        "format_version": FORMAT_VERSION,
        "command": fleet.command,
        "psconfig_version": __version__,
        "timestamp": fleet.timestamp,
        "shard": None if fleet.shard is None else str(fleet.shard),
        "parallelism": fleet.parallelism,
        "districts": [district_to_dict(d) for d in fleet.districts],
        "summary": _summary(fleet),
        "exit_code": fleet.exit_code,
    }


def district_to_dict(district: DistrictResult) -> dict[str, Any]:
    """One district as JSON data, its plan included (secrets masked)."""
    return {
        "name": district.name,
        "path": district.path,
        "result": district.result,
        "changes": district.changes,
        "escalations": district.escalations,
        "duration_s": district.duration_s,
        "error": district.error,
        "exit_code": district.exit_code,
        "plan": None if district.plan is None else plan_to_dict(district.plan),
    }


def _summary(fleet: FleetResult) -> dict[str, Any]:
    districts: Sequence[DistrictResult] = fleet.districts
    return {
        "districts": len(districts),
        "specs_given": fleet.total,
        **{result: fleet.count(result) for result in RESULTS},
        "changed_objects": sum(d.changes for d in districts),
        "escalations": sum(d.escalations for d in districts),
        "duration_s": fleet.duration_s,
    }


def render_fleet_json(fleet: FleetResult) -> str:
    """The run as one JSON document, newline-terminated."""
    text = json.dumps(fleet_to_dict(fleet), indent=2, ensure_ascii=False)
    return printable(text) + "\n"
