"""HTTP and sign-in: the one HTTP layer, the portal session, PCAS hashing.

Owns ``session`` (``Http``: the only httpx and stamina importer, loopback and TLS
rules, retries), ``response`` (what a request answered), ``pcas`` (the sign-in
hashes), ``login`` (reading the sign-in page and posting the credentials) and
``portal_session`` (a signed-in session: pages as ``Document``, forms submitted).

May import ``forms`` (pages are parsed into documents) and ``pagemap`` (the sign-in
page's map); never ``pages``, ``learning`` or the driver on top.
"""
