"""The status page: telling the public and stakeholders the truth, on time.

Where things are:

- ``config_schema`` and ``config_kinds``: ``status_page:`` in configuration files
  (components, more pages, proposals, customers, templates).
- ``tables``: component statuses and their history, public incidents and maintenance
  with their updates.
- ``components``: component statuses, proposed from open incidents and confirmed by
  a person; ``publishing``: public incidents, updates and maintenance.
- ``reading``: what the public sees, built once per change for every output
  (``public_pages`` HTML, ``statuspage_api`` JSON, ``feeds`` Atom and RSS).
- ``exporting`` queues the static copy after each change, ``export`` writes it
  (atomically) and ``export_push`` pushes it to a command or a bucket; ``cli``
  is ``tocsin status``.
"""
