"""The architecture, enforced: which part of psconfig may import what.

Every module under ``psconfig/`` is parsed with ``ast`` (nothing is imported), and
each import, including lazy imports inside functions and ``TYPE_CHECKING`` blocks, is
checked against the explicit allow-lists below. They are the package map of the
design notes (ARCHITECTURE.md) in executable form:

- each third-party library is imported by the one module (or package) that owns it;
- only ``psconfig.cli`` talks to the terminal: typer and rich, ``print``, ``input``,
  ``sys.exit``;
- imports point downward: cli -> engine / render / spec / drivers / sim ->
  model / errors; the simulator never imports the drivers (it must not share their
  form maps), the engine knows drivers only through ``drivers.base``;
- the CLI imports its heavy dependencies lazily, so ``psconfig --version`` is fast;
- inside the portal driver, each folder imports only the folders below it
  (``PORTAL_PARTS``, as each folder's ``__init__`` docstring says);
- inside the engine, each room (planning, applying, proving, fleet, sources)
  imports only the rooms below it (``ENGINE_ROOMS``, as each room's ``__init__``
  docstring says);
- no module imports one that imports it back.

A part that is not written yet breaks nothing; a new module outside the map fails
until the map says where it belongs.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "psconfig"

THIRD_PARTY: dict[str, tuple[str, ...]] = {
    # library (import name) -> the modules or packages that may import it
    "pydantic": ("psconfig",),  # the value types everywhere are pydantic models
    "pydantic_core": ("psconfig",),  # pydantic's own error and core types
    "typer": ("psconfig.cli",),
    "rich": ("psconfig.cli",),
    "ruamel": ("psconfig.spec.loader",),
    "httpx": ("psconfig.drivers.portal.http.session",),
    "stamina": ("psconfig.drivers.portal.http.session",),
    "lxml": ("psconfig.drivers.portal.forms.document",),
    "deepdiff": ("psconfig.engine.planning.diff",),
    "filelock": ("psconfig.engine.applying.lock",),
    "starlette": ("psconfig.sim",),
    "uvicorn": ("psconfig.sim.serve",),
    "jinja2": ("psconfig.render.templating",),
    # Jinja2's escaping library: the simulator's HTML builder escapes through it.
    "markupsafe": ("psconfig.sim.html",),
    "apprise": ("psconfig.notify",),
}
DISTRIBUTIONS = {"ruamel": "ruamel.yaml", "pydantic_core": "pydantic"}
"""Import names whose distribution (in pyproject.toml) is named differently."""

PARTS: dict[str, tuple[str, ...]] = {
    # part -> the other parts it may import; a part covers its submodules
    "psconfig": (),  # the root package: the version, nothing internal
    "psconfig.__main__": ("psconfig.cli",),
    "psconfig.errors": (),
    "psconfig.model": ("psconfig.errors",),
    "psconfig.spec": ("psconfig.model", "psconfig.errors"),
    "psconfig.drivers": ("psconfig.drivers.base",),  # the package __init__ only
    "psconfig.drivers.base": ("psconfig.model", "psconfig.errors"),
    # sim:// runs the same portal driver in-process against the simulator.
    "psconfig.drivers.portal": (
        "psconfig.drivers.base",
        "psconfig.sim",
        "psconfig.model",
        "psconfig.errors",
    ),
    # The plugin API (issue 15) reuses the portal's one HTTP layer (Http).
    "psconfig.drivers.api": (
        "psconfig.drivers.base",
        "psconfig.drivers.portal",
        "psconfig.model",
        "psconfig.errors",
    ),
    "psconfig.engine": ("psconfig.drivers.base", "psconfig.model", "psconfig.errors"),
    "psconfig.render": ("psconfig.engine", "psconfig.model", "psconfig.errors"),
    "psconfig.sim": ("psconfig.model", "psconfig.errors"),
    # drift notifications: a fleet result's summary, secret references, Apprise
    "psconfig.notify": (
        "psconfig.engine",
        "psconfig.render",
        "psconfig.spec",
        "psconfig.model",
        "psconfig.errors",
    ),
    "psconfig.cli": (
        "psconfig.notify",
        "psconfig.engine",
        "psconfig.render",
        "psconfig.spec",
        "psconfig.drivers",
        "psconfig.drivers.base",
        "psconfig.drivers.portal",
        "psconfig.drivers.api",
        "psconfig.sim",
        "psconfig.model",
        "psconfig.errors",
    ),
}
EXACT_PARTS = {"psconfig", "psconfig.drivers"}

PORTAL = "psconfig.drivers.portal"
PORTAL_PARTS: dict[str, tuple[str, ...]] = {
    # the driver's folders (and its top modules) -> the folders they may import
    "pagemap": (),  # the page maps: data every other folder reads
    "forms": ("pagemap",),  # documents, controls, labels, binding
    "http": ("forms", "pagemap"),  # HTTP, sign-in, the portal session
    "pages": ("http", "forms", "pagemap"),  # reading and writing pages
    "learning": ("http", "forms", "pagemap"),  # doctor, --learn, --capture
    "driver": ("pages", "http", "forms", "pagemap"),  # the Driver on top
    "__init__": ("driver", "pages", "http", "forms", "pagemap", "learning"),
}
ENGINE = "psconfig.engine"
ENGINE_ROOMS: dict[str, tuple[str, ...]] = {
    # the engine's rooms -> the rooms they may import (each __init__ docstring says so)
    "planning": (),  # desired + live -> a judged Plan; the plan value types
    "applying": ("planning",),  # the plan/apply use cases, apply, lock, audit
    "proving": ("applying", "planning"),  # verify and rotate the sync account
    "fleet": ("applying", "planning"),  # many districts at once, sharding
    "sources": ("fleet", "applying", "planning"),  # snapshots, the plugin API
    "__init__": (),  # the package docstring: imports nothing, for a fast CLI
}

TERMINAL_CALLS = {"print", "input", "exit", "quit", "breakpoint"}
TERMINAL_ATTRIBUTES = {("sys", "exit"), ("os", "_exit")}
HEAVY = (
    "pydantic",
    "ruamel",
    "httpx",
    "lxml",
    "starlette",
    "uvicorn",
    "deepdiff",
    "stamina",
    "filelock",
    "psconfig.model",
    "psconfig.spec",
    "psconfig.engine",
)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # what it imports (a module, or a library's top-level name)
    line: int

    @property
    def where(self) -> str:
        return f"{self.module} (line {self.line})"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def within(module: str, scope: str) -> bool:
    return module == scope or module.startswith(scope + ".")


def part_of(module: str) -> str | None:
    """The most specific part that covers ``module``."""
    found = [
        part
        for part in PARTS
        if (module == part if part in EXACT_PARTS else within(module, part))
    ]
    return max(found, key=len) if found else None


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = (
        module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    )
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports() -> Iterator[Import]:
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(module, alias.name, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(module, path, node)
                for alias in node.names:
                    # `from psconfig import model` imports the module psconfig.model.
                    candidate = f"{source}.{alias.name}"
                    target = candidate if candidate in MODULES else source
                    yield Import(module, target, node.lineno)


ALL_IMPORTS = list(imports())


def is_third_party(name: str) -> bool:
    top = name.split(".")[0]
    return top not in ("psconfig", "__future__") and top not in sys.stdlib_module_names


def test_every_module_belongs_to_a_part() -> None:
    assert "psconfig.spec.loader" in MODULES  # the walk found the package
    unmapped = [m for m in MODULES if part_of(m) is None]
    assert not unmapped, f"add these to PARTS in {Path(__file__).name}: {unmapped}"


def third_party_violations(found: Iterable[Import]) -> list[str]:
    wrong = []
    for imp in found:
        if not is_third_party(imp.target):
            continue
        library = imp.target.split(".")[0]
        owners = THIRD_PARTY.get(library)
        if owners is None:
            wrong.append(f"{imp.where}: {library} is not in the allow-list")
        elif not any(within(imp.module, owner) for owner in owners):
            wrong.append(f"{imp.where}: {library} belongs to {', '.join(owners)}")
    return wrong


def test_third_party_libraries_stay_in_their_modules() -> None:
    wrong = third_party_violations(ALL_IMPORTS)
    assert not wrong, "\n".join(wrong)


def test_allowed_libraries_are_declared_dependencies() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {
        dep.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip().lower()
        for dep in project["dependencies"]
    }
    for library in THIRD_PARTY:
        assert DISTRIBUTIONS.get(library, library).lower() in declared, library


def layer_violations(found: Iterable[Import]) -> list[str]:
    wrong = []
    for imp in found:
        if not within(imp.target, "psconfig") or imp.target == "psconfig":
            continue  # third-party, or the root package's version
        source, target = part_of(imp.module), part_of(imp.target)
        if source is None or source == target:
            continue
        if target not in PARTS[source]:
            wrong.append(f"{imp.where}: {source} may not import {imp.target}")
    return wrong


def test_imports_point_downward() -> None:
    wrong = layer_violations(ALL_IMPORTS)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        ("psconfig.sim", "psconfig.drivers"),
        ("psconfig.engine", "psconfig.drivers.portal"),
        ("psconfig.engine", "psconfig.sim"),
        ("psconfig.model", "psconfig.spec"),
        ("psconfig.errors", "psconfig"),
    ],
)
def test_named_boundaries_hold(importer: str, forbidden: str) -> None:
    wrong = [
        imp.where
        for imp in ALL_IMPORTS
        if within(imp.module, importer)
        and within(imp.target, forbidden)
        and not within(imp.target, importer)
    ]
    assert not wrong, f"{importer} must not import {forbidden}: {wrong}"


def test_model_and_errors_import_nothing_internal_but_errors() -> None:
    internal = [
        (imp.module, imp.target)
        for imp in ALL_IMPORTS
        if imp.module in ("psconfig.model", "psconfig.errors")
        and within(imp.target, "psconfig")
    ]
    assert set(internal) <= {("psconfig.model", "psconfig.errors")}


def terminal_calls(source: str) -> list[str]:
    """Lines of ``source`` that print, prompt or exit."""
    return [
        f"line {getattr(node, 'lineno', '?')}: {call}"
        for node in ast.walk(ast.parse(source))
        if (call := _terminal_call(node))
    ]


def test_only_the_cli_talks_to_the_terminal() -> None:
    wrong = [
        f"{module} {call}"
        for module, path in MODULES.items()
        if not (within(module, "psconfig.cli") or module == "psconfig.__main__")
        for call in terminal_calls(path.read_text())
    ]
    assert not wrong, "\n".join(wrong)


def _terminal_call(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in TERMINAL_CALLS:
            return f"{func.id}()"
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and (func.value.id, func.attr) in TERMINAL_ATTRIBUTES
        ):
            return f"{func.value.id}.{func.attr}()"
    if isinstance(node, ast.Raise) and node.exc is not None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if isinstance(exc, ast.Name) and exc.id == "SystemExit":
            return "raise SystemExit"
    return None


def test_the_cli_loads_heavy_modules_lazily() -> None:
    probe = (
        "import sys, psconfig.cli; psconfig.cli._register_all(); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} "
        f"or m.startswith({HEAVY!r})))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=True,
    )
    assert proc.stdout.strip() == "[]", (
        "registering the commands imported heavy modules; import them inside the "
        f"command functions: {proc.stdout.strip()}"
    )


def portal_part(module: str) -> str | None:
    """The driver folder (or top module) ``module`` belongs to; None outside."""
    if not within(module, PORTAL):
        return None
    rest = module[len(PORTAL) + 1 :]
    return rest.split(".")[0] if rest else "__init__"


def portal_violations(found: Iterable[Import]) -> list[str]:
    wrong = []
    for imp in found:
        source, target = portal_part(imp.module), portal_part(imp.target)
        if source is None or target is None or source == target:
            continue
        if target not in PORTAL_PARTS.get(source, ()):
            wrong.append(f"{imp.where}: portal {source}/ may not import {imp.target}")
    return wrong


def test_every_portal_module_sits_in_a_folder() -> None:
    stray = [
        m for m in MODULES if (part := portal_part(m)) and part not in PORTAL_PARTS
    ]
    assert not stray, f"put these in a folder of {PORTAL} (PORTAL_PARTS): {stray}"


def test_portal_folders_import_only_the_folders_below() -> None:
    wrong = portal_violations(ALL_IMPORTS)
    assert not wrong, "\n".join(wrong)


def engine_room(module: str) -> str | None:
    """The engine room ``module`` belongs to (``__init__`` for the package); None
    outside the engine."""
    if not within(module, ENGINE):
        return None
    rest = module[len(ENGINE) + 1 :]
    return rest.split(".")[0] if rest else "__init__"


def engine_violations(found: Iterable[Import]) -> list[str]:
    wrong = []
    for imp in found:
        source, target = engine_room(imp.module), engine_room(imp.target)
        if source is None or target is None or source == target:
            continue
        if target not in ENGINE_ROOMS.get(source, ()):
            wrong.append(f"{imp.where}: engine {source}/ may not import {imp.target}")
    return wrong


def test_every_engine_module_sits_in_a_room() -> None:
    stray = [
        m for m in MODULES if (room := engine_room(m)) and room not in ENGINE_ROOMS
    ]
    assert not stray, f"put these in a room of {ENGINE} (ENGINE_ROOMS): {stray}"
    missing = [room for room in ENGINE_ROOMS if f"{ENGINE}.{room}" not in MODULES]
    assert missing == ["__init__"]  # every room but the package itself exists


def test_engine_rooms_import_only_the_rooms_below() -> None:
    wrong = engine_violations(ALL_IMPORTS)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("room", [r for r in ENGINE_ROOMS if r != "__init__"])
def test_each_engine_room_says_what_it_may_import(room: str) -> None:
    path = MODULES[f"{ENGINE}.{room}"]
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert "May import:" in doc, f"{path.name} of {room}/ must say what it may import"
    allowed = doc.split("May import:")[1].split("never")[0]
    named = set(re.findall(r"``(\w+)``", allowed)) & set(ENGINE_ROOMS)
    assert named == set(ENGINE_ROOMS[room]), (
        f"{room}/__init__ docstring vs ENGINE_ROOMS"
    )


def cycles(found: Iterable[Import]) -> list[list[str]]:
    """Groups of modules that import each other in a loop (Tarjan's algorithm)."""
    graph: dict[str, set[str]] = {}
    for imp in found:
        if imp.target != imp.module:
            graph.setdefault(imp.module, set()).add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while (top := stack.pop()) != node:
                group.append(top)
            if group:
                out.append(sorted([node, *group]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_no_module_imports_one_that_imports_it_back() -> None:
    # TYPE_CHECKING and lazy imports count: a loop is a loop for the reader too.
    internal = [imp for imp in ALL_IMPORTS if imp.target in MODULES]
    found = cycles(internal)
    assert not found, f"import cycles: {found}"


# The checks above must be able to fail: each catches a planted violation.


def test_the_checks_catch_planted_violations() -> None:
    planted = [
        Import("psconfig.sim.app", "psconfig.drivers.portal.pagemap.maps", 1),
        Import("psconfig.engine.applying.apply", "psconfig.sim", 2),
        Import("psconfig.model", "psconfig.spec.models", 3),
        Import("psconfig.spec.models", "psconfig.engine.planning.plan", 4),
    ]
    assert len(layer_violations(planted)) == 4
    libraries = [
        Import("psconfig.engine.applying.plan_and_apply", "httpx", 1),
        Import("psconfig.spec.models", "ruamel.yaml", 2),
        Import("psconfig.render.text", "rich.console", 3),
        Import("psconfig.sim.app", "requests", 4),
    ]
    assert len(third_party_violations(libraries)) == 4
    allowed = [
        Import("psconfig.drivers.portal.http.session", "httpx", 1),
        Import("psconfig.cli.plan", "psconfig.engine.applying.plan_and_apply", 2),
        Import("psconfig.sim.pages_dde", "starlette.responses", 3),
    ]
    assert layer_violations(allowed) == third_party_violations(allowed) == []
    source = (
        "import sys, os\nprint('x')\nsys.exit(1)\nos._exit(2)\n"
        "raise SystemExit(3)\ninput()\nlogger.info('fine')\n"
    )
    assert len(terminal_calls(source)) == 5
    portal = [
        Import(f"{PORTAL}.forms.bind", f"{PORTAL}.pages.reader", 1),
        Import(f"{PORTAL}.pagemap.maps", f"{PORTAL}.forms.controls", 2),
        Import(f"{PORTAL}.learning.doctor", f"{PORTAL}.pages.writer", 3),
        Import(f"{PORTAL}.http.login", PORTAL, 4),
    ]
    assert len(portal_violations(portal)) == 4
    fine = [Import(f"{PORTAL}.pages.writer", f"{PORTAL}.forms.bind", 1)]
    assert portal_violations(fine) == []
    engine = [
        Import(f"{ENGINE}.planning.safety", f"{ENGINE}.applying.apply", 1),
        Import(f"{ENGINE}.applying.audit", f"{ENGINE}.proving.rotate", 2),
        Import(f"{ENGINE}.fleet.runner", f"{ENGINE}.sources.snapshot", 3),
        Import(f"{ENGINE}.proving.verify", f"{ENGINE}.fleet.runner", 4),
        Import(ENGINE, f"{ENGINE}.planning.plan", 5),
    ]
    assert len(engine_violations(engine)) == 5
    down = [Import(f"{ENGINE}.sources.snapshot", f"{ENGINE}.fleet.runner", 1)]
    assert engine_violations(down) == []
    loop = [
        Import(f"{PORTAL}.pages.writer", f"{PORTAL}.pages.staff_writer", 1),
        Import(f"{PORTAL}.pages.staff_writer", f"{PORTAL}.pages.staff_pages", 2),
        Import(f"{PORTAL}.pages.staff_pages", f"{PORTAL}.pages.writer", 3),
    ]
    assert cycles(loop) == [sorted(i.module for i in loop)]
