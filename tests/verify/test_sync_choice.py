"""Which staff member verify and rotate-password treat as the sync account."""

from __future__ import annotations

import pytest

from psconfig.engine.proving.access import choose_sync_staff
from psconfig.errors import PsconfigError
from psconfig.model import DDE_PAGES, AdminAccess, Desired, Staff


def admin(sid: str, group: int) -> Staff:
    return Staff(id=sid, admin_access=AdminAccess(enabled=True, default_group=group))


def test_the_account_whose_group_exports_is_chosen_beside_another_admin() -> None:
    desired = Desired(
        staff={"99999": admin("99999", 12), "500": admin("500", 9)},
        page_permissions={page: {12: "full"} for page in DDE_PAGES},
    )
    assert choose_sync_staff(desired, None) == ("99999", "present")


def test_two_admin_accounts_and_no_export_group_is_ambiguous() -> None:
    desired = Desired(staff={"1": admin("1", 12), "2": admin("2", 9)})
    with pytest.raises(PsconfigError, match="several candidate sync accounts"):
        choose_sync_staff(desired, None)


def test_a_lone_admin_account_is_the_sync_account() -> None:
    desired = Desired(staff={"7": admin("7", 12)})
    assert choose_sync_staff(desired, None) == ("7", "present")
