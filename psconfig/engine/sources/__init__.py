"""Live state read elsewhere than a portal session, planned as drift or a plan.

Owns snapshots (``snapshot``: record a read-only capture, plan offline from it,
never apply it) and drift through the read-only plugin API (``api_drift``).

May import: ``fleet``, ``applying``, ``planning``, ``psconfig.drivers.base``,
``psconfig.model``, ``psconfig.errors``; never ``proving``.
"""
