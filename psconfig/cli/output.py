"""Printing plans, fleet reports and apply progress to the terminal.

Plain text when the stream is not a terminal or ``NO_COLOR`` is set; rich colour
and tables otherwise. Terminal detection goes through ``psconfig.cli.common`` so
there is one place to ask (and one place for tests to pretend).
"""

from __future__ import annotations

import enum
import os
from typing import TYPE_CHECKING

import typer

from psconfig.cli import common
from psconfig.render.printable import printable

if TYPE_CHECKING:
    from rich.box import Box
    from rich.console import Console

    from psconfig.engine.applying.apply import ChangeOutcome
    from psconfig.engine.fleet.runner import FleetResult
    from psconfig.engine.planning.plan import Plan
    from psconfig.render.templating import Templates


class Format(enum.StrEnum):
    """Output formats of plan, drift and verify."""

    text = "text"
    json = "json"
    markdown = "markdown"


def emit_plan(plan: Plan, fmt: Format, *, templates: Templates | None = None) -> None:
    """Print one plan to stdout in ``fmt`` (Markdown from ``templates``)."""
    if fmt is Format.json:
        from psconfig.render.json import render_json

        typer.echo(render_json(plan), nl=False)
    elif fmt is Format.markdown:
        from psconfig.render.markdown import render_markdown

        typer.echo(render_markdown(plan, templates=templates), nl=False)
    else:
        from psconfig.render.text import render_text

        emit_text(render_text(plan))


def emit_fleet(
    fleet: FleetResult,
    fmt: Format,
    *,
    summary_only: bool = False,
    templates: Templates | None = None,
) -> None:
    """Print a fleet run's report to stdout.

    JSON and Markdown: one document for the whole run (the table goes to stderr,
    unless ``--quiet``); text: the summary table first, then the plan of each
    district with something to change (none with ``summary_only``), so forty clean
    districts never push the table off the screen.
    """
    if fmt is Format.json:
        from psconfig.render.fleet import render_fleet_json

        typer.echo(render_fleet_json(fleet), nl=False)
        _stderr_table(fleet)
    elif fmt is Format.markdown:
        from psconfig.render.fleet import render_fleet_markdown

        typer.echo(render_fleet_markdown(fleet, templates), nl=False)
        _stderr_table(fleet)
    else:
        from psconfig.render.text import render_text

        emit_table(fleet, to_stderr=False)
        plans = [d.plan for d in fleet.districts if d.plan and d.plan.has_changes]
        if plans and not summary_only:
            typer.echo("")
            emit_text("\n".join(render_text(p) for p in plans))


def _stderr_table(fleet: FleetResult) -> None:
    if not common.is_quiet():
        emit_table(fleet, to_stderr=True)


def emit_table(fleet: FleetResult, *, to_stderr: bool) -> None:
    """The summary table: coloured on a terminal (unless NO_COLOR), plain otherwise."""
    tty = common.stderr_is_tty() if to_stderr else common.stdout_is_tty()
    if not tty or os.environ.get("NO_COLOR"):
        typer.echo(table_text(fleet), nl=False, err=to_stderr)
        return
    from rich import box
    from rich.console import Console

    # stdout or stderr is a terminal (checked above); say so, rich would re-detect it.
    console = Console(stderr=to_stderr, force_terminal=True, highlight=False)
    _print_table(console, fleet, box.SIMPLE_HEAD, colour=True)


def table_text(fleet: FleetResult) -> str:
    """The summary table and totals line as plain text, newline-ended.

    No escape sequence whatever the environment says (a pipe, a CI log), one line
    per district however long its path (the width is fixed far beyond any row),
    every character a reader cannot see escaped (``psconfig.render.printable``).
    """
    import io

    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=_PLAIN_WIDTH,
        color_system=None,
        force_terminal=False,
        no_color=True,
        highlight=False,
        emoji=False,
    )
    _print_table(console, fleet, _plain_box(), colour=False)
    return buffer.getvalue()


_PLAIN_WIDTH = 10_000
"""Wider than any table: rows never wrap or lose characters to an ellipsis."""


def _plain_box() -> Box:
    from rich.box import Box

    # SIMPLE_HEAD in ASCII: no edges, a line of dashes under the header.
    return Box("    \n    \n -  \n    \n    \n    \n    \n    \n", ascii=True)


def _print_table(
    console: Console, fleet: FleetResult, frame: Box, *, colour: bool
) -> None:
    from rich.table import Table
    from rich.text import Text

    from psconfig.render.fleet import HEADER, NUMERIC, summary_rows, totals_line

    table = Table(
        box=frame,
        header_style="bold" if colour else "",
        pad_edge=False,
        show_edge=False,
    )
    for name in HEADER:
        if name in NUMERIC:
            table.add_column(name, justify="right", no_wrap=True)
        else:
            table.add_column(name, no_wrap=True)
    for row, district in zip(summary_rows(fleet), fleet.districts, strict=True):
        style = _RESULT_STYLES.get(district.result, "") if colour else ""
        cells = (Text(printable(cell, newlines=False)) for cell in row)
        table.add_row(*cells, style=style)
    console.print(table)
    console.print()
    totals = printable(totals_line(fleet), newlines=False)
    console.print(Text(totals, style="bold" if colour else ""))


_RESULT_STYLES = {
    "error": "bold red",
    "refused": "bold red",
    "changes": "yellow",
    "drift": "yellow",
    "applied": "green",
}


def emit_text(text: str) -> None:
    """Print plan text, coloured by line prefix on a terminal unless NO_COLOR."""
    if not common.stdout_is_tty() or os.environ.get("NO_COLOR"):
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


def outcome_line(outcome: ChangeOutcome) -> str:
    """One progress line of an apply."""
    line = f"{outcome.label}: {outcome.outcome}"
    if outcome.error:
        line += f" ({outcome.error})"
    if outcome.note:
        line += f" — {outcome.note}"
    return printable(line, newlines=False)


def apply_summary(plan: Plan) -> str:
    """``Apply complete: ...`` after a successful apply of ``plan``."""
    s = plan.summary
    return (
        f"Apply complete: {s.create} created, {s.update} changed, {s.delete} removed."
    )
