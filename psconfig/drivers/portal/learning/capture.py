"""``doctor --capture``: save the pages a run visited, redacted, for fixing a form map.

Redaction is two-pass. First the personal values of every visited page are
collected (input values, names and staff IDs at the map's ``capture`` XPaths); then
each page is written with those values, every secret the session handled (passwords
and their hashes, keys, cookies) and anything shaped like an email or IPv4 address
replaced (``document.redact_html``). Files are created with mode 0600 in a folder made
with mode 0700, each written atomically; ``index.json`` lists them.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from psconfig.drivers.portal.forms.document import personal_values, redact_html
from psconfig.drivers.portal.http.response import Response
from psconfig.drivers.portal.pagemap.maps import PortalMap
from psconfig.errors import PsconfigError


def write_capture(
    folder: Path,
    visited: Sequence[tuple[str, Response]],
    *,
    portal_map: PortalMap | None,
    secrets: Iterable[str],
    summary: dict[str, object],
) -> tuple[str, ...]:
    """Write each ``(key, page)`` as ``NN-key.html`` plus ``index.json``; the names."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise PsconfigError(f"cannot create {folder}: {exc.strerror}") from None
    keep = portal_map.capture.keep_inputs if portal_map else frozenset[str]()
    xpaths = portal_map.capture.redact_text_xpaths if portal_map else ()
    personal: set[str] = set()
    for _, answer in visited:
        personal |= personal_values(answer.text, keep_inputs=keep, text_xpaths=xpaths)
    secret_values = set(secrets)
    written, index = [], []
    for number, (key, answer) in enumerate(visited, start=1):
        name = f"{number:02d}-{key}.html"
        text = redact_html(
            answer.text,
            keep_inputs=keep,
            text_xpaths=xpaths,
            secrets=secret_values,
            personal=personal,
        )
        _write_private(folder / name, text)
        written.append(name)
        page = answer.path.split("?", 1)[0]
        index.append({"file": name, "page": page, "status": answer.status})
    text = json.dumps({**summary, "pages": index}, indent=2) + "\n"
    _write_private(folder / "index.json", text)
    return (*written, "index.json")


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically; the file is created with mode 0600 (mkstemp)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise PsconfigError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise PsconfigError(f"cannot write {path}: {exc.strerror}") from None
