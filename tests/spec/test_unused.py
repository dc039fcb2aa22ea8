"""No dead or duplicated code in the spec and portal-driver packages.

Parsed with ``ast`` (nothing is imported). A public function, class or method that
nothing in ``psconfig`` uses is dead weight that tests keep alive; a regular
expression compiled in two places is two rules that will drift apart.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "psconfig"
CHECKED = sorted(
    [*(PACKAGE / "spec").glob("*.py"), *(PACKAGE / "drivers" / "portal").glob("*.py")]
)
SOURCES = {path: path.read_text("utf-8") for path in sorted(PACKAGE.rglob("*.py"))}


def public_definitions(tree: ast.Module) -> list[str]:
    """Top-level functions and classes, and methods, that are not private."""
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.append(node.name)
        if isinstance(node, ast.ClassDef):
            found.extend(
                item.name
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and not item.decorator_list  # validators, properties: called by name
            )
    return [name for name in found if not name.startswith("_")]


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: p.name)
def test_every_public_definition_is_used_by_psconfig(path: Path) -> None:
    unused = []
    for name in public_definitions(ast.parse(SOURCES[path])):
        word = re.compile(rf"\b{re.escape(name)}\b")
        uses = sum(len(word.findall(text)) for text in SOURCES.values())
        if uses < 2:  # the definition itself is one
            unused.append(name)
    assert not unused, f"{path.relative_to(REPO)}: used by nothing: {unused}"


def test_no_regular_expression_is_compiled_twice() -> None:
    patterns: Counter[str] = Counter()
    for path in [PACKAGE / "model.py", *CHECKED]:
        for node in ast.walk(ast.parse(SOURCES[path])):
            if (
                isinstance(node, ast.Call)
                and ast.unparse(node.func) == "re.compile"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                patterns[str(node.args[0].value)] += 1
    assert [p for p, n in patterns.items() if n > 1] == []
