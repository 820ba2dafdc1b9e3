"""Why an on-call change was refused, in words for the person who asked.

The API maps each class to its status code: 404, 409, 403 and 422.
"""

from __future__ import annotations


class OnCallError(Exception):
    """Base of refusals; ``str(error)`` is the whole message."""


class NotFound(OnCallError):
    pass


class Conflict(OnCallError):
    """The change contradicts the current state: a fairness violation, a decided swap..."""


class NotAllowed(OnCallError):
    """The caller may not make this change (accept someone else's swap...)."""


class InvalidInput(OnCallError):
    """A field of the request is wrong; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message
