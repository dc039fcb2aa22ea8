"""Plan -> JSON: the saved-plan document (``--out``, ``--format json``).

The format and its secret masking are defined with the value in
``psconfig.engine.planning.plan``; this module is the renderer-shaped entry point.
Several plans (a fleet run) are one document of ``psconfig.render.fleet``.
"""

from __future__ import annotations

from psconfig.engine.planning.plan import Plan, plan_to_json
from psconfig.render.printable import printable


def render_json(plan: Plan) -> str:
    r"""One plan as a JSON document, newline-terminated, every character visible.

    Characters a reader cannot see are written as ``\uXXXX`` escapes, which
    decode to the same value.
    """
    return printable(plan_to_json(plan))
