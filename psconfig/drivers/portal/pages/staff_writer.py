"""Staff operations: create, update, set password, delete, deactivate.

Creating one (switching the session's school, New Staff Member and its duplicate
check) is ``staff_create``'s. A staff member spans three forms (Edit Information,
Teachers and Affiliations, Admin Access and Roles, each written by
``staff_pages``); an update writes only the forms whose values differ. Revoking
admin sign-in is written first and granting it last, so a half-applied change never
leaves more access than either end state. A move of the home school writes Teachers
and Affiliations before Edit Information, whose Staff Type is the home row's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psconfig.drivers.portal.forms import bind
from psconfig.drivers.portal.forms.controls import Form
from psconfig.drivers.portal.http.session import UncertainWriteError
from psconfig.drivers.portal.pagemap.maps import PortalMap
from psconfig.drivers.portal.pages.reader import StaffRef
from psconfig.drivers.portal.pages.staff_create import StaffCreator
from psconfig.drivers.portal.pages.staff_pages import StaffPages
from psconfig.errors import (
    ConnectError,
    DriverError,
    WriteNotAppliedError,
)
from psconfig.model import (
    CreateStaff,
    DeactivateStaff,
    DeleteStaff,
    SetStaffPassword,
    Staff,
    UpdateStaff,
)

if TYPE_CHECKING:
    from psconfig.drivers.portal.pages.form_writer import FormWriter

StaffOp = CreateStaff | UpdateStaff | SetStaffPassword | DeleteStaff | DeactivateStaff


class StaffWriter:
    """The staff half of the writer (same session, reader and write shape)."""

    def __init__(self, writer: FormWriter) -> None:
        self.w = writer
        self.pages = StaffPages(writer)
        self.creator = StaffCreator(writer)

    @property
    def map(self) -> PortalMap:
        return self.w.map

    async def apply(self, op: StaffOp) -> None:
        if isinstance(op, CreateStaff):
            await self.create(op)
        elif isinstance(op, UpdateStaff):
            ref = await self.w.require_staff(op.before.id)
            password = self.w.secret(op.password)
            await self.update_pages(ref, op.before, op.after, password)
        elif isinstance(op, SetStaffPassword):
            await self.set_password(op)
        elif isinstance(op, DeleteStaff):
            await self.delete(op)
        else:
            await self.deactivate(op)

    # -- operations --------------------------------------------------------------

    async def create(self, op: CreateStaff) -> None:
        """Switch to the staff member's school, create it, then set its security."""
        after = op.after
        await self.creator.switch_school(after.school)
        ref = await self.creator.new_record(after)
        current = await self.w.reader.staff_member(ref)
        await self.update_pages(ref, current, after, self.w.secret(op.password))

    async def deactivate(self, op: DeactivateStaff) -> None:
        """Admin sign-in off, every role removed, status No longer here."""
        before = op.before
        admin = before.admin_access.model_copy(update={"enabled": False, "roles": ()})
        after = before.model_copy(
            update={"status": "no_longer_here", "admin_access": admin}
        )
        ref = await self.w.require_staff(before.id)
        await self.update_pages(ref, before, after, None)

    async def delete(self, op: DeleteStaff) -> None:
        page = self.map.staff_delete
        ref = await self.w.reader.find_staff(op.before.id)
        if ref is None:
            return  # already gone: deleting is idempotent
        path = page.path(frn=ref.frn)

        async def verify() -> None:
            if await self.w.reader.find_staff(op.before.id) is not None:
                raise WriteNotAppliedError(
                    page=path, field="(record)", detail="the staff member still exists"
                )

        await self.w.write(path, page, lambda form: None, verify)

    async def set_password(self, op: SetStaffPassword) -> None:
        """Post a new admin password; it is write-only, so the save must confirm."""
        page = self.map.admin_access
        ref = await self.w.require_staff(op.staff_id)
        path = page.path(frn=ref.frn)
        secret = op.password.get_secret_value()

        def fill(form: Form) -> None:
            bind.require_all(form, page.fields)
            bind.TEXT.write(form, page.fields.password, {}, secret)

        try:
            answer = await self.w.session.submit(path, page.form, fill)
            doc = self.w.check_answer(answer, path)
        except UncertainWriteError as exc:
            raise ConnectError(
                f"{exc}; a password cannot be read back, so whether it was set is "
                "unknown: set it again"
            ) from None
        if doc is not None and not doc.texts(self.map.markers.saved_xpath):
            raise WriteNotAppliedError(
                page=path,
                field=page.fields.password.name,
                detail="PowerSchool did not confirm the save",
            )

    # -- steps -------------------------------------------------------------------

    async def update_pages(
        self, ref: StaffRef, before: Staff, after: Staff, password: str | None
    ) -> None:
        """Write each staff form whose values differ; revocations go first.

        Changes the portal cannot make are refused before anything is posted.
        """
        self._refuse_impossible(before, after)
        revoking = before.admin_access.enabled and not after.admin_access.enabled
        pages = self.pages
        if revoking:
            await pages.write_admin(ref, before.admin_access, after.admin_access, None)
        steps = [pages.write_edit, pages.write_affiliations]
        if _homes(before) != _homes(after):
            # Edit Information's Staff Type is the home row's: move the home first,
            # so the type lands on the new home row and the old row keeps its own.
            steps.reverse()
        for step in steps:
            await step(ref, before, after)
        if not revoking:
            await pages.write_admin(
                ref, before.admin_access, after.admin_access, password
            )

    def _refuse_impossible(self, before: Staff, after: Staff) -> None:
        # The staff member's school is its home school, which moves with the
        # home school of the Teachers and Affiliations grid; nothing else moves it.
        homes = {a.school for a in after.affiliations if a.home}
        if before.school != after.school and homes != {after.school}:
            raise DriverError(
                f"staff member {after.id!r}: moving to school {after.school} needs "
                "the home affiliation there (affiliations: home: true)"
            )
        gone = sorted(
            {a.school for a in before.affiliations}
            - {a.school for a in after.affiliations}
        )
        if gone:
            raise DriverError(
                f"staff member {after.id!r}: PowerSchool cannot remove the "
                f"affiliation with school {gone[0]}; make it inactive "
                "(active: false) instead"
            )


def _homes(staff: Staff) -> set[int]:
    """The schools of ``staff``'s home affiliation rows (one, or none read yet)."""
    return {a.school for a in staff.affiliations if a.home}
