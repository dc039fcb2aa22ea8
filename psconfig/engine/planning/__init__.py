"""Planning: from desired and live state to a ``Plan``, judged and guarded.

Owns the plan value types and their JSON form (``plan``), the leaf diff (``diff``,
the one deepdiff importer), severity rules (``severity``), the steps every object
kind shares (``objects``), one module per object kind that diffs, builds and judges
its changes (``groups``; ``pages``, with the page-permission toggle; ``staff``),
the whole plan in dependency order (``build``) and the guards an apply checks
first (``safety``).

May import: ``psconfig.model``, ``psconfig.errors`` and the root package (its
version); no other engine room. Nothing here touches a driver or the disk.
"""
