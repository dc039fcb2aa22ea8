"""Commands ``validate`` (check spec files) and ``schema`` (print the JSON Schema).

``validate`` checks every file it is given (directories: every ``*.yaml`` file under
them; a ``*.yml`` file only when named) and reports every problem of every file at
once, each located at ``file:line:col``: as text lines, GitHub workflow annotations,
or one JSON document.
Exit 0 when every file is valid (warnings may be printed), 1 when any is not.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from psconfig.cli.common import err, handle_errors
from psconfig.render.printable import printable

if TYPE_CHECKING:
    from psconfig.errors import Problem

JSON_FORMAT_VERSION = "1"


class Format(enum.StrEnum):
    """Output formats of ``validate``."""

    text = "text"
    json = "json"
    github = "github"


@dataclass(frozen=True)
class _Result:
    path: str
    problems: tuple[Problem, ...]
    valid: bool
    expanded: str | None = None


def register(app: typer.Typer) -> None:
    """Attach ``validate`` and ``schema`` to ``app``."""
    app.command("validate")(validate)
    app.command("schema")(schema)


def validate(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="SPEC",
            help="Spec files, or directories: every *.yaml file under them (*.yml "
            "files only when named).",
            show_default=False,
        ),
    ],
    output_format: Annotated[
        Format,
        typer.Option("--format", help="text, json, or github (workflow annotations)."),
    ] = Format.text,
    expand: Annotated[
        bool,
        typer.Option(
            "--expand",
            help="Also print each valid spec with its preset expanded (secrets as "
            "references).",
        ),
    ] = False,
) -> None:
    """Check spec files: YAML, keys, values, references and policy rules."""
    with handle_errors():
        results = _check(paths, expand=expand)
    if output_format is Format.json:
        typer.echo(printable(json.dumps(_json_document(results), indent=2)))
    else:
        _print_lines(results, github=output_format is Format.github, expand=expand)
        err(_summary(results))
    if not all(result.valid for result in results):
        raise typer.Exit(1)


def schema() -> None:
    """Print the JSON Schema of the spec format (specs/psconfig-v1.schema.json)."""
    from psconfig.spec import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


def _check(paths: list[Path], *, expand: bool) -> list[_Result]:
    from psconfig.errors import SpecError
    from psconfig.spec import expand_paths, expand_spec, load_spec

    files: list[Path] = []
    results: list[_Result] = []
    for given in paths:  # one missing path must not hide the others' problems
        try:
            files.extend(expand_paths([given]))
        except SpecError as exc:
            results.extend(_Result(p.file, (p,), valid=False) for p in exc.problems)
    for path in dict.fromkeys(files):
        try:
            loaded = load_spec(path)
        except SpecError as exc:
            results.append(_Result(str(path), exc.problems, valid=False))
            continue
        expanded = expand_spec(loaded) if expand else None
        results.append(_Result(str(path), loaded.warnings, True, expanded))
    return results


def _print_lines(results: list[_Result], *, github: bool, expand: bool) -> None:
    for result in results:
        for problem in result.problems:
            line = _annotation(problem) if github else str(problem)
            # With --expand stdout carries the YAML; findings go to stderr.
            typer.echo(printable(line, newlines=False), err=expand)
        if result.expanded is not None:
            if len(results) > 1:
                typer.echo(f"--- # {result.path}")
            typer.echo(result.expanded, nl=False)


def _annotation(problem: Problem) -> str:
    """A GitHub Actions workflow command that annotates the file."""
    kind = {"error": "error", "warning": "warning"}.get(problem.severity, "notice")
    title = f"psconfig {problem.rule}" if problem.rule else "psconfig"
    props = ",".join(
        f"{name}={_escape(value, prop=True)}"
        for name, value in (
            ("file", problem.file),
            ("line", str(problem.line)),
            ("col", str(problem.col)),
            ("title", title),
        )
    )
    return f"::{kind} {props}::{_escape(problem.message, prop=False)}"


def _escape(value: str, *, prop: bool) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def _json_document(results: list[_Result]) -> dict[str, Any]:
    files: list[dict[str, Any]] = []
    for result in results:
        entry: dict[str, Any] = {
            "path": result.path,
            "valid": result.valid,
            "problems": [
                {
                    "line": p.line,
                    "col": p.col,
                    "severity": p.severity,
                    "rule": p.rule or None,
                    "message": p.message,
                }
                for p in result.problems
            ],
        }
        if result.expanded is not None:
            entry["expanded"] = result.expanded
        files.append(entry)
    return {"format_version": JSON_FORMAT_VERSION, "files": files}


def _summary(results: list[_Result]) -> str:
    def count(severity: str) -> int:
        return sum(p.severity == severity for r in results for p in r.problems)

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    invalid = sum(not r.valid for r in results)
    checked = plural(len(results), "file")
    tally = f"{plural(count('error'), 'error')}, {plural(count('warning'), 'warning')}"
    if invalid:
        return f"{checked} checked, {invalid} invalid ({tally})"
    return f"{checked} checked, all valid ({tally})"
