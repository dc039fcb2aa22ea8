"""Shared CLI plumbing: error-to-exit-code mapping, output streams, the OS user.

Every command body runs inside ``handle_errors``: a ``PsconfigError`` becomes its
one-line message on stderr and its exit code; nothing reaches the user as a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from psconfig.errors import PsconfigError


def err(message: str) -> None:
    """Write one line to stderr."""
    typer.echo(message, err=True)


@contextmanager
def handle_errors() -> Iterator[None]:
    """Translate psconfig errors (and Ctrl-C) into a message and an exit code."""
    try:
        yield
    except PsconfigError as exc:
        err(f"error: {exc}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err("interrupted")
        raise typer.Exit(130) from None


def stdout_is_tty() -> bool:
    """True when stdout is an interactive terminal."""
    return sys.stdout.isatty()


def os_user() -> str:
    """The operating-system user running psconfig (for audit), or ``unknown``."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
