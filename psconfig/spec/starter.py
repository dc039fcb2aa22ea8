"""A commented starter spec for one district, from the clever-dde-sync preset.

``psconfig init`` asks (or takes as flags) what differs between districts: the
spec's name, the server, the export group's number, the sync account's username,
the addresses the sync service connects from, and where the secrets come from.
``Answers`` checks each with the spec format's own rules, so a mistake is named by
its answer before anything is written; ``starter_spec`` writes the YAML, every
value quoted as a JSON string (valid YAML) so no answer can change its structure.

``found_on_server`` reads answers off a live server's state (``init --from-server``,
which reads what ``psconfig import`` reads): the export group is the one with Full
on both DDE pages, the sync account the admin account whose default group it is. A
server already set up by hand then gets a spec that plans few or no changes.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field, ValidationError

from psconfig.model import DDE_PAGES, Frozen, State
from psconfig.spec.formats import (
    GroupNumber,
    IpEntry,
    ServerUrl,
    SpecName,
    StaffId,
    Username,
)

SecretSource = Literal["env", "file"]

_REFERENCES: dict[SecretSource, dict[str, str]] = {
    "env": {
        "admin_user": "${env:PS_ADMIN_USER}",
        "admin_password": "${env:PS_ADMIN_PASSWORD}",
        "sync_password": "${env:CLEVER_SYNC_PASSWORD}",
    },
    "file": {
        "admin_user": "${file:secrets/ps-admin-user}",
        "admin_password": "${file:secrets/ps-admin-password}",
        "sync_password": "${file:secrets/clever-sync-password}",
    },
}
_WHERE: dict[SecretSource, tuple[str, str]] = {
    "env": (
        "environment variables (in GitHub Actions, secrets passed to the job's",
        "env:). The spec holds these references, never a value.",
    ),
    "file": (
        "files under secrets/ beside this spec, one value each (keep them out of",
        "git). The spec holds these references, never a value.",
    ),
}


class Answers(Frozen):
    """What a district fills in; each field checked as the spec format checks it."""

    name: SpecName
    server: ServerUrl
    group_number: GroupNumber = 12
    staff_id: StaffId = "99999"
    username: Username = "cleversync"
    allowed_ips: tuple[IpEntry, ...] = Field(default=())
    secrets: SecretSource = "env"

    @property
    def is_sim(self) -> bool:
        """True for a ``sim://`` server (the simulator signs in by itself)."""
        return self.server.startswith("sim://")

    def references(self) -> dict[str, str]:
        """The secret references the spec uses (never a secret)."""
        return references(self.secrets)


def references(source: SecretSource) -> dict[str, str]:
    """The references of a spec whose secrets come from ``source``.

    Keys: ``admin_user``, ``admin_password`` and ``sync_password``.
    """
    return dict(_REFERENCES[source])


def check_answers(values: dict[str, object]) -> Answers:
    """``Answers`` from raw values.

    Raises:
        ValueError: one line per wrong answer, ``FIELD: why``.

    """
    try:
        return Answers.model_validate(values)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "answer"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{field}: {message}")
        raise ValueError("\n".join(lines)) from None


def found_on_server(
    state: State, dde_pages: tuple[str, ...] = DDE_PAGES
) -> dict[str, object]:
    """The answers a live server's state implies; empty when it has no setup yet."""
    full = [
        number
        for number in sorted(state.groups)
        if all(
            state.page_permissions.get(page, {}).get(number) == "full"
            for page in dde_pages
        )
    ]
    if not full:
        return {}
    group = full[0]
    found: dict[str, object] = {"group_number": group}
    accounts = [
        s
        for _, s in sorted(state.staff.items())
        if s.admin_access.enabled and s.admin_access.default_group == group
    ]
    if accounts:
        sync = accounts[0]
        found["staff_id"] = sync.id
        found["username"] = sync.admin_access.username
        found["allowed_ips"] = list(sync.admin_access.allowed_ips)
    return found


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def starter_spec(answers: Answers) -> str:
    """The starter spec's text (see the module docstring)."""
    refs = answers.references()
    lines = [
        f"# psconfig spec for {answers.name}: the Clever DDE sync setup, from the",
        "# clever-dde-sync preset (Clever's guide \"Clever School Signup: "
        'PowerSchool").',
        "# Written by `psconfig init`; edit freely. `psconfig validate --expand FILE`",
        "# shows everything the preset sets.",
        "psconfig: 1",
        f"name: {_q(answers.name)}",
        "server:",
        f"  url: {_q(answers.server)}",
    ]
    if answers.is_sim:
        lines.append("  # sim:// signs in as the simulator's demo administrator.")
    else:
        lines += [
            "  # The PowerSchool administrator psconfig signs in as, read from",
            *(f"  # {line}" for line in _WHERE[answers.secrets]),
            f"  username: {_q(refs['admin_user'])}",
            f"  password: {_q(refs['admin_password'])}",
        ]
    lines += [
        "",
        "preset:",
        "  clever-dde-sync:",
        '    # guide 2: an unused security group, renamed "Read-Only Export".',
        f"    group_number: {answers.group_number}",
        "    # guide 4: the sync account (its staff ID), its admin username and its",
        "    # password.",
        f"    staff_id: {_q(answers.staff_id)}",
        f"    username: {_q(answers.username)}",
        f"    password: {_q(refs['sync_password'])}",
        *_allowed_ips(answers.allowed_ips),
    ]
    return "\n".join(lines) + "\n"


def _allowed_ips(ips: tuple[str, ...]) -> list[str]:
    head = "    # guide 4.D: the only addresses the sync account may sign in from."
    if not ips:
        return [
            head,
            "    # None given yet: list the addresses Clever publishes for your",
            "    # district (validate warns while any address may sign in).",
            "    allowed_ips: []",
        ]
    return [head, "    allowed_ips:", *(f"      - {_q(ip)}" for ip in ips)]
