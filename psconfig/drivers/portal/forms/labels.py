"""Controls found as a person finds them: by the visible label beside them.

Where no public source shows a page's markup, the form map names each field by the
label PowerSchool's documentation and the Clever guide show ("Access Level",
"Turn modify permissions"), and this module finds the control that label belongs
to on the page as served. ``document`` records every way HTML attaches a label to a
control (``label for``, a wrapping label, the cell before it in a table row,
``aria-label``, ``aria-labelledby``, a fieldset's legend, a labelled
``role=group``); labels are compared exactly after ``normalize_label``, so "Access
Level" never matches "Access Level (PowerTeacher)".

A choice (one of N) may be a select or a radio group; its options are chosen by
their visible text, never by a guessed value. No match, several matches, a pin that
disagrees with the label, or an option text the map does not know are each a
``FormMapError`` naming the page, the label and the candidates, before anything is
posted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from psconfig.drivers.portal.forms.controls import Control, Form, Where, normalize_label
from psconfig.drivers.portal.pagemap.map_parts import FieldMap
from psconfig.errors import FormMapError

_KINDS: dict[str, frozenset[str]] = {
    "choice": frozenset({"select", "radio"}),
    "select": frozenset({"select"}),
    "radio": frozenset({"radio"}),
    "checkbox": frozenset({"checkbox"}),
    "checkboxes": frozenset({"checkbox"}),
    "textarea": frozenset({"textarea"}),
    "password": frozenset({"password"}),
    "hidden": frozenset({"hidden"}),
    "submit": frozenset({"submit"}),
}
_TEXT_KINDS = frozenset({"text", "email", "search", "tel", "url", "number", "date"})


def _labels_of(control: Control) -> tuple[str, ...]:
    return (control.own, *control.context) if control.own else control.context


def _labelled(form: Form, wanted: str) -> list[Control]:
    """The controls ``wanted`` (normalized) labels, from an index built once."""
    cached = form.bound.get(("index",))
    if isinstance(cached, dict):
        found = cached.get(wanted, [])
        return list(found) if isinstance(found, list) else []
    index: dict[str, list[Control]] = {}
    for control in form.controls:
        for text in dict.fromkeys(_labels_of(control)):
            index.setdefault(text, []).append(control)
    form.bound[("index",)] = index
    return list(index.get(wanted, []))


def _fits(control: Control, kind: str) -> bool:
    return control.kind in _KINDS.get(kind, _TEXT_KINDS)


def _grouped(controls: Iterable[Control]) -> dict[str, list[Control]]:
    """Controls by name, in page order (a radio group or box group is one entry)."""
    out: dict[str, list[Control]] = {}
    for control in controls:
        if control.name and not control.disabled:
            out.setdefault(control.name, []).append(control)
    return out


def _offers_any(controls: list[Control], texts: Iterable[str]) -> bool:
    wanted = {normalize_label(t) for t in texts}
    if controls[0].kind == "select":
        offered = {normalize_label(o.label) for o in controls[0].options}
    else:
        offered = {c.own for c in controls}
    return bool(wanted & offered)


def similar(form: Form, label: str) -> list[str]:
    """Labels on the form that contain ``label`` (what a person might mistake)."""
    wanted = normalize_label(label)
    seen: dict[str, None] = {}
    for control in form.controls:
        for text in _labels_of(control):
            if wanted in text and text != wanted:
                seen.setdefault(f"{text!r} ({control.name or 'unnamed'})")
    return list(seen)


def resolve(form: Form, field: FieldMap, **row: object) -> str:
    """The name of the control ``field``'s label finds on ``form`` (see module doc).

    Raises ``FormMapError`` naming the page, the label and the candidates when no
    control or several carry the label, or when the map's pin names another.
    """
    if field.label is None:
        raise ValueError("resolve() needs a labelled field")
    cache_key = ("label", field.label, field.kind, field.nth)
    cached = form.bound.get(cache_key)
    found = cached if isinstance(cached, str) else _find(form, field)
    form.bound[cache_key] = found
    _check_pin(form, field, found, **row)
    return found


def candidates(form: Form, field: FieldMap) -> list[str]:
    """The names of the controls ``field``'s label could mean, in page order.

    Controls of another kind are not candidates; among several, those offering
    none of the field's option texts are dropped (a person reads both).
    """
    assert field.label is not None
    labelled = _labelled(form, normalize_label(field.label))
    groups = _grouped(c for c in labelled if _fits(c, field.kind))
    if len(groups) > 1 and field.texts:
        offering = {
            n: cs for n, cs in groups.items() if _offers_any(cs, field.texts.values())
        }
        groups = offering or groups
    return list(groups)


def _find(form: Form, field: FieldMap) -> str:
    assert field.label is not None
    labelled = _labelled(form, normalize_label(field.label))
    names = candidates(form, field)
    if field.nth is not None and len(names) > field.nth:
        return names[field.nth]
    if len(names) == 1 and field.nth is None:
        return names[0]
    if not names:
        other = sorted({c.kind for c in labelled})
        detail = (
            f"is labelled on a {'/'.join(other)} control, the map says {field.kind}"
            if other
            else "labels no control"
        )
        near = similar(form, field.label)
        if near:
            detail += f" (similar labels: {', '.join(near)})"
        raise form.where.missing(field.label, detail)
    if field.nth is not None:
        raise form.where.missing(
            field.label,
            f"introduces {len(names)} controls, the map wants #{field.nth + 1}",
        )
    raise form.where.missing(field.label, f"labels several controls {names}")


def _check_pin(form: Form, field: FieldMap, found: str, **row: object) -> None:
    if not field.name:
        return
    pin = field.name.format(**row)
    if pin != found:
        raise form.where.missing(
            field.label or pin,
            f"is the control {found!r} on the page, but the map pins {pin!r}",
        )


def in_row(form: Form, field: FieldMap, names: list[str], **row: object) -> str:
    """The one control among a table row's ``names`` that ``field``'s label finds.

    A row's action ("Remove") is found by its label inside that row; none or
    several fail closed naming the page, the label and the row's controls.
    """
    if field.label is None:
        raise ValueError("in_row() needs a labelled field")
    wanted = normalize_label(field.label)
    labelled = {c.name for c in _labelled(form, wanted) if _fits(c, field.kind)}
    found = [name for name in dict.fromkeys(names) if name in labelled]
    if len(found) != 1:
        shown = ", ".join(f"{k}={v}" for k, v in row.items())
        what = "labels no control" if not found else f"labels several {found}"
        raise form.where.missing(
            field.label, f"{what} in the row {shown} (its controls: {names})"
        )
    _check_pin(form, field, found[0], **row)
    return found[0]


def rows(form: Form, field: FieldMap) -> dict[str, str]:
    """Row key -> control name for a ``row_label`` field ("12 Read-Only Export").

    Every control group of the field's kind whose label matches the row regex is a
    row; two groups for one key fail closed.
    """
    if field.row_label is None:
        raise ValueError("rows() needs a row_label field")
    cache_key = ("rows", field.row_label, field.kind, 0)
    cached = form.bound.get(cache_key)
    if isinstance(cached, dict):
        return cached
    pattern = re.compile(field.row_label)
    out: dict[str, str] = {}
    for name, controls in _grouped(form.controls).items():
        if not _fits(controls[0], field.kind):
            continue
        keys = {
            m.group(1)
            for c in controls
            for t in _labels_of(c)
            if (m := pattern.match(t))
        }
        if len(keys) > 1:
            raise form.where.missing(name, f"sits in several rows {sorted(keys)}")
        for key in keys:
            if key in out:
                raise form.where.missing(
                    f"row {key}", f"has several controls [{out[key]!r}, {name!r}]"
                )
            out[key] = name
    form.bound[cache_key] = out
    return out


def row_name(form: Form, field: FieldMap, key: object) -> str:
    """The control of row ``key``; a FormMapError naming the rows seen otherwise."""
    found = rows(form, field).get(str(key))
    if found is None:
        seen = sorted(rows(form, field), key=lambda k: (len(k), k))
        raise form.where.missing(f"row {key}", f"is not on the page (rows: {seen})")
    _check_pin(form, field, found, group=key, school=key)
    return found


# -- options by visible text ------------------------------------------------------


def text_of(form: Form, name: str, value: str) -> str:
    """The visible text of the option (or radio, or box) ``value`` of ``name``."""
    cached = form.bound.get(("texts", name))
    texts = cached if isinstance(cached, dict) else form.texts(name)
    form.bound[("texts", name)] = texts
    if value not in texts:
        raise form.where.missing(name, f"has no option with value {value!r}")
    return texts[value]


def normalized_of_text(where: Where, field: FieldMap, name: str, text: str) -> str:
    """The normalized value whose declared text is ``text``; unknown text fails."""
    for normalized, declared in field.texts.items():
        if normalize_label(declared) == text:
            return normalized
    if field.number_text is not None:
        found = re.search(field.number_text, text, flags=re.IGNORECASE)
        if found:
            return str(int(found.group(1)))
    if field.time_text and (clock := time_of_text(text)) is not None:
        return clock
    raise FormMapError(
        page=where.page,
        field=field.label or name,
        flavor=where.flavor,
        detail=f"shows option {text!r}, which the map does not know",
    )


def value_for(form: Form, field: FieldMap, name: str, normalized: str) -> str:
    """The page's value of the option whose text stands for ``normalized``."""
    matches = [
        value
        for value, text in form.texts(name).items()
        if _text_means(field, text, normalized)
    ]
    if len(matches) == 1:
        return matches[0]
    shown = field.texts.get(normalized, normalized)
    detail = (
        f"offers no option {shown!r}"
        if not matches
        else f"offers several options {shown!r}"
    )
    raise FormMapError(
        page=form.where.page,
        field=field.label or name,
        flavor=form.where.flavor,
        detail=detail,
    )


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})\s*([ap])\.?m\.?$")


def time_of_text(text: str) -> str | None:
    """A normalized menu text such as "05:30 pm" as "17:30"; else None."""
    found = _CLOCK.match(text)
    if found is None:
        return None
    hours, minutes = int(found.group(1)), int(found.group(2))
    if not (1 <= hours <= 12 and minutes < 60):
        return None
    hours = hours % 12 + (12 if found.group(3) == "p" else 0)
    return f"{hours:02d}:{minutes:02d}"


def _text_means(field: FieldMap, text: str, normalized: str) -> bool:
    declared = field.texts.get(normalized)
    if declared is not None:
        return normalize_label(declared) == text
    if field.time_text:
        return time_of_text(text) == normalized
    if field.number_text is not None and normalized.isdigit():
        found = re.search(field.number_text, text, flags=re.IGNORECASE)
        return bool(found) and int(found.group(1)) == int(normalized)  # type: ignore[union-attr]
    return False
