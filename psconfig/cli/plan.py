"""Commands ``plan``, ``apply`` and ``drift``.

Exit codes follow Terraform's ``-detailed-exitcode``: 0 nothing to do, 1 error,
2 changes pending (plan) or drift found (drift), 3 refused for safety (apply: stale
plan, unsafe change without its flag, lock held, no ``--auto-approve`` when not
interactive). Several specs aggregate Terragrunt-style: any 1, else any 3, else any
2, else 0.
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
    from psconfig.drivers.base import Driver
    from psconfig.engine.apply import ChangeOutcome
    from psconfig.engine.plan import Change, Plan
    from psconfig.engine.run import ApplyResult
    from psconfig.spec import LoadedSpec


@dataclass(frozen=True)
class ApplySettings:
    """The apply command's flags."""

    auto_approve: bool
    allow_delete: bool
    audit_log: Path
    lock_timeout: float
    server: str | None
    insecure: bool


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
) -> None:
    """Show what apply would change. Exit 0 no changes, 2 changes, 1 error."""
    with handle_errors():
        code = _report(
            specs, "plan", server=server, out=out, fmt=fmt, insecure=insecure
        )
    raise typer.Exit(code)


def drift(
    specs: Specs = None,
    server: Server = None,
    fmt: FormatOpt = Format.text,
    insecure: Insecure = False,
) -> None:
    """Report where PowerSchool departs from the spec. Exit 2 drift, 0 clean, 1 error.

    Drift that grants more access than the spec allows (a privilege escalation) is
    listed first and marked CRITICAL.
    """
    with handle_errors():
        code = _report(
            specs, "drift", server=server, out=None, fmt=fmt, insecure=insecure
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
) -> None:
    """Make PowerSchool match the spec or a saved plan. Exit 0, 1 failed, 3 refused.

    Shows the plan and asks before changing anything, unless --auto-approve.
    """
    with handle_errors():
        settings = ApplySettings(
            auto_approve=auto_approve,
            allow_delete=allow_delete,
            audit_log=audit_log,
            lock_timeout=lock_timeout,
            server=server,
            insecure=insecure,
        )
        code = run_apply(specs or [], plan_file, settings)
    raise typer.Exit(code)


# ---------------------------------------------------------------------------
# plan and drift


def _report(
    specs: list[Path] | None,
    mode: str,
    *,
    server: str | None,
    out: Path | None,
    fmt: Format,
    insecure: bool,
) -> int:
    from psconfig.cli.target import plan_specs
    from psconfig.engine.run import aggregate_exit
    from psconfig.errors import PsconfigError
    from psconfig.spec import expand_paths

    if not specs:
        raise PsconfigError(f"{mode} needs at least one SPEC file or directory")
    paths = expand_paths(specs)
    if out is not None and len(paths) != 1:
        raise PsconfigError("--out saves one plan: give exactly one spec file")
    results = plan_specs(paths, mode, server=server, insecure=insecure)
    for result in results:
        if result.error is not None:
            prefix = f"{result.path}: " if len(paths) > 1 else ""
            err(f"error: {prefix}{result.error}")
    plans = [r.plan for r in results if r.plan is not None]
    emit_plans(plans, fmt)
    if out is not None and plans:
        from psconfig.render.json import render_json

        write_atomic(out, render_json(plans[0]))
    return aggregate_exit(r.exit_code for r in results)


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


def apply_summary(result: ApplyResult) -> str:
    """``Apply complete: ...`` after a successful apply."""
    s = result.plan.summary
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
    """Apply each spec (or the saved plan) in turn; the aggregate exit code."""
    from psconfig.engine.run import aggregate_exit
    from psconfig.errors import PsconfigError, RefusedError
    from psconfig.spec import expand_paths

    if bool(specs) == (plan_file is not None):
        raise PsconfigError("apply takes SPEC files or --plan PLAN.json (one of them)")
    if plan_file is not None and settings.server is not None:
        raise PsconfigError("--server cannot retarget a saved plan; plan again")
    if not settings.auto_approve and not stdin_is_tty():
        raise RefusedError(
            "apply asks for confirmation, but stdin is not a terminal: "
            "review the plan and pass --auto-approve"
        )
    if plan_file is not None:
        return _apply_one(None, plan_file, settings)
    paths = expand_paths(specs)
    return aggregate_exit(_apply_one(path, None, settings) for path in paths)


def _apply_one(
    path: Path | None, plan_file: Path | None, settings: ApplySettings
) -> int:
    import asyncio

    from psconfig.cli.target import load_spec_warning, server_url
    from psconfig.engine.lock import target_lock
    from psconfig.errors import PsconfigError

    try:
        saved = _read_saved(plan_file) if plan_file is not None else None
        if saved is not None:
            path = Path(saved.spec.path)
        assert path is not None
        spec = load_spec_warning(path)
        url = saved.target.url if saved else server_url(spec, settings.server)
        with target_lock(url, Path.cwd(), timeout=settings.lock_timeout):
            result = asyncio.run(_apply_async(spec, url, saved, settings))
    except PsconfigError as exc:
        err(f"error: {exc}")
        return exc.exit_code
    if result.plan.has_changes:
        typer.echo(apply_summary(result))
    else:
        emit_plans([result.plan], Format.text)
    return 0


def _read_saved(plan_file: Path) -> Plan:
    from psconfig.engine.plan import plan_from_json
    from psconfig.errors import PlanFileError

    try:
        text = plan_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanFileError(
            f"{plan_file}: cannot read the plan: {exc.strerror}"
        ) from None
    return plan_from_json(text, source=str(plan_file))


async def _apply_async(
    spec: LoadedSpec, url: str, saved: Plan | None, settings: ApplySettings
) -> ApplyResult:
    from psconfig.cli.target import open_target
    from psconfig.engine.run import ApplyOptions, apply_spec

    options = ApplyOptions(
        review=lambda plan: _review(plan, settings.auto_approve),
        allow_delete=settings.allow_delete,
        saved=saved,
        audit_path=settings.audit_log,
        os_user=_os_user(),
        on_outcome=lambda change, outcome: typer.echo(outcome_line(change, outcome)),
    )
    driver: Driver
    async with open_target(spec, url=url, insecure=settings.insecure) as driver:
        return await apply_spec(spec, driver, options)


def _review(plan: Plan, auto_approve: bool) -> bool:
    emit_plans([plan], Format.text)
    if auto_approve:
        typer.echo("\nApplying (--auto-approve).")
        return True
    typer.echo("")
    return typer.confirm(f"Apply these changes to {plan.target.url}?", default=False)


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
