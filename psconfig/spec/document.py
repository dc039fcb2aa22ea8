"""A parsed spec file: plain data plus the position of every key and value in it.

The loader (the only module that touches ruamel) builds a ``Document``; everything
else asks it where things are. Paths through the data are tuples of mapping keys and
sequence indexes (``("staff", 0, "admin_access", "roles")``). Positions are 1-based
line and column numbers, as editors and GitHub annotations count them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from psconfig.errors import Problem

RawPath = tuple[str | int, ...]
"""A path into the data as written: mapping keys (text or numbers) and list indexes."""


@dataclass(frozen=True, order=True)
class Mark:
    """A 1-based line and column in a spec file."""

    line: int
    col: int


START = Mark(1, 1)


@dataclass(frozen=True)
class Node:
    """Where one value sits: its own start and, for a mapping entry, its key's start."""

    kind: Literal["mapping", "sequence", "scalar"]
    value: Mark
    key: Mark | None = None


@dataclass(frozen=True)
class Document:
    """Loaded YAML data and the position of every node in it.

    ``nodes`` is keyed by normalized paths: mapping keys as text (``str(key)``), list
    indexes as ``int``; the root node has the empty path.
    """

    file: str
    data: dict[str | int, Any]
    nodes: Mapping[RawPath, Node] = field(repr=False)

    def mark(self, path: Sequence[object], *, key: bool = False) -> Mark:
        """Position of the deepest node written along ``path``.

        Path elements that name nothing written (a missing field, the tag pydantic
        adds for a union member) are skipped, so any path lands on the closest
        enclosing node. With ``key`` the position of that node's key is preferred
        (for unknown and missing keys); otherwise the position of its value.
        """
        node = self.nodes.get(self._walk(path)[0])
        if node is None:
            return START
        if key and node.key is not None:
            return node.key
        return node.value

    def locate(self, path: Sequence[object]) -> Mark:
        """Position for a finding about ``path``.

        Its value when ``path`` is written; otherwise the key of the closest
        enclosing node (the item that should have said it).
        """
        current, matched = self._walk(path)
        node = self.nodes.get(current)
        if node is None:
            return START
        if len(matched) == len(path) or node.key is None:
            return node.value
        return node.key

    def raw_path(self, path: Sequence[object]) -> RawPath:
        """The normalized path of the deepest node written along ``path``."""
        return self._walk(path)[0]

    def written_path(self, path: Sequence[object]) -> tuple[object, ...]:
        """The elements of ``path`` that name written nodes, as given in ``path``."""
        return self._walk(path)[1]

    def _walk(self, path: Sequence[object]) -> tuple[RawPath, tuple[object, ...]]:
        current: RawPath = ()
        matched: list[object] = []
        for element in path:
            step = self._step(current, element)
            if step is not None:
                current = step
                matched.append(element)
        return current, tuple(matched)

    def problem(
        self,
        path: Sequence[object],
        message: str,
        *,
        rule: str = "",
        severity: str = "error",
        key: bool = False,
    ) -> Problem:
        """A ``Problem`` located at ``path`` (see ``mark``)."""
        where = self.mark(path, key=key)
        return Problem(self.file, where.line, where.col, message, rule, severity)

    def _step(self, current: RawPath, element: object) -> RawPath | None:
        parent = self.nodes.get(current)
        if parent is None:
            return None
        candidate: RawPath
        if parent.kind == "mapping" and isinstance(element, str | int):
            candidate = (*current, str(element))
        elif parent.kind == "sequence" and type(element) is int:
            candidate = (*current, element)
        else:
            return None
        return candidate if candidate in self.nodes else None
