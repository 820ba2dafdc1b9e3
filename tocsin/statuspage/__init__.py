"""The status page: telling the public and stakeholders the truth, on time.

Where things are:

- ``config_schema`` and ``config_kinds``: ``status_page:`` in configuration files
  (components, more pages, proposals, customers, templates); ``audiences``: the pages.
- ``tables``: component statuses and their history, public incidents and maintenance
  with their updates, subscribers and deliveries.
- ``components``: component statuses, proposed from open incidents and confirmed by
  a person; ``automatic``: services whose incidents set them without one.
- ``publishing``: public incidents, updates, backfills and maintenance;
  ``public_postmortems``: a postmortem's public version on its public incident
  (status ``postmortem``; rendered by :mod:`tocsin.postmortems.public`);
  ``maintenance`` and ``maintenance_jobs``: maintenance windows for paging and the
  automatic start and completion.
- ``reading`` builds the :class:`~tocsin.statuspage.reading.Snapshot` every public
  output is drawn from (``uptime``: the 90-day bars); ``published`` keeps one edition
  per page and process (``freshness`` drops them when a change commits);
  ``statuspage_api`` (Statuspage's JSON), ``feeds`` (Atom, RSS) and ``public_pages``
  (HTML, with ``templates/`` and ``static/``) render it.
- ``public_routes``: what is served without login; ``routes`` and ``schemas``: the
  management API; ``cli``: ``tocsin status``.
- Subscribers: ``subscribers`` (signing up, confirming, unsubscribing),
  ``subscriber_links`` (link secrets: only their hashes are stored),
  ``subscriber_jobs`` (the job kinds, queued with each notified update and each
  component status change), ``subscriber_fan_out`` (who is told), ``subscriber_content``
  (what an update or a change says on a page) and ``subscriber_delivery`` (one
  delivery per subscriber and update or change), ``subscriber_messages`` and
  ``subscriber_sending`` (mail, Statuspage's incident and component webhooks, Slack,
  Teams), ``subscriber_notices`` (opt-in and disabled notices), ``subscriber_csv``,
  ``subscriber_lists``, ``subscriber_routes`` and ``subscriber_schemas`` (the admin
  API), ``subscriber_pages`` (the public sign-up and manage pages).
- ``exporting`` queues the static copy after each change, ``export`` writes it
  (atomically) and ``export_push`` pushes it to a command or a bucket.
- Communications (docs/communications.md): ``drafting`` renders the message
  templates in a sandbox (``drafting_routes``: drafts, previews and the
  speakers' one-call messages); ``cadence`` is the public update deadline and
  its reminders; ``reports`` the internal reports to the severity's audience;
  ``customers`` the mails to enterprise customers; ``speaking`` the no-update
  update and the post-resolution summary; ``messages`` sends them all (times
  in the page's zone); ``communications`` is what a public update or an
  incident's change (declared, severity, resolved, reopened) sets off.
"""
