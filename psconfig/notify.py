"""Drift notifications: a short summary of a drift run, sent through Apprise.

``drift --notify URL`` (repeatable) tells a chat channel, a mailbox or any of the
services Apprise knows (Slack, Microsoft Teams, email, a JSON webhook, ...) what a
nightly drift check found. Contract:

- Each URL is a secret reference (``${env:NAME}`` or ``${file:PATH}``, as the spec's
  passwords): a webhook URL carries its token. ``resolve_targets`` resolves them;
  a literal URL is refused (it would sit in a workflow file and in process lists),
  and a reference that cannot be resolved becomes a warning for that URL alone.
- ``compose`` writes the message: title, the CRITICAL findings (privilege
  escalations) first, then each drifted district, then each failed one, the totals
  and, in CI, the link to the run. It never holds a secret: it is made of drift
  findings and error lines, which hold none.
- ``should_send``: only when a district drifted or failed, unless ``always``.
- ``deliver`` sends to each URL on its own and never raises: a URL that fails comes
  back as one warning line naming the reference (never the URL), so a notification
  never costs a drift result or changes the exit code.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from psconfig.engine.fleet.runner import DistrictResult, FleetResult
from psconfig.errors import PsconfigError, SecretError
from psconfig.render.fleet import totals_line
from psconfig.spec import resolve_reference
from psconfig.spec.secrets import parse_ref

Level = Literal["success", "warning", "failure"]
MAX_LINES = 20
"""Districts listed per section before ``... and N more`` (a chat message is short)."""


@dataclass(frozen=True)
class Target:
    """One place to notify: the reference as given (safe to show) and its URL."""

    reference: str
    url: SecretStr


@dataclass(frozen=True)
class Notice:
    """The message: a title, a plain-text body and how bad it is."""

    title: str
    body: str
    level: Level


def resolve_targets(
    references: Sequence[str], base_dir: Path
) -> tuple[list[Target], list[str]]:
    """The URLs the references point at, and a warning for each one that failed.

    Raises:
        PsconfigError: a value is a literal or a malformed reference (a mistake in
            the command line, not a missing secret).

    """
    targets: list[Target] = []
    warnings: list[str] = []
    for ref in references:
        try:
            parsed = parse_ref(ref)
        except ValueError as exc:
            raise PsconfigError(f"--notify: {exc}") from None
        if parsed is None:
            raise PsconfigError(
                "--notify takes a secret reference such as ${env:SLACK_WEBHOOK_URL} "
                "or ${file:PATH}, never the URL itself (it holds a token)"
            )
        try:
            url = resolve_reference(ref, base_dir, name="--notify")
        except SecretError as exc:
            # A secret missing tonight must not cost the drift check itself.
            warnings.append(f"warning: not notifying: {exc.problems[0].message}")
            continue
        targets.append(Target(ref, url))
    return targets, warnings


def should_send(fleet: FleetResult, *, always: bool) -> bool:
    """True when a district drifted or failed, or when asked to send anyway."""
    return always or any(d.result != "clean" for d in fleet.districts)


def run_link(env: Mapping[str, str]) -> str | None:
    """The CI run's page, from GitHub Actions' variables; None outside CI."""
    server = env.get("GITHUB_SERVER_URL", "").rstrip("/")
    repo = env.get("GITHUB_REPOSITORY", "")
    run_id = env.get("GITHUB_RUN_ID", "")
    if not (server and repo and run_id):
        return None
    return f"{server}/{repo}/actions/runs/{run_id}"


def compose(fleet: FleetResult, *, link: str | None = None) -> Notice:
    """The summary of a drift run (see the module docstring)."""
    critical = list(_critical(fleet.districts))
    drifted = [d for d in fleet.districts if d.result == "drift"]
    failed = [d for d in fleet.districts if d.result in ("error", "refused")]
    sections = [
        ("CRITICAL: privilege escalations", critical),
        ("Drifted", [_drift_line(d) for d in drifted]),
        ("Failed", [_failed_line(d) for d in failed]),
    ]
    lines: list[str] = []
    for heading, items in sections:
        if items:
            lines += [f"{heading}:", *_capped(items), ""]
    lines.append(totals_line(fleet, timed=False))
    if link is not None:
        lines.append(f"Run: {link}")
    level: Level = (
        "failure" if critical or failed else "warning" if drifted else ("success")
    )
    return Notice(
        title=_title(fleet, len(critical)), body="\n".join(lines), level=level
    )


def _title(fleet: FleetResult, critical: int) -> str:
    n = len(fleet.districts)
    drifted = fleet.count("drift")
    failed = fleet.count("error") + fleet.count("refused")
    if not drifted and not failed:
        return f"psconfig drift: no drift in {n} district{'' if n == 1 else 's'}"
    parts = [f"{drifted} of {n} district{'' if n == 1 else 's'} drifted"]
    if critical:
        parts.append(f"{critical} CRITICAL")
    if failed:
        parts.append(f"{failed} failed")
    return "psconfig drift: " + ", ".join(parts)


def _critical(districts: Sequence[DistrictResult]) -> Iterator[str]:
    for d in districts:
        if d.plan is None or d.plan.mode != "drift":
            continue
        for change in d.plan.changes:
            for finding in change.findings:
                if finding.effect == "escalation":
                    yield f"- {d.name}: {change.address}: {finding.message}"


def _drift_line(d: DistrictResult) -> str:
    objects = f"{d.changes} object{'' if d.changes == 1 else 's'}"
    critical = f", {d.escalations} critical" if d.escalations else ""
    return f"- {d.name} ({d.path}): {objects}{critical}"


def _failed_line(d: DistrictResult) -> str:
    first = (d.error or d.result).splitlines()[0]
    return f"- {d.name} ({d.path}): {first}"


def _capped(items: list[str]) -> list[str]:
    if len(items) <= MAX_LINES:
        return items
    return [*items[:MAX_LINES], f"- ... and {len(items) - MAX_LINES} more"]


def deliver(notice: Notice, targets: Sequence[Target]) -> list[str]:
    """Send ``notice`` to each target; one warning line per target that failed."""
    import apprise

    kind = {
        "success": apprise.NotifyType.SUCCESS,
        "warning": apprise.NotifyType.WARNING,
        "failure": apprise.NotifyType.FAILURE,
    }[notice.level]
    # In memory: Apprise would otherwise keep state files under the user's home.
    asset = apprise.AppriseAsset(storage_mode="memory")
    warnings = []
    with _quiet_apprise():
        for target in targets:
            client = apprise.Apprise(asset=asset)
            if not client.add(target.url.get_secret_value()):
                warnings.append(
                    f"warning: not notifying {target.reference}: not a notification "
                    "URL Apprise knows (see its list of services)"
                )
                continue
            try:
                sent = bool(
                    client.notify(
                        body=notice.body,
                        title=notice.title,
                        notify_type=kind,
                        body_format=apprise.NotifyFormat.TEXT,
                    )
                )
            except Exception:  # a notifier's bug must not cost the drift result
                sent = False
            if not sent:
                warnings.append(
                    f"warning: the notification to {target.reference} failed; "
                    "the drift result above stands"
                )
    return warnings


_QUIET = ("apprise", "requests", "urllib3")


@contextlib.contextmanager
def _quiet_apprise() -> Iterator[None]:
    """Keep the log records of Apprise and its HTTP stack to themselves.

    They name a service's URL, path included, and a webhook's path is its token
    (urllib3 logs every request line at DEBUG): no record of theirs may reach a
    handler psconfig's caller set up.
    """
    loggers = [logging.getLogger(name) for name in _QUIET]
    saved = [logger.propagate for logger in loggers]
    handler = logging.NullHandler()
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield
    finally:
        for logger, propagate in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.propagate = propagate
