"""Validation in one pass: what of a spec with shape errors can still be checked.

A spec with a wrong value in one group should still have its references, secrets
and policy rules checked everywhere else, so that one run of ``validate`` reports
every problem. ``salvage`` validates the document; on shape errors it removes the
offending values (the written key, or the list item or mapping that holds a
missing key) and validates again, a few rounds at most, until the rest is a valid
``Spec`` or nothing more can be removed (an error at the top, such as a missing
``server``).

Later stages then run on what remains. Their findings about an item that had a
shape error are dropped (``shadow``); when such an item cannot be resolved
without the values removed from it, the caller salvages again without the whole
item: the item was checked only in part, and a
finding about a value that was removed would be a consequence, not a problem.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from psconfig.errors import Problem, SpecError
from psconfig.spec.document import Document, Mark, Node, RawPath
from psconfig.spec.models import Spec
from psconfig.spec.validation import validate_spec

_ROUNDS = 8


@dataclass(frozen=True)
class Salvaged:
    """The shape problems of a document and what remains valid of it.

    ``model`` and ``document`` are None when nothing could be salvaged; ``shadow``
    holds the positions inside items that had shape errors.
    """

    problems: tuple[Problem, ...]
    model: Spec | None
    document: Document | None
    shadow: frozenset[Mark]


def salvage(doc: Document, *, whole: bool = False) -> Salvaged:
    """Validate ``doc``; on shape errors, the part of it that is valid.

    Removes the offending values, or with ``whole`` the whole list item or
    top-level entry that holds each (for when a half-removed item cannot resolve).
    """
    try:
        return Salvaged((), validate_spec(doc), doc, frozenset())
    except SpecError as exc:
        problems = exc.problems
    shadow: set[Mark] = set()
    current = doc
    for _ in range(_ROUNDS):
        try:
            model = Spec.model_validate(current.data)
        except ValidationError as exc:
            paths = {current.raw_path(error["loc"]) for error in exc.errors()}
            if () in paths:  # an error at the top: nothing to stand on
                break
            units = {path[:2] for path in paths}
            shadow.update(_marks(current, units))
            current = _without(current, units if whole else paths)
            continue
        return Salvaged(problems, model, current, frozenset(shadow))
    return Salvaged(problems, None, None, frozenset(shadow))


def outside(problems: Iterable[Problem], shadow: frozenset[Mark]) -> list[Problem]:
    """``problems`` not located inside an item that had shape errors."""
    return [p for p in problems if Mark(p.line, p.col) not in shadow]


def _marks(doc: Document, units: set[RawPath]) -> set[Mark]:
    marks: set[Mark] = set()
    for path, node in doc.nodes.items():
        if any(path[: len(unit)] == unit for unit in units):
            marks.add(node.value)
            if node.key is not None:
                marks.add(node.key)
    return marks


def _without(doc: Document, paths: set[RawPath]) -> Document:
    """``doc`` with the values at ``paths`` removed, list positions renumbered."""
    data = copy.deepcopy(doc.data)
    nodes: dict[RawPath, Node] = dict(doc.nodes)
    # Deepest and last first, so earlier removals do not move later targets.
    for path in sorted(paths, key=_order, reverse=True):
        if any(path[: len(p)] == p for p in paths if len(p) < len(path)):
            continue  # an enclosing value goes as well
        _remove(data, path)
        nodes = _renumber(nodes, path)
    return Document(file=doc.file, data=data, nodes=nodes)


def _order(path: RawPath) -> tuple[tuple[int, str], ...]:
    return tuple((p, "") if isinstance(p, int) else (-1, p) for p in path)


def _remove(data: Any, path: RawPath) -> None:
    parent = data
    for element in path[:-1]:
        parent = parent[_key(parent, element)]
    last = _key(parent, path[-1])
    if isinstance(parent, list):
        parent.pop(int(last))
    else:
        parent.pop(last, None)


def _key(container: Any, element: str | int) -> Any:
    """The key in ``container`` that the normalized path element names."""
    if isinstance(container, list):
        return int(element)
    for key in container:
        if str(key) == str(element):
            return key
    return element


def _renumber(nodes: dict[RawPath, Node], path: RawPath) -> dict[RawPath, Node]:
    size = len(path)
    head, last = path[:-1], path[-1]
    result: dict[RawPath, Node] = {}
    for key, node in nodes.items():
        if key[:size] == path:
            continue
        if (
            isinstance(last, int)
            and len(key) >= size
            and key[: size - 1] == head
            and isinstance(key[size - 1], int)
            and key[size - 1] > last  # type: ignore[operator]
        ):
            key = (*head, key[size - 1] - 1, *key[size:])  # type: ignore[operator]
        result[key] = node
    return result
