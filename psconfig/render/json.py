"""Plan -> JSON: the saved-plan document (``--out``, ``--format json``).

The format and its secret masking are defined with the value in
``psconfig.engine.plan``; this module is the renderer-shaped entry point.
"""

from __future__ import annotations

import json as _json
from collections.abc import Sequence

from psconfig.engine.plan import Plan, plan_to_dict, plan_to_json


def render_json(plan: Plan) -> str:
    """One plan as a JSON document, newline-terminated."""
    return plan_to_json(plan)


def render_json_many(plans: Sequence[Plan]) -> str:
    """Several plans (one per spec) as a JSON array of plan documents."""
    return (
        _json.dumps([plan_to_dict(p) for p in plans], indent=2, ensure_ascii=False)
        + "\n"
    )
