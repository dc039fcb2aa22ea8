"""What PowerSchool's pages require, written down: the lower bound of a run.

Each ``Step`` is one request a plan, a drift or an apply of a fresh district
cannot do without, and ``after`` names the steps whose answers it needs (a form's
token and values, a link's address, a record's ``frn``) or that must have
happened first (the toggle on before an editor shows). Nothing here is taken from
psconfig's request sequence: the edges come from the pages as ``sim/PAGES.md``
describes them and from the product's contracts, each with its reason:

- sign-in first: the sign-in page carries the key and token the credentials are
  posted with;
- page permissions show only while the toggle is on: reading or setting an editor
  needs the toggle on, turning it on needs its form, and a plan's read leaves the
  toggle as it found it (off) before the plan is shown;
- a form read once is posted from that read, and a post whose answer is the form
  again (PowerSchool's "Changes Recorded" page) is its own read-back, so a write
  is one request when its form was read since the last post that could change it;
- the plan is computed from every read before the engine decides on the
  signed-in account's lookup (only a plan that changes a group needs it);
- an apply writes one change at a time in the plan's order (it stops at the first
  that fails), after binding every labelled page;
- sign-out last.

The minimum number of dependent rounds is the longest chain (each step one
round); the minimum number of requests is the number of steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One request: ``what`` it is, the steps it needs first, and why."""

    name: str
    what: str
    after: tuple[str, ...] = ()
    why: str = ""


def _step(name: str, what: str, *after: str, why: str = "") -> Step:
    return Step(name, what, tuple(after), why)


SIGN_IN = (
    _step("signin_page", "GET /admin/pw.html", why="key and token of the form"),
    _step("sign_in", "POST credentials", "signin_page"),
)
READS = (
    _step("toggle", "GET toggle page", "sign_in", why="on or off, and its form"),
    _step("group_list", "GET groups home", "sign_in", why="which groups exist"),
    _step("group_edit", "GET group's edit page", "group_list"),
    _step("staff_search", "GET staff search by ID", "sign_in", why="none: fresh"),
    _step("admin_search", "GET staff search, admin sign-in", "sign_in"),
    _step("schools", "GET an admin's affiliations", "admin_search", why="schools"),
    _step("toggle_on", "POST toggle on", "toggle", why="editors show only when on"),
    _step("editor_home", "GET DDE home's editor", "toggle_on"),
    _step("editor_export", "GET DDE export's editor", "toggle_on"),
    _step(
        "toggle_off",
        "POST toggle off (form: toggle_on's answer)",
        "editor_home",
        "editor_export",
        why="the read leaves the toggle as found",
    ),
)
_PLAN_READ = ("group_edit", "schools", "staff_search", "editor_home", "editor_export")
ACCOUNT = (
    _step("admin_edit", "GET admin's Edit Information", "admin_search", *_PLAN_READ),
    _step("admin_access", "GET admin's Admin Access", "admin_search", *_PLAN_READ),
)
_PLANNED = (*_PLAN_READ, "toggle_off", "admin_edit", "admin_access")
WRITES = (
    _step("bind_group", "GET group 1's edit page (binding)", "sign_in"),
    _step("bind_add", "GET Add Groups (binding)", "sign_in"),
    _step(
        "post_group",
        "POST the group (form read by the plan)",
        *_PLANNED,
        "bind_group",
        "bind_add",
    ),
    _step("apply_on", "POST toggle on (form: toggle_off's answer)", "post_group"),
    _step("form_home", "GET DDE home's editor", "apply_on", why="off since the plan"),
    _step("form_export", "GET DDE export's editor", "apply_on"),
    _step("post_home", "POST DDE home's levels", "form_home", "form_export"),
    _step("post_export", "POST DDE export's levels", "post_home"),
    _step("home_page", "GET home (the session's school)", "sign_in"),
    _step("new_form", "GET New Staff Member", "post_export", "home_page"),
    _step("duplicates", "POST the duplicate check", "new_form"),
    _step("create", "POST the go-ahead (creates)", "duplicates"),
    _step("find_new", "GET staff search by ID", "create", why="the new frn"),
    _step("new_edit", "GET its Edit Information", "find_new", why="confirm the ID"),
    _step("new_affiliations", "GET its affiliations", "find_new"),
    _step("new_access", "GET its Admin Access", "find_new"),
    _step(
        "post_access",
        "POST its Admin Access",
        "new_edit",
        "new_affiliations",
        "new_access",
    ),
    _step("apply_off", "POST toggle off (form: apply_on's answer)", "post_access"),
)


def _signed_out(steps: Sequence[Step]) -> tuple[Step, ...]:
    return (*steps, _step("sign_out", "GET logout", *(s.name for s in steps)))


GRAPHS: dict[str, tuple[Step, ...]] = {
    "plan": _signed_out((*SIGN_IN, *READS, *ACCOUNT)),
    "drift": _signed_out((*SIGN_IN, *READS)),
    "apply": _signed_out((*SIGN_IN, *READS, *ACCOUNT, *WRITES)),
}
"""A fresh district (toggle off; the Clever preset: one group to change, the two
DDE pages' editors, one staff member to create) by kind of run."""


def depths(steps: Sequence[Step]) -> dict[str, int]:
    """Each step's round: one more than the latest of the steps it needs."""
    by_name = {s.name: s for s in steps}
    if len(by_name) != len(steps):
        raise ValueError("two steps share a name")
    out: dict[str, int] = {}

    def depth(name: str, seen: tuple[str, ...]) -> int:
        if name in seen:
            raise ValueError(f"a cycle through {name}")
        if name not in out:
            needs = by_name[name].after
            out[name] = 1 + max((depth(n, (*seen, name)) for n in needs), default=0)
        return out[name]

    for step in steps:
        depth(step.name, ())
    return out


def minimum(kind: str) -> dict[str, int]:
    """The derived minimum rounds and requests of one kind of run."""
    steps = GRAPHS[kind]
    return {"rounds": max(depths(steps).values()), "requests": len(steps)}
