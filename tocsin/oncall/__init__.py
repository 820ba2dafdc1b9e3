"""On-call at runtime: schedules with their overrides, swaps, calendar feeds, handoffs, load.

The pure model (rotations, layers, restrictions, overrides, fairness) is in
:mod:`tocsin.domain.schedule` and its neighbours; this package loads it from
the database, changes the runtime facts (overrides, swap requests, feeds,
handoff notes) with their audit entries, and runs the handoff jobs.

- ``tables``: the rows on-call owns (overrides, swaps, feeds, handoff reports and notes).
- ``schedules``: a schedule definition compiled with its stored overrides.
- ``overrides``, ``swaps``, ``feeds``: the runtime changes, checked and audited.
- ``handoff_points`` (pure), ``handoff`` (the job kinds and their handlers),
  ``handoff_reports`` (what a report holds; notes), ``handoff_notices`` (telling both people).
- ``report``: the load report; ``ical``: calendar rendering.
- ``*_routes``: the API, one module per concept (``routes.ROUTERS`` lists them;
  ``route_params`` holds what they share); ``cli``: ``tocsin oncall``.
"""
