"""``psconfig apply``: specs (one, or a fleet) or a saved plan, with its refusals.

Refusals found before psconfig signs in (no terminal for the question, a saved plan
made for another server or an edited spec, another apply holding the lock) leave a
``refused`` audit record like the engine's, with what is known without signing in:
the URL (a saved plan's, or the spec's) and, for a saved plan, the PowerSchool
version it was made against; the username is empty, since nobody signed in. A
record that cannot be written is a warning; the refusal stands (exit 3).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import typer

from psconfig.cli import common, target
from psconfig.cli.common import err, os_user, state_home
from psconfig.errors import PlanFileError, PsconfigError, RefusedError, StalePlanError

if TYPE_CHECKING:
    from psconfig.cli.target import RunFlags, RunSettings
    from psconfig.engine.applying.plan_and_apply import ApplyOptions, ApplyResult
    from psconfig.engine.fleet.runner import DistrictResult
    from psconfig.engine.planning.plan import Plan, SpecRef, Target
    from psconfig.engine.planning.safety import Intents
    from psconfig.spec import LoadedSpec


@dataclass(frozen=True)
class ApplySettings:
    """The apply command's flags (checked)."""

    auto_approve: bool
    intents: Intents
    audit_log: Path
    lock_timeout: float
    flags: RunFlags


_NO_TERMINAL = (
    "apply asks for confirmation, but stdin is not a terminal: "
    "review the plan and pass --auto-approve"
)


def run_apply(
    specs: list[Path], plan_file: Path | None, settings: ApplySettings
) -> int:
    """Apply the specs (a fleet run when several) or the saved plan; the exit code."""
    from psconfig.spec import expand_paths

    if bool(specs) == (plan_file is not None):
        raise PsconfigError("apply takes SPEC files or --plan PLAN.json (one of them)")
    if plan_file is not None and settings.flags.shard is not None:
        raise PsconfigError("--shard selects spec files; a saved plan has one")
    if plan_file is not None:
        return apply_saved(plan_file, settings)
    paths = expand_paths(specs)
    run = settings.flags.settings_for(paths, prompts=not settings.auto_approve)
    if not settings.auto_approve and not common.stdin_is_tty():
        from psconfig.engine.applying.plan_and_apply import spec_ref

        refusal = RefusedError(_NO_TERMINAL)
        for spec in _loadable(paths, run):
            url = settings.flags.server or spec.server.url
            unsigned = _unsigned_target(url, flavor=spec.server.flavor)
            _record_refusal(settings, unsigned, spec_ref(spec), refusal)
        raise refusal
    return apply_specs(paths, run, settings)


# ---------------------------------------------------------------------------
# Specs


def apply_specs(paths: list[Path], run: RunSettings, settings: ApplySettings) -> int:
    """Apply each spec; its output, and in a fleet run the summary table."""
    from psconfig.cli.output import emit_table

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
            err(common.error_text(district.error))

    fleet = target.apply_paths(
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
            from psconfig.cli.output import Format, emit_plan

            emit_plan(plan, Format.text)
            return
        from psconfig.render.text import render_text

        self.lines.append(render_text(plan).rstrip("\n"))

    def options(self, settings: ApplySettings) -> ApplyOptions:
        from psconfig.cli.output import outcome_line
        from psconfig.engine.applying.plan_and_apply import ApplyOptions

        return ApplyOptions(
            review=lambda plan: self.review(plan, settings.auto_approve),
            intents=settings.intents,
            audit_path=settings.audit_log,
            os_user=os_user(),
            on_outcome=lambda _change, outcome: self.echo(outcome_line(outcome)),
            shield=restoring_the_toggle,
        )

    def review(self, plan: Plan, auto_approve: bool) -> bool:
        self.plan(plan)
        if auto_approve:
            self.echo("\nApplying (--auto-approve).")
            return True
        self.echo("")
        return confirm(f"Apply these changes to {plan.target.url}?")

    def end(self, district: DistrictResult) -> None:
        """Close with the outcome; print the held lines."""
        from psconfig.cli.output import apply_summary

        if district.plan is not None and district.result == "applied":
            self.echo(apply_summary(district.plan))
        elif district.plan is not None and district.result == "clean":
            self.plan(district.plan)
        if self.framed:
            self.echo("")
        if self.held and self.lines:
            typer.echo("\n".join(self.lines))


# ---------------------------------------------------------------------------
# Ctrl-C: at the question, and while the toggle is restored
#
# asyncio.run turns the first Ctrl-C into a cancellation of the main task and the
# second into KeyboardInterrupt. Neither suits these two moments: the question
# blocks the event loop in input(), so the cancellation waits for Enter; and a
# second Ctrl-C during the restore would leave page editing enabled.


def confirm(question: str) -> bool:
    """Ask ``question`` [y/N]; Ctrl-C raises ``KeyboardInterrupt`` at once (exit 130).

    End of input still aborts (click's ``Abort``).
    """
    pressed: list[bool] = []

    def interrupt(signum: int, frame: FrameType | None) -> None:
        pressed.append(True)
        raise KeyboardInterrupt

    with _on_sigint(interrupt):
        try:
            return typer.confirm(question, default=False)
        except typer.Abort:
            if pressed:  # click turns Ctrl-C into Abort too
                raise KeyboardInterrupt from None
            raise


@contextmanager
def restoring_the_toggle() -> Iterator[None]:
    """Shield an interrupted apply's restore of the toggle from further Ctrl-Cs.

    The handler is in place before the message says so.
    """

    def ignore(signum: int, frame: FrameType | None) -> None:
        err("still turning the page-permission toggle back off; Ctrl-C ignored")

    with _on_sigint(ignore):
        err(
            "interrupted: turning the page-permission toggle back off; "
            "another Ctrl-C is ignored until that is done"
        )
        yield


@contextmanager
def _on_sigint(handler: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    """``handler`` for SIGINT while the block runs (main thread only), then back."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# ---------------------------------------------------------------------------
# A saved plan


def apply_saved(plan_file: Path, settings: ApplySettings) -> int:
    """Apply a saved plan (``apply --plan``) to the server it was made for.

    Before signing in anywhere: the plan's URL must pass the spec's URL rules and
    equal the spec's ``server.url``, or the ``--server`` given now (a plan made
    with ``--server`` is applied with the same ``--server``); the spec must be
    the one planned; an operator must be there to answer, or ``--auto-approve``.
    """
    import asyncio
    from contextlib import ExitStack

    from psconfig.cli.output import Format, apply_summary, emit_plan
    from psconfig.engine.applying.lock import target_lock

    saved = _read_saved(plan_file)
    spec = target.load_spec_warning(Path(saved.spec.path))
    with ExitStack() as held:
        try:
            url = _saved_url(plan_file, saved, spec, settings.flags.server)
            if not settings.auto_approve and not common.stdin_is_tty():
                raise RefusedError(_NO_TERMINAL)
            held.enter_context(
                target_lock(url, state_home(), timeout=settings.lock_timeout)
            )
        except RefusedError as exc:
            planned = saved.target
            unsigned = _unsigned_target(
                _recordable(planned.url),
                version=planned.powerschool_version,
                flavor=planned.flavor,
            )
            _record_refusal(settings, unsigned, saved.spec, exc)
            raise
        result = asyncio.run(_apply_saved(spec, url, saved, settings))
    if result.plan.has_changes:
        typer.echo(apply_summary(result.plan))
    else:
        emit_plan(result.plan, Format.text)
    return 0


def _read_saved(plan_file: Path) -> Plan:
    from psconfig.engine.planning.plan import plan_from_json

    common.checked_out(plan_file, flag="--plan")
    try:
        text = plan_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanFileError(
            f"{plan_file}: cannot read the plan: {exc.strerror}"
        ) from None
    saved = plan_from_json(text, source=str(plan_file))
    if saved.source is not None and saved.source.kind == "snapshot":
        # Never applied: apply reads PowerSchool itself (engine.snapshot).
        raise RefusedError(
            f"{plan_file}: planned from the snapshot {saved.source.path}, not from "
            "PowerSchool; a snapshot plan cannot be applied: run psconfig apply SPEC"
        )
    return saved


def _saved_url(
    plan_file: Path, saved: Plan, spec: LoadedSpec, server: str | None
) -> str:
    """The URL to apply ``saved`` to; ``StalePlanError`` unless it is the one meant."""
    from psconfig.spec.formats import check_url

    try:
        url = check_url(saved.target.url)
    except ValueError as exc:  # the reason quotes no part of the URL
        raise StalePlanError(
            f"{plan_file}: refusing the plan's server URL: {exc}"
        ) from None
    wanted = server or spec.server.url
    if url != wanted:
        given = "--server" if server else f"the server.url of {spec.path}"
        hint = "" if server else f"; if it was made with --server, pass --server {url}"
        raise StalePlanError(
            f"stale plan: {plan_file} was made for {url}, but {given} is {wanted}{hint}"
        )
    if saved.spec.digest != spec.digest:
        raise StalePlanError(
            f"stale plan: the spec {spec.path} changed since the plan was made; "
            "run psconfig plan again"
        )
    return url


async def _apply_saved(
    spec: LoadedSpec, url: str, saved: Plan, settings: ApplySettings
) -> ApplyResult:
    from dataclasses import replace

    from psconfig.engine.applying.plan_and_apply import apply_spec

    options = replace(_DistrictLog(held=False).options(settings), saved=saved)
    insecure = settings.flags.insecure
    async with target.open_target(spec, url=url, insecure=insecure) as driver:
        return await apply_spec(spec, driver, options)


# ---------------------------------------------------------------------------
# Refusals before signing in


def _loadable(paths: list[Path], run: RunSettings) -> list[LoadedSpec]:
    """The specs of this run that load (one that does not would fail anyway)."""
    from psconfig.engine.fleet.runner import select_shard
    from psconfig.spec import load_spec

    loaded: list[LoadedSpec] = []
    for path in select_shard(paths, run.shard):
        try:
            loaded.append(load_spec(path))
        except PsconfigError:
            continue
    return loaded


def _recordable(url: str) -> str:
    """``url`` normalized, or a placeholder when it breaks the URL rules.

    Such a URL may hold a password, so it is never written as it is.
    """
    from psconfig.spec.formats import check_url

    try:
        return check_url(url)
    except ValueError:
        return "(refused URL)"


def _unsigned_target(url: str, *, version: str = "", flavor: str = "") -> Target:
    """A target before signing in: nobody signed in, so the username is empty."""
    from psconfig.engine.planning.plan import Target

    return Target(url=url, powerschool_version=version, flavor=flavor, username="")


def _record_refusal(
    settings: ApplySettings, refused: Target, spec: SpecRef, refusal: RefusedError
) -> None:
    """Append a ``refused`` audit record.

    A log that cannot be written does not replace the refusal (exit 3 stands): the
    failure becomes a note on it, which ``handle_errors`` prints on its own line.
    """
    from psconfig.engine.applying.audit import AuditLog

    log = AuditLog(settings.audit_log, target=refused, spec=spec, os_user=os_user())
    try:
        log.refused(str(refusal))
    except PsconfigError as exc:
        note = f"warning: {exc}; the refusal is not recorded"
        if note not in getattr(refusal, "__notes__", ()):
            refusal.add_note(note)
