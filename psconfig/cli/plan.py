"""Commands ``plan``, ``apply`` and ``drift``.

Exit codes follow Terraform's ``-detailed-exitcode``: 0 nothing to do, 1 error,
2 changes pending (plan) or drift found (drift), 3 refused for safety (apply: stale
plan, unsafe change without its flag, lock held, no ``--auto-approve`` when not
interactive), 130 interrupted (Ctrl-C). Several specs aggregate Terragrunt-style:
any 1, else any 3, else any 2, else 0.

Several specs (or ``--shard``) make a fleet run (``psconfig.engine.fleet``): up to
``--parallelism`` districts at once, progress on stderr, a summary table at the end,
and ``--format json``/``markdown`` describe the whole run in one document. A single
spec prints exactly what it always has. The apply itself lives in
``psconfig.cli.applying``; printing in ``psconfig.cli.output``.
"""

from __future__ import annotations

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
    err,
    error_text,
    handle_errors,
)
from psconfig.cli.output import Format

if TYPE_CHECKING:
    from psconfig.cli.target import RunFlags
    from psconfig.engine.plan import Mode

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
ShardOpt = Annotated[
    str | None, typer.Option("--shard", metavar="I/N", help=_SHARD_HELP)
]
NoToggleRead = Annotated[bool, typer.Option("--no-toggle-read", help=_TOGGLE_READ_HELP)]


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
    shard: ShardOpt = None,
    no_toggle_read: NoToggleRead = False,
    lock_timeout: LockTimeoutOpt = READ_LOCK_TIMEOUT,
) -> None:
    """Show what apply would change. Exit 0 no changes, 2 changes, 1 error.

    Waits (up to --lock-timeout) while an apply or another read of the same server
    runs: they take turns on the page-permission toggle.
    """
    with handle_errors():
        flags = _flags(server, insecure, parallelism, shard, no_toggle_read)
        flags = replace(flags, lock_timeout=checked_lock_timeout(lock_timeout))
        code = _report(specs, "plan", out=checked_out(out), fmt=fmt, flags=flags)
    raise typer.Exit(code)


def drift(
    specs: Specs = None,
    server: Server = None,
    fmt: FormatOpt = Format.text,
    insecure: Insecure = False,
    parallelism: Parallelism = 8,
    shard: ShardOpt = None,
    no_toggle_read: NoToggleRead = False,
    lock_timeout: LockTimeoutOpt = READ_LOCK_TIMEOUT,
) -> None:
    """Report where PowerSchool departs from the spec. Exit 2 drift, 0 clean, 1 error.

    Drift that grants more access than the spec allows (a privilege escalation) is
    listed first and marked CRITICAL. Waits for an apply of the same server, as
    plan does.
    """
    with handle_errors():
        flags = _flags(server, insecure, parallelism, shard, no_toggle_read)
        flags = replace(flags, lock_timeout=checked_lock_timeout(lock_timeout))
        code = _report(specs, "drift", out=None, fmt=fmt, flags=flags)
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
    allow_delete: Annotated[
        bool,
        typer.Option(
            "--allow-delete",
            help="Allow deleting or deactivating staff and lowering page levels.",
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

    with handle_errors():
        settings = ApplySettings(
            auto_approve=auto_approve,
            allow_delete=allow_delete,
            allow_add_groups=allow_add_groups,
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
) -> RunFlags:
    from psconfig.cli.target import RunFlags

    return RunFlags(
        server=checked_server(server),
        insecure=insecure,
        parallelism=parallelism,
        shard=shard,
        toggle_read=not no_toggle_read,
    )


def _report(
    specs: list[Path] | None,
    mode: Mode,
    *,
    out: Path | None,
    fmt: Format,
    flags: RunFlags,
) -> int:
    from psconfig.cli.output import emit_fleet, emit_plan
    from psconfig.cli.target import plan_paths
    from psconfig.errors import PsconfigError
    from psconfig.spec import expand_paths

    if not specs:
        raise PsconfigError(f"{mode} needs at least one SPEC file or directory")
    paths = expand_paths(specs)
    settings = flags.settings_for(paths)
    if out is not None and settings.fleet:
        raise PsconfigError("--out saves one plan: give exactly one spec file")
    fleet = plan_paths(paths, mode, settings)
    if settings.fleet:
        emit_fleet(fleet, fmt)
        return fleet.exit_code
    [district] = fleet.districts
    if district.error is not None:
        err(error_text(district.error))
    if district.plan is not None:
        emit_plan(district.plan, fmt)
        if out is not None:
            from psconfig.cli.common import write_atomic
            from psconfig.render.json import render_json

            write_atomic(out, render_json(district.plan))
    return fleet.exit_code
