"""One apply at a time per target: a lock file keyed by the server URL.

The only module that imports filelock. The lock lives in ``LOCK_DIR`` under a
directory the CLI chooses (the working directory), named by a hash of the
normalized server URL, so two applies to the same PowerSchool from one checkout or
runner serialize, and applies to different servers do not. A second apply waits up
to ``timeout`` seconds, then gives up with ``LockHeldError`` (exit 3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from filelock import FileLock, Timeout

from psconfig.errors import LockHeldError, PsconfigError

LOCK_DIR = Path(".psconfig") / "locks"


def lock_key(url: str) -> str:
    """A stable key for a server: scheme and host lower-cased, no query, no slash."""
    parts = urlsplit(url.strip())
    base = f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"
    return hashlib.sha256(base.encode()).hexdigest()[:24]


def lock_path(url: str, base_dir: Path) -> Path:
    """Where the lock file for ``url`` lives under ``base_dir``."""
    return base_dir / LOCK_DIR / f"{lock_key(url)}.lock"


@contextmanager
def target_lock(url: str, base_dir: Path, *, timeout: float) -> Iterator[Path]:
    """Hold the apply lock for ``url`` while the block runs.

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
        raise LockHeldError(
            f"another apply holds the lock for {url} ({path}); "
            f"waited {timeout:g} s — try again when it has finished"
        ) from None
    except OSError as exc:
        raise PsconfigError(
            f"cannot create the lock in {path.parent}: {exc.strerror or exc}"
        ) from None
    try:
        yield path
    finally:
        lock.release()
