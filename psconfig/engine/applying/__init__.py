"""Applying: the plan, drift and apply use cases, and what an apply leaves behind.

Owns the use cases the CLI calls for one spec against one driver
(``plan_and_apply``: ``plan_spec``, ``apply_spec``, ``SpecSource``), writing a
plan's changes in order (``apply``), the one-run-per-server lock (``lock``, the one
filelock importer) and the JSON-lines audit log (``audit``).

May import: ``planning``, ``psconfig.drivers.base``, ``psconfig.model``,
``psconfig.errors``; never ``proving``, ``fleet`` or ``sources``.
"""
