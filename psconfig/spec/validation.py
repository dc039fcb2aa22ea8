"""Shape validation: a ``Document`` against the ``Spec`` model, errors located.

Every pydantic error is mapped back to the YAML node its ``loc`` points at and
reworded as one short line that names the key (``server.url: ...``); unknown keys get
a "did you mean" from the keys the model allows there. Input values are never echoed
from pydantic (they may be secrets).
"""

from __future__ import annotations

import difflib
import types
import unicodedata
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from psconfig.errors import Problem, SpecError
from psconfig.spec.document import Document
from psconfig.spec.models import Spec

_PLAIN_MESSAGES = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "bool_type": "expected true or false",
    "list_type": "expected a list",
    "dict_type": "expected a mapping (key: value)",
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping (key: value)",
}
# Messages by key for values that fail a length or pattern check.
_PATTERN_MESSAGES = {
    "rule": "expected a rule id such as PS011",
    "reason": "a waiver needs a reason",
    "id": "a staff ID is ASCII digits (0-9)",
    "staff_id": "a staff ID is ASCII digits (0-9)",
}


def validate_spec(doc: Document) -> Spec:
    """The ``Spec`` model of ``doc``.

    Raises:
        SpecError: every shape problem of the file, each at its key or value.

    """
    problems = hidden_text_problems(doc)
    try:
        spec = Spec.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(_problem(doc, error) for error in exc.errors())
    else:
        if not problems:
            return spec
    raise SpecError(sorted(set(problems), key=lambda p: (p.line, p.col, p.message)))


_HIDDEN = {
    "Cc": "control character",
    "Cf": "format character",
    "Cs": "lone surrogate",
    "Zl": "line separator",
    "Zp": "paragraph separator",
}
"""Categories refused in spec text, with a name for code points that have none."""

# Multi-line prose is fine in a waiver's reason; nowhere else.
_PROSE: frozenset[str] = frozenset({"reason"})
_PROSE_ALLOWED = frozenset("\n\t")


def hidden_character(text: str, *, prose: bool = False) -> str | None:
    """The first control (Cc), format (Cf), surrogate or separator character.

    Returned as ``U+XXXX (NAME)``, or None when ``text`` has none.

    These characters make text read differently from what it is: a right-to-left
    override reorders what a reviewer sees, a zero-width space hides, a CR/LF or
    NUL cuts a line or a header. ``prose`` allows newlines and tabs.
    """
    for char in text:
        if prose and char in _PROSE_ALLOWED:
            continue
        category = unicodedata.category(char)
        if category in _HIDDEN:
            name = unicodedata.name(char, _HIDDEN[category])
            return f"U+{ord(char):04X} ({name})"
    return None


def hidden_text_problems(doc: Document) -> list[Problem]:
    """A problem at every key or text value holding a control or format character."""
    problems: list[Problem] = []

    def visit(value: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                where = (*path, key)
                found = hidden_character(key) if isinstance(key, str) else None
                if found is not None:
                    message = f"{_label(doc, path, keep_last=False) or 'key'}: a key"
                    problems.append(
                        doc.problem(where, message + _refusal(found), key=True)
                    )
                visit(item, where)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(item, (*path, index))
        elif isinstance(value, str):
            prose = bool(path) and path[-1] in _PROSE
            found = hidden_character(value, prose=prose)
            if found is not None:
                label = _label(doc, path, keep_last=False)
                message = f"{label}: " if label else ""
                problems.append(
                    doc.problem(path, message + "the text" + _refusal(found))
                )

    visit(doc.data, ())
    return problems


def _refusal(found: str) -> str:
    return (
        f" holds {found}, an invisible control or format character that would "
        "make it read differently from what it is; remove it"
    )


def _problem(doc: Document, error: ErrorDetails) -> Problem:
    loc = error["loc"]
    kind = error["type"]
    at_key = kind in ("extra_forbidden", "missing") or "[key]" in loc
    label = _label(doc, loc, keep_last=kind in ("extra_forbidden", "missing"))
    message = _message(error)
    return doc.problem(loc, f"{label}: {message}" if label else message, key=at_key)


def _message(error: ErrorDetails) -> str:
    kind, loc, ctx = error["type"], error["loc"], error.get("ctx") or {}
    last = next((part for part in reversed(loc) if isinstance(part, str)), "")
    if kind == "missing":
        return "missing required key"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind in _PLAIN_MESSAGES:
        return _PLAIN_MESSAGES[kind]
    if kind == "literal_error":
        return f"expected {ctx.get('expected', 'one of the allowed values')}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind == "string_too_short":
        return _PATTERN_MESSAGES.get(str(last), "must not be empty")
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        return _PATTERN_MESSAGES.get(str(last), "is not in the expected format")
    message = error["msg"].removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _label(doc: Document, loc: Sequence[object], *, keep_last: bool) -> str:
    """Dotted path of the keys ``loc`` names in the file (union tags dropped)."""
    written = doc.written_path(loc)
    parts: list[object] = list(written)
    if keep_last and loc and (not written or loc[-1] != written[-1]):
        parts.append(loc[-1])
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).replace("_", "").replace("-", "").isalnum():
            text += f".{part}" if text else str(part)
        else:
            text += f"[{part!r}]"
    return text


def _unknown_key(loc: Sequence[object]) -> str:
    key = str(loc[-1])
    allowed = _allowed_keys(loc[:-1])
    if not allowed:
        return "unknown key"
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return "unknown key; expected one of: " + ", ".join(allowed)


def _allowed_keys(loc: Sequence[object]) -> list[str]:
    """The keys the model accepts at ``loc`` (empty when it cannot tell)."""
    current: Any = Spec
    for part in loc:
        step = _descend(current, part)
        if step is not None:
            current = step
    model = _first_model(current)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _descend(annotation: Any, part: object) -> Any:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _descend(get_args(annotation)[0], part)
    if origin in (Union, types.UnionType):
        for member in get_args(annotation):
            found = _descend(member, part)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return None
    if origin is list and isinstance(part, int):
        return get_args(annotation)[0]
    if origin is dict and part != "[key]":
        return get_args(annotation)[1]
    return None


def _first_model(annotation: Any) -> type[BaseModel] | None:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _first_model(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        for member in get_args(annotation):
            found = _first_model(member)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None
