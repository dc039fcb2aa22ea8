"""Normalized model values <-> form controls, through a form map's ``FieldMap``.

A ``Binding`` ties one model attribute (dotted for nested ones: ``health.screening``)
to one field of a page's map and a codec that knows the control's semantics (text,
mapped choice, checkbox, checkbox set, number, optional number, lines). Reading a
form, filling a form and naming the field of a read-back mismatch all use the same
tables, so the reader and the writer cannot disagree about a field.

Every value that is not in the map's option table, and every control whose kind is
not the map's kind, is a ``FormMapError`` naming the page, the field and the flavor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel

from psconfig.drivers.portal.forms import labels
from psconfig.drivers.portal.forms.controls import Form
from psconfig.drivers.portal.pagemap.map_parts import FieldKind, FieldMap, Fields

_PAGE_KINDS: dict[FieldKind, frozenset[str]] = {
    "text": frozenset({"text", "email", "search", "tel", "url", "number", "date"}),
    "password": frozenset({"password"}),
    "hidden": frozenset({"hidden"}),
    "textarea": frozenset({"textarea"}),
    "select": frozenset({"select"}),
    "checkbox": frozenset({"checkbox"}),
    "checkboxes": frozenset({"checkbox", "checkboxes"}),
    "radio": frozenset({"radio"}),
    "choice": frozenset({"select", "radio"}),
    "submit": frozenset({"submit"}),
}


def control_name(form: Form, field: FieldMap, **row: object) -> str:
    """The control's name, after checking the page has it with the map's kind.

    A labelled field is found by its label (``labels.resolve``), a row field by
    its row's label, any other by its confirmed name.
    """
    if field.row_label is not None:
        name = labels.row_name(form, field, next(iter(row.values()), ""))
    elif field.label is not None:
        name = labels.resolve(form, field, **row)
    else:
        name = field.named(**row)
    kind = form.kind(name)
    if kind not in _PAGE_KINDS[field.kind]:
        raise form.where.missing(
            field.named(**row), f"is a {kind} on the page, the map says {field.kind}"
        )
    return name


def require_all(form: Form, fields: Fields) -> None:
    """Fail closed unless the form has every field of the page's map.

    Row fields (``group_{group}``, a row label) are checked when their row is used.
    """
    for _, field in fields.items():
        if field.row_label is None and "{" not in (field.name or ""):
            control_name(form, field)


class Codec(Protocol):
    def read(self, form: Form, field: FieldMap, row: dict[str, object]) -> object: ...

    def write(
        self, form: Form, field: FieldMap, row: dict[str, object], value: object
    ) -> None: ...


class Text:
    def read(self, form: Form, field: FieldMap, row: dict[str, object]) -> object:
        return form.value(control_name(form, field, **row))

    def write(
        self, form: Form, field: FieldMap, row: dict[str, object], value: object
    ) -> None:
        form.set(control_name(form, field, **row), str(value))


class Choice:
    """A select or radio whose posted values map to normalized ones."""

    def read(self, form: Form, field: FieldMap, row: dict[str, object]) -> object:
        name = control_name(form, field, **row)
        return normalize(form, field, name, form.value(name))

    def write(
        self, form: Form, field: FieldMap, row: dict[str, object], value: object
    ) -> None:
        name = control_name(form, field, **row)
        form.set(name, posted(form, field, name, str(value)))


class Number(Choice):
    def read(self, form: Form, field: FieldMap, row: dict[str, object]) -> object:
        text = str(super().read(form, field, row))
        if not text.lstrip("-").isdigit():
            raise form.where.missing(
                field.named(**row), f"has non-numeric value {text!r}"
            )
        return int(text)


class OptionalNumber(Number):
    """A select whose empty value is None (No Group Defined, Default Group Access)."""

    def read(self, form: Form, field: FieldMap, row: dict[str, object]) -> object:
        name = control_name(form, field, **row)
        if normalize(form, field, name, form.value(name)) == "":
            return None
        return super().read(form, field, row)

    def write(
        self, form: Form, field: FieldMap, row: dict[str, object], value: object
    ) -> None:
        super().write(form, field, row, "" if value is None else value)


class Flag:
    def read(self, form: Form, field: FieldMap, row: dict[str, object]) -> object:
        return form.is_checked(control_name(form, field, **row))

    def write(
        self, form: Form, field: FieldMap, row: dict[str, object], value: object
    ) -> None:
        form.set_checked(control_name(form, field, **row), bool(value))


class CheckedSet:
    """A group of same-named checkboxes holding a set of (mapped) values."""

    def read(self, form: Form, field: FieldMap, row: dict[str, object]) -> object:
        name = control_name(form, field, **row)
        return tuple(
            sorted(normalize(form, field, name, v) for v in form.checked_values(name))
        )

    def write(
        self, form: Form, field: FieldMap, row: dict[str, object], value: object
    ) -> None:
        name = control_name(form, field, **row)
        values = value if isinstance(value, Iterable) else ()
        form.set_checked_values(
            name, [posted(form, field, name, str(v)) for v in values]
        )


class Lines:
    """A textarea holding one entry per line (allowed IPs)."""

    def read(self, form: Form, field: FieldMap, row: dict[str, object]) -> object:
        text = form.value(control_name(form, field, **row))
        return tuple(line.strip() for line in text.splitlines() if line.strip())

    def write(
        self, form: Form, field: FieldMap, row: dict[str, object], value: object
    ) -> None:
        lines = value if isinstance(value, Iterable) else ()
        form.set(control_name(form, field, **row), "\n".join(str(v) for v in lines))


TEXT, CHOICE, NUMBER, OPTIONAL_NUMBER = Text(), Choice(), Number(), OptionalNumber()
FLAG, CHECKED_SET, LINES = Flag(), CheckedSet(), Lines()


def normalize(form: Form, field: FieldMap, name: str, value: str) -> str:
    """The normalized value of a posted one; unknown values fail closed.

    Where the map chooses options by text, the value's visible text decides.
    """
    if field.by_text:
        return labels.normalized_of_text(
            form.where, field, name, labels.text_of(form, name, value)
        )
    found = field.normalized_of(value)
    if found is None:
        raise form.where.missing(name, f"has value {value!r}, which the map lacks")
    return found


def posted(form: Form, field: FieldMap, name: str, normalized: str) -> str:
    """The posted value of a normalized one; unmapped values fail closed.

    Where the map chooses options by text, the page's option with that text.
    """
    if field.by_text:
        return labels.value_for(form, field, name, normalized)
    if field.options and normalized not in field.options:
        raise form.where.missing(name, f"has no mapped value for {normalized!r}")
    return field.value_of(normalized)


@dataclass(frozen=True)
class Binding:
    """Model attribute ``attr`` <-> page field ``key`` through ``codec``."""

    attr: str
    key: str
    codec: Codec

    def field(self, fields: Fields) -> FieldMap:
        found = getattr(fields, self.key)
        assert isinstance(found, FieldMap), self.key
        return found


def attr_of(obj: BaseModel, dotted: str) -> object:
    """``obj.a.b`` for ``"a.b"``."""
    value: object = obj
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def read_all(
    form: Form, fields: Fields, bindings: Sequence[Binding], **row: object
) -> dict[str, object]:
    """A nested dict of every bound attribute's value, ready for model_validate."""
    out: dict[str, object] = {}
    for binding in bindings:
        value = binding.codec.read(form, binding.field(fields), row)
        *parents, leaf = binding.attr.split(".")
        target = out
        for parent in parents:
            nested = target.setdefault(parent, {})
            assert isinstance(nested, dict)
            target = nested
        target[leaf] = value
    return out


def changed(
    bindings: Sequence[Binding], before: BaseModel | None, after: BaseModel
) -> list[Binding]:
    """The bindings whose value differs (all of them when there is no ``before``)."""
    if before is None:
        return list(bindings)
    return [b for b in bindings if attr_of(before, b.attr) != attr_of(after, b.attr)]


def write_all(
    form: Form,
    fields: Fields,
    bindings: Iterable[Binding],
    after: BaseModel,
    **row: object,
) -> None:
    """Set each bound control to ``after``'s value."""
    for binding in bindings:
        binding.codec.write(
            form, binding.field(fields), row, attr_of(after, binding.attr)
        )


def first_mismatch(
    bindings: Iterable[Binding],
    fields: Fields,
    read_back: BaseModel,
    after: BaseModel,
    **row: object,
) -> tuple[str, str] | None:
    """(portal field name, detail) of the first binding that did not read back."""
    for binding in bindings:
        got, want = attr_of(read_back, binding.attr), attr_of(after, binding.attr)
        if got != want:
            name = binding.field(fields).named(**row)
            return name, f"reads back {got!r}, posted {want!r}"
    return None


# -- the tables -----------------------------------------------------------------

_HEALTH = ("certification", "immunization", "office_visit", "screening")

GROUP: tuple[Binding, ...] = (
    Binding("name", "name", TEXT),
    Binding("access_level", "access_level", CHOICE),
    Binding("can_modify_schedules", "can_modify_schedules", CHOICE),
    Binding("powerscheduler_access", "powerscheduler_access", FLAG),
    Binding("language_translator", "language_translator", FLAG),
    Binding("report_queue_priority", "report_queue_priority", NUMBER),
    Binding("log_types", "log_types", CHECKED_SET),
    Binding("incident_types", "incident_types", CHECKED_SET),
    *(Binding(f"health.{area}", f"health_{area}", CHOICE) for area in _HEALTH),
)
"""Edit Group: every field of ``model.Group`` but its number."""

PERSON: tuple[Binding, ...] = (
    *(
        Binding(attr, attr, TEXT)
        for attr in (
            "last_name",
            "first_name",
            "middle_name",
            "preferred_name",
            "email",
            "title",
        )
    ),
    Binding("staff_type", "staff_type", CHOICE),
)
STAFF_NEW: tuple[Binding, ...] = (*PERSON, Binding("id", "id", TEXT))
"""New Staff Member (the school comes from the session's school context)."""
STAFF_EDIT: tuple[Binding, ...] = (*PERSON, Binding("status", "status", CHOICE))
"""Edit Information."""

TEACHER_ACCESS: tuple[Binding, ...] = (
    Binding("teacher_access", "teacher_access", FLAG),
)
"""Teachers and Affiliations, page level (on ``model.Staff``)."""
AFFILIATION_ROW: tuple[Binding, ...] = (
    Binding("active", "active", FLAG),
    Binding("staff_type", "staff_type", CHOICE),
)
"""Teachers and Affiliations, one row per school (on ``model.Affiliation``)."""

ADMIN: tuple[Binding, ...] = (
    Binding("enabled", "enabled", FLAG),
    Binding("username", "username", TEXT),
    Binding("ldap_enabled", "ldap_enabled", FLAG),
    Binding("default_group", "default_group", OPTIONAL_NUMBER),
    Binding("allowed_ips", "allowed_ips", LINES),
)
"""Admin Access and Roles, scalar fields (on ``model.AdminAccess``)."""
ROLE_ROW: tuple[Binding, ...] = (Binding("group", "role", OPTIONAL_NUMBER),)
"""Admin Access and Roles, one role row per school (on ``model.Role``)."""
