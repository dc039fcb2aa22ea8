"""Snapshots: the live state a run read, saved so a later plan needs no PowerSchool.

``psconfig drift --snapshot-out`` (or ``plan --snapshot-out``) records every read
its driver made (``RecordingDriver``), adds one broad read (every group, every
admin-enabled account, the spec's pages) so that a plan of a changed spec still
finds what it reads, and saves the result as a ``Snapshot``. ``psconfig plan
--live SNAPSHOT`` then plans through a ``SnapshotDriver``: no credentials, no
secret references resolved, no network.

The document (``format_version`` major.minor, as plans)::

    {format, format_version, psconfig_version, read_at, spec_name,
     target {url, powerschool_version, flavor, username},
     reads [{groups, pages, staff_ids}], state {...}, content_hash}

``reads`` are the scopes read (``null`` means every group / every admin-enabled
account), so a snapshot answers exactly what was read and refuses the rest.
``content_hash`` is the sha256 of the canonical JSON of everything else: it
catches an edited or damaged file. It is not a signature: whoever can write the
file can recompute it, so keep snapshots where pull requests cannot write.

No secret is ever in a snapshot: ``State`` has no password field (PowerSchool
cannot show one), and the target records the admin username only.

A plan made from a snapshot carries ``source`` (kind ``snapshot``, read time, age)
and a note saying so, and its live fingerprint is prefixed ``snapshot:`` so that it
can never pass ``apply``'s stale check even with ``source`` removed from the file.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from pydantic import ValidationError

from psconfig import __version__
from psconfig.drivers.base import Driver
from psconfig.engine.applying.audit import iso
from psconfig.engine.applying.plan_and_apply import ReportsNotes, S, plan_spec
from psconfig.engine.fleet.runner import FleetOptions, FleetResult, Result, run_fleet
from psconfig.engine.fleet.shard import Shard
from psconfig.engine.planning.plan import LiveSource, Mode, Plan, canonical_json
from psconfig.errors import PsconfigError, RefusedError
from psconfig.model import Flavor, Frozen, Op, Scope, ServerInfo, State

FORMAT = "psconfig-snapshot"
FORMAT_VERSION = "1.0"
DEFAULT_WARN_AGE = timedelta(hours=36)
FUTURE_SLACK = timedelta(minutes=5)
"""How far in the future a read time may be (clock skew between runners)."""
OFFLINE_PREFIX = "snapshot:"


class SnapshotError(PsconfigError):
    """A snapshot cannot be used: unreadable, edited, or for another server."""


class StaleSnapshotError(RefusedError):
    """A snapshot is older than ``--max-age`` (exit 3, like a stale plan)."""


class SnapshotTarget(Frozen):
    """The PowerSchool a snapshot was read from."""

    url: str
    powerschool_version: str
    flavor: Flavor
    username: str


class ReadScope(Frozen):
    """One read the snapshot holds; ``None`` is every group / admin-enabled account."""

    groups: tuple[int, ...] | None
    pages: tuple[str, ...]
    staff_ids: tuple[str, ...] | None

    @classmethod
    def of(cls, scope: Scope) -> ReadScope:
        """``scope`` with sorted members, so equal reads give equal JSON."""
        groups = None if scope.groups is None else tuple(sorted(scope.groups))
        staff = None if scope.staff_ids is None else tuple(sorted(scope.staff_ids))
        return cls(groups=groups, pages=tuple(sorted(scope.pages)), staff_ids=staff)


class Snapshot(Frozen):
    """A saved live state; see the module docstring for the format."""

    format: Literal["psconfig-snapshot"] = "psconfig-snapshot"
    format_version: str = FORMAT_VERSION
    psconfig_version: str
    read_at: str
    spec_name: str
    target: SnapshotTarget
    reads: tuple[ReadScope, ...]
    state: State
    content_hash: str = ""

    def body_hash(self) -> str:
        """sha256 of the canonical JSON of everything but ``content_hash``."""
        data = self.model_dump(mode="json", exclude={"content_hash"})
        digest = hashlib.sha256(canonical_json(data).encode()).hexdigest()
        return f"sha256:{digest}"

    def sealed(self) -> Snapshot:
        """The snapshot with its ``content_hash`` set."""
        return self.model_copy(update={"content_hash": self.body_hash()})

    def read_time(self) -> datetime:
        """``read_at`` as an aware datetime; ``ValueError`` without a UTC offset."""
        moment = datetime.fromisoformat(self.read_at.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError("read_at has no time zone")
        return moment


def snapshot_to_json(snapshot: Snapshot) -> str:
    """The snapshot file's text, newline-terminated."""
    return json.dumps(snapshot.model_dump(mode="json"), indent=2) + "\n"


def snapshot_from_json(text: str, *, source: str) -> Snapshot:
    """Load and check a snapshot; ``SnapshotError`` naming ``source`` otherwise."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"{source}:{exc.lineno}:{exc.colno}: not a JSON snapshot: {exc.msg}"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError(f"{source}: not a psconfig snapshot (no format {FORMAT})")
    version = data.get("format_version")
    major = FORMAT_VERSION.split(".")[0]
    if not isinstance(version, str) or version.split(".")[0] != major:
        raise SnapshotError(
            f"{source}: snapshot format_version {version!r} is not supported "
            f"(this psconfig reads {major}.x); take a new snapshot"
        )
    try:
        snapshot = Snapshot.model_validate(data)
        snapshot.read_time()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(step) for step in first["loc"])
        raise SnapshotError(
            f"{source}: invalid snapshot at {where}: {first['msg']}"
        ) from None
    except ValueError:
        raise SnapshotError(
            f"{source}: invalid snapshot read_at {data.get('read_at')!r} (expected "
            "a UTC time such as 2026-03-02T02:00:00Z)"
        ) from None
    if snapshot.content_hash != snapshot.body_hash():
        raise SnapshotError(
            f"{source}: the snapshot was modified after it was taken (its "
            "content_hash does not match); take a new one"
        )
    return snapshot


# ---------------------------------------------------------------------------
# What a snapshot holds


class _Store:
    """The merged state of several reads, and which reads they were."""

    def __init__(self, state: State | None = None, reads: Sequence[Scope] = ()):
        self.state = state or State()
        self.reads = list(reads)

    def record(self, scope: Scope, live: State) -> None:
        s = self.state
        self.state = State(
            groups={**s.groups, **live.groups},
            page_toggle=live.page_toggle,
            page_permissions={**s.page_permissions, **live.page_permissions},
            staff={**s.staff, **live.staff},
            schools={**s.schools, **live.schools},
        )
        self.reads.append(scope)

    def missing(self, scope: Scope) -> str | None:
        """What ``scope`` asks that the reads cannot answer, or None."""
        every_group = any(r.groups is None for r in self.reads)
        every_admin = any(r.staff_ids is None for r in self.reads)
        if not self.reads:
            return "anything"
        if scope.groups is None and not every_group:
            return "every group"
        if scope.staff_ids is None and not every_admin:
            return "every admin account"
        read_groups = {n for r in self.reads for n in (r.groups or ())}
        for number in sorted(scope.groups or ()):
            if not every_group and number not in read_groups:
                return f"group {number}"
        read_pages = {p for r in self.reads for p in r.pages}
        for page in sorted(scope.pages - read_pages):
            return f"the page permissions of {page}"
        read_staff = {sid for r in self.reads for sid in (r.staff_ids or ())}
        for sid in sorted(scope.staff_ids or ()):
            if sid not in self.state.staff and sid not in read_staff:
                return f'staff "{sid}"'
        return None

    def answer(self, scope: Scope) -> State:
        """The state a driver would have returned for ``scope`` (see ``missing``)."""
        return self.state.within(scope)


def broad_scope(desired_pages: frozenset[str]) -> Scope:
    """The extra read a snapshot makes: every group and admin account, the pages."""
    return Scope(groups=None, pages=desired_pages, staff_ids=None)


class RecordingDriver:
    """A driver that records what it reads, answering repeated reads from memory.

    Writing is refused: a recording run only reads.
    """

    def __init__(self, inner: Driver) -> None:
        self._inner = inner
        self._store = _Store()

    @property
    def info(self) -> ServerInfo:
        """The inner driver's server identity."""
        return self._inner.info

    @property
    def notes(self) -> Sequence[str]:
        """The inner driver's notes (the toggle turned on to read)."""
        return self._inner.notes if isinstance(self._inner, ReportsNotes) else ()

    async def read(self, scope: Scope) -> State:
        """From memory when an earlier read covers ``scope``, else from the driver."""
        if self._store.missing(scope) is None:
            return self._store.answer(scope)
        live = await self._inner.read(scope)
        self._store.record(scope, live)
        return live

    async def apply(self, op: Op) -> None:
        """Refused: a recording run never writes."""
        raise RefusedError("a snapshot run only reads PowerSchool")

    def snapshot(self, *, spec_name: str, read_at: str) -> Snapshot:
        """Everything read so far, sealed with its hash."""
        info = self.info
        target = SnapshotTarget(
            url=info.url,
            powerschool_version=info.version,
            flavor=info.flavor,
            username=info.username,
        )
        return Snapshot(
            psconfig_version=__version__,
            read_at=read_at,
            spec_name=spec_name,
            target=target,
            reads=tuple(ReadScope.of(r) for r in self._store.reads),
            state=self._store.state,
        ).sealed()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


# ---------------------------------------------------------------------------
# Planning from a snapshot


class SnapshotDriver:
    """A driver answering reads from a snapshot: no network, no credentials."""

    def __init__(self, snapshot: Snapshot, *, source: str, now: datetime) -> None:
        self.snapshot = snapshot
        self.source = source
        self.now = now
        self._store = _Store(
            snapshot.state,
            [
                Scope(
                    groups=None if r.groups is None else frozenset(r.groups),
                    pages=frozenset(r.pages),
                    staff_ids=None if r.staff_ids is None else frozenset(r.staff_ids),
                )
                for r in snapshot.reads
            ],
        )

    @property
    def info(self) -> ServerInfo:
        """The server the snapshot was read from."""
        t = self.snapshot.target
        return ServerInfo(
            url=t.url,
            version=t.powerschool_version,
            flavor=t.flavor,
            username=t.username,
        )

    async def read(self, scope: Scope) -> State:
        """The snapshot's answer; ``SnapshotError`` for what it does not hold."""
        missing = self._store.missing(scope)
        if missing is not None:
            raise SnapshotError(
                f"{self.source}: the snapshot does not hold {missing}, which this "
                "spec reads; take a new one (psconfig drift --snapshot-out)"
            )
        return self._store.answer(scope)

    async def apply(self, op: Op) -> None:
        """Refused: a snapshot is not PowerSchool."""
        raise RefusedError(f"{self.source}: a snapshot cannot be changed")

    def age(self) -> timedelta:
        """How old the snapshot is now."""
        return self.now - self.snapshot.read_time()

    def mark(self, plan: Plan, *, warn_age: timedelta) -> Plan:
        """``plan`` labelled as planned from this snapshot, and never applicable."""
        age = self.age()
        read_at = self.snapshot.read_at
        notes = [
            f"planned from a snapshot taken at {read_at} ({human_age(age)} ago), "
            f"not from PowerSchool: {self.source}; this plan cannot be applied "
            "(apply reads PowerSchool itself)"
        ]
        if age > warn_age:
            notes.append(
                f"warning: the snapshot is {human_age(age)} old, older than "
                f"{human_age(warn_age)}; --max-age makes this an error"
            )
        source = LiveSource(
            kind="snapshot",
            read_at=read_at,
            age_seconds=int(age.total_seconds()),
            path=self.source,
            content_hash=self.snapshot.content_hash,
        )
        return plan.model_copy(
            update={
                "notes": (*notes, *plan.notes),
                "source": source,
                "live_fingerprint": OFFLINE_PREFIX + plan.live_fingerprint,
            }
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


def check_snapshot(
    snapshot: Snapshot,
    *,
    source: str,
    url: str,
    now: datetime,
    max_age: timedelta | None,
) -> None:
    """Refuse a snapshot of another server, from the future, or older than max_age."""
    if snapshot.target.url != url:
        raise SnapshotError(
            f"{source}: the snapshot is of {snapshot.target.url}, but the spec "
            f"targets {url}; refusing to plan one server from another's state"
        )
    age = now - snapshot.read_time()
    if age < -FUTURE_SLACK:
        raise SnapshotError(
            f"{source}: the snapshot's read time {snapshot.read_at} is in the future"
        )
    if max_age is not None and age > max_age:
        raise StaleSnapshotError(
            f"{source}: the snapshot is {human_age(age)} old, older than --max-age "
            f"{human_age(max_age)}; take a new one (psconfig drift --snapshot-out)"
        )


async def plan_offline_fleet(
    paths: Sequence[Path],
    fleet: FleetOptions[S],
    *,
    warn_age: timedelta = DEFAULT_WARN_AGE,
    mode: Mode = "plan",
    shard: Shard | None = None,
) -> FleetResult:
    """``plan_fleet`` whose drivers are ``SnapshotDriver``s; each plan is marked."""

    async def work(spec: S, driver: Driver) -> tuple[Result, Plan]:
        plan = await plan_spec(spec, driver, mode=mode)
        if not isinstance(driver, SnapshotDriver):  # a wiring bug, never silent
            raise SnapshotError("an offline plan needs a snapshot driver")
        plan = driver.mark(plan, warn_age=warn_age)
        if not plan.has_changes:
            return "clean", plan
        return ("drift" if mode == "drift" else "changes"), plan

    return await run_fleet(paths, fleet, work, command=mode, shard=shard)


# ---------------------------------------------------------------------------
# Durations

_DURATION = re.compile(r"(\d+)\s*([dhms])")
_UNIT = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    """``36h``, ``2d``, ``90m``, ``1h30m``, ``45s``: ``ValueError`` otherwise."""
    compact = text.strip().lower()
    parts = _DURATION.findall(compact)
    if not parts or _DURATION.sub("", compact).strip():
        raise ValueError(f"expected a duration such as 36h, 2d or 90m, got {text!r}")
    return timedelta(seconds=sum(int(n) * _UNIT[u] for n, u in parts))


def human_age(age: timedelta) -> str:
    """``2 d 4 h``, ``5 h 3 min``, ``12 min``, ``40 s``: two units at most."""
    seconds = max(int(age.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def now_iso(moment: datetime) -> str:
    """``moment`` as a snapshot's ``read_at``."""
    return iso(moment)
