"""Running specs against the PowerSchools they name: loading, drivers, fleet runs.

CLI-side on purpose: it reads the environment (``PSCONFIG_SIM_DIR``), prints spec
warnings and progress, and knows the concrete driver, none of which the engine may
do. Every spec-taking command runs through ``plan_paths`` or ``apply_paths``, one
spec or many (``psconfig.engine.fleet``); in a fleet run each finished district
is reported on stderr: a rich progress bar on a terminal, one
plain line per district otherwise.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from psconfig.cli.common import err, os_user, stdout_is_tty

if TYPE_CHECKING:
    from psconfig.cli.plan import ApplySettings
    from psconfig.drivers.base import Driver
    from psconfig.engine.fleet import (
        DistrictResult,
        FleetOptions,
        FleetResult,
        Shard,
    )
    from psconfig.engine.plan import Mode, Plan
    from psconfig.engine.run import ApplyOptions, ApplyResult
    from psconfig.spec import LoadedSpec

DEFAULT_SIM_DIR = Path(".psconfig") / "sim"
INSECURE_WARNING = "warning: TLS certificate verification is off (--insecure)"

OnDone = Callable[["DistrictResult"], None]


def sim_dir() -> Path:
    """Where ``sim://`` state lives: ``$PSCONFIG_SIM_DIR`` or ``./.psconfig/sim``."""
    return Path(os.environ.get("PSCONFIG_SIM_DIR") or DEFAULT_SIM_DIR)


def server_url(spec: LoadedSpec, override: str | None) -> str:
    """The URL to talk to: ``--server`` when given, else the spec's."""
    return override or spec.server.url


def open_target(
    spec: LoadedSpec, *, url: str, insecure: bool, warn: bool = True
) -> AbstractAsyncContextManager[Driver]:
    """A driver for ``url`` signed in with the spec's server credentials.

    With ``insecure`` and ``warn`` it says on stderr that TLS is not verified.
    """
    from psconfig.drivers.portal import open_portal

    if insecure and warn:
        err(INSECURE_WARNING)
    username, password = spec.credentials()
    flavor = spec.server.flavor
    return open_portal(
        url,
        username,
        password,
        flavor=flavor,
        insecure=insecure,
        sim_dir=sim_dir() if url.startswith("sim://") else None,
    )


def load_spec_warning(path: Path) -> LoadedSpec:
    """Load a spec, printing its warnings (policy findings) to stderr."""
    from psconfig.spec import load_spec

    spec = load_spec(path)
    for warning in spec.warnings:
        err(str(warning))
    return spec


@dataclass(frozen=True)
class RunFlags:
    """The run flags every spec-taking command shares, as given."""

    server: str | None = None
    insecure: bool = False
    parallelism: int = 8
    shard: str | None = None

    def settings_for(self, paths: list[Path], *, prompts: bool = False) -> RunSettings:
        """How to run ``paths``: a fleet run when there are several, or a shard.

        ``prompts``: the run asks questions, so districts go one at a time.
        """
        from psconfig.engine.fleet import parse_shard

        shard = parse_shard(self.shard) if self.shard is not None else None
        return RunSettings(
            server=self.server,
            insecure=self.insecure,
            parallelism=min(self.parallelism, 1) if prompts else self.parallelism,
            shard=shard,
            fleet=len(paths) > 1 or shard is not None,
            prompts=prompts,
        )


@dataclass(frozen=True)
class RunSettings:
    """How specs are run: server override, TLS, fan-out and shard.

    ``fleet`` marks a fleet run (several specs, or ``--shard``): progress on
    stderr, a summary table, one document for the whole run. A single spec keeps
    the single-plan output. ``prompts``: an operator answers questions on this
    terminal, so progress comes as lines, never a live bar.
    """

    server: str | None = None
    insecure: bool = False
    parallelism: int = 8
    shard: Shard | None = None
    fleet: bool = False
    prompts: bool = False


def fleet_options(
    settings: RunSettings, on_done: OnDone | None = None
) -> FleetOptions[LoadedSpec]:
    """The engine's fleet options for CLI specs: load with warnings, open drivers."""
    from psconfig.engine.fleet import FleetOptions

    if settings.fleet and settings.insecure:
        err(INSECURE_WARNING)  # once for the run, not once per district
    warn = not settings.fleet
    return FleetOptions(
        load=load_spec_warning,
        open_driver=lambda spec: open_target(
            spec,
            url=server_url(spec, settings.server),
            insecure=settings.insecure,
            warn=warn,
        ),
        target_url=lambda spec: server_url(spec, settings.server),
        parallelism=settings.parallelism,
        on_done=on_done,
    )


def plan_paths(paths: list[Path], mode: Mode, settings: RunSettings) -> FleetResult:
    """Plan (or check drift of) each spec; errors come back per district."""
    import asyncio

    from psconfig.engine.fleet import plan_fleet

    with progress(paths, mode, settings) as on_done:
        fleet = fleet_options(settings, on_done)
        return asyncio.run(plan_fleet(paths, fleet, mode=mode, shard=settings.shard))


def apply_paths(
    paths: list[Path],
    settings: RunSettings,
    options_for: Callable[[LoadedSpec], ApplyOptions],
    *,
    lock_timeout: float,
    on_done: OnDone,
) -> FleetResult:
    """Apply each spec under its server's lock (in ``./.psconfig/locks``).

    ``on_done`` hears of each district before the progress display does, so a
    district's own output comes before its progress line.
    """
    import asyncio

    from psconfig.engine.fleet import apply_fleet

    with progress(paths, "apply", settings) as shown:

        def both(district: DistrictResult) -> None:
            on_done(district)
            shown(district)

        fleet = fleet_options(settings, both)
        return asyncio.run(
            apply_fleet(
                paths,
                fleet,
                options_for,
                lock_dir=Path.cwd(),
                lock_timeout=lock_timeout,
                shard=settings.shard,
            )
        )


# ---------------------------------------------------------------------------
# Progress (stderr)


def stderr_is_tty() -> bool:
    """True when stderr is an interactive terminal (progress bar, not lines)."""
    return sys.stderr.isatty()


@contextmanager
def progress(
    paths: list[Path], command: str, settings: RunSettings
) -> Iterator[OnDone]:
    """A callback reporting each finished district while the block runs."""
    from psconfig.engine.fleet import select_shard

    if not settings.fleet:
        yield _quiet
        return
    total = len(select_shard(paths, settings.shard))
    if stderr_is_tty() and not settings.prompts:
        with _bar(command, total) as on_done:
            yield on_done
    else:
        yield _PlainLines(command, total).done


def _quiet(district: DistrictResult) -> None:
    """A single spec reports nothing beyond its own output."""


class _PlainLines:
    """One stderr line per finished district, numbered, for logs."""

    def __init__(self, command: str, total: int) -> None:
        self.command = command
        self.total = total
        self.finished = 0

    def done(self, district: DistrictResult) -> None:
        from psconfig.render.fleet import error_line, progress_line

        self.finished += 1
        width = len(str(self.total))
        count = f"[{self.finished:>{width}}/{self.total}]"
        err(f"{self.command} {count} {progress_line(district)}")
        if district.error is not None:
            err(error_line(district))


@contextmanager
def _bar(command: str, total: int) -> Iterator[OnDone]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    console = Console(stderr=True, force_terminal=True, highlight=False)
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        # Output to a piped stdout must stay there, not move above the bar.
        redirect_stdout=stdout_is_tty(),
        redirect_stderr=True,
    )
    task = bar.add_task(command, total=total)
    seen: Counter[str] = Counter()

    def done(district: DistrictResult) -> None:
        from psconfig.render.fleet import error_line

        if district.error is not None:
            bar.console.print(Text(error_line(district), style="bold red"))
        seen[district.result] += 1
        counts = ", ".join(f"{n} {result}" for result, n in sorted(seen.items()))
        bar.update(task, advance=1, description=f"{command}: {counts}")

    with bar:
        yield done


# ---------------------------------------------------------------------------
# Apply


def apply_specs(paths: list[Path], run: RunSettings, settings: ApplySettings) -> int:
    """Apply each spec; its output, and in a fleet run the summary table."""
    from psconfig.cli.plan import emit_table

    # Districts applied at once would interleave their lines: hold each
    # district's output and print it whole when it finishes.
    held = run.fleet and run.parallelism > 1
    logs: dict[str, _DistrictLog] = {}

    def options_for(spec: LoadedSpec) -> ApplyOptions:
        header = f"==> {spec.name}: {spec.path} <==" if run.fleet else None
        log = logs[str(spec.path)] = _DistrictLog(held=held, header=header)
        return log.options(settings)

    def finished(district: DistrictResult) -> None:
        log = logs.pop(district.path, None)
        if log is not None:
            log.end(district)
        if not run.fleet and district.error is not None:
            err(f"error: {district.error}")

    fleet = apply_paths(
        paths, run, options_for, lock_timeout=settings.lock_timeout, on_done=finished
    )
    if run.fleet:
        emit_table(fleet, to_stderr=False)
    return fleet.exit_code


class _DistrictLog:
    """One district's apply output: printed as it comes, or ``held`` until done.

    With a ``header`` (a fleet run) the output is a block: the header, the lines,
    a blank line.
    """

    def __init__(self, *, held: bool, header: str | None = None) -> None:
        self.held = held
        self.lines: list[str] = []
        self.framed = header is not None
        if header is not None:
            self.echo(header)

    def echo(self, line: str) -> None:
        if self.held:
            self.lines.append(line)
        else:
            typer.echo(line)

    def plan(self, plan: Plan) -> None:
        if not self.held:
            from psconfig.cli.plan import Format, emit_plans

            emit_plans([plan], Format.text)
            return
        from psconfig.render.text import render_text

        self.lines.append(render_text(plan).rstrip("\n"))

    def options(self, settings: ApplySettings) -> ApplyOptions:
        from psconfig.cli.plan import outcome_line
        from psconfig.engine.run import ApplyOptions

        return ApplyOptions(
            review=lambda plan: self.review(plan, settings.auto_approve),
            allow_delete=settings.allow_delete,
            audit_path=settings.audit_log,
            os_user=os_user(),
            on_outcome=lambda change, outcome: self.echo(outcome_line(change, outcome)),
        )

    def review(self, plan: Plan, auto_approve: bool) -> bool:
        self.plan(plan)
        if auto_approve:
            self.echo("\nApplying (--auto-approve).")
            return True
        self.echo("")
        return typer.confirm(
            f"Apply these changes to {plan.target.url}?", default=False
        )

    def end(self, district: DistrictResult) -> None:
        """Close with the outcome; print the held lines."""
        from psconfig.cli.plan import apply_summary

        if district.plan is not None and district.result == "applied":
            self.echo(apply_summary(district.plan))
        elif district.plan is not None and district.result == "clean":
            self.plan(district.plan)
        if self.framed:
            self.echo("")
        if self.held and self.lines:
            typer.echo("\n".join(self.lines))


def apply_saved(plan_file: Path, settings: ApplySettings) -> int:
    """Apply a saved plan (``apply --plan``) to the server it was made for."""
    import asyncio

    from psconfig.cli.plan import Format, apply_summary, emit_plans
    from psconfig.engine.lock import target_lock
    from psconfig.errors import PsconfigError

    try:
        saved = _read_saved(plan_file)
        spec = load_spec_warning(Path(saved.spec.path))
        url = saved.target.url
        with target_lock(url, Path.cwd(), timeout=settings.lock_timeout):
            result = asyncio.run(_apply_saved(spec, url, saved, settings))
    except PsconfigError as exc:
        err(f"error: {exc}")
        return exc.exit_code
    if result.plan.has_changes:
        typer.echo(apply_summary(result.plan))
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


async def _apply_saved(
    spec: LoadedSpec, url: str, saved: Plan, settings: ApplySettings
) -> ApplyResult:
    from dataclasses import replace

    from psconfig.engine.run import apply_spec

    options = replace(_DistrictLog(held=False).options(settings), saved=saved)
    insecure = settings.flags.insecure
    driver: Driver
    async with open_target(spec, url=url, insecure=insecure) as driver:
        return await apply_spec(spec, driver, options)
