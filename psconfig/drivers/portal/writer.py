"""Perform one ``Op`` through the portal's forms, then read back and compare.

Every write follows one shape (``Writer.write``): GET the form, keep everything the
server sent, change only the fields whose values the op changes, POST once, check the
answer (403 = access denied, a feedback alert = ``ServerRefusedError`` with
PowerSchool's own message), then read the page back and compare each changed value
(``WriteNotAppliedError`` naming page and field on a mismatch). A form or field the
map expects but the page lacks fails in the fill step, before anything is posted.

A POST is never repeated blindly. When it fails in transit or with 5xx/429 the
writer reads back: if the values are there the write landed; if not, the error says
it was not saved; if the read-back fails too, the error says the outcome is unknown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from pydantic import BaseModel, SecretStr

from psconfig.drivers.portal import bind
from psconfig.drivers.portal.controls import Form
from psconfig.drivers.portal.forms import Document
from psconfig.drivers.portal.map_parts import Fields, FormPage
from psconfig.drivers.portal.maps import PortalMap
from psconfig.drivers.portal.portal_session import PortalSession
from psconfig.drivers.portal.reader import PageToggleOffError, Reader, StaffRef
from psconfig.drivers.portal.response import Response
from psconfig.drivers.portal.session import UncertainWriteError
from psconfig.drivers.portal.staff_writer import StaffWriter
from psconfig.errors import (
    AccessDeniedError,
    ConnectError,
    DriverError,
    ServerError,
    ServerRefusedError,
    WriteNotAppliedError,
)
from psconfig.model import (
    EnsureGroup,
    Op,
    SetPagePermissions,
    SetPageToggle,
)

Verify = Callable[[], Awaitable[None]]


class Writer:
    """Applies operations through a signed-in session."""

    def __init__(self, session: PortalSession, reader: Reader) -> None:
        self.session = session
        self.reader = reader
        self.staff = StaffWriter(self)
        self._bound = False

    @property
    def map(self) -> PortalMap:
        return self.session.portal_map

    async def apply(self, op: Op) -> None:
        """Perform ``op`` and confirm it by reading back.

        Before the first write of a session every page bound by label is bound
        (``bind_all``), so a change whose pages do not all bind writes nothing.
        """
        if not self._bound:
            await self.bind_all()
            self._bound = True
        if isinstance(op, EnsureGroup):
            await self.ensure_group(op)
        elif isinstance(op, SetPageToggle):
            await self.set_toggle(op.on)
        elif isinstance(op, SetPagePermissions):
            await self.set_page_permissions(op)
        else:
            await self.staff.apply(op)

    async def bind_all(self) -> None:
        """Bind every field of the pages found by label, writing nothing.

        Edit Group (group 1), Add Groups, the toggle and an administrator's Admin
        Access and Roles: a plan may not have read them (a group or a staff member
        it creates), and an apply must not post its first form and then find a page
        it cannot bind. The page editor exists only while the toggle is on; it is
        bound where it is used.
        """
        add = self.map.group_add

        async def add_groups() -> None:
            form = (await self.session.document(add.url)).form(add.form)
            bind.require_all(form, add.fields)

        async def admin() -> None:
            refs = await self.reader.search(self.map.staff_search.admin_query)
            if refs:
                await self.reader.admin_page(StaffRef("", refs[0]))

        await asyncio.gather(
            self.reader.group(1), add_groups(), self.reader.toggle(), admin()
        )

    # -- the write shape ---------------------------------------------------------

    async def write(
        self,
        path: str,
        page: FormPage,
        fill: Callable[[Form], None],
        verify: Verify,
        *,
        button: str | None = None,
        keeps: Callable[[str], bool] | None = None,
    ) -> Document | None:
        """Submit ``page``'s form on ``path`` once, check the answer, then ``verify``.

        The form must carry every field of the page's map before ``fill`` runs, so
        a page that changed fails closed before anything is posted. Returns the
        answer page (None for a redirect or an uncertain post that read back as
        landed).
        """

        def checked_fill(form: Form) -> None:
            bind.require_all(form, page.fields)
            fill(form)

        try:
            # Only the toggle's own post changes the toggle page.
            toggle = self.map.toggle.url
            answer = await self.session.submit(
                path,
                page.form,
                checked_fill,
                button=button,
                keeps=keeps or (lambda p: p == toggle),
            )
            doc = self.check_answer(answer, path)
        except UncertainWriteError as exc:
            await self._settle(exc, verify)
            return None
        try:
            await verify()
        except (ConnectError, ServerError) as exc:
            raise ConnectError(
                f"{path}: the change was posted and accepted, but reading it back "
                f"failed ({exc}); run plan again to see where PowerSchool stands"
            ) from None
        return doc

    def check_answer(self, answer: Response, path: str) -> Document | None:
        """Raise for a refused, denied or uncertain post; the page otherwise."""
        status = answer.status
        if status == 429 or status >= 500:
            raise UncertainWriteError(
                f"{path}: server answered HTTP {status} to the form post", status=status
            )
        if status == 403:
            raise AccessDeniedError(
                f"{path}: {self.session.username!r} may not modify this page (HTTP 403)"
            )
        if answer.is_redirect:
            return None
        if status != 200:
            first = answer.text.strip().splitlines()[:1]
            detail = f": {first[0][:200]}" if first else ""
            raise ServerRefusedError(f"{path}: the form post got HTTP {status}{detail}")
        doc = self.session.parse(answer)
        alerts = [t for t in doc.texts(self.map.markers.alert_xpath) if t]
        if alerts:
            raise ServerRefusedError(
                f"{path}: PowerSchool refused the change: {' '.join(alerts)}"
            )
        return doc

    async def _settle(self, exc: UncertainWriteError, verify: Verify) -> None:
        try:
            await verify()
        except WriteNotAppliedError:
            message = f"{exc}; reading back shows it was not saved"
            if exc.status is not None:
                raise ServerError(message, status=exc.status) from None
            raise ConnectError(message) from None
        except DriverError as again:
            raise ConnectError(
                f"{exc}; reading back failed too ({again}), "
                "so whether it was saved is unknown: run plan again"
            ) from None

    @staticmethod
    def mismatch(
        path: str,
        bindings: Iterable[bind.Binding],
        fields: Fields,
        back: BaseModel,
        after: BaseModel,
        **row: object,
    ) -> None:
        """Raise WriteNotAppliedError for the first binding that did not stick."""
        found = bind.first_mismatch(bindings, fields, back, after, **row)
        if found is not None:
            raise WriteNotAppliedError(page=path, field=found[0], detail=found[1])

    # -- groups ------------------------------------------------------------------

    async def ensure_group(self, op: EnsureGroup) -> None:
        after, page = op.after, self.map.group_edit
        if op.before is None:
            await self.add_groups_up_to(after.number)
        todo = bind.changed(bind.GROUP, op.before, after)
        if not todo:
            return
        path = page.path(number=after.number)

        async def verify() -> None:
            back = await self.reader.group(after.number)
            self.mismatch(path, todo, page.fields, back, after)

        await self.write(
            path,
            page,
            lambda form: bind.write_all(form, page.fields, todo, after),
            verify,
        )

    async def add_groups_up_to(self, number: int) -> None:
        """Add Groups until group ``number`` exists (groups are never deleted)."""
        page = self.map.group_add
        count = await self.reader.group_count()
        if number <= count:
            return

        async def verify() -> None:
            now = await self.reader.group_count()
            if now < number:
                raise WriteNotAppliedError(
                    page=page.url,
                    field=page.fields.count.named(),
                    detail=f"{now} groups exist, group {number} was wanted",
                )

        await self.write(
            page.url,
            page,
            lambda form: bind.NUMBER.write(form, page.fields.count, {}, number - count),
            verify,
        )

    # -- page permissions ------------------------------------------------------------

    async def set_toggle(self, on: bool) -> None:
        page = self.map.toggle
        wanted = "on" if on else "off"

        async def verify() -> None:
            if await self.reader.toggle() != on:
                raise WriteNotAppliedError(
                    page=page.url,
                    field=page.fields.enabled.named(),
                    detail=f"is not {wanted}",
                )

        # The toggle changes what the editors show, nothing another page shows.
        editors = self.reader.editor_paths
        await self.write(
            page.url,
            page,
            lambda form: bind.CHOICE.write(form, page.fields.enabled, {}, wanted),
            verify,
            keeps=lambda path: path not in editors,
        )

    async def set_page_permissions(self, op: SetPagePermissions) -> None:
        editor = self.map.page_editor
        todo = {
            group: level
            for group, level in op.after.items()
            if op.before.get(group, "group_default") != level
        }
        if not todo:
            return
        try:
            path = await self.reader.editor_path(op.page)
        except PageToggleOffError:
            raise DriverError(
                f"{op.page}: cannot set page permissions while the page-permission "
                "toggle is off (turn it on first: toggle on or during_apply)"
            ) from None

        def fill(form: Form) -> None:
            # "Set All Groups To" applies to every group the filter leaves: keep it
            # at its empty choice whatever the page preselected.
            bind.CHOICE.write(form, editor.fields.set_all, {}, "")
            for group, level in todo.items():
                bind.CHOICE.write(form, editor.fields.level, {"group": group}, level)

        async def verify() -> None:
            levels = await self.reader.page_levels(op.page)
            for group, level in sorted(todo.items()):
                got = levels.get(group, "group_default")
                if got != level:
                    raise WriteNotAppliedError(
                        page=path,
                        field=editor.fields.level.named(group=group),
                        detail=f"reads back {got!r}, posted {level!r}",
                    )

        await self.write(path, editor, fill, verify)

    # -- staff lookups shared with StaffWriter ---------------------------------------

    async def require_staff(self, staff_id: str) -> StaffRef:
        ref = await self.reader.find_staff(staff_id)
        if ref is None:
            raise DriverError(f"staff member {staff_id!r} was not found in PowerSchool")
        return ref

    @staticmethod
    def secret(password: SecretStr | None) -> str | None:
        return password.get_secret_value() if password is not None else None
