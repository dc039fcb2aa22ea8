"""The state file on disk: load, atomic save, ``sim://`` names, change detection.

A state file is the single source of truth of a simulated PowerSchool. Every writer
replaces it atomically (write a temporary file beside it, fsync, rename), so a
reader never sees half a file, and every reader notices a replacement by its stat
signature, so several simulator instances (or ``psconfig sim serve`` and a CLI using
``sim://``) on one file stay consistent.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from pydantic import ValidationError

from psconfig.sim.state import Flavor, SimState, SimStateError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
Signature = tuple[int, int, int, int]


def load_state(path: Path) -> SimState:
    """Read and validate a state file; ``SimStateError`` names the file and the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SimStateError(f"{path}: simulator state file not found") from None
    except OSError as exc:
        raise SimStateError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return SimState.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise SimStateError(
            f"{path}: invalid simulator state at {where}: {first['msg']}"
        ) from None


def save_state(state: SimState, path: Path) -> None:
    """Write ``state`` to ``path`` atomically (temporary file, fsync, rename).

    Raises:
        SimStateError: the directory cannot be created or written (names it).

    """
    data = state.model_dump_json(indent=2) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise SimStateError(
            f"{path}: cannot write the simulator state in {path.parent}: "
            f"{exc.strerror or exc}"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise SimStateError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def request_log_path(state_path: Path) -> Path:
    """Where a simulator with ``request_log`` on appends one JSON line per request."""
    return state_path.with_name(f"{state_path.stem}.requests.jsonl")


def parse_sim_url(url: str) -> tuple[str, Flavor | None]:
    """Split ``sim://NAME[?flavor=legacy|modern]`` into NAME and the flavor asked."""
    parts = urlsplit(url)
    if parts.scheme != "sim" or not _NAME.match(parts.netloc):
        raise SimStateError(
            f"{url}: not a simulator URL (expected sim://NAME, NAME of letters, "
            "digits, '.', '_' or '-')"
        )
    if parts.path not in ("", "/") or parts.fragment:
        raise SimStateError(f"{url}: a simulator URL has no path (sim://NAME)")
    flavor: Flavor | None = None
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key != "flavor" or value not in ("legacy", "modern"):
            raise SimStateError(
                f"{url}: unknown query {key}={value!r} (only flavor=legacy|modern)"
            )
        flavor = "legacy" if value == "legacy" else "modern"
    return parts.netloc, flavor


def state_path_for(url: str, sim_dir: Path) -> Path:
    """``sim://NAME[?flavor=...]`` -> ``sim_dir / "NAME.json"``."""
    name, _ = parse_sim_url(url)
    return sim_dir / f"{name}.json"


def _signature(path: Path) -> Signature | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    # The inode changes on every atomic replace; times and size catch in-place edits.
    return (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)


class StateStore:
    """A state file plus the last state read from it, reloaded when the file changes.

    ``current()`` returns the cached state unless the file's stat signature moved.
    Callers edit the returned object in place and ``save`` it; on a failed edit they
    call ``reload`` to drop their partial changes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._state = load_state(path)
        self._signature = _signature(path)

    def current(self) -> SimState:
        """The state as on disk now (re-read only when the file changed)."""
        signature = _signature(self.path)
        if signature != self._signature:
            self._state = load_state(self.path)
            self._signature = signature
        return self._state

    def reload(self) -> SimState:
        """Drop the cached state and read the file again."""
        self._state = load_state(self.path)
        self._signature = _signature(self.path)
        return self._state

    def save(self, state: SimState) -> None:
        """Write ``state`` atomically and remember it as current."""
        save_state(state, self.path)
        self._state = state
        self._signature = _signature(self.path)
