"""A signed-in portal session: flavor detection, sign-in, redirects, re-login.

``PortalSession`` adds the portal's rules on top of ``session.Http``: it picks the
flavor's form map from the sign-in page and signs in (see ``login``), follows
redirects, and signs in again ONCE when a protected page answers with the sign-in
page (session expired); a second expiry in a row is a ``SessionExpiredError``. A
failed sign-in is never retried, not even by requests that were waiting on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from pydantic import SecretStr

from psconfig.drivers.portal.forms.controls import Form
from psconfig.drivers.portal.forms.document import Document
from psconfig.drivers.portal.http import login
from psconfig.drivers.portal.http.response import Response
from psconfig.drivers.portal.http.session import Http
from psconfig.drivers.portal.pagemap.maps import PortalMap
from psconfig.errors import (
    AccessDeniedError,
    ConnectError,
    DriverError,
    FormMapError,
    ServerError,
    SessionExpiredError,
)
from psconfig.model import Flavor, SignInScheme

_MAX_HOPS = 5


def _same_record(path: str, answered: str, form: Form) -> bool:
    """True when a post's answer is the form ``path`` shows, for the same record.

    The answer's address is ``path``, or every query parameter of ``path`` is a
    field of the answer's form with the same value (``?page=X`` and ``page=X``).
    """
    if answered == path:
        return True
    base, _, query = path.partition("?")
    if answered.split("?", 1)[0] != base or not query:
        return False
    return all(
        form.has(name) and form.value(name) == value
        for name, value in parse_qsl(query, keep_blank_values=True)
    )


class PageDeniedError(AccessDeniedError):
    """A page answered 403; ``doc`` is what it said (some 403s explain why)."""

    def __init__(self, message: str, doc: Document) -> None:
        super().__init__(message)
        self.doc = doc


class PortalSession:
    """A signed-in session: detection, sign-in, redirects and one re-login on expiry."""

    def __init__(
        self,
        http: Http,
        username: str,
        password: SecretStr,
        flavor: Flavor | None,
        sign_in: SignInScheme = "auto",
    ) -> None:
        self.http = http
        self.username = username
        self._password = password
        self._flavor_choice = flavor
        self._sign_in_pin: SignInScheme = sign_in
        self._relogin_lock = asyncio.Lock()
        self._generation = 0
        # The generation a re-login failed from, and why: requests that waited on
        # that re-login raise the same error instead of posting another sign-in.
        self._failed_relogin: tuple[int, DriverError] | None = None
        self.map: PortalMap | None = None
        self.version = "unknown"
        self.signin_page: Response | None = None
        self.secrets: set[str] = set()
        self.site_map: Callable[[PortalMap], PortalMap] | None = None
        # Pages read since the last post that may have changed them: path ->
        # (epoch read in, the read). A page is fetched once per epoch; every post
        # starts a new epoch unless the caller says what it leaves unchanged.
        self._pages: dict[str, tuple[int, asyncio.Future[Document]]] = {}
        self._kept_posts = 0
        self._gets_sent = 0
        self._parsed: tuple[Response, Document] | None = None

    @property
    def portal_map(self) -> PortalMap:
        if self.map is None:
            raise AssertionError("PortalSession.open() has not run")
        return self.map

    async def detect(self, page: Response | None = None) -> PortalMap:
        """Pick the flavor's map from the sign-in page (fetched unless given)."""
        if page is None:
            page = await self.http.get(login.signin_path(self._flavor_choice))
        self.signin_page = page
        doc = Document(page.text, page=page.path, flavor=self._flavor_choice or "auto")
        self.map = login.choose_map(doc, self._flavor_choice, self._sign_in_pin)
        if self.site_map is not None:  # a district's learned pins (server.map)
            self.map = self.site_map(self.map)
        self.version = login.version_of(page.text, self.map)
        return self.map

    async def open(self) -> None:
        """Detect the flavor and sign in (never retried when refused)."""
        if self.map is None or self.signin_page is None:
            await self.detect()
        assert self.signin_page is not None
        await self._sign_in(self.signin_page)

    async def close(self) -> None:
        """Sign out (best effort) and close the client."""
        try:
            if self.map is not None and self._generation > 0:
                await self.http.get(self.map.home.logout_url, retry=False)
        except DriverError:
            pass  # leaving anyway (one attempt); the session times out on the server
        finally:
            await self.http.aclose()

    async def _sign_in(self, page: Response | None = None) -> None:
        portal_map = self.portal_map
        if page is None:
            page = await self.http.get(portal_map.signin.url)
        doc = Document(page.text, page=page.path, flavor=portal_map.flavor)
        form = login.signin_form(doc, portal_map.signin)
        secret = self._password.get_secret_value()
        self.secrets |= login.fill_signin(
            form, doc, portal_map.signin, (self.username, secret), self._sign_in_pin
        )
        answer = await self._post_signin(form, page.path)
        login.check_signin(answer, portal_map, self.username)
        self._generation += 1

    async def _post_signin(self, form: Form, referer: str) -> Response:
        try:
            return await self.http.post(form.action, form.pairs(), referer=referer)
        except ConnectError as exc:
            raise ConnectError(f"{exc} (sign-in is not retried)") from None

    def _expired(self, answer: Response) -> bool:
        return answer.redirects_to(self.portal_map.signin.url)

    async def _follow(self, path: str) -> Response:
        answer = await self.http.get(path)
        hops = 0
        while answer.is_redirect and not self._expired(answer) and hops < _MAX_HOPS:
            hops += 1
            answer = await self.http.get(answer.location or "/")
        return answer

    async def get(self, path: str) -> Response:
        """GET a protected page, signing in again once if the session expired.

        Some GETs change what pages show (the header's school picker), so pages
        read before this one are read again (``document`` is for reading).
        """
        self._gets_sent += 1
        return await self._signed_in(path, lambda: self._follow(path))

    async def _signed_in(
        self, path: str, send: Callable[[], Awaitable[Response]]
    ) -> Response:
        """``send()``; if it finds the session expired, sign in again and resend once.

        A request answered with the sign-in page was not processed, so resending
        it is safe. A second expiry in a row is a ``SessionExpiredError``.
        """
        generation = self._generation
        answer = await send()
        if not self._expired(answer):
            return answer
        await self.relogin(generation)
        answer = await send()
        if self._expired(answer):
            raise SessionExpiredError(
                f"{path}: the session ended again right after signing in again"
            )
        return answer

    async def relogin(self, seen_generation: int) -> None:
        """Sign in again unless a concurrent request already did since ``seen``.

        A failed sign-in is never retried: when the re-login from ``seen`` failed,
        every request that found the same session expired raises that error.
        """
        async with self._relogin_lock:
            if self._generation != seen_generation:
                return
            failed = self._failed_relogin
            if failed is not None and failed[0] == seen_generation:
                raise failed[1]
            try:
                await self._sign_in()
            except DriverError as exc:
                self._failed_relogin = (seen_generation, exc)
                raise

    def _epoch(self) -> int:
        return self.http.post_count - self._kept_posts + self._gets_sent

    async def document(self, path: str, *, ok: tuple[int, ...] = (200,)) -> Document:
        """GET ``path`` as a parsed page; a status outside ``ok`` is an error.

        A page read since the last post (that is not known to leave it unchanged)
        is not fetched again: concurrent and later reads of it share the one read.
        A read that failed is not kept.
        """
        if ok != (200,):
            return await self._fetch(path, ok)
        epoch = self._epoch()
        cached = self._pages.get(path)
        if cached is None or cached[0] != epoch:
            future = asyncio.ensure_future(self._fetch(path, ok))
            cached = (epoch, future)
            self._pages[path] = cached
            future.add_done_callback(lambda done: self._forget_failed(path, done))
        return await asyncio.shield(cached[1])

    def _forget_failed(self, path: str, done: asyncio.Future[Document]) -> None:
        if done.cancelled() or done.exception() is not None:
            cached = self._pages.get(path)
            if cached is not None and cached[1] is done:
                del self._pages[path]

    async def _fetch(self, path: str, ok: tuple[int, ...]) -> Document:
        answer = await self._signed_in(path, lambda: self._follow(path))
        if answer.status == 403 and 403 not in ok:
            message = f"{path}: access denied to {self.username!r} (HTTP 403)"
            raise PageDeniedError(message, self.parse(answer))
        if answer.status not in ok:
            raise self.status_error(answer.path, answer.status)
        return self.parse(answer)

    def parse(self, answer: Response) -> Document:
        """``answer`` as a page, parsed once however often it is asked for."""
        if self._parsed is not None and self._parsed[0] is answer:
            return self._parsed[1]
        doc = Document(
            answer.text,
            page=answer.path,
            flavor=self.portal_map.flavor,
            status=answer.status,
        )
        self._parsed = (answer, doc)
        return doc

    async def submit(
        self,
        path: str,
        form_id: str,
        fill: Callable[[Form], None],
        *,
        button: str | None = None,
        keeps: Callable[[str], bool] | None = None,
    ) -> Response:
        """GET the form on ``path``, ``fill`` it, POST it; return the answer.

        ``fill`` changes only the managed fields; everything else the server sent
        goes back as it came. The form is the page's read since the last post, when
        there is one (a form read once is posted from that read). The POST is
        repeated (GET, fill and POST again) only when the server says it did not
        process it: a 503 or 429 answer (within the retry policy, see
        ``Http.until_processed``), or the sign-in page because the session expired
        (once, after signing in again: the form's token belongs to the old
        session). Any other failure is for the caller to read back.

        After the post every page read before it is stale, except those ``keeps``
        names (never ``path`` itself). An answer that is ``path``'s form again,
        without an alert, is the page as the server now shows it: the next read of
        ``path`` is that answer (the post's own read-back).
        """

        async def post() -> Response:
            form = (await self.document(path)).form(form_id)
            fill(form)
            self._pages.pop(path, None)
            if keeps is not None:
                for stale in [p for p in self._pages if not keeps(p)]:
                    del self._pages[stale]
                self._kept_posts += 1
            return await self.http.post(form.action, form.pairs(button), referer=path)

        # A 503/429 answer was not processed: post a freshly read form again.
        answer = await self._signed_in(path, lambda: self.http.until_processed(post))
        self._keep_answer(path, form_id, answer)
        return answer

    async def post(
        self,
        action: str,
        pairs: list[tuple[str, str]],
        *,
        referer: str,
        keeps: Callable[[str], bool],
    ) -> Response:
        """POST once (``Http.post``); the pages ``keeps`` names stay read."""
        for stale in [p for p in self._pages if not keeps(p)]:
            del self._pages[stale]
        self._kept_posts += 1
        return await self.http.post(action, pairs, referer=referer)

    def _keep_answer(self, path: str, form_id: str, answer: Response) -> None:
        if answer.status != 200:
            return
        doc = self.parse(answer)
        form = doc.find_form(form_id)
        if form is None or not _same_record(path, answer.path, form):
            return
        if any(doc.texts(self.portal_map.markers.alert_xpath)):
            return
        done: asyncio.Future[Document] = asyncio.get_running_loop().create_future()
        done.set_result(doc)
        self._pages[path] = (self._epoch(), done)

    def status_error(self, path: str, status: int) -> DriverError:
        """The error for an unexpected status on a page."""
        if status == 403:
            return AccessDeniedError(
                f"{path}: access denied to {self.username!r} (HTTP 403)"
            )
        if status == 404:
            return FormMapError(
                page=path,
                field="(page)",
                flavor=self.portal_map.flavor,
                detail="was not found (HTTP 404)",
            )
        return ServerError(f"{path}: unexpected HTTP {status}", status=status)
