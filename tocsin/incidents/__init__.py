"""Running incidents: the imperative shell around tocsin.domain's incident logic.

Each change to an incident happens in one transaction that applies a domain
decision, appends its timeline entry, writes the audit entry and queues any
durable job (formal declaration, telling stakeholders), so a committed change
always has its record.

Where things are:

- ``tables``: the incident tables; ``records``: reading them back (``find``,
  lists); ``recorder``: appending to the timeline.
- The changes, each in the caller's transaction: ``declaring`` (a new
  incident), ``status_changes``, ``severity_changes``, ``role_changes``,
  ``notes``, ``checklists``, ``field_changes``; ``editing`` holds what they
  share (``Actor``, the timeline and audit entries). They refuse with
  :mod:`tocsin.domain.refusals`.
- Job kinds: ``declaration`` (formal declaration of SEV1/SEV2, handled here),
  ``changes`` (``incident.changed``) and ``stakeholders``, both handled by paging.
- ``configured`` and ``custom_fields``: what configuration says about incidents.
- ``routes``, ``classify_routes``, ``outputs`` and ``schemas``: the HTTP API;
  ``export``: Markdown and JSON exports; ``cli``: the ``tocsin incident`` commands.
"""
