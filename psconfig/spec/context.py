"""What resolving one spec accumulates, shared by the group and staff resolvers.

Problems (located in the file), the name tables references resolve against, the
locator that maps the desired state back to the file, and the password source of
each staff member.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import SecretStr

from psconfig.errors import Problem
from psconfig.spec.document import Document, RawPath
from psconfig.spec.locate import Locator
from psconfig.spec.refs import Names
from psconfig.spec.secrets import SecretRef


@dataclass
class Context:
    """The state of one resolution; references that fail resolve to 0."""

    doc: Document
    problems: list[Problem] = field(default_factory=list)
    names: Names = field(default_factory=lambda: Names({}, {}))
    locator: Locator = field(default_factory=Locator)
    secrets: dict[str, SecretRef | SecretStr] = field(default_factory=dict)

    def error(
        self, path: RawPath, message: str, *, key: bool = False, severity: str = "error"
    ) -> None:
        """Record a problem at ``path`` (its key with ``key``)."""
        self.problems.append(
            self.doc.problem(path, message, key=key, severity=severity)
        )

    def group(self, ref: int | str, path: RawPath, *, key: bool = False) -> int:
        """The group number ``ref`` names; a problem at ``path`` if none."""
        try:
            return self.names.group(ref)
        except ValueError as exc:
            self.error(path, str(exc), key=key)
            return 0

    def school(self, ref: int | str, path: RawPath) -> int:
        """The school number ``ref`` names; a problem at ``path`` if none."""
        try:
            return self.names.school(ref)
        except ValueError as exc:
            self.error(path, str(exc))
            return 0

    def failed(self) -> bool:
        """True once any error (not a warning) was recorded."""
        return any(p.severity == "error" for p in self.problems)
