"""The engine: plan, apply, prove and run fleets; PowerSchool only through a driver.

It knows PowerSchool only through the ``Driver`` protocol (``psconfig.drivers.base``)
and specs only through ``applying.plan_and_apply.SpecSource``. Its rooms, lowest
first; each imports only the rooms below it (tests/test_architecture.py,
``ENGINE_ROOMS``):

- ``planning``: desired and live state to a ``Plan`` (the plan value types live in
  ``planning.plan``), its severity and the safety guards;
- ``applying``: the plan and apply use cases the CLI calls, writing a plan's
  changes, the per-server lock and the audit log;
- ``proving``: proving the sync account (``verify``) and rotating its password;
- ``fleet``: the same use cases over many specs at once, and sharding;
- ``sources``: plans from live state read elsewhere than a portal session: a
  recorded snapshot, the read-only plugin API.

Import submodules directly; this package imports nothing so the CLI stays fast.
"""
