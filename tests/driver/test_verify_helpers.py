"""``probe`` and ``export_dde``: what the sync account can really do, as verify asks."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from psconfig.errors import AccessDeniedError
from psconfig.model import (
    CreateStaff,
    EnsureGroup,
    Scope,
    SetPagePermissions,
    SetPageToggle,
)
from psconfig.sim import SimApp
from tests.driver.conftest import portal
from tests.driver.test_apply import (
    DDE_EXPORT,
    DDE_HOME,
    PASSWORD,
    READ_ONLY_EXPORT,
    sync_staff,
)


async def clever_setup(sim: SimApp, *, dde_full: bool = True) -> None:
    """The guide's steps 2-4 through the driver."""
    async with portal(sim) as drv:
        before = (await drv.read(Scope(groups=frozenset({12})))).groups[12]
        await drv.apply(EnsureGroup(before=before, after=READ_ONLY_EXPORT))
        if dde_full:
            await drv.apply(SetPageToggle(on=True))
            for page in (DDE_HOME, DDE_EXPORT):
                await drv.apply(
                    SetPagePermissions(page=page, before={}, after={12: "full"})
                )
            await drv.apply(SetPageToggle(on=False))
        await drv.apply(CreateStaff(after=sync_staff(), password=SecretStr(PASSWORD)))


@pytest.mark.anyio
async def test_probe_reports_what_the_sync_account_may_open_and_post(
    sim: SimApp,
) -> None:
    await clever_setup(sim)
    async with portal(sim, username="cleversync", password=PASSWORD) as sync:
        assert await sync.probe(DDE_HOME) == 200
        assert await sync.probe(DDE_EXPORT) == 200
        assert await sync.probe("/admin/security/groups/home.html") == 403
        assert await sync.probe(DDE_HOME, "POST", {"filenum": "1"}) == 200
        assert (
            await sync.probe("/admin/security/groups/edit.html?group=12", "POST") == 403
        )


@pytest.mark.anyio
async def test_export_dde_returns_the_delimited_records(sim: SimApp) -> None:
    await clever_setup(sim)
    students = sorted(s.student_number for s in sim.state.students)
    async with portal(sim, username="cleversync", password=PASSWORD) as sync:
        text = await sync.export_dde()
        teachers = await sync.export_dde("teachers", ["TeacherNumber", "LoginID"])
    lines = text.splitlines()
    assert lines[0].split("\t") == [
        "Student_Number",
        "Last_Name",
        "First_Name",
        "Grade_Level",
        "SchoolID",
    ]
    assert sorted(line.split("\t")[0] for line in lines[1:]) == students
    assert "99999\tcleversync" in teachers.splitlines()


@pytest.mark.anyio
async def test_export_without_full_on_the_dde_pages_is_denied(sim: SimApp) -> None:
    await clever_setup(sim, dde_full=False)
    async with portal(sim, username="cleversync", password=PASSWORD) as sync:
        with pytest.raises(AccessDeniedError, match="access denied to 'cleversync'"):
            await sync.export_dde()
