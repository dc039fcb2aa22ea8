"""Forms and binding: HTML as a browser sees it, controls found by their labels.

Owns ``document`` (the only lxml importer: pages, forms, tables, redaction),
``controls`` (a form's controls and what is posted), ``labels`` (finding a control
by its visible label, options by text), ``bind`` (model values <-> controls through
a map's fields) and ``grid`` (the Teachers and Affiliations JSON grid).

May import ``pagemap`` (the field maps it binds); nothing else of the driver.
"""
