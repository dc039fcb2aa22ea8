"""Shared CLI plumbing: errors and exit codes, terminals, flag checks, shared options.

Every command body runs inside ``handle_errors``: a ``PsconfigError`` becomes its
one-line message on stderr and its exit code; nothing reaches the user as a traceback.
Flags whose values need checking (``--server``, ``--out``, ``--lock-timeout``) are
checked here, inside the command body, so a bad value is one ``error:`` line and
exit 1 (click's own parameter errors would exit 2, which CI reads as "changes").
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from psconfig.errors import PsconfigError

INSECURE_WARNING = "warning: TLS certificate verification is off (--insecure)"

AuditLogOpt = Annotated[
    Path | None,
    typer.Option(
        "--audit-log",
        metavar="FILE",
        envvar="PSCONFIG_AUDIT_LOG",
        help="Append JSON-lines audit records to this file "
        "[default: audit.jsonl in the state directory].",
        show_default=False,
    ),
]
LockTimeoutOpt = Annotated[
    float,
    typer.Option(
        "--lock-timeout",
        metavar="SECONDS",
        help="Seconds to wait while another psconfig run holds this server's lock "
        "(0 or more).",
    ),
]

# A spec problem already says where and how bad: ``demo.yaml:3:1: error: ...``.
_LOCATED = re.compile(r"^.+:\d+:\d+: (?:error|warning|notice): ")


def err(message: str) -> None:
    """Write a message to stderr, every character visible (``render.printable``)."""
    from psconfig.render.printable import printable

    typer.echo(printable(message), err=True)


def error_text(message: str, *, path: str | None = None) -> str:
    """How a failure reads on stderr: one line per problem, each saying ``error``.

    Spec problems (``file:line:col: error: ...``, one per line) are shown as they
    are; any other message gets ``error: `` and, when given, the ``path`` of the
    spec it concerns unless the message starts with it.
    """
    lines = message.splitlines() or [""]
    if all(_LOCATED.match(line) for line in lines):
        return message
    where = f"{path}: " if path and not message.startswith(path) else ""
    return f"error: {where}{message}"


@contextmanager
def handle_errors() -> Iterator[None]:
    """Translate psconfig errors (and Ctrl-C) into a message and an exit code.

    Notes added to the error (``add_note``: e.g. an audit record that could not be
    written) follow it, one line each.
    """
    try:
        yield
    except PsconfigError as exc:
        err(error_text(str(exc)))
        for note in getattr(exc, "__notes__", ()):
            err(note)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err("interrupted")
        raise typer.Exit(130) from None


_quiet = False


def set_quiet(value: bool) -> None:
    """``psconfig --quiet``: keep progress and tables off stderr for this run."""
    global _quiet
    _quiet = value


def is_quiet() -> bool:
    """True when ``--quiet`` was given: stderr carries warnings and errors only."""
    return _quiet


def stdout_is_tty() -> bool:
    """True when stdout is an interactive terminal (colour, rich tables)."""
    return sys.stdout.isatty()


def stderr_is_tty() -> bool:
    """True when stderr is an interactive terminal (progress bar, not lines)."""
    return sys.stderr.isatty()


def stdin_is_tty() -> bool:
    """True when an operator can answer a confirmation prompt."""
    return sys.stdin.isatty()


def os_user() -> str:
    """The operating-system user running psconfig (for audit), or ``unknown``."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def state_home() -> Path:
    """Psconfig's state directory: server locks, the audit log, ``sim://`` state.

    ``$PSCONFIG_HOME`` when set, else ``$XDG_STATE_HOME/psconfig``, else
    ``~/.local/state/psconfig``. Never the working directory: a plan run from
    one directory must see the lock of an apply run from another, and the same
    ``sim://`` server. Always absolute (a relative ``$PSCONFIG_HOME`` is taken
    from the directory psconfig starts in).
    """
    home = os.environ.get("PSCONFIG_HOME")
    if home:
        return Path(home).expanduser().absolute()
    xdg = os.environ.get("XDG_STATE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec ignores relative paths
        return Path(xdg) / "psconfig"
    return Path.home() / ".local" / "state" / "psconfig"


def audit_log_path(given: Path | None) -> Path:
    """``--audit-log`` (or ``$PSCONFIG_AUDIT_LOG``), else the state home's log."""
    return given if given is not None else state_home() / "audit.jsonl"


def sim_dir() -> Path:
    """Where ``sim://`` state lives: ``$PSCONFIG_SIM_DIR``, else ``HOME/sim``."""
    given = os.environ.get("PSCONFIG_SIM_DIR")
    return Path(given) if given else state_home() / "sim"


def sim_dir_for(url: str) -> Path | None:
    """``sim_dir()`` for a ``sim://`` URL, None for a real server."""
    return sim_dir() if url.startswith("sim://") else None


def warn_insecure() -> None:
    """Say on stderr that TLS certificates are not verified (``--insecure``)."""
    err(INSECURE_WARNING)


def checked_url(value: str, *, flag: str = "--server") -> str:
    """``value`` normalized by the spec's URL rules (``check_url``).

    https://, ``sim://NAME``, or plain http:// on loopback only; no credentials,
    query or fragment. The error names the flag and the reason, never the value
    (it may hold a password).
    """
    from psconfig.spec.formats import check_url

    try:
        return check_url(value)
    except ValueError as exc:
        raise PsconfigError(f"{flag}: {exc}") from None


def checked_server(value: str | None) -> str | None:
    """``--server``, checked (``checked_url``), or None when not given."""
    return None if value is None else checked_url(value)


def checked_out(path: Path | None, *, flag: str = "--out") -> Path | None:
    """A file path to write, refused when empty or an existing directory."""
    if path is not None:
        _check_file(path, flag)
    return path


def _check_file(path: Path, flag: str) -> None:
    if path.name in ("", ".."):
        raise PsconfigError(f"{flag}: expected a file name")
    if path.is_dir():
        raise PsconfigError(f"{flag}: {path} is a directory; give a file name")


def checked_template_dir(template: Path | None, *, markdown: bool) -> Path | None:
    """``--template DIR``: only with ``--format markdown``, and a directory."""
    if template is None:
        return None
    if not markdown:
        raise PsconfigError(
            "--template shapes the comment: use it with --format markdown"
        )
    if not template.is_dir():
        raise PsconfigError(f"--template: {template} is not a directory")
    return template


def checked_lock_timeout(seconds: float) -> float:
    """``--lock-timeout``: a finite number of seconds, 0 or more."""
    if not math.isfinite(seconds) or seconds < 0:
        raise PsconfigError(
            f"--lock-timeout: expected a number of seconds, 0 or more (got {seconds:g})"
        )
    return seconds


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename."""
    _check_file(path, "cannot write")
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise PsconfigError(f"cannot write {path}: {exc.strerror}") from None
