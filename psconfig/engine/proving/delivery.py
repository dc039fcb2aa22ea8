"""Delivering a new password: staged in a private file, then handed over.

A ``Delivery`` is used in two steps around the change in PowerSchool: ``stage``
writes the password to a new file created with mode 0600 (``O_EXCL``) before
PowerSchool has it, so it cannot be lost; then ``deliver`` hands it over, or
``discard`` deletes the staging file when nothing changed.

- ``FileDelivery(out)`` stages beside ``out`` and delivers by renaming the staging
  file onto it (atomic, still 0600).
- ``CommandDelivery(argv, staging_dir=...)`` stages in ``staging_dir`` (the CLI
  gives the state home's ``rotate/``) and delivers by
  piping the password to the command's stdin (no shell), then deletes the staging
  file. What the command prints is captured, never echoed; its last stderr line
  reaches the error with the password redacted.

Errors are ``DeliveryError`` and never carry the password.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from psconfig.errors import PsconfigError

COMMAND_TIMEOUT = 300.0


class DeliveryError(PsconfigError):
    """The new password could not be staged or delivered."""


def write_private(directory: Path, prefix: str, secret: SecretStr) -> Path:
    """A new file in ``directory`` holding ``secret`` and a newline, mode 0600.

    Created with ``O_EXCL`` by ``tempfile.mkstemp`` and flushed to disk. A missing
    directory is created with mode 0700.
    """
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".new")
    except OSError as exc:
        raise DeliveryError(
            f"cannot create a file in {directory}: {exc.strerror}"
        ) from None
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(secret.get_secret_value() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise DeliveryError(f"cannot write {path}: {exc.strerror}") from None
    return path


class Delivery(Protocol):
    """Where the new password goes: ``stage`` first, then ``deliver`` or ``discard``."""

    @property
    def staging(self) -> Path | None:
        """The staging file while it exists."""
        ...

    def describe(self) -> str:
        """Where the password is delivered, for messages (no secret)."""
        ...

    def stage(self, password: SecretStr) -> None: ...

    def deliver(self) -> None: ...

    def discard(self) -> None: ...


class _Staged:
    def __init__(self, directory: Path, prefix: str) -> None:
        self.staging: Path | None = None
        self._directory, self._prefix = directory, prefix
        self._password: SecretStr | None = None

    def stage(self, password: SecretStr) -> None:
        self._password = password
        self.staging = write_private(self._directory, self._prefix, password)

    def discard(self) -> None:
        if self.staging is not None:
            # Our own fresh file in our own directory: unlinking it cannot
            # reasonably fail, and a failure must not mask the outcome.
            with contextlib.suppress(OSError):
                self.staging.unlink(missing_ok=True)
            self.staging = None


class FileDelivery(_Staged):
    """Deliver to ``out``: the staging file beside it is renamed onto it."""

    def __init__(self, out: Path) -> None:
        super().__init__(out.parent, f".{out.name}.")
        self.out = out

    def describe(self) -> str:
        return f"{self.out} (mode 0600)"

    def stage(self, password: SecretStr) -> None:
        if self.out.is_dir():
            raise DeliveryError(f"{self.out} is a directory, not a file to write")
        super().stage(password)

    def deliver(self) -> None:
        assert self.staging is not None, "stage() first"
        try:
            self.staging.replace(self.out)
        except OSError as exc:
            raise DeliveryError(f"cannot write {self.out}: {exc.strerror}") from None
        self.staging = None


class CommandDelivery(_Staged):
    """Deliver to a command's stdin (no shell); staged under ``staging_dir``."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        staging_dir: Path,
        timeout: float = COMMAND_TIMEOUT,
    ) -> None:
        if not argv:
            raise DeliveryError("the delivery command is empty")
        super().__init__(staging_dir, "password-")
        self.argv, self.timeout = list(argv), timeout

    def describe(self) -> str:
        return f"the command `{shlex.join(self.argv)}`"

    def deliver(self) -> None:
        assert self._password is not None, "stage() first"
        secret = self._password.get_secret_value()
        name = self.argv[0]
        try:
            done = subprocess.run(  # argv from the operator, never a shell
                self.argv,
                input=secret,
                text=True,
                capture_output=True,  # never echo what the command prints
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise DeliveryError(
                f"{name} did not finish in {self.timeout:g} s"
            ) from None
        except OSError as exc:
            raise DeliveryError(f"cannot run {name}: {exc.strerror}") from None
        if done.returncode != 0:
            said = _last_line(done.stderr, secret)
            raise DeliveryError(f"{name} exited with status {done.returncode}{said}")
        self.discard()


def _last_line(stderr: str, secret: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return ""
    return ": " + lines[-1].replace(secret, "(redacted)")[:200]
