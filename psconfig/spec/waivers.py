"""Policy findings as located problems, with waivers applied and checked.

A waiver (``policy.waive: [{rule: PS011, reason: ...}]``) turns that rule's findings
into notices that do not fail; a waiver for an unknown rule is an error and one that
matches nothing is a warning, so waivers do not outlive their reason unnoticed.
"""

from __future__ import annotations

from collections.abc import Sequence

from psconfig.errors import Problem
from psconfig.spec.document import Document, Mark
from psconfig.spec.locate import Locator
from psconfig.spec.models import Waiver
from psconfig.spec.policy import RULES, Finding


def report(
    findings: Sequence[Finding],
    waivers: Sequence[Waiver],
    doc: Document,
    locator: Locator,
) -> list[Problem]:
    """Findings as located problems, with waivers applied and checked."""
    problems: list[Problem] = []
    active: dict[str, tuple[Waiver, int]] = {}
    for index, waiver in enumerate(waivers):
        path = ("policy", "waive", index, "rule")
        if waiver.rule not in RULES:
            problems.append(doc.problem(path, f"unknown policy rule {waiver.rule}"))
        elif waiver.rule in active:
            problems.append(doc.problem(path, f"{waiver.rule} is already waived"))
        else:
            active[waiver.rule] = (waiver, index)
    used: set[str] = set()
    for finding in findings:
        where = _mark(finding, doc, locator)
        waived = active.get(finding.rule)
        severity: str = RULES[finding.rule].severity
        message = finding.message
        if waived is not None:
            used.add(finding.rule)
            severity, message = "notice", f"{message} (waived: {waived[0].reason})"
        problems.append(
            Problem(doc.file, where.line, where.col, message, finding.rule, severity)
        )
    for rule, (_, index) in active.items():
        if rule not in used:
            problems.append(
                doc.problem(
                    ("policy", "waive", index),
                    f"the waiver for {rule} matches no finding; remove it",
                    severity="warning",
                )
            )
    return problems


def _mark(finding: Finding, doc: Document, locator: Locator) -> Mark:
    """Where ``finding`` is reported: its place, or its fallback when not written."""
    path = locator.path(finding.where)
    if finding.fallback is not None and not doc.written_path(path):
        path = locator.path(finding.fallback)
    return doc.locate(path)
