"""CPM's ``GET /ws/cpm/builtintext?path=...``: a page's stock source.

PowerSchool's custom-page manager answers JSON whose ``builtInText`` is the stock
source of an admin page (public: tulsaschoolsdata/powerschool-cpm). The simulator
answers it for its own pages that need no record (``STOCK``, filled by the app):
the page as it renders for the signed-in administrator; 404 otherwise.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from psconfig.sim.routing import Handler, Route
from psconfig.sim.runtime import Ctx, Refused

BUILTIN_TEXT = "/ws/cpm/builtintext"
STOCK: dict[str, Handler] = {}
"""Page path -> its GET handler (the app registers every simulated page)."""


def builtin_text(ctx: Ctx) -> Response:
    """The JSON CPM answers: the page's path and its stock source."""
    path = ctx.query("path") or ""
    handler = STOCK.get(path)
    if handler is None:
        return JSONResponse({"message": f"Not found: {path}"}, status_code=404)
    try:
        page = handler(ctx)
    except Refused:
        return JSONResponse({"message": f"No stock source: {path}"}, status_code=404)
    if page.status_code != 200:
        return JSONResponse({"message": f"No stock source: {path}"}, status_code=404)
    text = bytes(page.body).decode("utf-8")
    return JSONResponse({"path": path, "builtInText": text, "activeCustomText": ""})


ROUTES = [Route(BUILTIN_TEXT, get=builtin_text)]
