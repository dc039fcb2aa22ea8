"""The README and docs/ pages: linked together, links that land, real commands.

The README is the front page; the reference lives in ``docs/``. Every page is
reachable from the README, every relative link and anchor lands on something that
exists, and every ``psconfig`` command line shown in a shell block names a real
command and only flags that command has (so a renamed flag cannot leave a page
telling an operator to type something that fails).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import typer

from psconfig.cli import _register_all, app

REPO = Path(__file__).resolve().parents[1]
DOCS = sorted((REPO / "docs").glob("*.md"))
PAGES = [REPO / "README.md", *DOCS]
LINK = re.compile(r"\]\(([^)\s]+)\)")
SHELL = re.compile(r"```(?:sh|bash|console)\n(.*?)```", re.DOTALL)


def anchors(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file."""
    found = set()
    for heading in re.findall(r"^#+ (.*)$", path.read_text(), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
        found.add(slug.replace(" ", "-"))
    return found


def test_the_readme_is_a_short_front_page_linking_every_page() -> None:
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) < 250
    for heading in ("## Contents", "## Quickstart", "## Install", "## Commands"):
        assert heading in readme, heading
    assert len(DOCS) >= 10
    for page in DOCS:
        assert f"(docs/{page.name})" in readme or f"(docs/{page.name}#" in readme, (
            page.name
        )
        assert "(../README.md)" in page.read_text(), page.name


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_relative_link_lands(page: Path) -> None:
    for target in LINK.findall(page.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        assert dest.exists(), f"{page.name}: {target}"
        if anchor and dest.suffix == ".md":
            assert anchor in anchors(dest), f"{page.name}: {target}"


def _command_lines(text: str) -> list[list[str]]:
    lines = []
    for block in SHELL.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #", 1)[0].strip()
            if line.startswith("psconfig "):
                lines.append(shlex.split(line, comments=True))
    return lines


def _flags(command: Any) -> set[str]:
    flags = {"--help", "-h"}
    for param in command.params:
        flags.update(param.opts)
        flags.update(param.secondary_opts)
    return flags


def test_every_command_shown_exists_with_its_flags() -> None:
    _register_all()
    root = typer.main.get_command(app)
    shown = [
        (page, words) for page in PAGES for words in _command_lines(page.read_text())
    ]
    assert len(shown) >= 20
    for page, words in shown:
        command: Any = root
        rest = words[1:]
        # Duck-typed: typer's groups need not be click.Group subclasses.
        while hasattr(command, "get_command") and rest and rest[0][0] != "-":
            sub = command.get_command(click.Context(command), rest[0])
            assert sub is not None, f"{page.name}: {' '.join(words)}"
            command, rest = sub, rest[1:]
        known = _flags(command)
        for word in rest:
            if word.startswith("--"):
                flag = word.split("=", 1)[0]
                assert flag in known, f"{page.name}: {flag} in {' '.join(words)}"
