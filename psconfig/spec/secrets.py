"""Secret references: ``${env:NAME}`` and ``${file:PATH}``, resolved late.

A spec never holds a password, only where to find one. ``${env:NAME}`` reads the
environment variable NAME; ``${file:PATH}`` reads a file and drops one trailing
newline. An absolute PATH is read as written (``/run/secrets/...``), ``~`` is the
user's home, and any other PATH is relative to the spec file's directory, ``..``
included: the path is not confined, since whoever edits the spec chooses it anyway.
Values are resolved only when a command really needs them (signing in, setting a
password) and are held as ``SecretStr``. Error messages name the reference, never a
value.

A literal string where a secret belongs is kept as ``SecretStr`` too, so it cannot
leak through a repr; policy decides whether a literal is acceptable (only for
``sim://`` servers).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import PlainSerializer, PlainValidator, SecretStr, WithJsonSchema

from psconfig.errors import Problem, SecretError

MAX_SECRET_FILE_BYTES = 64 * 1024
_REF = re.compile(r"^\$\{(?P<kind>env|file):(?P<target>[^{}]*)\}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class SecretRef:
    """Where a secret comes from; ``str()`` gives the reference as written."""

    kind: Literal["env", "file"]
    target: str

    def __str__(self) -> str:
        return f"${{{self.kind}:{self.target}}}"


def parse_secret(value: object) -> SecretRef | SecretStr:
    """A reference, or a literal kept as ``SecretStr``.

    Raises:
        ValueError: not text, empty, or a malformed ``${...}`` reference.

    """
    if isinstance(value, SecretRef | SecretStr):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a secret reference: ${env:NAME} or ${file:PATH}")
    ref = parse_ref(value)
    if ref is not None:
        return ref
    if not value:
        raise ValueError("a password cannot be empty")
    return SecretStr(value)


def parse_ref(text: str) -> SecretRef | None:
    """The reference ``text`` spells, None for plain text.

    Raises:
        ValueError: ``text`` starts like a reference but is not a valid one.

    """
    match = _REF.match(text)
    if match is None:
        if text.startswith("${"):
            raise ValueError(
                "malformed secret reference; expected ${env:NAME} or ${file:PATH}"
            )
        return None
    kind, target = match["kind"], match["target"]
    if kind == "env" and not _ENV_NAME.match(target):
        raise ValueError(
            "${env:NAME} needs a variable name of letters, digits and underscores"
        )
    if kind == "file" and not target.strip():
        raise ValueError("${file:PATH} needs a path")
    return SecretRef("env" if kind == "env" else "file", target)


def parse_username(value: object) -> str | SecretRef:
    """A literal username, or a reference to one.

    Raises:
        ValueError: not text, or empty, or a malformed reference.

    """
    if isinstance(value, SecretRef):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a username or a reference such as ${env:NAME}")
    ref = parse_ref(value)
    return value if ref is None else ref


def show_secret(value: SecretRef | SecretStr) -> str:
    """What output may show for a secret: the reference, or a redaction marker."""
    return str(value) if isinstance(value, SecretRef) else "<literal hidden>"


def resolve_secret(
    ref: SecretRef,
    *,
    base_dir: Path,
    env: Mapping[str, str],
    where: Callable[[str], Problem],
) -> SecretStr:
    """The value ``ref`` points at.

    ``where`` turns a message into a located ``Problem`` for the error.

    Raises:
        SecretError: unset or empty variable, unreadable, oversized, non-UTF-8 or
            empty file. The message names the reference, never a value.

    """
    if ref.kind == "env":
        value = env.get(ref.target)
        if value is None:
            raise SecretError([where(f"{ref}: environment variable is not set")])
    else:
        value = _read_secret_file(ref, base_dir, where)
    if not value:
        raise SecretError([where(f"{ref}: the secret is empty")])
    return SecretStr(value)


def resolve_reference(
    text: str,
    base_dir: Path,
    *,
    name: str = "the secret",
    env: Mapping[str, str] | None = None,
) -> SecretStr:
    """The secret a reference given outside a spec (a command-line value) points at.

    ``text`` must be a ``${env:NAME}`` or ``${file:PATH}`` reference (PATH relative
    to ``base_dir``); ``env`` defaults to the process environment. ``name`` says
    where the text came from (a flag such as ``--sync-password``).

    Raises:
        SecretError: ``text`` is a literal (never accepted here: it would sit in
            shell history and process lists), a malformed reference, or one that
            cannot be resolved. Its one problem is located at ``name`` (line and
            column 0: the value has no position) and its message is one line that
            names ``name`` and the reference, never a value.

    """

    def where(message: str) -> Problem:
        return Problem(name, 0, 0, message)

    try:
        ref = parse_ref(text)
    except ValueError as exc:
        raise SecretError([where(f"{name}: {exc}")]) from None
    if ref is None:
        raise SecretError(
            [
                where(
                    f"{name} takes a reference such as ${{env:NAME}} or "
                    "${file:PATH}, never the password itself"
                )
            ]
        )
    return resolve_secret(
        ref,
        base_dir=base_dir,
        env=os.environ if env is None else env,
        where=lambda message: where(f"{name}: {message}"),
    )


def _read_secret_file(
    ref: SecretRef, base_dir: Path, where: Callable[[str], Problem]
) -> str:
    # Joining an absolute (or ~-expanded) path to base_dir yields that path alone.
    path = base_dir / Path(ref.target).expanduser()
    try:
        kind = file_kind(path.stat().st_mode)
        if kind is not None:
            raise SecretError([where(f"{ref}: {path} is {kind}, not a regular file")])
        raw = read_regular(path, MAX_SECRET_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SecretError([where(f"{ref}: cannot read {path}: {reason}")]) from None
    if len(raw) > MAX_SECRET_FILE_BYTES:
        raise SecretError([where(f"{ref}: the file is larger than 64 KiB")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretError([where(f"{ref}: the file is not UTF-8 text")]) from None
    return text.removesuffix("\n").removesuffix("\r")


def file_kind(mode: int) -> str | None:
    """None for a regular file, else what it is ("a FIFO", "a directory", ...).

    Reading a FIFO, a socket or a terminal device blocks until someone writes;
    a directory cannot be read. Only regular files hold a secret (or a spec).
    """
    kinds = (
        (stat.S_ISREG, None),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    for test, kind in kinds:
        if test(mode):
            return kind
    return "not a regular file"


def read_regular(path: Path, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``path``, which must still be a regular file.

    Opened without blocking and checked again on the open descriptor, so a FIFO
    put in the file's place after ``stat`` cannot hang the read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")  # swapped after the check
        return handle.read(limit)


_SECRET_SCHEMA = {
    "type": "string",
    "pattern": r"^\$\{(env:[A-Za-z_][A-Za-z0-9_]*|file:[^{}]+)\}$",
    "description": "A secret reference: ${env:NAME} reads an environment variable, "
    "${file:PATH} a file (an absolute path as written, ~ expanded, anything else "
    "relative to the spec's directory; one trailing newline dropped). "
    "A literal is accepted only for sim:// servers.",
    "examples": ["${env:CLEVER_SYNC_PASSWORD}", "${file:secrets/clever-sync}"],
}

SecretValue = Annotated[
    SecretRef | SecretStr,
    PlainValidator(parse_secret),
    PlainSerializer(show_secret, return_type=str),
    WithJsonSchema(_SECRET_SCHEMA),
]
"""A password field: a reference, or (sim:// only, by policy) a hidden literal."""

UsernameValue = Annotated[
    str | SecretRef,
    PlainValidator(parse_username),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "description": "A username, or a reference such as ${env:PS_ADMIN_USER}.",
        }
    ),
]
"""A username field: literal text or a reference."""
