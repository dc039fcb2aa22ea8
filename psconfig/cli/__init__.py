"""The command line. The only package that prints, prompts, reads flags' env or exits.

Command modules each expose ``register(app)``. They import their heavy dependencies
inside the command functions so ``psconfig --version`` starts fast.
"""

from __future__ import annotations

import typer

from psconfig import __version__

app = typer.Typer(
    name="psconfig",
    help="PowerSchool integration security setup as code.",
    no_args_is_help=True,
    # --install-completion / --show-completion for bash, zsh, fish and PowerShell.
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # Subcommands inherit this from the root context: -h works everywhere.
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"psconfig {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
    quiet: bool = typer.Option(
        False,
        "--quiet",
        "-q",
        help="Only results, warnings and errors: no progress lines or tables on "
        "stderr.",
    ),
) -> None:
    """PowerSchool integration security setup as code."""
    from psconfig.cli import common

    common.set_quiet(quiet)


_registered = False


def _register_all() -> None:
    """Attach every command module once (tests call this before invoking ``app``)."""
    global _registered
    if _registered:
        return
    from psconfig.cli import commands

    commands.register(app)
    _registered = True


def main() -> None:
    """Console-script entry point.

    Click exits 2 on a usage error (unknown option, missing argument), but 2 means
    "changes pending" to CI here, so a mistyped flag must never read as success with
    changes: usage errors exit 1, as one ``error:`` line.
    """
    from typer.exceptions import TyperException

    _register_all()
    try:
        code = app(standalone_mode=False)
    except TyperException as exc:  # usage errors, bad parameters, no arguments
        _show_usage_error(exc)
        raise SystemExit(1) from None
    except typer.Abort:
        typer.echo("aborted", err=True)
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)


def _show_usage_error(exc: Exception) -> None:
    """One line naming the problem and where help is; the help itself when asked.

    A command run without arguments (``no_args_is_help``) shows its help.
    """
    ctx = getattr(exc, "ctx", None)
    format_message = getattr(exc, "format_message", None)
    message = format_message() if callable(format_message) else str(exc)
    if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
        typer.echo(message, err=True)
        return
    line = f"error: {message.rstrip().rstrip('.')}"
    if ctx is not None:
        line += f"; try '{ctx.command_path} --help'"
    typer.echo(line, err=True)
