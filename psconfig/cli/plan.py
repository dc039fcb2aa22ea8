"""Commands ``plan``, ``apply`` and ``drift``.

Exit codes follow Terraform's ``-detailed-exitcode``: 0 nothing to do, 1 error,
2 changes pending (plan) or drift found (drift), 3 refused for safety (apply: stale
plan, unsafe change without its flag, lock held, no ``--auto-approve`` when not
interactive). Several specs aggregate Terragrunt-style: any 1, else any 3, else any
2, else 0.

Several specs (or ``--shard``) make a fleet run (``psconfig.engine.fleet``): up to
``--parallelism`` districts at once, progress on stderr, a summary table at the end,
and ``--format json``/``markdown`` describe the whole run in one document. A single
spec prints exactly what it always has.
"""

from __future__ import annotations

import enum
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from psconfig.cli.common import err, handle_errors, stdout_is_tty

if TYPE_CHECKING:
    from psconfig.cli.target import RunFlags
    from psconfig.engine.apply import ChangeOutcome
    from psconfig.engine.fleet import FleetResult
    from psconfig.engine.plan import Change, Mode, Plan


@dataclass(frozen=True)
class ApplySettings:
    """The apply command's flags."""

    auto_approve: bool
    allow_delete: bool
    audit_log: Path
    lock_timeout: float
    flags: RunFlags


class Format(enum.StrEnum):
    """Output formats of plan and drift."""

    text = "text"
    json = "json"
    markdown = "markdown"


DEFAULT_AUDIT_LOG = Path(".psconfig") / "audit.jsonl"

_SPECS_HELP = "Spec files, or directories searched for *.yaml and *.yml."
_SERVER_HELP = "Talk to this server instead of the spec's server.url."
_INSECURE_HELP = "Do not verify TLS certificates (test servers only)."
_FORMAT_HELP = "Output format: text (Terraform-like), json or markdown (PR comment)."
_PARALLELISM_HELP = "With several specs, run up to N districts at once."
_SHARD_HELP = (
    "Run only shard I of N of the specs (stable by spec path), to split a fleet "
    "across CI jobs."
)


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
) -> None:
    """Show what apply would change. Exit 0 no changes, 2 changes, 1 error."""
    with handle_errors():
        code = _report(
            specs,
            "plan",
            out=out,
            fmt=fmt,
            flags=_flags(server, insecure, parallelism, shard),
        )
    raise typer.Exit(code)


def drift(
    specs: Specs = None,
    server: Server = None,
    fmt: FormatOpt = Format.text,
    insecure: Insecure = False,
    parallelism: Parallelism = 8,
    shard: ShardOpt = None,
) -> None:
    """Report where PowerSchool departs from the spec. Exit 2 drift, 0 clean, 1 error.

    Drift that grants more access than the spec allows (a privilege escalation) is
    listed first and marked CRITICAL.
    """
    with handle_errors():
        code = _report(
            specs,
            "drift",
            out=None,
            fmt=fmt,
            flags=_flags(server, insecure, parallelism, shard),
        )
    raise typer.Exit(code)


def apply(
    specs: Specs = None,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            metavar="PLAN.json",
            help="Apply this saved plan (plan --out) instead.",
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
    audit_log: Annotated[
        Path,
        typer.Option(
            "--audit-log",
            metavar="FILE",
            envvar="PSCONFIG_AUDIT_LOG",
            help="Append JSON-lines audit records to this file.",
        ),
    ] = DEFAULT_AUDIT_LOG,
    lock_timeout: Annotated[
        float,
        typer.Option(
            "--lock-timeout",
            metavar="SECONDS",
            help="Seconds to wait for another apply.",
        ),
    ] = 10.0,
    server: Server = None,
    insecure: Insecure = False,
    parallelism: Parallelism = 8,
    shard: ShardOpt = None,
) -> None:
    """Make PowerSchool match the spec or a saved plan. Exit 0, 1 failed, 3 refused.

    Shows the plan and asks before changing anything, unless --auto-approve. Several
    specs run up to --parallelism at once with --auto-approve, else one at a time.
    """
    with handle_errors():
        settings = ApplySettings(
            auto_approve=auto_approve,
            allow_delete=allow_delete,
            audit_log=audit_log,
            lock_timeout=lock_timeout,
            flags=_flags(server, insecure, parallelism, shard),
        )
        code = run_apply(specs or [], plan_file, settings)
    raise typer.Exit(code)


# ---------------------------------------------------------------------------
# plan and drift


def _flags(
    server: str | None, insecure: bool, parallelism: int, shard: str | None
) -> RunFlags:
    from psconfig.cli.target import RunFlags

    return RunFlags(
        server=server, insecure=insecure, parallelism=parallelism, shard=shard
    )


def _report(
    specs: list[Path] | None,
    mode: Mode,
    *,
    out: Path | None,
    fmt: Format,
    flags: RunFlags,
) -> int:
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
        err(f"error: {district.error}")
    if district.plan is not None:
        emit_plans([district.plan], fmt)
        if out is not None:
            from psconfig.render.json import render_json

            write_atomic(out, render_json(district.plan))
    return fleet.exit_code


def emit_plans(plans: list[Plan], fmt: Format) -> None:
    """Print plans to stdout in ``fmt``."""
    if not plans:
        return
    if fmt is Format.json:
        from psconfig.render.json import render_json, render_json_many

        many = len(plans) > 1
        typer.echo(render_json_many(plans) if many else render_json(plans[0]), nl=False)
    elif fmt is Format.markdown:
        from psconfig.render.markdown import render_markdown

        typer.echo("\n---\n\n".join(render_markdown(p) for p in plans), nl=False)
    else:
        from psconfig.render.text import render_text

        emit_text("\n".join(render_text(p) for p in plans))


def emit_fleet(fleet: FleetResult, fmt: Format) -> None:
    """Print a fleet run's report to stdout.

    JSON and Markdown: one document for the whole run (the table goes to stderr);
    text: every plan, then the summary table.
    """
    if fmt is Format.json:
        from psconfig.render.fleet import render_fleet_json

        typer.echo(render_fleet_json(fleet), nl=False)
        emit_table(fleet, to_stderr=True)
    elif fmt is Format.markdown:
        from psconfig.render.fleet import render_fleet_markdown

        typer.echo(render_fleet_markdown(fleet), nl=False)
        emit_table(fleet, to_stderr=True)
    else:
        plans = [d.plan for d in fleet.districts if d.plan is not None]
        emit_plans(plans, Format.text)
        if plans:
            typer.echo("")
        emit_table(fleet, to_stderr=False)


def emit_table(fleet: FleetResult, *, to_stderr: bool) -> None:
    """The summary table: rich on a terminal (unless NO_COLOR), plain otherwise."""
    from psconfig.cli.target import stderr_is_tty
    from psconfig.render.fleet import HEADER, render_table, summary_rows, totals_line

    tty = stderr_is_tty() if to_stderr else stdout_is_tty()
    if not tty or os.environ.get("NO_COLOR"):
        typer.echo(render_table(fleet), nl=False, err=to_stderr)
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(
        box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False
    )
    for name in HEADER:
        right = name in ("Changes", "Escalations", "Duration")
        table.add_column(name, justify="right" if right else "left")
    for row, district in zip(summary_rows(fleet), fleet.districts, strict=True):
        style = _RESULT_STYLES.get(district.result, "")
        table.add_row(*(Text(cell) for cell in row), style=style)
    console = Console(stderr=to_stderr, force_terminal=True, highlight=False)
    console.print(table)
    console.print()
    console.print(Text(totals_line(fleet), style="bold"))


_RESULT_STYLES = {
    "error": "bold red",
    "refused": "bold red",
    "changes": "yellow",
    "drift": "yellow",
    "applied": "green",
}


def emit_text(text: str) -> None:
    """Print plan text, coloured by line prefix on a terminal unless NO_COLOR."""
    if not stdout_is_tty() or os.environ.get("NO_COLOR"):
        typer.echo(text, nl=False)
        return
    from rich.console import Console
    from rich.text import Text

    # stdout is a terminal (checked above); say so, rich would re-detect it.
    console = Console(highlight=False, soft_wrap=True, force_terminal=True)
    for line in text.splitlines():
        console.print(Text(line, style=_style(line)))


def _style(line: str) -> str:
    stripped = line.lstrip()
    if "CRITICAL" in line or stripped.startswith("# (!)") or "(!) privilege" in line:
        return "bold red"
    styles = {"+ ": "green", "- ": "red", "~ ": "yellow", "# ": "dim"}
    for prefix, style in styles.items():
        if stripped.startswith(prefix):
            return style
    if stripped.startswith(("Plan:", "Drift:", "No changes.", "No drift.")):
        return "bold"
    return ""


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename."""
    from psconfig.errors import PsconfigError

    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise PsconfigError(f"cannot write {path}: {exc.strerror}") from None


def outcome_line(change: Change | None, outcome: ChangeOutcome) -> str:
    """One progress line of an apply."""
    line = f"{outcome.label}: {outcome.outcome}"
    if outcome.error:
        line += f" ({outcome.error})"
    if outcome.note:
        line += f" — {outcome.note}"
    return line


def apply_summary(plan: Plan) -> str:
    """``Apply complete: ...`` after a successful apply of ``plan``."""
    s = plan.summary
    return (
        f"Apply complete: {s.create} created, {s.update} changed, {s.delete} removed."
    )


# ---------------------------------------------------------------------------
# apply


def stdin_is_tty() -> bool:
    """True when an operator can answer the confirmation prompt."""
    return sys.stdin.isatty()


def run_apply(
    specs: list[Path], plan_file: Path | None, settings: ApplySettings
) -> int:
    """Apply the specs (a fleet run when several) or the saved plan; the exit code."""
    from psconfig.errors import PsconfigError, RefusedError
    from psconfig.spec import expand_paths

    if bool(specs) == (plan_file is not None):
        raise PsconfigError("apply takes SPEC files or --plan PLAN.json (one of them)")
    if plan_file is not None and settings.flags.server is not None:
        raise PsconfigError("--server cannot retarget a saved plan; plan again")
    if plan_file is not None and settings.flags.shard is not None:
        raise PsconfigError("--shard selects spec files; a saved plan has one")
    if not settings.auto_approve and not stdin_is_tty():
        raise RefusedError(
            "apply asks for confirmation, but stdin is not a terminal: "
            "review the plan and pass --auto-approve"
        )
    from psconfig.cli.target import apply_saved, apply_specs

    if plan_file is not None:
        return apply_saved(plan_file, settings)
    paths = expand_paths(specs)
    run = settings.flags.settings_for(paths, prompts=not settings.auto_approve)
    return apply_specs(paths, run, settings)
