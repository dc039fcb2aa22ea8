"""Verify report -> text, Markdown or JSON. Pure functions of a ``VerifyReport``.

The report holds no secret (see ``psconfig.engine.proving.verify_report``), so nothing
needs masking here. Markdown comes from the Jinja2 template
``templates/verify.md.j2``, which a district may replace (``verify --template
DIR``) as it may the plan comment's. Every format carries the same evidence: the
time, the target and its PowerSchool version and flavor, the spec digest, the sync
account, and each probe's expectation, observation and outcome.

JSON (``format_version`` major.minor; a minor bump only adds keys)::

    {format_version, psconfig_version, timestamp, passed,
     summary {pass, fail, skip}, failed [ids],
     target {url, powerschool_version, flavor, username},
     spec {path, name, digest}, account {staff_id, username, ensure},
     results [{id, description, reason, method, path, expected, observed, outcome}],
     notes [...]}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from psconfig.engine.proving.verify_report import ProbeResult, VerifyReport
from psconfig.render.markdown import builtin_templates
from psconfig.render.printable import printable, printable_lines
from psconfig.render.templating import MarkdownText, Templates

VERIFY_TEMPLATE = "verify.md.j2"

_MARK = {"pass": "[pass]", "fail": "[FAIL]", "skip": "[skip]"}
_MD_MARK = {"pass": "✅ pass", "fail": "❌ **FAIL**", "skip": "⏭️ skip"}


def summary_line(report: VerifyReport) -> str:
    """``Verify: PASSED ...`` or ``Verify: FAILED ...`` with the counts."""
    counts = (
        f"{report.count('pass')} passed, {report.count('fail')} failed, "
        f"{report.count('skip')} skipped"
    )
    if report.passed:
        return f"Verify: PASSED. {counts}."
    return f"Verify: FAILED ({', '.join(report.failed)}). {counts}."


def _account(report: VerifyReport) -> str:
    account = report.account
    name = account.username or "(username unknown)"
    removed = ", removed by the spec" if account.ensure == "absent" else ""
    return f"{name} (staff {account.staff_id}{removed})"


def _request(result: ProbeResult) -> str:
    return f"{result.method} {result.path}" if result.path else result.description


def render_text(report: VerifyReport) -> str:
    """A plain-text report: header, one entry per probe, notes, the summary line."""
    t = report.target
    lines = [
        f"psconfig verify: {report.spec.name}",
        f"  time:    {report.timestamp}",
        f"  spec:    {report.spec.path} ({report.spec.digest})",
        f"  target:  {t.url} (PowerSchool {t.powerschool_version}, {t.flavor}), "
        f"read as {t.username}",
        f"  account: {_account(report)}",
        "",
    ]
    for result in report.results:
        lines.append(f"  {_MARK[result.outcome]} {result.id}: {_request(result)}")
        lines.append(f"         expected {result.expected}; observed {result.observed}")
        if result.outcome == "fail":
            lines.append(f"         why: {result.reason}")
    if report.notes:
        lines.append("")
        lines.extend(f"  # {note}" for note in report.notes)
    lines += ["", summary_line(report)]
    return printable_lines(lines) + "\n"


def verify_templates(template_dir: Path | None = None) -> Templates:
    """The report's templates, ``template_dir``'s first, checked to compile.

    Raises:
        PsconfigError: the template does not compile (its file and line).

    """
    templates = Templates("markdown", template_dir)
    templates.check(VERIFY_TEMPLATE)
    return templates


def render_markdown(report: VerifyReport, templates: Templates | None = None) -> str:
    """A Markdown report (for a PR comment or an audit file), from ``verify.md.j2``.

    Raises:
        PsconfigError: an operator's template fails to render (file and line).

    """
    text = (templates or builtin_templates()).render(
        VERIFY_TEMPLATE,
        report=report,
        name=report.spec.name,
        summary=summary_line(report),
        timestamp=report.timestamp,
        target=report.target,
        spec=report.spec,
        account=_account(report),
        results=report.results,
        marks={k: MarkdownText(v) for k, v in _MD_MARK.items()},
        notes=report.notes,
    )
    return printable(text)


def report_to_dict(report: VerifyReport) -> dict[str, Any]:
    """The JSON document as data (key order as in the module docstring)."""
    data = report.model_dump(mode="json")
    head = {
        "format_version": data.pop("format_version"),
        "psconfig_version": data.pop("psconfig_version"),
        "timestamp": data.pop("timestamp"),
        "passed": report.passed,
        "summary": {k: report.count(k) for k in ("pass", "fail", "skip")},
        "failed": list(report.failed),
    }
    return {**head, **data}


def render_json(report: VerifyReport) -> str:
    """The JSON report, newline-terminated."""
    text = json.dumps(report_to_dict(report), indent=2, ensure_ascii=False)
    return printable(text) + "\n"
