"""Why paging refuses a request; each is a refusal of :mod:`tocsin.domain.refusals`.

The run's own refusals (acting on a resolved escalation, escalating past the
end of its policy) are the state machine's: :mod:`tocsin.domain.escalation_run`.
"""

from __future__ import annotations

from tocsin.domain.refusals import Conflict, NotFound


class NothingToPage(NotFound):
    """The escalation policy or service asked for does not exist (or none was named)."""


class UnknownPerson(Conflict):
    """Re-assigning to somebody Tocsin does not know."""


class EscalationRaced(Conflict):
    """The subject's escalation changed while this request started one; try again."""
