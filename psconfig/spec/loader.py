"""YAML in and out: the only module that imports ruamel.

``parse_document`` turns the bytes of a spec file into a ``Document`` (plain data with
the position of every key and value) or raises ``SpecError`` with located problems.
It reads YAML 1.2 (so ``no``, ``on`` and ``05:00`` stay text) and refuses, with one
clear located error and in bounded time and memory, everything a configuration file
has no use for: files over 1 MiB, non-UTF-8 bytes, several documents, ``%YAML 1.1``
and ``%TAG`` directives, tags (``!!python/object``, ``!foo``), merge keys, keys that
are not text or whole numbers, duplicate keys, nesting deeper than 32 levels, more
than 16 aliases, and aliases that expand to more than 10 000 nodes.

``dump_yaml`` writes plain data back as block-style YAML (for ``import`` and
``validate --expand``).
"""

from __future__ import annotations

import codecs
import io
import re
import warnings
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.nodes import Node as YamlNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from psconfig.errors import Problem, SpecError
from psconfig.spec.document import START, Document, Mark, Node, RawPath

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_ALIASES = 16
MAX_ALIAS_NODES = 10_000

_TAG = "tag:yaml.org,2002:"
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")
# Strings a YAML 1.1 reader (PyYAML, many editors) would take for booleans or
# base-60 numbers; quoted on output so the files we write read the same everywhere.
_AMBIGUOUS = re.compile(
    r"^(?:y|n|yes|no|on|off|true|false|null|~|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+)$",
    re.IGNORECASE,
)


class _Abort(Exception):
    """Internal: stop reading at the first problem that makes the rest meaningless."""

    def __init__(self, where: Mark, message: str) -> None:
        super().__init__(message)
        self.where, self.message = where, message


def parse_document(raw: bytes, file: str) -> Document:
    """Parse one spec file's bytes; ``file`` is the name used in problems.

    Raises:
        SpecError: the file is not safe, well-formed YAML with a mapping at the top.

    """
    try:
        if len(raw) > MAX_BYTES:
            raise _Abort(START, "the file is larger than 1 MiB; a spec is a few KiB")
        text = _decode(raw)
        _prescan(text)
        root = _compose(text)
        builder = _Builder(file)
        data = builder.build(root)
    except _Abort as abort:
        where = abort.where
        raise SpecError([Problem(file, where.line, where.col, abort.message)]) from None
    if builder.problems:
        raise SpecError(builder.problems)
    return Document(file=file, data=data, nodes=builder.nodes)


def dump_yaml(data: Any) -> str:
    """Block-style YAML for plain data (dicts, lists, text, numbers, booleans, None)."""
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(_quote_ambiguous(data), out)
    return out.getvalue()


def _quote_ambiguous(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _quote_ambiguous(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_quote_ambiguous(item) for item in data]
    if isinstance(data, str) and _AMBIGUOUS.match(data):
        return DoubleQuotedScalarString(data)
    return data


def _mark(line0: int, col0: int) -> Mark:
    return Mark(line0 + 1, col0 + 1)


def _offset_mark(text: str, offset: int) -> Mark:
    before = text[:offset]
    return Mark(before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


def _decode(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8")
        byte = raw[exc.start]
        raise _Abort(
            _offset_mark(good, len(good)),
            f"the file is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8",
        ) from None


def _yaml_error(text: str, exc: YAMLError) -> _Abort:
    """One located line for a ruamel error."""
    if isinstance(exc, MarkedYAMLError) and exc.problem_mark is not None:
        where = _mark(exc.problem_mark.line, exc.problem_mark.column)
        message = f"YAML syntax error: {exc.problem}"
        if exc.context and exc.context_mark is not None:
            at = _mark(exc.context_mark.line, exc.context_mark.column)
            message += f" ({exc.context} at line {at.line}, column {at.col})"
        elif exc.context:
            message += f" ({exc.context})"
        return _Abort(where, message)
    if isinstance(exc, ReaderError):
        return _Abort(
            _offset_mark(text, exc.position),
            f"the file contains a control character (#x{exc.character:04x}) "
            "that YAML does not allow",
        )
    return _Abort(START, f"YAML error: {str(exc).splitlines()[0]}")


def _event_mark(event: Event) -> Mark:
    start = event.start_mark
    return START if start is None else _mark(start.line, start.column)


def _prescan(text: str) -> None:
    """Walk the parser's events (no recursion, no expansion) to refuse unsafe input."""
    documents = depth = aliases = 0
    anchors: set[str] = set()
    try:
        for event in YAML(typ="safe", pure=True).parse(text):
            where = _event_mark(event)
            if isinstance(event, DocumentStartEvent):
                documents += 1
                _check_document_start(event, documents, where)
            if isinstance(event, NodeEvent):
                _check_node_event(event, anchors, where)
            if isinstance(event, AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise _Abort(where, f"more than {MAX_ALIASES} aliases (*name)")
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _Abort(where, f"nested deeper than {MAX_DEPTH} levels")
            elif type(event).__name__ in ("MappingEndEvent", "SequenceEndEvent"):
                depth -= 1
    except YAMLError as exc:
        raise _yaml_error(text, exc) from None
    if documents == 0:
        raise _Abort(START, "the file is empty; a spec starts with `psconfig: 1`")


def _check_document_start(event: DocumentStartEvent, count: int, where: Mark) -> None:
    if count > 1:
        raise _Abort(where, "a spec file holds one YAML document; found a second")
    if event.version is not None and tuple(event.version) != (1, 2):
        raise _Abort(START, "only YAML 1.2 is supported; remove the %YAML directive")
    if event.tags:
        raise _Abort(START, "%TAG directives are not allowed in a spec")


def _check_node_event(event: NodeEvent, anchors: set[str], where: Mark) -> None:
    anchor = event.anchor
    if isinstance(event, AliasEvent):
        if anchor not in anchors:
            raise _Abort(where, f"alias *{anchor} refers to no anchor defined before")
        return
    if anchor is not None:
        if anchor in anchors:
            raise _Abort(where, f"anchor &{anchor} is defined twice")
        anchors.add(anchor)
    if isinstance(event, ScalarEvent | MappingStartEvent | SequenceStartEvent):
        tag = event.tag
        if tag is not None:
            raise _Abort(
                where, f"YAML tags ({_tag_text(tag)}) are not allowed in a spec"
            )


def _tag_text(tag: object) -> str:
    text = str(getattr(tag, "value", tag))
    return "!!" + text[len(_TAG) :] if text.startswith(_TAG) else text


def _compose(text: str) -> YamlNode:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            root = YAML(typ="safe", pure=True).compose(text)
    except YAMLError as exc:
        raise _yaml_error(text, exc) from None
    except Warning as exc:  # e.g. a reused anchor; refused rather than guessed
        raise _Abort(START, f"YAML error: {exc}") from None
    if root is None or (isinstance(root, ScalarNode) and _scalar(root) is None):
        raise _Abort(START, "the file is empty; a spec starts with `psconfig: 1`")
    if not isinstance(root, MappingNode):
        where = _mark(root.start_mark.line, root.start_mark.column)
        raise _Abort(where, "a spec is a YAML mapping (`key: value` lines) at the top")
    return root


class _Builder:
    """Converts composed nodes to plain data, recording every node's position."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.nodes: dict[RawPath, Node] = {}
        self.problems: list[Problem] = []
        self._seen: set[int] = set()
        self._alias_nodes = 0

    def build(self, root: YamlNode) -> dict[str | int, Any]:
        data = self._value(root, (), None, depth=0, aliased=False)
        assert isinstance(data, dict)  # _compose guarantees a mapping root
        return data

    def _value(
        self,
        node: YamlNode,
        path: RawPath,
        key: Mark | None,
        *,
        depth: int,
        aliased: bool,
    ) -> Any:
        where = _mark(node.start_mark.line, node.start_mark.column)
        if depth > MAX_DEPTH:
            raise _Abort(where, f"nested deeper than {MAX_DEPTH} levels")
        if not isinstance(node, ScalarNode):
            # The composer hands out one node object per anchor; meeting it again
            # means an alias is being expanded, which is what we bound.
            aliased = aliased or id(node) in self._seen
            self._seen.add(id(node))
        if aliased:
            self._alias_nodes += 1
            if self._alias_nodes > MAX_ALIAS_NODES:
                raise _Abort(where, f"aliases expand to over {MAX_ALIAS_NODES} nodes")
        if isinstance(node, MappingNode):
            self.nodes[path] = Node("mapping", where, key)
            return self._mapping(node, path, depth=depth, aliased=aliased)
        if isinstance(node, SequenceNode):
            self.nodes[path] = Node("sequence", where, key)
            return [
                self._value(item, (*path, i), None, depth=depth + 1, aliased=aliased)
                for i, item in enumerate(node.value)
            ]
        if isinstance(node, ScalarNode):
            self.nodes[path] = Node("scalar", where, key)
            return _scalar(node)
        raise _Abort(where, "unsupported YAML node")  # the composer makes no others

    def _mapping(
        self, node: MappingNode, path: RawPath, *, depth: int, aliased: bool
    ) -> dict[str | int, Any]:
        result: dict[str | int, Any] = {}
        first: dict[str, Mark] = {}
        for key_node, value_node in node.value:
            key_mark = _mark(key_node.start_mark.line, key_node.start_mark.column)
            key = self._key(key_node, key_mark)
            if key is None:
                continue
            if str(key) in first:
                line = first[str(key)].line
                self.problems.append(
                    self._problem(
                        key_mark,
                        f"duplicate key {key!r} (first written on line {line})",
                    )
                )
                continue
            first[str(key)] = key_mark
            child = (*path, str(key))
            result[key] = self._value(
                value_node, child, key_mark, depth=depth + 1, aliased=aliased
            )
        return result

    def _key(self, node: YamlNode, where: Mark) -> str | int | None:
        if isinstance(node, ScalarNode):
            tag = _tag_text(node.tag)
            if tag == "!!merge":
                self.problems.append(
                    self._problem(where, "merge keys (<<) are not supported in a spec")
                )
                return None
            value = _scalar(node)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return value
        self.problems.append(
            self._problem(where, "a key must be text or a whole number")
        )
        return None

    def _problem(self, where: Mark, message: str) -> Problem:
        return Problem(self.file, where.line, where.col, message)


def _scalar(node: ScalarNode) -> Any:
    """YAML 1.2 core-schema value of a plain scalar; anything unusual stays text."""
    tag, text = _tag_text(node.tag), str(node.value)
    if tag == "!!null":
        return None
    if tag == "!!bool":
        return text.lower() == "true"
    if tag == "!!int":
        # Digits with a leading zero are octal to YAML 1.1 and decimal to 1.2;
        # as text they keep every digit (a staff ID like 007 stays "007").
        return text if _LEADING_ZERO.match(text) else _int(text)
    if tag == "!!float":
        return _float(text)
    return text


def _int(text: str) -> int:
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if digits.lower().startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits)


def _float(text: str) -> float:
    lowered = text.replace("_", "").lower()
    if lowered.endswith((".inf", ".nan")):
        return float(lowered.replace(".", ""))
    return float(lowered)
