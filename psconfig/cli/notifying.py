"""``drift --notify``: the options and the hook that sends the summary.

The drift command resolves the references before it runs (a literal URL is an
error, exit 1; a secret that is missing is a warning and that URL is skipped), and
calls the hook after it has printed its result: whatever happens to a notification
is a warning line on stderr, never a lost result or another exit code.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from psconfig.cli.common import err

if TYPE_CHECKING:
    from psconfig.engine.fleet.runner import FleetResult

NotifyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--notify",
        metavar="URL_REF",
        help="Send a summary to this Apprise URL (Slack, Teams, email, ...), given "
        "as ${env:NAME} or ${file:PATH}; repeatable. Only when something drifted "
        "or failed, unless --notify-always.",
    ),
]
NotifyAlwaysOpt = Annotated[
    bool,
    typer.Option(
        "--notify-always", help="With --notify, send the summary when clean too."
    ),
]

Hook = Callable[["FleetResult"], None]


def notifier(references: list[str] | None, *, always: bool) -> Hook | None:
    """The hook that notifies ``references`` after a drift run, or None."""
    if not references:
        return None
    from psconfig.notify import resolve_targets

    targets, warnings = resolve_targets(references, Path.cwd())
    for line in warnings:
        err(line)

    def hook(fleet: FleetResult) -> None:
        from psconfig.notify import compose, deliver, run_link, should_send

        if not targets or not should_send(fleet, always=always):
            return
        notice = compose(fleet, link=run_link(os.environ))
        for line in deliver(notice, targets):
            err(line)

    return hook
