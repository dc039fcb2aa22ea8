"""Pages: reading and writing PowerSchool's pages through a signed-in session.

Owns ``reader`` (every page read into the model), ``form_writer`` (the one write
shape: GET, fill, POST once, check the answer, read back), ``writer`` (groups, the
toggle, page permissions), ``staff_writer``, ``staff_pages`` and ``staff_create``
(the staff forms, on the write shape), ``importer`` (the scope an existing
integration uses) and ``probes`` (what ``psconfig verify`` tries).

May import ``http``, ``forms`` and ``pagemap``; never ``learning`` or the driver
on top. ``writer`` sits above ``staff_writer``, both above ``form_writer``: no
module here imports one that imports it back.
"""
