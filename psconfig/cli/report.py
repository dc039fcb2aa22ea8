"""Command ``report``: plan, drift and verify JSON results -> one HTML page.

Reads the documents psconfig writes with ``--format json`` (one district or a
fleet's, and verify reports; ``-`` reads one from stdin) and writes the page
(``psconfig.render.report``) to ``--out`` or stdout. Exit 0 when the page was
written, 1 when a document or the template cannot be used. The page shows what
the results found; it never changes the exit code because of it (plan and drift
already did).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from psconfig.cli.common import checked_out, handle_errors, write_atomic

_RESULTS_HELP = (
    "JSON results of plan, drift (one district or a fleet) and verify, from "
    "--format json; '-' reads one from stdin."
)
_TEMPLATE_HELP = (
    "A directory whose report.html.j2 replaces the built-in page; it may "
    '{% extends "psconfig/report.html.j2" %} and override blocks.'
)


def register(app: typer.Typer) -> None:
    """Attach report to ``app``."""
    app.command("report")(report)


def report(
    results: Annotated[
        list[str] | None,
        typer.Argument(help=_RESULTS_HELP, metavar="RESULT.json", show_default=False),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="FILE", help="Write the page here."),
    ] = None,
    template: Annotated[
        Path | None,
        typer.Option("--template", metavar="DIR", help=_TEMPLATE_HELP),
    ] = None,
    title: Annotated[
        str,
        typer.Option("--title", metavar="TEXT", help="The page's title."),
    ] = "psconfig evidence report",
) -> None:
    """Render results as one self-contained HTML page (CRITICAL findings first)."""
    with handle_errors():
        _report(results or [], checked_out(out), _checked_dir(template), title)


def _report(
    results: list[str], out: Path | None, template: Path | None, title: str
) -> None:
    from psconfig.engine.applying.audit import iso, utc_now
    from psconfig.errors import PsconfigError
    from psconfig.render.report import build_report, render_html

    if not results:
        raise PsconfigError("report needs at least one RESULT.json ('-' for stdin)")
    documents = [_read(name) for name in results]
    page = render_html(
        build_report(documents, title=title, generated=iso(utc_now())),
        template_dir=template,
    )
    if out is None:
        typer.echo(page, nl=False)
    else:
        write_atomic(out, page)


def _read(name: str) -> tuple[str, str]:
    from psconfig.errors import PsconfigError

    if name == "-":
        return "<stdin>", sys.stdin.read()
    try:
        return name, Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise PsconfigError(f"cannot read {name}: {reason}") from None


def _checked_dir(path: Path | None) -> Path | None:
    from psconfig.errors import PsconfigError

    if path is not None and not path.is_dir():
        raise PsconfigError(f"--template: {path} is not a directory")
    return path
