"""The apply audit log: JSON lines appended as an apply happens.

Every apply appends a ``start`` record, one ``change`` record per change (outcome
``applied``, ``failed`` or ``skipped``, with the error when it failed) and an ``end``
record; an apply refused (for safety, a stale plan, a held lock) or declined by the
operator appends a ``refused`` record instead. Each record carries the time (UTC,
ISO 8601), the target, the spec digest and the operator (OS user and the signed-in
PowerSchool username; empty when refused before signing in) and the intents the
operator granted (``--allow-lower-access`` and the like). Records are built from
plan values only, and plans hold no secret, so neither does the log.

Each record is one ``write`` of one line to a file opened for appending, so a crash
mid-apply leaves every record written so far intact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from psconfig.engine.applying.apply import ChangeOutcome
from psconfig.engine.planning.plan import Change, Plan, SpecRef, Target
from psconfig.errors import PsconfigError


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """``2025-01-31T12:00:00Z``: second precision, UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AuditLog:
    """Appends the records of one apply to ``path``."""

    def __init__(
        self,
        path: Path,
        *,
        target: Target,
        spec: SpecRef,
        os_user: str,
        intents: Sequence[str] = (),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.path = path
        self._clock = clock
        self._context: dict[str, Any] = {
            "target": {
                "url": target.url,
                "powerschool_version": target.powerschool_version,
                "username": target.username,
            },
            "spec": {"path": spec.path, "name": spec.name, "digest": spec.digest},
            "operator": {"os_user": os_user, "username": target.username},
            "intents": list(intents),
        }

    def start(self, plan: Plan) -> None:
        """Record that an apply of ``plan`` begins."""
        self._write(
            "start",
            changes=len(plan.changes),
            summary=plan.summary.model_dump(mode="json"),
            live_fingerprint=plan.live_fingerprint,
        )

    def change(self, change: Change, outcome: ChangeOutcome) -> None:
        """Record one change's outcome."""
        extra: dict[str, Any] = {}
        if outcome.error is not None:
            extra["error"] = outcome.error
        if outcome.note is not None:
            extra["note"] = outcome.note
        self._write(
            "change",
            address=change.address,
            detail=change.detail,
            actions=list(change.actions),
            severity=change.severity,
            outcome=outcome.outcome,
            **extra,
        )

    def end(self, outcome: str, *, error: str | None = None) -> None:
        """Record how the apply ended: ``success``, ``failed`` or ``interrupted``."""
        extra = {"error": error} if error is not None else {}
        self._write("end", outcome=outcome, **extra)

    def refused(self, error: str) -> None:
        """Record an apply refused before any write."""
        self._write("refused", error=error)

    def record_refusal(self, refusal: PsconfigError) -> None:
        """Record ``refusal``; a log that cannot be written does not replace it.

        The refusal stands (a ``RefusedError`` keeps exit 3): the audit failure is
        added to it as a note (``refusal.__notes__``, one line each) for the caller
        to show on a line of its own.
        """
        try:
            self.refused(str(refusal))
        except PsconfigError as exc:
            refusal.add_note(f"warning: {exc}; the refusal is not recorded")

    def _write(self, event: str, **fields: Any) -> None:
        record = {"time": iso(self._clock()), "event": event, **self._context}
        record.update(fields)
        # ASCII escapes: text quoted from PowerSchool (an error, a name) cannot
        # carry a character that reads differently from what it is.
        line = json.dumps(record, ensure_ascii=True) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
        except OSError as exc:
            raise PsconfigError(
                f"cannot write the audit log {self.path}: {exc.strerror}"
            ) from None
