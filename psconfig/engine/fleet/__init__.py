"""Fleets: the per-spec use cases over many districts at once, and sharding.

Owns the fleet run (``runner``: bounded parallelism, one server at a time, results
and exit codes), its spread over processes (``workers``: ``--workers N``) and
``--shard I/N`` (``shard``).

May import: ``applying``, ``planning``, ``psconfig.drivers.base``,
``psconfig.model``, ``psconfig.errors``; never ``proving`` or ``sources``.
"""
