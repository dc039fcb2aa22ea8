"""``psconfig doctor``: check a server against its form map; optionally capture pages.

The checks, in order: reachability of the sign-in page, TLS (verification on or
off), flavor detection, the version in the footer, sign-in, then every page of the
form map and every field on it (present, of the map's kind, offering the map's
option values). Only GETs are sent after sign-in; the page-permission editor is
checked only when the toggle is already on ("skipped: toggle off" otherwise).

Nothing here raises for a failed check: each becomes a row of the ``DoctorReport``
(``check``, ``page``, ``field``, ``status``, ``detail``). With ``capture`` the pages
visited are saved under that folder, redacted (``document.redact_html``: no passwords,
tokens, keys, cookies, names, staff IDs, emails or IPs), with file mode 0600.
"""

from __future__ import annotations

import json
import re
from ipaddress import ip_address
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import SecretStr

from psconfig.drivers.portal.forms import bind, labels
from psconfig.drivers.portal.forms.controls import Form, normalize_label
from psconfig.drivers.portal.forms.document import Document
from psconfig.drivers.portal.http import login
from psconfig.drivers.portal.http.portal_session import PortalSession
from psconfig.drivers.portal.http.response import Response
from psconfig.drivers.portal.http.session import SIM_SCHEME, AsgiApp, Http, RetryPolicy
from psconfig.drivers.portal.learning.capture import write_capture
from psconfig.drivers.portal.learning.learn import (
    Finding,
    Learner,
    learn_page,
    stock_source,
)
from psconfig.drivers.portal.pagemap.map_parts import FieldMap, FormPage, Page
from psconfig.drivers.portal.pagemap.maps import (
    FLAVORS,
    AdminAccess,
    PortalMap,
    load_map,
)
from psconfig.drivers.portal.pagemap.site_map import SiteMap
from psconfig.errors import DriverError, PsconfigError
from psconfig.model import Frozen, SignInScheme

Status = Literal["ok", "fail", "warn", "skipped"]


class Check(Frozen):
    """One row of the report."""

    check: str
    page: str = ""
    field: str = ""
    status: Status
    detail: str = ""


class DoctorReport(Frozen):
    """Every check made, the files a capture wrote, and what ``learn`` found."""

    url: str
    flavor: str = "unknown"
    version: str = "unknown"
    checks: tuple[Check, ...] = ()
    captured: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    site_map: SiteMap | None = None

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings and skips do not fail)."""
        return all(c.status != "fail" for c in self.checks)


class Doctor:
    """One doctor run over a not-yet-signed-in session."""

    def __init__(
        self,
        http: Http,
        session: PortalSession,
        capture: Path | None,
        *,
        learn: bool = False,
        toggle: bool = False,
    ) -> None:
        self.http, self.session, self.capture = http, session, capture
        self.rows: list[Check] = []
        self.visited: list[tuple[str, Response]] = []
        self.learner = Learner() if learn else None
        self.may_toggle = toggle

    def add(self, check: str, status: Status, detail: str = "", **where: str) -> None:
        self.rows.append(Check(check=check, status=status, detail=detail, **where))

    async def run(self) -> DoctorReport:
        """All checks; sign-out and capture happen even when a check fails."""
        portal_map: PortalMap | None = None
        try:
            portal_map = await self._preflight()
            if portal_map is not None and await self._sign_in():
                await self._pages(portal_map)
                if self.learner is not None:
                    await self._stock_sources(portal_map)
        finally:
            await self.session.close()
        captured: tuple[str, ...] = ()
        if self.capture is not None:
            captured = write_capture(
                self.capture,
                self.visited,
                portal_map=portal_map,
                secrets=self.session.secrets | set(self.http.cookie_values()),
                summary={
                    "url": self.http.url,
                    "flavor": portal_map.flavor if portal_map else None,
                    "version": self.session.version,
                },
            )
        learned = self.learner
        return DoctorReport(
            url=self.http.url,
            flavor=portal_map.flavor if portal_map else "unknown",
            version=self.session.version,
            checks=tuple(self.rows),
            captured=captured,
            findings=tuple(learned.findings) if learned else (),
            site_map=learned.site_map(portal_map) if learned and portal_map else None,
        )

    # -- before sign-in -------------------------------------------------------------

    async def _preflight(self) -> PortalMap | None:
        path = login.signin_path(None)
        try:
            page = await self.http.get(path)
        except DriverError as exc:
            self.add("reachability", "fail", str(exc), page=path)
            return None
        self.visited.append(("signin", page))
        status: Status = "ok" if page.status == 200 else "fail"
        self.add("reachability", status, f"HTTP {page.status}", page=path)
        self.add("tls", *self._tls())
        if status == "fail":
            return None
        try:
            await self.session.detect(page)
        except DriverError as exc:
            self.add("flavor", "fail", str(exc), page=path)
            return None
        portal_map = self.session.portal_map
        self.add(
            "flavor", "ok", f"{portal_map.flavor}: {portal_map.description}", page=path
        )
        found = self.session.version != "unknown"
        detail = (
            self.session.version if found else "no version in the sign-in page footer"
        )
        self.add("version", "ok" if found else "fail", detail, page=path)
        doc = self.session.parse(page)
        self._form(doc, portal_map.signin, {})
        return portal_map

    def _tls(self) -> tuple[Status, str]:
        url = self.http.url
        if url.startswith(SIM_SCHEME):
            return "ok", "in-process simulator: no network, no TLS"
        if self.http.is_tls:
            if self.http.verify:
                return "ok", "https with certificate verification on"
            return "warn", "https with certificate verification OFF (--insecure)"
        host = urlsplit(url).hostname or ""
        try:
            loopback = host == "localhost" or ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return "ok", "plain http on loopback"
        return "fail", "plain http to a remote host would send the password unencrypted"

    async def _sign_in(self) -> bool:
        try:
            await self.session.open()
        except DriverError as exc:
            self.add("login", "fail", str(exc), page=self.session.portal_map.signin.url)
            return False
        self.add("login", "ok", f"signed in as {self.session.username!r}")
        return True

    # -- pages ----------------------------------------------------------------------

    async def _pages(self, m: PortalMap) -> None:
        home = await self._get("home", m.home.url)
        if home is not None:
            await self._school_header(home, m)
        group = await self._first_group(m)
        if group is not None:
            await self._form_page("group_edit", m.group_edit, {"number": group})
        await self._form_page("group_add", m.group_add, {})
        toggle_on = await self._toggle(m)
        dde = m.dde_home.label()
        if not toggle_on and self.may_toggle:
            toggle_on = await self._flip_toggle(m, on=True)
            if toggle_on:
                try:
                    await self._editor(m, dde)
                finally:
                    await self._flip_toggle(m, on=False)
        elif toggle_on:
            await self._editor(m, dde)
        if not toggle_on:
            why = (
                f"toggle off: the page editor (its {m.page_editor.link_text!r} "
                "link) exists only while it is on (doctor --learn --toggle)"
            )
            self.add("page", "skipped", why, page=dde)
        frn = await self._first_staff(m)
        for key in ("staff_edit", "affiliations", "admin_access", "staff_delete"):
            page = getattr(m, key)
            if frn is None:
                self._skip(page, "no staff member with admin sign-in to look at")
            else:
                await self._form_page(key, page, {"frn": frn})
        await self._staff_new(m)
        await self._form_page("dde_home", m.dde_home, {})
        await self._form_page("dde_export", m.dde_export, {})

    async def _editor(self, m: PortalMap, target: str) -> None:
        """The editor of ``target``, reached through its "Modify access" link."""
        page = await self._get("page_editor_link", target)
        link = page.link(m.page_editor.link_text) if page is not None else None
        status: Status = "ok" if link else "fail"
        detail = link or f"no {m.page_editor.link_text!r} link"
        self.add("field", status, detail, page=target, field="link_text")
        if link is None:
            return
        doc = await self._get("page_editor", link)
        if doc is not None:
            form = doc.find_form(m.page_editor.form)
            rows = labels.rows(form, m.page_editor.fields.level) if form else {}
            first = next(iter(rows), None)
            self._form(doc, m.page_editor, {"group": first} if first else {})
            self._learn("page_editor", doc, m.page_editor)

    async def _get(self, key: str, path: str) -> Document | None:
        try:
            answer = await self.session.get(path)
        except DriverError as exc:
            self.add("page", "fail", str(exc), page=path)
            return None
        self.visited.append((key, answer))
        if answer.status != 200:
            self.add("page", "fail", f"HTTP {answer.status}", page=path)
            return None
        self.add("page", "ok", "HTTP 200", page=path)
        return self.session.parse(answer)

    async def _staff_new(self, m: PortalMap) -> None:
        """New Staff Member in whichever shape the page has (since 2013, or before)."""
        doc = await self._get("staff_new", m.staff_new.url)
        if doc is None:
            return
        checked = doc.find_form(m.staff_new.form) is not None
        page = m.staff_new if checked else m.staff_new_pre2013
        self._form(doc, page, {})
        self._learn("staff_new" if checked else "staff_new_pre2013", doc, page)

    async def _form_page(
        self, key: str, page: FormPage, params: dict[str, str | int]
    ) -> Document | None:
        doc = await self._get(key, page.path(**params))
        if doc is not None:
            self._form(doc, page, self._row_params(doc, page))
            self._learn(key, doc, page)
            if isinstance(page, AdminAccess):
                self._roles(doc, page)
        return doc

    def _roles(self, doc: Document, page: AdminAccess) -> None:
        """The roles table, and the "Add User Access Roles" dialog's controls."""
        rows = doc.table(page.roles.label)
        status: Status = "ok" if rows is not None else "fail"
        detail = f"{len(rows)} roles" if rows is not None else "labels no table"
        self.add("field", status, detail, page=doc.page, field=page.roles.label)
        form = doc.find_form(page.form)
        if form is not None:
            for _, field in page.add_role.fields.items():
                self._field(doc, form, field, {})

    def _learn(self, key: str, doc: Document, page: FormPage) -> None:
        if self.learner is not None:
            self.rows.extend(learned_checks(self.learner.page(key, doc, page)))

    async def _stock_sources(self, m: PortalMap) -> None:
        """What CPM's stock source of each learned page shows, where the session may."""
        assert self.learner is not None
        for key, path in sorted(self.learner.paths.items()):
            page = getattr(m, key)
            stock = await stock_source(self.session, path)
            if stock is None:
                self.add(
                    "stock", "skipped", "no stock source for this session", page=path
                )
                continue
            findings, _ = learn_page(stock, page)
            bound = sum(1 for f in findings if f.ok)
            detail = f"{bound} of {len(findings)} fields bind on the stock page"
            self.add("stock", "ok", detail, page=path)

    async def _flip_toggle(self, m: PortalMap, *, on: bool) -> bool:
        """Turn the toggle on or off (``--toggle`` only); True when it is on after."""
        page = m.toggle
        wanted = "on" if on else "off"
        try:
            answer = await self.session.submit(
                page.url,
                page.form,
                lambda form: bind.CHOICE.write(form, page.fields.enabled, {}, wanted),
            )
            self.add(
                "toggle",
                "ok" if answer.status == 200 else "fail",
                f"turned {wanted}",
                page=page.url,
            )
            doc = await self.session.document(page.url)
            form = doc.form(page.form)
            return bind.CHOICE.read(form, page.fields.enabled, {}) == "on"
        except DriverError as exc:
            self.add("toggle", "fail", str(exc), page=page.url)
            return False

    def _form(self, doc: Document, page: FormPage, row: dict[str, object]) -> None:
        form = doc.find_form(page.form)
        if form is None:
            self.add(
                "field",
                "fail",
                "form missing",
                page=doc.page,
                field=f"form#{page.form}",
            )
            return
        for _, field in page.fields.items():
            if not row and "{" in field.name and isinstance(page, AdminAccess):
                continue  # role rows are read from their table (``_roles``)
            self._field(doc, form, field, row)

    def _field(
        self, doc: Document, form: Form, field: FieldMap, row: dict[str, object]
    ) -> None:
        try:
            name = field.named(**row)
            if field.row_label is not None and not row:
                raise KeyError(field.row_label)
        except KeyError:
            self.add(
                "field",
                "skipped",
                "no row on the page to check",
                page=doc.page,
                field=field.shown(),
            )
            return
        try:
            found = bind.control_name(form, field, **row)
            missing = _missing_options(form, field, found)
        except DriverError as exc:
            self.add(
                "field", "fail", str(exc), page=doc.page, field=field.label or name
            )
            return
        if missing:
            detail = f"lacks option value(s) {missing}"
            self.add("field", "fail", detail, page=doc.page, field=field.label or name)
            return
        detail = field.kind if found == name else f"{field.kind} {found!r}"
        self.add("field", "ok", detail, page=doc.page, field=field.label or name)

    def _row_params(self, doc: Document, page: FormPage) -> dict[str, object]:
        """Values for ``{group}``/``{school}`` from the page's first row, if any."""
        rows_xpath = getattr(page, "rows_xpath", None)
        key_attr = getattr(page, "key_attr", None)
        if not rows_xpath or not key_attr:
            return {}
        rows = doc.rows(rows_xpath, key_attr)
        if not rows:
            return {}
        return {"group": rows[0].key, "school": rows[0].key}

    def _xpaths(self, doc: Document, page: Page, xpaths: dict[str, str]) -> None:
        for name, xpath in xpaths.items():
            found = doc.text(xpath) is not None
            status: Status = "ok" if found else "fail"
            detail = xpath if found else f"nothing matches {xpath}"
            self.add("field", status, detail, page=doc.page, field=name)

    def _skip(self, page: Page, why: str) -> None:
        self.add("page", "skipped", why, page=page.url.split("?", 1)[0])

    async def _first_group(self, m: PortalMap) -> int | None:
        doc = await self._get("groups", m.groups.url)
        if doc is None:
            return None
        regex = m.groups.edit_link_regex
        numbers = [
            int(found.group(1))
            for href, _ in doc.links()
            if (found := re.search(regex, href)) and found.group(1).isdigit()
        ]
        status: Status = "ok" if numbers else "fail"
        detail = f"{len(numbers)} groups" if numbers else "no links to group pages"
        self.add("field", status, detail, page=doc.page, field="edit_link_regex")
        return numbers[0] if numbers else None

    async def _toggle(self, m: PortalMap) -> bool:
        doc = await self._get("toggle", m.toggle.url)
        if doc is None:
            return False
        self._form(doc, m.toggle, {})
        self._learn("toggle", doc, m.toggle)
        title = m.toggle.title_marker
        found = doc.contains(title)
        status: Status = "ok" if found else "fail"
        detail = title if found else f"the page does not say {title!r}"
        self.add("field", status, detail, page=doc.page, field="title_marker")
        form = doc.find_form(m.toggle.form)
        try:
            return (
                form is not None
                and bind.CHOICE.read(form, m.toggle.fields.enabled, {}) == "on"
            )
        except DriverError:
            return False

    async def _school_header(self, home: Document, m: PortalMap) -> None:
        """The school picker (20.x+), else the older "School:" link and its form."""
        if home.text(m.home.school_button_xpath) is not None:
            self._xpaths(
                home, m.home, {"school_button_xpath": m.home.school_button_xpath}
            )
            self._xpaths(
                home, m.home, {"school_items_xpath": m.home.school_items_xpath}
            )
            return  # the older school page does not exist beside the picker
        link = home.link(m.home.school_link_text)
        if link is None:
            self.add(
                "field",
                "fail",
                f"neither the school picker nor a {m.home.school_link_text!r} link",
                page=home.page,
                field="school_button_xpath",
            )
            return
        doc = await self._get("school_context", link)
        if doc is not None:
            self._form(doc, m.school_context, {})

    async def _first_staff(self, m: PortalMap) -> str | None:
        search = m.staff_search
        doc = await self._get("staff_search", search.path(query=search.admin_query))
        if doc is None:
            return None
        frns = [
            found.group(1)
            for href, _ in doc.links()
            if (found := re.search(search.frn_regex, href))
        ]
        if not frns:
            self.add(
                "field",
                "warn",
                "no staff records listed",
                page=doc.page,
                field="frn_regex",
            )
            return None
        self.add(
            "field", "ok", f"{len(set(frns))} staff", page=doc.page, field="frn_regex"
        )
        return frns[0]


def _missing_options(form: Form, field: FieldMap, name: str) -> list[str]:
    """The option values (or texts) of the map the control does not offer.

    A hidden field holds one value at a time (Edit Information's ``[05]status``).
    """
    if form.kind(name) == "hidden":
        return []
    if field.by_text:
        offered = set(form.texts(name).values())
        return [
            t
            for t in field.texts.values()
            if normalize_label(t) not in offered and t != ""
        ]
    return [v for v in field.options.values() if v not in form.choices(name)]


async def run_doctor(
    url: str,
    username: str,
    password: SecretStr,
    *,
    flavor: Literal["auto", "legacy", "modern"] = "auto",
    sign_in: SignInScheme = "auto",
    insecure: bool = False,
    sim_dir: Path | None = None,
    capture: Path | None = None,
    timeout: float = 30.0,
    client_ip: str = "127.0.0.1",
    retry: RetryPolicy | None = None,
    app: AsgiApp | None = None,
    learn: bool = False,
    toggle: bool = False,
) -> DoctorReport:
    """Run every check against ``url`` (arguments as for ``open_portal``).

    ``learn`` binds every field by label and gathers a site map (GETs only; with
    ``toggle`` it turns the page-permission toggle on to reach the page editor,
    and off again).

    Connection-level problems become failed rows, not exceptions; only a URL the
    driver cannot use at all raises (``ConnectError``).
    """
    http = Http(
        url,
        insecure=insecure,
        sim_dir=sim_dir,
        timeout=timeout,
        client_ip=client_ip,
        policy=retry,
        app=app,
    )
    choice = None if flavor == "auto" else flavor
    session = PortalSession(http, username, password, choice, sign_in)
    return await Doctor(http, session, capture, learn=learn, toggle=toggle).run()


def learned_checks(findings: list[Finding]) -> list[Check]:
    """One report row per finding: ok when bound, pinned or rows were found."""
    rows = []
    for found in findings:
        status: Status = "ok" if found.ok else "fail"
        detail = found.status + (f": {found.control}" if found.control else "")
        detail += f" ({found.detail})" if found.detail else ""
        rows.append(
            Check(
                check="learn",
                page=found.page,
                field=found.field,
                status=status,
                detail=detail,
            )
        )
    return rows


def replay_capture(folder: Path) -> DoctorReport:
    """Bind every captured page again, offline (``doctor --replay DIR``).

    ``DIR`` is what ``doctor --capture DIR`` wrote (its ``index.json`` names the
    flavor and each page file); each page of the form map is learned as on the
    server, so a capture sent by a district can be fixed without its server.
    """
    try:
        index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        flavor = index["flavor"]
        pages = list(index["pages"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PsconfigError(f"{folder}: not a doctor capture ({exc})") from None
    if flavor not in FLAVORS:
        raise PsconfigError(f"{folder}/index.json: unknown flavor {flavor!r}")
    portal_map = load_map(flavor)
    learner, rows = Learner(), []
    for entry in pages:
        name = str(entry.get("file", ""))
        key = name.split("-", 1)[-1].removesuffix(".html")
        page = getattr(portal_map, key, None)
        if not isinstance(page, FormPage) or "/" in name:
            continue
        try:
            text = (folder / name).read_text(encoding="utf-8")
        except OSError as exc:
            raise PsconfigError(f"{folder / name}: {exc.strerror}") from None
        where = str(entry.get("page", name))
        doc = Document(text, page=where, flavor=flavor)
        rows.extend(learned_checks(learner.page(key, doc, page)))
    return DoctorReport(
        url=str(index.get("url", folder)),
        flavor=flavor,
        version=str(index.get("version", "unknown")),
        checks=tuple(rows),
        findings=tuple(learner.findings),
        site_map=learner.site_map(portal_map),
    )
