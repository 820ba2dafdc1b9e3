"""Why a request was refused: one tree of exceptions for every capability.

A capability raises these when it will not do what was asked; ``str(error)``
is the whole message, in words for the person who asked. The web app maps
each class to one HTTP status with one response shape
(:func:`tocsin.http.errors.refused`): nothing else translates them, so a
router never catches a refusal. Inbound wire formats (PagerDuty, Opsgenie)
that define error bodies of their own answer in those shapes instead.

Capabilities subclass these to name their own cases (``FairnessViolation``
is a :class:`Conflict`); what matters to a caller is the base class.
"""

from __future__ import annotations


class Refusal(Exception):
    """Base of every refusal; ``str(error)`` is the whole message."""


class NotFound(Refusal):
    """The object asked for does not exist (or the caller may not know it does): 404."""


class Conflict(Refusal):
    """The change contradicts the current state (a forbidden transition, a taken name): 409."""


class Forbidden(Refusal):
    """The caller may not make this change (resolve without being commander): 403."""


class Invalid(Refusal):
    """A field of the request is wrong; ``field`` names it (dotted), ``where`` its part: 422.

    ``where`` is the part of the request that holds the field: ``body``,
    ``query`` or ``path``, as in FastAPI's own validation errors.
    """

    def __init__(self, field: str, message: str, *, where: str = "body") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message
        self.where = where


class Throttled(Refusal):
    """Too many requests; try again after ``retry_after`` seconds: 429."""

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message or f"retry after {retry_after} s")
        self.retry_after = retry_after


class Unavailable(Refusal):
    """A dependency (the database) keeps refusing; the caller should retry: 503."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
