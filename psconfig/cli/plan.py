"""Commands ``plan``, ``apply`` and ``drift``.

Exit codes follow Terraform's ``-detailed-exitcode``: 0 nothing to do, 1 error,
2 changes pending (plan) or drift found (drift), 3 refused for safety (apply: stale
plan, unsafe change without its flag, lock held, no ``--auto-approve`` when not
interactive), 130 interrupted (Ctrl-C). Several specs aggregate Terragrunt-style:
any 1, else any 3, else any 2, else 0.

Several specs (or ``--shard``) make a fleet run (``psconfig.engine.fleet.runner``):
up to ``--parallelism`` districts at once, progress on stderr, a summary table (plan and
drift print it first, then the plans with changes), and ``--format json``/
``markdown`` describe the whole run in one document. ``drift --notify`` is
``psconfig.cli.notifying``. A single spec prints exactly what it always has. The
apply itself lives in ``psconfig.cli.applying``; printing in ``psconfig.cli.output``.
"""

from __future__ import annotations

import enum
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from psconfig.cli.common import (
    AuditLogOpt,
    LockTimeoutOpt,
    audit_log_path,
    checked_lock_timeout,
    checked_out,
    checked_server,
    checked_template_dir,
    err,
    error_text,
    handle_errors,
)
from psconfig.cli.notifying import Hook, NotifyAlwaysOpt, NotifyOpt, notifier
from psconfig.cli.output import Format
from psconfig.errors import PsconfigError

if TYPE_CHECKING:
    from psconfig.cli.snapshots import Offline
    from psconfig.cli.target import RunFlags, RunSettings
    from psconfig.engine.fleet.runner import FleetResult
    from psconfig.engine.planning.plan import Mode
    from psconfig.render.templating import Templates


class Via(enum.StrEnum):
    """How drift reads PowerSchool (``--via``)."""

    portal = "portal"
    api = "api"


_SPECS_HELP = (
    "Spec files, or directories: every *.yaml file under them (*.yml files only "
    "when named)."
)
_SERVER_HELP = "Talk to this server instead of the spec's server.url."
_INSECURE_HELP = "Do not verify TLS certificates (test servers only)."
_FORMAT_HELP = "Output format: text (Terraform-like), json or markdown (PR comment)."
_PARALLELISM_HELP = "With several specs, run up to N districts at once."
_SHARD_HELP = (
    "Run only shard I of N of the specs (stable by spec path), to split a fleet "
    "across CI jobs."
)
_TOGGLE_READ_HELP = (
    "Never turn the page-permission toggle on to read page permissions (for an "
    "account that may not change it); with the toggle off, reading them fails."
)


DEPRECATED_ALLOW_DELETE = (
    "warning: --allow-delete is deprecated and goes in the next release; it grants "
    "--allow-lower-access and --allow-remove-staff: pass those instead"
)
READ_LOCK_TIMEOUT = 60.0
"""How long plan and drift wait for the server's lock: longer than apply's 10 s,
since what they wait for is usually an apply that is running, not one stuck."""


def register(app: typer.Typer) -> None:
    """Attach plan, apply and drift to ``app``."""
    app.command("plan")(plan)
    app.command("apply")(apply)
    app.command("drift")(drift)


# Optional for typer, so a missing SPEC is our one-line error with exit 1: click's
# usage errors exit 2, which CI would read as "changes pending".
Specs = Annotated[
    list[Path] | None,
    typer.Argument(help=_SPECS_HELP, metavar="SPEC", show_default=False),
]
Server = Annotated[
    str | None, typer.Option("--server", metavar="URL", help=_SERVER_HELP)
]
FormatOpt = Annotated[Format, typer.Option("--format", help=_FORMAT_HELP)]
Insecure = Annotated[bool, typer.Option("--insecure", help=_INSECURE_HELP)]
Parallelism = Annotated[
    int, typer.Option("--parallelism", metavar="N", help=_PARALLELISM_HELP)
]
Workers = Annotated[
    int | None,
    typer.Option(
        "--workers",
        metavar="N",
        help="With several specs, plan in N processes (default: the machine's "
        "cores); the report is the same as with one.",
    ),
]
ShardOpt = Annotated[
    str | None, typer.Option("--shard", metavar="I/N", help=_SHARD_HELP)
]
NoToggleRead = Annotated[bool, typer.Option("--no-toggle-read", help=_TOGGLE_READ_HELP)]
SnapshotOut = Annotated[
    Path | None,
    typer.Option(
        "--snapshot-out",
        metavar="PATH",
        help="Also save the live state read as a snapshot (for plan --live): a "
        "file for one spec, a directory (NAME.json per spec) for several.",
    ),
]
CommentTemplate = Annotated[
    Path | None,
    typer.Option(
        "--template",
        metavar="DIR",
        help="With --format markdown: a directory whose plan.md.j2 (one "
        "district) and fleet.md.j2 (several) replace the built-in comment; they "
        'may {% extends "psconfig/plan.md.j2" %} and override blocks.',
    ),
]
SummaryOnly = Annotated[
    bool,
    typer.Option(
        "--summary-only",
        help="Text output: only the summary (a fleet's table, one spec's last "
        "line), not the changes.",
    ),
]


def plan(
    specs: Specs = None,
    server: Server = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="PLAN.json",
            help="Also save the JSON plan here (one spec), for apply --plan.",
        ),
    ] = None,
    fmt: FormatOpt = Format.text,
    insecure: Insecure = False,
    parallelism: Parallelism = 8,
    workers: Workers = None,
    shard: ShardOpt = None,
    no_toggle_read: NoToggleRead = False,
    snapshot_out: SnapshotOut = None,
    live: Annotated[
        Path | None,
        typer.Option(
            "--live",
            metavar="SNAPSHOT.json",
            help="Plan offline against this snapshot (drift --snapshot-out) instead "
            "of PowerSchool: no credentials, no network; the plan cannot be applied. "
            "A directory holds one NAME.json per spec.",
        ),
    ] = None,
    max_age: Annotated[
        str | None,
        typer.Option(
            "--max-age",
            metavar="DURATION",
            help="With --live: refuse a snapshot older than this (36h, 2d, 90m).",
        ),
    ] = None,
    warn_age: Annotated[
        str,
        typer.Option(
            "--warn-age",
            metavar="DURATION",
            help="With --live: warn when the snapshot is older than this.",
        ),
    ] = "36h",
    summary_only: SummaryOnly = False,
    lock_timeout: LockTimeoutOpt = READ_LOCK_TIMEOUT,
    template: CommentTemplate = None,
) -> None:
    """Show what apply would change. Exit 0 no changes, 2 changes, 1 error.

    With --live it plans from a snapshot file, never from PowerSchool. Otherwise it
    waits (up to --lock-timeout) while an apply or another read of the same server
    runs: they take turns on the page-permission toggle.
    """
    from psconfig.cli.snapshots import Offline, checked_duration

    with handle_errors():
        flags = _flags(server, insecure, parallelism, shard, no_toggle_read, workers)
        flags = replace(flags, lock_timeout=checked_lock_timeout(lock_timeout))
        offline = None
        if live is not None:
            offline = Offline(
                live=live,
                max_age=checked_duration(max_age, "--max-age"),
                warn_age=checked_duration(warn_age, "--warn-age"),
            )
        elif max_age is not None:
            raise PsconfigError("--max-age applies to a snapshot: use it with --live")
        code = _report(
            specs,
            "plan",
            out=checked_out(out),
            fmt=fmt,
            flags=flags,
            snapshot_out=snapshot_out,
            offline=offline,
            summary_only=summary_only,
            templates=_templates(template, fmt),
        )
    raise typer.Exit(code)


def drift(
    specs: Specs = None,
    server: Server = None,
    fmt: FormatOpt = Format.text,
    insecure: Insecure = False,
    parallelism: Parallelism = 8,
    workers: Workers = None,
    shard: ShardOpt = None,
    no_toggle_read: NoToggleRead = False,
    snapshot_out: SnapshotOut = None,
    via: Annotated[
        Via,
        typer.Option(
            "--via",
            help="portal: sign in as the admin and read everything; api: read the "
            "sync account only, through the plugin API (server.api), no admin "
            "password.",
        ),
    ] = Via.portal,
    notify: NotifyOpt = None,
    notify_always: NotifyAlwaysOpt = False,
    summary_only: SummaryOnly = False,
    lock_timeout: LockTimeoutOpt = READ_LOCK_TIMEOUT,
    template: CommentTemplate = None,
) -> None:
    """Report where PowerSchool departs from the spec. Exit 2 drift, 0 clean, 1 error.

    Drift that grants more access than the spec allows (a privilege escalation) is
    listed first and marked CRITICAL. Waits for an apply of the same server, as
    plan does.
    """
    with handle_errors():
        flags = _flags(server, insecure, parallelism, shard, no_toggle_read, workers)
        flags = replace(flags, lock_timeout=checked_lock_timeout(lock_timeout))
        if via is Via.api and snapshot_out is not None:
            raise PsconfigError(
                "--snapshot-out needs the full portal read: drop --via api"
            )
        after = notifier(notify, always=notify_always)
        code = _report(
            specs,
            "drift",
            out=None,
            fmt=fmt,
            flags=flags,
            snapshot_out=snapshot_out,
            via_api=via is Via.api,
            after=after,
            summary_only=summary_only,
            templates=_templates(template, fmt),
        )
    raise typer.Exit(code)


def apply(
    specs: Specs = None,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            metavar="PLAN.json",
            help="Apply this saved plan (plan --out) instead; a plan made with "
            "--server needs the same --server.",
        ),
    ] = None,
    auto_approve: Annotated[
        bool,
        typer.Option("--auto-approve", help="Do not ask; needed when not interactive."),
    ] = False,
    allow_lower_access: Annotated[
        bool,
        typer.Option(
            "--allow-lower-access",
            help="Allow lowering a group's page level back to the spec (an "
            "override someone granted by hand).",
        ),
    ] = False,
    allow_remove_staff: Annotated[
        bool,
        typer.Option(
            "--allow-remove-staff",
            help="Allow deleting or deactivating staff (ensure: absent).",
        ),
    ] = False,
    allow_add_groups: Annotated[
        bool,
        typer.Option(
            "--allow-add-groups",
            help="Allow a group number that makes PowerSchool add more than one "
            "group (groups cannot be deleted).",
        ),
    ] = False,
    allow_delete: Annotated[
        bool,
        typer.Option(
            "--allow-delete",
            help="Deprecated: grants both --allow-lower-access and "
            "--allow-remove-staff; removed in the next release.",
        ),
    ] = False,
    audit_log: AuditLogOpt = None,
    lock_timeout: LockTimeoutOpt = 10.0,
    server: Server = None,
    insecure: Insecure = False,
    parallelism: Parallelism = 8,
    shard: ShardOpt = None,
) -> None:
    """Make PowerSchool match the spec or a saved plan. Exit 0, 1 failed, 3 refused.

    Shows the plan and asks before changing anything, unless --auto-approve. Several
    specs run up to --parallelism at once with --auto-approve, else one at a time.
    """
    from psconfig.cli.applying import ApplySettings, run_apply
    from psconfig.engine.planning.safety import Intents

    if allow_delete:
        err(DEPRECATED_ALLOW_DELETE)
    with handle_errors():
        settings = ApplySettings(
            auto_approve=auto_approve,
            intents=Intents(
                lower_access=allow_lower_access or allow_delete,
                remove_staff=allow_remove_staff or allow_delete,
                add_groups=allow_add_groups,
            ),
            audit_log=audit_log_path(audit_log),
            lock_timeout=checked_lock_timeout(lock_timeout),
            flags=_flags(server, insecure, parallelism, shard, False),
        )
        code = run_apply(specs or [], plan_file, settings)
    raise typer.Exit(code)


def _flags(
    server: str | None,
    insecure: bool,
    parallelism: int,
    shard: str | None,
    no_toggle_read: bool,
    workers: int | None = None,
) -> RunFlags:
    from psconfig.cli.target import RunFlags

    return RunFlags(
        server=checked_server(server),
        insecure=insecure,
        parallelism=parallelism,
        shard=shard,
        toggle_read=not no_toggle_read,
        workers=workers,
    )


def _templates(template: Path | None, fmt: Format) -> Templates | None:
    """The comment's templates, compiled before anything is read.

    A broken one fails at once, naming its file and line, before any sign-in.
    """
    directory = checked_template_dir(template, markdown=fmt is Format.markdown)
    if directory is None:
        return None
    from psconfig.render.markdown import comment_templates

    return comment_templates(directory)


def _report(
    specs: list[Path] | None,
    mode: Mode,
    *,
    out: Path | None,
    fmt: Format,
    flags: RunFlags,
    snapshot_out: Path | None = None,
    offline: Offline | None = None,
    via_api: bool = False,
    after: Hook | None = None,
    summary_only: bool = False,
    templates: Templates | None = None,
) -> int:
    from psconfig.cli.output import emit_fleet, emit_plan
    from psconfig.spec import expand_paths

    if not specs:
        raise PsconfigError(f"{mode} needs at least one SPEC file or directory")
    paths = expand_paths(specs)
    settings = flags.settings_for(paths)
    if out is not None and settings.fleet:
        raise PsconfigError("--out saves one plan: give exactly one spec file")
    fleet = _run(paths, mode, settings, snapshot_out, offline, via_api)
    if settings.fleet:
        emit_fleet(fleet, fmt, summary_only=summary_only, templates=templates)
        if after is not None:
            after(fleet)
        return fleet.exit_code
    [district] = fleet.districts
    if district.error is not None:
        err(error_text(district.error))
    if district.plan is not None and summary_only and fmt is Format.text:
        from psconfig.render.text import no_changes_line, summary_line

        p = district.plan
        typer.echo(summary_line(p) if p.has_changes else no_changes_line(p))
    elif district.plan is not None:
        emit_plan(district.plan, fmt, templates=templates)
        if out is not None:
            from psconfig.cli.common import write_atomic
            from psconfig.render.json import render_json

            write_atomic(out, render_json(district.plan))
    if after is not None:
        after(fleet)
    return fleet.exit_code


def _run(
    paths: list[Path],
    mode: Mode,
    settings: RunSettings,
    snapshot_out: Path | None,
    offline: Offline | None,
    via_api: bool,
) -> FleetResult:
    """Plan or drift from PowerSchool, from snapshots, or through the plugin API."""
    from psconfig.cli import snapshots
    from psconfig.cli.target import plan_paths

    if offline is not None:
        if snapshot_out is not None:
            raise PsconfigError("--snapshot-out reads PowerSchool; --live does not")
        return snapshots.offline_paths(paths, settings, offline)
    if via_api:
        from psconfig.cli.api_drift import api_drift_paths

        return api_drift_paths(paths, settings)
    if snapshot_out is not None:
        return snapshots.record_paths(paths, mode, settings, snapshot_out)
    return plan_paths(paths, mode, settings)
