"""Loading spec files: the public entry points of ``psconfig.spec``.

``load_spec`` runs the whole pipeline on one file: read (bounded), parse with
positions, validate the shape (and go on with what is valid, see ``salvage``),
check the server, expand the preset, resolve references, check policy and
waivers. Every problem of the file is collected and reported at once; errors
raise ``SpecError``, warnings and waived findings stay on the returned
``LoadedSpec``. Secrets are not touched until asked for.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from psconfig.errors import Problem, SecretError, SpecError
from psconfig.model import Desired
from psconfig.spec import policy, waivers
from psconfig.spec.document import Document, RawPath
from psconfig.spec.loader import MAX_BYTES, parse_document
from psconfig.spec.models import Spec
from psconfig.spec.resolve import Resolved, resolve
from psconfig.spec.salvage import Salvaged, outside, salvage
from psconfig.spec.secrets import (
    SecretRef,
    file_kind,
    read_regular,
    resolve_secret,
)
from psconfig.spec.server import (
    SIM_PASSWORD,
    ServerTarget,
    server_problems,
    server_target,
)

_SEVERITY_ORDER = {"error": 0, "warning": 1, "notice": 2}


@dataclass(frozen=True)
class LoadedSpec:
    """A spec file that loaded without errors.

    ``warnings`` holds its warnings and waived findings (severity ``notice``),
    already located. ``model`` (the validated spec as written) and ``resolved``
    (the preset applied, references resolved) are for tools such as
    ``validate --expand``.
    """

    path: Path
    name: str
    digest: str
    server: ServerTarget
    warnings: tuple[Problem, ...]
    model: Spec = field(repr=False)
    resolved: Resolved = field(repr=False)
    document: Document = field(repr=False)

    def desired(self, *, resolve_secrets: bool) -> Desired:
        """The normalized desired state (numbers everywhere).

        ``password_refs`` is always filled; ``passwords`` only with
        ``resolve_secrets``, which reads the referenced environment variables and
        files.

        Raises:
            SecretError: a reference cannot be resolved; names every such
                reference and its position, never a value.

        """
        desired = self.resolved.desired
        if not resolve_secrets:
            return desired
        passwords: dict[str, SecretStr] = {}
        problems: list[Problem] = []
        for sid, source in sorted(self.resolved.secrets.items()):
            path = self.resolved.locator.path(
                ("staff", sid, "admin_access", "password")
            )
            try:
                passwords[sid] = self._secret(source, path)
            except SecretError as exc:
                problems.extend(exc.problems)
        if problems:
            raise SecretError(problems)
        return desired.model_copy(update={"passwords": passwords})

    def credentials(self) -> tuple[str, SecretStr]:
        """The username and password psconfig signs in with.

        For ``sim://`` servers missing values default to the simulator's demo
        administrator (``admin`` / ``psconfig-demo``).

        Raises:
            SecretError: a reference cannot be resolved.

        """
        server = self.server
        username = server.username
        if isinstance(username, SecretRef):
            username = self._secret(username, ("server", "username")).get_secret_value()
        password = server.password
        if password is None:
            return username, SecretStr(SIM_PASSWORD)
        return username, self._secret(password, ("server", "password"))

    def api_credentials(self) -> tuple[SecretStr, SecretStr]:
        """The resolved client ID and secret of ``server.api`` (``drift --via api``).

        Raises:
            SecretError: no ``server.api``, a literal secret, or a reference that
                cannot be resolved (named with its position, never a value).

        """
        api = self.model.server.api
        where = ("server", "api")
        if api is None:
            problem = self.document.problem(
                ("server",), "drift --via api needs server.api"
            )
            raise SecretError([problem])
        secret = api.client_secret
        if not isinstance(secret, SecretRef):
            message = "server.api.client_secret must be a reference (${env:NAME})"
            raise SecretError(
                [self.document.problem((*where, "client_secret"), message)]
            )
        client_id = api.client_id
        if isinstance(client_id, SecretRef):
            id_value = self._secret(client_id, (*where, "client_id"))
        else:
            id_value = SecretStr(client_id)
        return id_value, self._secret(secret, (*where, "client_secret"))

    def _secret(self, source: SecretRef | SecretStr, path: RawPath) -> SecretStr:
        if isinstance(source, SecretStr):
            return source
        env: Mapping[str, str] = os.environ
        return resolve_secret(
            source,
            base_dir=self.path.parent,
            env=env,
            where=lambda message: self.document.problem(path, message),
        )


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """The spec files named by ``paths``.

    Files are taken as given; a directory contributes its ``*.yaml`` files,
    recursively, sorted, skipping hidden files and directories. ``*.yml`` files in a
    directory are not specs by convention (GitHub workflows and other tools' YAML
    live beside specs as ``.yml``); name such a spec file explicitly. Duplicates
    are dropped, keeping the first.

    Raises:
        SpecError: a path does not exist, or a directory holds no spec files.

    """
    found: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files, odd = _spec_files(path)
            problems.extend(odd)
            if not files and not odd:
                problems.append(_file_problem(path, "no *.yaml files here"))
            found.extend(files)
        elif path.is_file():
            found.append(path)
        elif path.exists():
            problems.append(_not_regular(path))
        else:
            problems.append(_file_problem(path, "no such file or directory"))
    if problems:
        raise SpecError(problems)
    return list(dict.fromkeys(found))


def load_spec(path: Path) -> LoadedSpec:
    """Load, validate and resolve one spec file.

    Raises:
        SpecError: the file has at least one error; holds every problem of the
            file (errors first, then warnings and waived findings), each located.

    """
    raw = _read(path)
    salvaged, model, doc, resolved, more = _shaped(parse_document(raw, str(path)))
    problems = server_problems(model.server, doc)
    problems.extend(more)
    if resolved is not None:
        preset = model.preset.clever_dde_sync if model.preset else None
        context = policy.Context(
            desired=resolved.desired,
            is_sim=model.server.url.startswith("sim://"),
            literal_passwords=frozenset(
                sid for sid, s in resolved.secrets.items() if isinstance(s, SecretStr)
            ),
            preset_staff=preset.staff_id if preset else None,
        )
        findings = policy.check(context)
        problems.extend(
            waivers.report(findings, model.policy.waive, doc, resolved.locator)
        )
    problems = sort_problems([*salvaged.problems, *outside(problems, salvaged.shadow)])
    if resolved is None or any(p.severity == "error" for p in problems):
        raise SpecError(problems)
    return LoadedSpec(
        path=path,
        name=model.name,
        digest="sha256:" + hashlib.sha256(raw).hexdigest(),
        server=server_target(model.server),
        warnings=tuple(problems),
        model=model,
        resolved=resolved,
        document=doc,
    )


def _shaped(
    parsed: Document,
) -> tuple[Salvaged, Spec, Document, Resolved | None, list[Problem]]:
    """The valid part of ``parsed``, resolved, and the problems of resolving it.

    Raises:
        SpecError: nothing of the file can be checked beyond its shape.

    """
    for whole in (False, True):
        # Second round: only the items with shape errors failed to resolve, so
        # leave them out whole and check the rest.
        salvaged = salvage(parsed, whole=whole)
        model, doc = salvaged.model, salvaged.document
        if model is None or doc is None:
            raise SpecError(sort_problems(salvaged.problems))
        resolved, more = resolve(model, doc)
        retry = resolved is None and salvaged.problems
        if whole or not retry or outside(more, salvaged.shadow):
            return salvaged, model, doc, resolved, more
    raise AssertionError("unreachable: the second round returns")


def sort_problems(problems: Sequence[Problem]) -> list[Problem]:
    """Errors first, then warnings, then notices; each by position; no repeats."""
    return sorted(
        set(problems),
        key=lambda p: (_SEVERITY_ORDER.get(p.severity, 3), p.line, p.col, p.message),
    )


def _spec_files(directory: Path) -> tuple[list[Path], list[Problem]]:
    """The ``*.yaml`` files under ``directory``, and a problem per one that is odd.

    A ``*.yaml`` entry that is not a regular file (a FIFO, a socket, a device, a
    dangling link) is reported rather than skipped: the operator meant it as a spec.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for candidate in sorted(directory.rglob("*.yaml")):
        if _hidden(candidate.relative_to(directory)) or candidate.is_dir():
            continue
        if candidate.is_file():
            files.append(candidate)
        else:
            problems.append(_not_regular(candidate))
    return files, problems


def _not_regular(path: Path) -> Problem:
    try:
        kind = file_kind(path.stat().st_mode) or "a regular file"
    except OSError as exc:
        return _file_problem(path, f"cannot read the file: {exc.strerror}")
    return _file_problem(path, f"{kind}, not a regular file: a spec is a file")


def _read(path: Path) -> bytes:
    try:
        return read_regular(path, MAX_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SpecError(
            [_file_problem(path, f"cannot read the file: {reason}")]
        ) from None


def _file_problem(path: Path, message: str) -> Problem:
    return Problem(str(path), 1, 1, message)


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)
