"""The engine: diff, plan, apply, drift, safety, audit and locking.

It knows PowerSchool only through the ``Driver`` protocol and specs only through
``run.SpecSource``. ``run`` holds the use cases the CLI calls (``plan_spec``,
``apply_spec``), ``fleet`` runs them over many specs, and ``plan`` holds the
``Plan`` value and its JSON format.
Import submodules directly; this package imports nothing so the CLI stays fast.
"""
