"""One psconfig run at a time per server: a lock file keyed by the server URL.

The only module that imports filelock. The lock lives in ``LOCK_DIR`` under the
state directory the CLI chooses (``$PSCONFIG_HOME``, else the XDG state directory:
never the working directory, so commands run from different directories see the
same lock), named by a hash of the normalized server URL. Applies, plans and drift
checks of one PowerSchool take it in turn, since reading page permissions may flip
the page-permission toggle an apply relies on; runs against different servers do
not wait for each other. A run waits up to ``timeout`` seconds, then gives up with
``LockHeldError`` (exit 3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from filelock import FileLock, Timeout

from psconfig.errors import LockHeldError, PsconfigError

LOCK_DIR = Path("locks")


def lock_key(url: str) -> str:
    """A stable key for a server: scheme and host lower-cased, no query, no slash."""
    parts = urlsplit(url.strip())
    base = f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"
    return hashlib.sha256(base.encode()).hexdigest()[:24]


def lock_path(url: str, base_dir: Path) -> Path:
    """Where the lock file for ``url`` lives under ``base_dir`` (the state home)."""
    return base_dir / LOCK_DIR / f"{lock_key(url)}.lock"


def held_error(url: str, path: Path, timeout: float) -> LockHeldError:
    """The error for a lock still held after ``timeout`` seconds."""
    return LockHeldError(
        f"another psconfig run (apply, plan or drift) holds the lock for {url} "
        f"({path}); waited {timeout:g} s — try again when it has finished"
    )


def is_held(url: str, base_dir: Path) -> bool:
    """True when some process holds the lock for ``url`` right now."""
    lock = FileLock(lock_path(url, base_dir), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return True
    except OSError:
        return False
    lock.release()
    return False


@contextmanager
def target_lock(url: str, base_dir: Path, *, timeout: float) -> Iterator[Path]:
    """Hold the server lock for ``url`` while the block runs.

    Raises:
        LockHeldError: another process held it for ``timeout`` seconds.
        PsconfigError: the lock directory cannot be created or written.

    """
    path = lock_path(url, base_dir)
    lock = FileLock(path, timeout=max(timeout, 0.0))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:  # a TimeoutError, so an OSError: catch it first
        raise held_error(url, path, timeout) from None
    except OSError as exc:
        raise PsconfigError(
            f"cannot create the lock in {path.parent}: {exc.strerror or exc}"
        ) from None
    try:
        yield path
    finally:
        lock.release()
