"""Placeholder: filled in by the next commit."""

from __future__ import annotations

from psconfig.sim.routing import Route

ROUTES: list[Route] = []
