"""Learning a district's pages: ``psconfig doctor``, ``--learn``, ``--capture``.

Owns ``doctor`` (the read-only checks of every page psconfig needs), ``learn``
(binding every field by label and writing the pins as a site map) and ``capture``
(redacted page captures that can be replayed offline).

May import ``http``, ``forms`` and ``pagemap``; never ``pages`` or the driver on
top (it binds pages; it does not read or write the model).
"""
