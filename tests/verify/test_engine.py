"""verify and rotate over a fake portal: the paths a simulator cannot reach.

A real simulator cannot lose a form post in transit, answer 404 for a probe page, or
refuse the new password from this machine only; the fake portal can.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from psconfig.drivers.portal.pages.probes import load_probes
from psconfig.engine.proving.access import SignIn
from psconfig.engine.proving.delivery import DeliveryError, FileDelivery, write_private
from psconfig.engine.proving.rotate import (
    CLASSES,
    MIN_LENGTH,
    RotateOptions,
    RotationError,
    generate_password,
    rotate_password,
)
from psconfig.engine.proving.verify import VerifyOptions, verify_spec
from psconfig.engine.proving.verify_report import ProbeResult, VerifyReport
from psconfig.errors import (
    ConnectError,
    DriverError,
    ServerRefusedError,
    WriteNotAppliedError,
)
from psconfig.model import Op, SetStaffPassword
from psconfig.spec import LoadedSpec, load_spec
from tests.verify.fakes import SYNC, FakePortal, sync_driver
from tests.verify.helpers import spec

NEW = "Fixed-new-password-1234567890!x"


@pytest.fixture
def loaded() -> LoadedSpec:
    return load_spec(spec())


def fixed() -> SecretStr:
    return SecretStr(NEW)


def by_id(report: VerifyReport) -> dict[str, ProbeResult]:
    return {r.id: r for r in report.results}


# ---------------------------------------------------------------------------
# verify


async def verify(portal: FakePortal, loaded: LoadedSpec) -> VerifyReport:
    options = VerifyOptions(probes=load_probes())
    return await verify_spec(loaded, portal.portal(), options)


@pytest.mark.anyio
async def test_statuses_that_are_neither_allowed_nor_denied_fail(
    loaded: LoadedSpec,
) -> None:
    statuses = {
        "/admin/tech/dde/home.html": 200,
        "/admin/tech/dde/exportrecords.html": 200,
        "/admin/students/log.html?type=health": 404,
        "/admin/faculty/search.html": 500,
    }
    fake = FakePortal(sync_driver(), statuses=statuses)
    report = await verify(fake, loaded)
    results = by_id(report)
    assert report.failed == ("log-health", "staff-search")
    assert results["log-health"].observed == "HTTP 404: neither allowed nor denied"
    assert results["security-group-edit"].path.endswith("edit.html?group=12")
    assert results["dde-export-records"].observed == (
        "allowed: 1 record exported from students"
    )


@pytest.mark.anyio
async def test_an_empty_or_failing_export_fails(loaded: LoadedSpec) -> None:
    allowed = {"/admin/tech/dde/home.html": 200}
    allowed["/admin/tech/dde/exportrecords.html"] = 200
    empty = await verify(
        FakePortal(sync_driver(), statuses=allowed, export="T\n"), loaded
    )
    assert empty.failed == ("dde-export-records",)
    assert "allowed: 0 records" in by_id(empty)["dde-export-records"].observed
    error = ServerRefusedError("DDE: No records are selected.")
    broken = await verify(
        FakePortal(sync_driver(), statuses=allowed, export=error), loaded
    )
    observed = by_id(broken)["dde-export-records"].observed
    assert observed == "error: DDE: No records are selected."


@pytest.mark.anyio
async def test_a_real_server_skips_the_outside_address_probe(tmp_path: Path) -> None:
    loaded = load_spec(spec(extra="    allowed_ips: [192.0.2.10]\n"))
    sync = SYNC.model_copy(
        update={
            "admin_access": SYNC.admin_access.model_copy(
                update={"allowed_ips": ("192.0.2.10",)}
            )
        }
    )
    fake = FakePortal(sync_driver(staff=sync), simulated=False)
    report = await verify(fake, loaded)
    outside = by_id(report)["sign-in-outside-allowed-ips"]
    assert outside.outcome == "skip"
    assert outside.observed.startswith("not tried: only on sim://")
    # A real server sees this machine's own address: none is chosen.
    assert [s.client_ip for s in fake.sign_ins] == [None]


@pytest.mark.anyio
async def test_no_default_group_skips_the_probes_that_need_it(
    loaded: LoadedSpec,
) -> None:
    sync = SYNC.model_copy(
        update={
            "admin_access": SYNC.admin_access.model_copy(update={"default_group": None})
        }
    )
    report = await verify(FakePortal(sync_driver(staff=sync)), loaded)
    skipped = {r.id for r in report.results if r.outcome == "skip"}
    assert {"security-group-edit", "write-group-edit"} <= skipped


# ---------------------------------------------------------------------------
# rotate


def set_password_fails(error: DriverError) -> Callable[[Op], DriverError | None]:
    def fail(op: Op) -> DriverError | None:
        return error if isinstance(op, SetStaffPassword) else None

    return fail


async def rotate(fake: FakePortal, loaded: LoadedSpec, out: Path) -> None:
    options = RotateOptions(delivery=FileDelivery(out), generate=fixed)
    await rotate_password(loaded, fake.portal(), options)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".new"))


@pytest.mark.anyio
async def test_a_refused_write_changes_nothing_and_deletes_the_staging_file(
    loaded: LoadedSpec, tmp_path: Path
) -> None:
    refused = ServerRefusedError("adminaccess.html: PowerSchool refused the change")
    driver = sync_driver(fail=set_password_fails(refused))
    with pytest.raises(RotationError, match="the password was not changed"):
        await rotate(FakePortal(driver), loaded, tmp_path / "secret")
    assert leftovers(tmp_path) == [] and not (tmp_path / "secret").exists()


@pytest.mark.anyio
@pytest.mark.parametrize(
    "error",
    [
        ConnectError("adminaccess.html: the form post failed in transit"),
        WriteNotAppliedError(page="adminaccess.html", field="password"),
    ],
)
async def test_a_write_of_unknown_outcome_keeps_the_staged_password(
    loaded: LoadedSpec, tmp_path: Path, error: DriverError
) -> None:
    driver = sync_driver(fail=set_password_fails(error))
    with pytest.raises(RotationError) as caught:
        await rotate(FakePortal(driver), loaded, tmp_path / "secret")
    message = str(caught.value)
    assert message.startswith("PowerSchool may or may not have the new password")
    kept = leftovers(tmp_path)
    assert len(kept) == 1 and kept[0] in message and NEW not in message
    staged = tmp_path / kept[0]
    assert staged.read_text() == NEW + "\n"
    assert stat.S_IMODE(staged.stat().st_mode) == 0o600
    assert not (tmp_path / "secret").exists()


@pytest.mark.anyio
async def test_a_new_password_that_does_not_sign_in_is_not_delivered(
    loaded: LoadedSpec, tmp_path: Path
) -> None:
    out = tmp_path / "secret"
    out.write_text("previous\n")

    def from_here(who: SignIn) -> str | None:
        return "not allowed from this location" if who.password == fixed() else None

    with pytest.raises(RotationError) as caught:
        await rotate(FakePortal(sync_driver(), refuse=from_here), loaded, out)
    message = str(caught.value)
    assert "the new password was set but does not sign in" in message
    assert f"{out} (mode 0600) was not changed" in message
    assert out.read_text() == "previous\n"
    assert len(leftovers(tmp_path)) == 1


@pytest.mark.anyio
async def test_an_old_password_that_still_works_is_reported_after_delivery(
    loaded: LoadedSpec, tmp_path: Path
) -> None:
    fake = FakePortal(sync_driver(), any_password=True)
    out = tmp_path / "secret"
    with pytest.raises(RotationError, match="the old password still signs in too"):
        await rotate(fake, loaded, out)
    assert out.read_text() == NEW + "\n"


@pytest.mark.anyio
async def test_a_network_failure_after_the_change_keeps_the_password(
    loaded: LoadedSpec, tmp_path: Path
) -> None:
    fake = FakePortal(sync_driver(), broken=ConnectError("cannot reach the server"))
    with pytest.raises(RotationError) as caught:
        await rotate(fake, loaded, tmp_path / "secret")
    message = str(caught.value)
    assert message.startswith("cannot reach the server; the password was changed")
    assert fake.driver.passwords["99999"] == fixed()
    assert len(leftovers(tmp_path)) == 1


@pytest.mark.anyio
async def test_a_directory_as_out_fails_before_powerschool_is_touched(
    loaded: LoadedSpec, tmp_path: Path
) -> None:
    driver = sync_driver()
    with pytest.raises(DeliveryError, match="is a directory"):
        await rotate(FakePortal(driver), loaded, tmp_path)
    assert driver.writes == [] and driver.entered == 0


# ---------------------------------------------------------------------------
# password generation and the private file


@given(st.integers(min_value=MIN_LENGTH, max_value=96))
def test_generated_passwords_are_long_and_mixed(length: int) -> None:
    password = generate_password(length).get_secret_value()
    assert len(password) == length
    for group in CLASSES:
        assert any(c in group for c in password)
    assert set(password) <= set("".join(CLASSES))


def test_generated_passwords_differ_and_short_ones_are_refused() -> None:
    drawn = {generate_password().get_secret_value() for _ in range(50)}
    assert len(drawn) == 50
    with pytest.raises(ValueError, match="at least 24"):
        generate_password(MIN_LENGTH - 1)


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("open_umask")
def test_private_files_are_0600_whatever_the_umask(tmp_path: Path) -> None:
    first = write_private(tmp_path / "new", "x.", SecretStr("s3cret"))
    second = write_private(tmp_path / "new", "x.", SecretStr("s3cret"))
    assert first != second
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.parent.stat().st_mode) == 0o700
    assert first.read_text() == "s3cret\n"
