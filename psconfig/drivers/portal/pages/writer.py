"""Perform one ``Op`` through the portal's forms, then read back and compare.

Groups, the page-permission toggle and page permissions are written here, staff
members by ``staff_writer``; every write follows the one shape of
``form_writer.FormWriter.write`` (GET, fill, POST once, check, read back).
"""

from __future__ import annotations

import asyncio

from psconfig.drivers.portal.forms import bind
from psconfig.drivers.portal.forms.controls import Form
from psconfig.drivers.portal.http.portal_session import PortalSession
from psconfig.drivers.portal.pages.form_writer import FormWriter
from psconfig.drivers.portal.pages.reader import PageToggleOffError, Reader, StaffRef
from psconfig.drivers.portal.pages.staff_writer import StaffWriter
from psconfig.errors import DriverError, WriteNotAppliedError
from psconfig.model import (
    EnsureGroup,
    Op,
    SetPagePermissions,
    SetPageToggle,
)


class Writer(FormWriter):
    """Applies operations through a signed-in session."""

    def __init__(self, session: PortalSession, reader: Reader) -> None:
        super().__init__(session, reader)
        self.staff = StaffWriter(self)
        self._bound = False

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
                await self.reader.admin_page(StaffRef("", refs[0]), to_write=True)

        await asyncio.gather(
            self.reader.group(1), add_groups(), self.reader.toggle(), admin()
        )

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
