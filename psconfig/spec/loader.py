"""YAML in and out: the only module that imports ruamel.

``parse_document`` turns the bytes of a spec file into a ``Document`` (plain data with
the position of every key and value) or raises ``SpecError`` with located problems.
It reads YAML 1.2 (so ``no``, ``on`` and ``05:00`` stay text) in one pass over the
parser's events, never building ruamel's node graph, and refuses, with one clear
located error and in bounded time and memory, what a configuration file has no use
for: files over 1 MiB, non-UTF-8 bytes, several documents, ``%YAML 1.1`` and
``%TAG`` directives, tags (``!!python/object``, ``!foo``), merge keys, keys that are
not text or whole numbers, nesting deeper than 32 levels, more than 16 aliases,
aliases that expand to more than 10 000 nodes, recursive aliases, and more than
20 000 YAML values (a whole district's spec has a few hundred). Duplicate keys
are collected (every one is reported) rather than stopping the read.

``dump_yaml`` writes plain data back as block-style YAML (for ``import`` and
``validate --expand``).
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from psconfig.errors import Problem, SpecError
from psconfig.spec.document import START, Document, Mark, Node, RawPath
from psconfig.spec.scalars import convert

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_ALIASES = 16
MAX_ALIAS_NODES = 10_000
MAX_NODES = 20_000

_TAG = "tag:yaml.org,2002:"
# Strings a YAML 1.1 reader (PyYAML, many editors) would take for booleans or
# base-60 numbers; quoted on output so the files we write read the same everywhere.
_AMBIGUOUS = re.compile(
    r"^(?:y|n|yes|no|on|off|true|false|null|~|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+)$",
    re.IGNORECASE,
)
_EMPTY = "the file is empty; a spec starts with `psconfig: 1`"


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
    reader = _Reader(file)
    try:
        if len(raw) > MAX_BYTES:
            raise _Abort(START, "the file is larger than 1 MiB; a spec is a few KiB")
        data = reader.read(_decode(raw))
    except _Abort as abort:
        where = abort.where
        raise SpecError([Problem(file, where.line, where.col, abort.message)]) from None
    if reader.problems:
        raise SpecError(reader.problems)
    return Document(file=file, data=data, nodes=reader.nodes)


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
        raise _Abort(
            _offset_mark(good, len(good)),
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
            "save it as UTF-8",
        ) from None


def _yaml_error(text: str, exc: YAMLError) -> _Abort:
    """One located line for a ruamel error."""
    if isinstance(exc, MarkedYAMLError) and exc.problem_mark is not None:
        where = Mark(exc.problem_mark.line + 1, exc.problem_mark.column + 1)
        message = f"YAML syntax error: {exc.problem}"
        if exc.context and exc.context_mark is not None:
            line, col = exc.context_mark.line + 1, exc.context_mark.column + 1
            message += f" ({exc.context} at line {line}, column {col})"
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


def _mark(event: Event) -> Mark:
    start = event.start_mark
    return START if start is None else Mark(start.line + 1, start.column + 1)


def _tag_text(tag: object) -> str:
    text = str(getattr(tag, "value", tag))
    return "!!" + text[len(_TAG) :] if text.startswith(_TAG) else text


@dataclass
class _Frame:
    """An open mapping or sequence while its events arrive."""

    kind: Literal["mapping", "sequence"]
    value: dict[str | int, Any] | list[Any]
    path: RawPath
    anchor: str | None
    log_start: int
    key: str | int | None = None  # the key whose value comes next (mappings)
    key_mark: Mark | None = None
    first: dict[str, Mark] = field(default_factory=dict)  # key -> where written


@dataclass(frozen=True)
class _Anchor:
    value: Any
    entries: tuple[tuple[RawPath, Node], ...]  # positions, relative to the anchor

    @property
    def depth(self) -> int:
        """Collection levels the value adds where an alias puts it."""
        return max(
            (len(path) + 1 for path, node in self.entries if node.kind != "scalar"),
            default=0,
        )


class _Reader:
    """Builds plain data and the position of every node from the parser's events."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.nodes: dict[RawPath, Node] = {}
        self.problems: list[Problem] = []
        self._log: list[tuple[RawPath, Node]] = []
        self._stack: list[_Frame] = []
        self._anchors: dict[str, _Anchor] = {}
        self._open_anchors: set[str] = set()
        self._aliases = self._expanded = self._documents = self._nodes = 0
        # Swallowing refused keys' values: whole nodes still to skip at this
        # level, and the nesting depth inside a skipped collection.
        self._skip_nodes = self._skip_depth = 0
        self._root: Any = None
        self._resolver = VersionedResolver()

    def read(self, text: str) -> dict[str | int, Any]:
        try:
            for event in YAML(typ="safe", pure=True).parse(text):
                self._event(event)
        except YAMLError as exc:
            raise _yaml_error(text, exc) from None
        if self._documents == 0 or self._root is None:
            raise _Abort(START, _EMPTY)
        return self._root  # type: ignore[no-any-return]

    def _event(self, event: Event) -> None:
        where = _mark(event)
        self._check(event, where)
        if self._skipped(event):
            return
        if isinstance(event, ScalarEvent):
            self._scalar(event, where)
        elif isinstance(event, AliasEvent):
            self._alias(str(event.anchor), where)
        elif isinstance(event, CollectionStartEvent):
            self._open(event, where)
        elif isinstance(event, CollectionEndEvent):
            self._close()

    def _skipped(self, event: Event) -> bool:
        """True for an event inside a value that is being swallowed."""
        if self._skip_depth:
            if isinstance(event, CollectionStartEvent):
                self._skip_depth += 1
            elif isinstance(event, CollectionEndEvent):
                self._skip_depth -= 1
                self._skip_nodes -= self._skip_depth == 0
            return True
        if not self._skip_nodes:
            return False
        if isinstance(event, CollectionStartEvent):
            self._skip_depth = 1
        elif isinstance(event, ScalarEvent | AliasEvent):
            self._skip_nodes -= 1
        return True

    def _check(self, event: Event, where: Mark) -> None:
        """Refusals that hold wherever the event is, even inside skipped values."""
        if isinstance(event, DocumentStartEvent):
            self._documents += 1
            if self._documents > 1:
                raise _Abort(
                    where, "a spec file holds one YAML document; found a second"
                )
            if event.version is not None and tuple(event.version) != (1, 2):
                raise _Abort(
                    START, "only YAML 1.2 is supported; remove the %YAML directive"
                )
            if event.tags:
                raise _Abort(START, "%TAG directives are not allowed in a spec")
        if isinstance(event, NodeEvent) and not isinstance(event, AliasEvent):
            tag = getattr(event, "tag", None)
            if tag is not None:
                raise _Abort(
                    where, f"YAML tags ({_tag_text(tag)}) are not allowed in a spec"
                )
            anchor = event.anchor
            if anchor in self._anchors or anchor in self._open_anchors:
                raise _Abort(where, f"anchor &{anchor} is defined twice")
        if isinstance(event, NodeEvent):
            # Parsing and reporting cost grows with nodes, not bytes: stop early.
            self._nodes += 1
            if self._nodes > MAX_NODES:
                raise _Abort(
                    where, f"more than {MAX_NODES} YAML values; a spec is far smaller"
                )
        if isinstance(event, CollectionStartEvent) and len(self._stack) >= MAX_DEPTH:
            raise _Abort(where, f"nested deeper than {MAX_DEPTH} levels")

    def _scalar(self, event: ScalarEvent, where: Mark) -> None:
        tag = _tag_text(self._resolver.resolve(ScalarNode, event.value, event.implicit))
        frame = self._stack[-1] if self._stack else None
        if frame is not None and frame.kind == "mapping" and frame.key is None:
            self._key(frame, tag, str(event.value), where)
            return
        value = convert(tag, str(event.value))
        path, key_mark = self._place(value, where)
        self._record(path, Node("scalar", where, key_mark))
        if event.anchor is not None:
            self._anchors[event.anchor] = _Anchor(value, (((), Node("scalar", where)),))

    def _key(self, frame: _Frame, tag: str, text: str, where: Mark) -> None:
        value = convert(tag, text)
        if tag == "!!merge":
            self._refuse_value(where, "merge keys (<<) are not supported in a spec")
        elif not isinstance(value, str | int) or isinstance(value, bool):
            self._refuse_value(where, "a key must be text or a whole number")
        elif str(value) in frame.first:
            line = frame.first[str(value)].line
            message = f"duplicate key {value!r} (first written on line {line})"
            self._refuse_value(where, message)
        else:
            frame.first[str(value)] = where
            frame.key, frame.key_mark = value, where

    def _refuse_value(self, where: Mark, message: str) -> None:
        self.problems.append(Problem(self.file, where.line, where.col, message))
        self._skip_nodes = 1  # swallow the value that belongs to the refused key

    def _alias(self, name: str, where: Mark) -> None:
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            raise _Abort(where, f"more than {MAX_ALIASES} aliases (*name)")
        anchor = self._anchors.get(name)
        if anchor is None:
            if name in self._open_anchors:
                raise _Abort(
                    where, f"alias *{name} is inside its own anchor (recursive)"
                )
            raise _Abort(where, f"alias *{name} refers to no anchor defined before")
        self._expanded += len(anchor.entries)
        if self._expanded > MAX_ALIAS_NODES:
            raise _Abort(where, f"aliases expand to over {MAX_ALIAS_NODES} nodes")
        if len(self._stack) + anchor.depth > MAX_DEPTH:
            raise _Abort(where, f"nested deeper than {MAX_DEPTH} levels")
        frame = self._stack[-1] if self._stack else None
        if frame is not None and frame.kind == "mapping" and frame.key is None:
            self._refuse_value(where, "a key must be text or a whole number")
            return
        # The aliased value is shared, not copied: memory stays bounded.
        path, key_mark = self._place(anchor.value, where)
        for relative, node in anchor.entries:
            if not relative:
                node = Node(node.kind, node.value, key_mark)
            self._record((*path, *relative), node)

    def _open(self, event: Event, where: Mark) -> None:
        frame = self._stack[-1] if self._stack else None
        if frame is not None and frame.kind == "mapping" and frame.key is None:
            self.problems.append(
                Problem(
                    self.file,
                    where.line,
                    where.col,
                    "a key must be text or a whole number",
                )
            )
            # Swallow the refused key (this collection), then its value.
            self._skip_nodes, self._skip_depth = 2, 1
            return
        mapping = isinstance(event, MappingStartEvent)
        value: dict[str | int, Any] | list[Any] = {} if mapping else []
        path, key_mark = self._place(value, where)
        kind: Literal["mapping", "sequence"] = "mapping" if mapping else "sequence"
        anchor = getattr(event, "anchor", None)
        self._record(path, Node(kind, where, key_mark))
        self._stack.append(_Frame(kind, value, path, anchor, len(self._log) - 1))
        if anchor is not None:
            self._open_anchors.add(anchor)

    def _close(self) -> None:
        frame = self._stack.pop()
        if frame.anchor is not None:
            size = len(frame.path)
            entries = tuple((p[size:], n) for p, n in self._log[frame.log_start :])
            self._anchors[frame.anchor] = _Anchor(frame.value, entries)
            self._open_anchors.discard(frame.anchor)

    def _place(self, value: Any, where: Mark) -> tuple[RawPath, Mark | None]:
        """Put a finished or newly opened value into its parent; its path and key."""
        if not self._stack:
            if not isinstance(value, dict):
                if value is None:
                    raise _Abort(START, _EMPTY)
                message = "a spec is a YAML mapping (`key: value` lines) at the top"
                raise _Abort(where, message)
            self._root = value
            return (), None
        frame = self._stack[-1]
        if isinstance(frame.value, list):
            frame.value.append(value)
            return (*frame.path, len(frame.value) - 1), None
        key, key_mark = frame.key, frame.key_mark
        assert key is not None  # _key set it before any value arrives
        frame.value[key] = value
        frame.key = frame.key_mark = None
        return (*frame.path, str(key)), key_mark

    def _record(self, path: RawPath, node: Node) -> None:
        self.nodes[path] = node
        self._log.append((path, node))
