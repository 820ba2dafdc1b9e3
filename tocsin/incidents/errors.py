"""Why an incident change was refused, in words for the person who asked.

The API maps each class to its status code: 404, 409, 403 and 422.
"""

from __future__ import annotations


class IncidentError(Exception):
    """Base of refusals; ``str(error)`` is the whole message."""


class IncidentNotFound(IncidentError):
    pass


class Conflict(IncidentError):
    """The change contradicts the incident's current state (a forbidden transition...)."""


class NotAllowed(IncidentError):
    """The caller may not make this change (e.g. resolve without being commander)."""


class InvalidInput(IncidentError):
    """A field of the request is wrong; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
