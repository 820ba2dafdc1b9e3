"""On-call at runtime: schedules with their overrides, swaps, calendar feeds, handoffs, load.

The pure model (rotations, layers, restrictions, overrides, fairness) is in
:mod:`tocsin.domain.schedule` and its neighbours; this package loads it from
the database, changes the runtime facts (overrides, swap requests, feeds,
handoff notes) with their audit entries, and runs the handoff jobs.
"""
