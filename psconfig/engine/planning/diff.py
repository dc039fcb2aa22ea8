"""Structural diff of desired against live, restricted to managed fields.

The only module that imports deepdiff. Objects are first flattened into *leaves*:
``{path: json value}`` where a path is a tuple of field names. Sections
(``health``, ``admin_access``) are walked into; every other value (lists, time
windows, scalars) is one leaf, so a changed list is reported as the list, never as
an index. A desired object yields only the leaves of the fields the spec set
(``model_fields_set``, recursively through sections); the live object is then
restricted to exactly those leaves, so an unmanaged live field can never show up.

deepdiff compares the nested forms of the two leaf sets; every difference it reports
is mapped back to the leaf that contains it, which gives exact ``changed_paths``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import cast

from deepdiff import DeepDiff
from pydantic import BaseModel, JsonValue
from pydantic_core import to_jsonable_python

from psconfig.model import AdminAccess, Health

Path = tuple[str, ...]
"""A field path inside one object, e.g. ``("admin_access", "default_group")``."""

Leaves = dict[Path, JsonValue]
"""A flattened object: leaf path -> JSON value, in model field order."""

_SECTIONS: tuple[type[BaseModel], ...] = (Health, AdminAccess)
_UNORDERED = frozenset({"allowed_ips"})
"""List fields whose order PowerSchool does not keep meaningfully: compared as sets."""


def leaves(model: BaseModel, *, managed_only: bool) -> Leaves:
    """Flatten ``model`` into leaves.

    With ``managed_only`` only fields in ``model_fields_set`` count, recursively
    through sections: a spec that declares ``admin_access: {enabled: true}`` manages
    the single leaf ``("admin_access", "enabled")``.
    """
    out: Leaves = {}
    for name in type(model).model_fields:
        if managed_only and name not in model.model_fields_set:
            continue
        value = getattr(model, name)
        if isinstance(value, _SECTIONS):
            for sub, leaf in leaves(value, managed_only=managed_only).items():
                out[(name, *sub)] = leaf
        else:
            out[(name,)] = _jsonable(name, value)
    return out


def _jsonable(name: str, value: object) -> JsonValue:
    data = cast(JsonValue, to_jsonable_python(value))
    if name in _UNORDERED and isinstance(data, list):
        return list[JsonValue](sorted({str(item) for item in data}))
    return data


def restrict(full: Mapping[Path, JsonValue], shape: Iterable[Path]) -> Leaves:
    """The leaves of ``full`` at the paths of ``shape`` (the managed paths)."""
    return {path: full[path] for path in shape}


def nest(flat: Mapping[Path, JsonValue]) -> dict[str, JsonValue]:
    """Turn leaves back into a nested JSON object (sections become objects)."""
    out: dict[str, JsonValue] = {}
    for path, value in flat.items():
        node = out
        for step in path[:-1]:
            child = node.setdefault(step, {})
            assert isinstance(child, dict)  # leaves never prefix other leaves
            node = child
        node[path[-1]] = value
    return out


def changed_paths(before: Leaves, after: Leaves) -> tuple[Path, ...]:
    """The leaves whose values differ, in ``after``'s order.

    Both sides must have the same leaf paths (use ``restrict`` on the live side).
    """
    tree = DeepDiff(nest(before), nest(after), view="tree")
    known = list(after)
    found: set[Path] = set()
    for levels in tree.values():
        for level in levels:
            steps = tuple(str(step) for step in level.path(output_format="list"))
            found.add(_leaf_of(steps, known))
    return tuple(path for path in known if path in found)


def _leaf_of(steps: Path, known: Iterable[Path]) -> Path:
    for path in known:
        if steps[: len(path)] == path:
            return path
    # deepdiff only reports inside the objects we gave it, so this is a bug.
    raise AssertionError(f"deepdiff reported a path outside the leaves: {steps}")
