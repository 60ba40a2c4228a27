"""Domain errors of the case services; views and the API map them to responses.

``ValidationError`` (Django's) is 400 with field errors; ``PermissionDenied`` is 403;
the two conflicts below are 409 and carry the case's current state (shared/API.md).
"""

from __future__ import annotations


class CaseConflict(Exception):
    """The request cannot apply to the case as it is now (409)."""

    def __init__(self, message: str, *, state: str) -> None:
        super().__init__(message)
        self.message = message
        self.state = state


class TransitionNotAllowed(CaseConflict):
    """The transition does not exist from the current state, or its guard refused it."""


class StaleCase(CaseConflict):
    """The case changed since the client read it (its version moved on)."""
