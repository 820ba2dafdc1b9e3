"""The web console: the pages people use to run incidents, work alerts and see who is on call.

Server-rendered (Jinja2), enhanced by htmx and server-sent events; every action is
also a plain form post. Pages call the same service functions as the API and check
the same viewer/responder/admin rules.

- ``viewer.py``: who is signed in (their role, CSRF token, time zone) and the write check.
- ``route.py``: ``ConsoleRoute``, which turns refusals and bad input into HTML answers;
  ``explained()`` gives their status and sentences to forms that show them in place.
- ``fields.py``: dates and times typed into forms, read in the viewer's zone.
- ``rendering.py``: the templates, their filters (times, ages) and ``page()``.
- ``assets.py``: the front-end packages installed from npm, served under ``/assets``.
- ``live.py``: topics whose changes reach open pages as server-sent events.
- ``login.py``, ``home.py``, ``outbox.py``: signing in, "what needs me now", the outbox.
- One module per area for the rest, each with a ``router`` listed in
  ``routes.ROUTERS``: ``incidents`` (the list, declaring) with ``incident_page``;
  ``alerts`` (the queue, live) with ``alert_pages``, ``alert_filters`` and
  ``alert_silences``; ``oncall`` (now and next, my shifts, the load report) with
  ``oncall_calendar``; ``escalations``; ``services``; ``admin``.
"""
