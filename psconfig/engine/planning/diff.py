"""Structural diff of desired against live, restricted to managed fields.

Objects are first flattened into *leaves*: ``{path: json value}`` where a path is a
tuple of field names. Sections (``health``, ``admin_access``) are walked into; every
other value (lists, time windows, scalars) is one leaf, so a changed list is reported
as the list, never as an index. A desired object yields only the leaves of the
fields the spec set (``model_fields_set``, recursively through sections); the live
object is then restricted to exactly those leaves, so an unmanaged live field can
never show up.

``changed_paths`` compares the two leaf sets leaf by leaf, strictly: a leaf changed
when its values differ in type anywhere inside (``1`` is not ``1.0`` nor ``True``) or
in value, which is what deepdiff reports on the nested forms (tests/engine/test_diff.py
holds it to deepdiff). A plan compares every object's leaves, so this stays a plain
walk: deepdiff's tree was three quarters of a fresh district's build_plan CPU.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import cast

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
    stray = before.keys() - after.keys()
    if stray:  # restrict() gives both sides the same paths, so this is a bug
        raise AssertionError(f"leaves outside the compared paths: {sorted(stray)}")
    return tuple(
        path
        for path, value in after.items()
        if path not in before or not same(before[path], value)
    )


def same(left: JsonValue, right: JsonValue) -> bool:
    """Strict JSON equality: equal values of the same types, lists in order."""
    if left is right:
        return True
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        assert isinstance(right, dict)
        return left.keys() == right.keys() and all(
            same(value, right[key]) for key, value in left.items()
        )
    if isinstance(left, list):
        assert isinstance(right, list)
        return len(left) == len(right) and all(map(same, left, right))
    return left == right
