"""Commands ``verify`` and ``rotate-password``.

``verify`` exits 0 only when every expectation holds, 1 when one fails or verify
cannot run. ``rotate-password`` exits 0 when the password was changed, proven and
delivered; 1 when anything failed (the message says whether the password changed
and where the new one is kept); 3 when refused for safety (the account psconfig
signs in as, another apply holding the lock).
"""

from __future__ import annotations

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
    handle_errors,
    os_user,
    state_home,
)
from psconfig.cli.output import Format

if TYPE_CHECKING:
    from pydantic import SecretStr

    from psconfig.drivers.portal import PortalDriver
    from psconfig.engine.proving.access import Portal, SignIn
    from psconfig.engine.proving.delivery import Delivery
    from psconfig.engine.proving.rotate import Rotation
    from psconfig.engine.proving.verify_report import VerifyReport
    from psconfig.render.templating import Templates
    from psconfig.spec import LoadedSpec

DEFAULT_CLIENT_IP = "127.0.0.1"
"""The address the simulator sees unless verify chooses one (open_portal's default)."""

_SPEC_HELP = "The spec file that declares the sync account."
_SERVER_HELP = "Talk to this server instead of the spec's server.url."
_INSECURE_HELP = "Do not verify TLS certificates (test servers only)."
_STAFF_HELP = "The sync account's staff ID, when the spec has several candidates."

SpecArg = Annotated[
    Path | None,
    typer.Argument(help=_SPEC_HELP, metavar="SPEC", show_default=False),
]
Server = Annotated[
    str | None, typer.Option("--server", metavar="URL", help=_SERVER_HELP)
]
Insecure = Annotated[bool, typer.Option("--insecure", help=_INSECURE_HELP)]
StaffId = Annotated[
    str | None, typer.Option("--staff-id", metavar="ID", help=_STAFF_HELP)
]


def register(app: typer.Typer) -> None:
    """Attach verify and rotate-password to ``app``."""
    app.command("verify")(verify)
    app.command("rotate-password")(rotate_password)


def verify(
    spec: SpecArg = None,
    fmt: Annotated[
        Format, typer.Option("--format", help="text, json or markdown.")
    ] = Format.text,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="Also write the report here."),
    ] = None,
    staff_id: StaffId = None,
    sync_username: Annotated[
        str | None,
        typer.Option(
            "--sync-username",
            metavar="NAME",
            help="For a spec that removes the account: its former username.",
        ),
    ] = None,
    sync_password: Annotated[
        str | None,
        typer.Option(
            "--sync-password",
            metavar="REF",
            help="For a spec that removes the account: its old password, as "
            "${env:NAME} or ${file:PATH}; verify tries it once.",
        ),
    ] = None,
    server: Server = None,
    insecure: Insecure = False,
    template: Annotated[
        Path | None,
        typer.Option(
            "--template",
            metavar="DIR",
            help="With --format markdown: a directory whose verify.md.j2 replaces "
            'the built-in report; it may {% extends "psconfig/verify.md.j2" %} '
            "and override blocks.",
        ),
    ] = None,
) -> None:
    """Prove what the sync account can and cannot do. Exit 0 all hold, 1 otherwise.

    Signs in as the sync account and tries every probe of the driver's probe list:
    the DDE pages and an export must work; logs, health, PowerScheduler, staff and
    security pages and every write must be denied. An admin session checks the account's
    sign-in window and allowed IPs. For a spec that removes the account, proves it
    is gone and (given --sync-password) that its old password is refused.
    """
    with handle_errors():
        code = _verify(
            spec,
            (fmt, _templates(template, fmt)),
            checked_out(out),
            staff_id=staff_id,
            removed=(sync_username, sync_password),
            server=checked_server(server),
            insecure=insecure,
        )
    raise typer.Exit(code)


def rotate_password(
    spec: SpecArg = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="FILE", help="Write the new password here (mode 0600)."
        ),
    ] = None,
    to_command: Annotated[
        str | None,
        typer.Option(
            "--to-command",
            metavar='"CMD ARGS"',
            help="Pipe the new password to this command's stdin (no shell).",
        ),
    ] = None,
    staff_id: StaffId = None,
    audit_log: AuditLogOpt = None,
    lock_timeout: LockTimeoutOpt = 10.0,
    server: Server = None,
    insecure: Insecure = False,
) -> None:
    """Set a new random password on the sync account, prove it, deliver it.

    The password goes only to --out FILE or to --to-command's stdin, never to the
    terminal. The old password (the spec's reference) must stop working.
    """
    with handle_errors():
        code = _rotate(
            spec,
            (checked_out(out), to_command),
            staff_id=staff_id,
            audit_log=audit_log_path(audit_log),
            lock_timeout=checked_lock_timeout(lock_timeout),
            server=checked_server(server),
            insecure=insecure,
        )
    raise typer.Exit(code)


# ---------------------------------------------------------------------------


def _templates(template: Path | None, fmt: Format) -> Templates | None:
    """The report's templates, compiled before anything is read."""
    directory = checked_template_dir(template, markdown=fmt is Format.markdown)
    if directory is None:
        return None
    from psconfig.render.verify import verify_templates

    return verify_templates(directory)


def _verify(
    spec_path: Path | None,
    output: tuple[Format, Templates | None],
    out: Path | None,
    *,
    staff_id: str | None,
    removed: tuple[str | None, str | None],
    server: str | None,
    insecure: bool,
) -> int:
    import asyncio

    from psconfig.cli.common import write_atomic
    from psconfig.cli.target import load_spec_warning, server_url
    from psconfig.drivers.portal.pages.probes import load_probes
    from psconfig.engine.proving.verify import VerifyOptions, verify_spec
    from psconfig.errors import PsconfigError

    if spec_path is None:
        raise PsconfigError("verify needs a SPEC file")
    username, ref = removed
    password = _reference(ref, "--sync-password") if ref is not None else None
    spec = load_spec_warning(spec_path)
    url = server_url(spec, server)
    options = VerifyOptions(
        probes=load_probes(),
        staff_id=staff_id,
        removed_username=username,
        removed_password=password,
    )
    report = asyncio.run(verify_spec(spec, _portal(spec, url, insecure), options))
    text = _render(report, *output)
    typer.echo(text, nl=False)
    if out is not None:
        write_atomic(out, text)
    return 0 if report.passed else 1


def _render(report: VerifyReport, fmt: Format, templates: Templates | None) -> str:
    from psconfig.render import verify as render

    if fmt is Format.json:
        return render.render_json(report)
    if fmt is Format.markdown:
        return render.render_markdown(report, templates)
    return render.render_text(report)


def _reference(text: str, flag: str) -> SecretStr:
    """Resolve a secret reference given on the command line (never a literal)."""
    from psconfig.errors import PsconfigError, SecretError
    from psconfig.spec import resolve_reference

    try:
        return resolve_reference(text, Path.cwd(), name=flag)
    except SecretError as exc:
        # The message already names the flag; no file:line:col for a flag.
        raise PsconfigError(exc.problems[0].message) from None


def _portal(spec: LoadedSpec, url: str, insecure: bool) -> Portal:
    """Admin sessions with the spec's credentials; sign-ins as any account."""
    from psconfig.cli.common import sim_dir_for
    from psconfig.cli.target import open_target
    from psconfig.drivers.portal import open_portal
    from psconfig.engine.proving.access import Portal

    def sign_in(who: SignIn) -> PortalDriver:
        return open_portal(
            url,
            who.username,
            who.password,
            flavor=spec.server.flavor,
            sign_in=spec.server.sign_in,
            insecure=insecure,
            sim_dir=sim_dir_for(url),
            client_ip=who.client_ip or DEFAULT_CLIENT_IP,
        )

    return Portal(
        admin=lambda: open_target(spec, url=url, insecure=insecure),
        sign_in=sign_in,
        simulated=url.startswith("sim://"),
    )


def _rotate(
    spec_path: Path | None,
    deliver_to: tuple[Path | None, str | None],
    *,
    staff_id: str | None,
    audit_log: Path,
    lock_timeout: float,
    server: str | None,
    insecure: bool,
) -> int:
    import asyncio

    from psconfig.cli.target import load_spec_warning, server_url
    from psconfig.engine.applying.lock import target_lock
    from psconfig.engine.proving.rotate import RotateOptions, rotate_password
    from psconfig.errors import PsconfigError

    if spec_path is None:
        raise PsconfigError("rotate-password needs a SPEC file")
    delivery = _delivery(*deliver_to)
    spec = load_spec_warning(spec_path)
    url = server_url(spec, server)
    options = RotateOptions(
        delivery=delivery,
        staff_id=staff_id,
        audit_path=audit_log,
        os_user=os_user(),
    )
    with target_lock(url, state_home(), timeout=lock_timeout):
        done = asyncio.run(rotate_password(spec, _portal(spec, url, insecure), options))
    typer.echo(_rotated(done))
    return 0


def _delivery(out: Path | None, to_command: str | None) -> Delivery:
    import shlex

    from psconfig.engine.proving.delivery import CommandDelivery, FileDelivery
    from psconfig.errors import PsconfigError

    if (out is None) == (to_command is None):
        raise PsconfigError(
            "rotate-password delivers the new password to --out FILE or "
            '--to-command "CMD ARGS": give exactly one'
        )
    if out is not None:
        return FileDelivery(out)
    assert to_command is not None
    try:
        argv = shlex.split(to_command)
    except ValueError as exc:
        raise PsconfigError(f"--to-command: {exc}") from None
    if not argv:
        raise PsconfigError("--to-command needs a command")
    # The state home, not the working directory: a kept password must not land
    # in a checkout where `git add .` could pick it up.
    return CommandDelivery(argv, staging_dir=state_home() / "rotate")


def _rotated(done: Rotation) -> str:
    import json

    t = done.target
    return "\n".join(
        [
            f"Rotated the password of staff[{json.dumps(done.staff_id)}] "
            f"({done.username}) on {t.url} "
            f"(PowerSchool {t.powerschool_version}, {t.flavor}).",
            "  the new password signs in: yes",
            "  the old password is refused: yes",
            f"  delivered to: {done.delivered_to}",
            "The password was not printed. Point the spec's password reference and "
            "Clever's settings at the new one.",
        ]
    )
