"""One HTTP answer, as the portal driver sees it (free of any HTTP library's types)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Response:
    """Status, text and redirect target (path and query only) of one answer.

    ``retry_after`` is the wait in seconds the server asked for (``Retry-After``,
    capped by the retry policy), if it asked.
    """

    path: str
    status: int
    text: str
    location: str | None
    content_type: str
    retry_after: float | None = None

    @property
    def is_redirect(self) -> bool:
        return self.status in (301, 302, 303, 307, 308) and bool(self.location)

    def redirects_to(self, path: str) -> bool:
        """True when this answer redirects to ``path`` (query ignored)."""
        return self.is_redirect and (self.location or "").split("?", 1)[0] == path
