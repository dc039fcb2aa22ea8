"""Which generation of a page the simulated PowerSchool serves, by its version.

Two page shapes changed at known points (PAGES.md, "Eras"):

- New Staff Member: before 7.9 (2013) the stock page posts ``[05]`` names straight
  to ``home.html`` with ``ac=prim`` (ksdtech/powerschool-web ``01f46cb``); from 7.9
  on it is ``form#staffCreateForm`` posting unprefixed names to
  ``staffcheckduplicates.html`` (``c5050d0``, Oct 2013, and later).
- The header: before 20.x the school is changed through a "School:" link to a page
  with a ``Schoolid`` select and ``attSubmitButton`` (scottorwig/ubuntubot); from
  20.x on an Angular school picker whose toggle button shows the school's name.

The exact releases are not public; 7.9 and 20.0 are the documented assumption.
"""

from __future__ import annotations

import re

from psconfig.sim.state import SimState

STAFF_CHECK_SINCE = (7, 9)
SCHOOL_PICKER_SINCE = (20, 0)


def version(state: SimState) -> tuple[int, int]:
    """``(major, minor)`` of the state's version ("23.10.0.2" -> (23, 10))."""
    parts = [int(p) for p in re.findall(r"[0-9]+", state.version)[:2]]
    major, minor = [*parts, 0, 0][:2]
    return major, minor


def checks_staff_duplicates(state: SimState) -> bool:
    """True when New Staff Member goes through the duplicate check."""
    return version(state) >= STAFF_CHECK_SINCE


def has_school_picker(state: SimState) -> bool:
    """True when the header carries the school picker (else the "School:" link)."""
    return version(state) >= SCHOOL_PICKER_SINCE
