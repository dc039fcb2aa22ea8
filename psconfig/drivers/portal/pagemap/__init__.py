"""The page map: what each PowerSchool page holds, per flavor, as data.

Owns ``map_parts`` (a field, a page, markers), ``maps`` (every page of a flavor's
map, loaded from ``data/<flavor>.json``), ``site_map`` (a district's learned pins
laid over the bundled map) and the JSON data in ``data/`` (the form maps and
``probes.json``).

Imports nothing else of the driver: every other part reads it.
"""
