"""Proving the sync account: verify what it can reach, rotate its password.

Owns choosing the sync account and its sessions (``access``), running probes
(``probes``) into a verify report (``verify_report``), the ``verify`` check itself,
password rotation (``rotate``) and handing a new password over (``delivery``).

May import: ``applying`` (the use cases' spec and target identity, the audit log,
change outcomes), ``planning``, ``psconfig.drivers.base``, ``psconfig.model``,
``psconfig.errors``; never ``fleet`` or ``sources``.
"""
