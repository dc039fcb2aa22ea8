"""Field-wise merging of spec items, remembering where each field was written.

Items a spec writes beside a preset override the preset's item with the same key
(group number, staff ID) field by field: a nested mapping (``admin_access``,
``health_and_immunization``) merges key by key, while a list (``roles``,
``allowed_ips``) replaces the preset's list as a whole. ``Origin`` records which
fields came from the file and which from the preset, so every finding about a merged
item points at the text that produced the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from psconfig.spec.document import RawPath
from psconfig.spec.models import SpecModel

FieldPath = tuple[str | int, ...]
"""Field names from an item down to a value, e.g. ``("admin_access", "roles")``."""

M = TypeVar("M", bound=SpecModel)


@dataclass(frozen=True)
class Origin:
    """Where one item's fields were written.

    ``user`` is the item's path in the file, if the file wrote it. ``user_fields``
    lists the field paths the file set on it (None: all of them). ``preset`` is the
    preset's path and ``preset_params`` maps field paths to the parameter that set
    them.
    """

    user: RawPath | None = None
    user_fields: frozenset[FieldPath] | None = None
    preset: RawPath | None = None
    preset_params: Mapping[FieldPath, str] = field(default_factory=dict)

    def of(self, fields: FieldPath) -> RawPath:
        """The path in the file to point at for the value at ``fields``."""
        if self.user is not None and self._from_user(fields):
            return (*self.user, *fields)
        if self.preset is not None:
            for size in range(len(fields), 0, -1):
                param = self.preset_params.get(fields[:size])
                if param is not None:
                    return (*self.preset, param)
            return self.preset
        return self.user or ()

    def _from_user(self, fields: FieldPath) -> bool:
        if self.user_fields is None:
            return True
        return any(
            fields[: len(leaf)] == leaf or leaf[: len(fields)] == fields
            for leaf in self.user_fields
        )


def set_fields(item: SpecModel, prefix: FieldPath = ()) -> frozenset[FieldPath]:
    """Paths of the fields ``item`` sets (not None), nested models by their fields."""
    found: set[FieldPath] = set()
    for name in item.model_fields_set:
        value = getattr(item, name)
        if value is None:
            continue
        if isinstance(value, SpecModel):
            found |= set_fields(value, (*prefix, name))
        else:
            found.add((*prefix, name))
    return frozenset(found)


def merge(base: M, over: M) -> M:
    """``base`` with every field ``over`` sets; nested models merge recursively."""
    update: dict[str, object] = {}
    for name in over.model_fields_set:
        value = getattr(over, name)
        if value is None:
            continue
        current = getattr(base, name)
        if isinstance(value, SpecModel) and type(current) is type(value):
            update[name] = merge(current, value)
        else:
            update[name] = value
    return base.model_copy(update=update)
