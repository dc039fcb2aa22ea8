"""Markup variants: the pages no public source shows, written other ways."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from psconfig.sim import SimState
from psconfig.sim.variants import EDITORS, Variant
from tests.sim.browser import Browser, alert, confirmed

SEEDS = range(1, 6)
"""The variants the convergence properties run on."""
FIELDS = (
    "name",
    "accesslevel",
    "canmodifyschedules",
    "reportqueuepriority",
    "powerscheduler",
    "translator",
    "loginid",
    "groupvalue",
    "ipaddrrestrict",
)
CHOICES = ("accesslevel", "canmodifyschedules", "reportqueuepriority", "group_levels")


def test_the_variants_cover_every_label_attachment_and_shape() -> None:
    variants = [Variant(seed) for seed in SEEDS]
    styles = {v.style(key) for v in variants for key in FIELDS}
    assert styles == {"cell", "for", "wrap", "aria", "labelledby", "legend"}
    assert any(v.radios(key) for v in variants for key in CHOICES)
    assert any(not v.radios(key) for v in variants for key in CHOICES)
    assert any(v.decoy("accesslevel") for v in variants)
    assert {v.editor for v in variants} - {EDITORS[0]}


def test_a_variant_renames_and_revalues_but_keeps_labels_and_texts() -> None:
    canonical, other = Variant(0), Variant(3)
    table = (("0", "No", False), ("1", "Yes", True))
    assert canonical.name("accesslevel") == "accesslevel"
    assert canonical.options("k", table) == table
    assert other.name("accesslevel") != "accesslevel"
    renamed = other.options("k", table)
    assert {label for _, label, _ in renamed} == {"No", "Yes"}
    assert not {value for value, _, _ in renamed} & {"0", "1"}
    assert other.options("k", table) == renamed  # the same on every request


@pytest.mark.anyio
@pytest.mark.parametrize("seed", [2, 4])
async def test_a_variant_page_saves_what_its_own_form_posts(
    admin: Browser,
    edit_state: Callable[[Callable[[SimState], object]], None],
    seed: int,
) -> None:
    edit_state(lambda s: setattr(s, "markup_variant", seed))
    path = "/admin/security/groups/edit.html?group=12"
    page = await admin.get(path)
    assert 'name="accesslevel"' not in page.text
    assert 'id="groupForm"' not in page.text
    form_id = Variant(seed).name("groupForm")
    name = Variant(seed).name("name")
    answer = await admin.submit(page, form_id, {name: "Read-Only Export"})
    assert confirmed(answer), alert(answer)
    assert 'value="Read-Only Export"' in (await admin.get(path)).text
