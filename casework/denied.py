"""Requests for a case the user may not see, recorded without telling them (issue 20).

A case, referral or attachment the user may not see is a 404, the same as one that does
not exist (DESIGN.md "Access"). The selector that refused it notes what was asked for
(``access_denied_note``); ``casework.access_log.AccessDeniedMiddleware`` records the notes as one
``access.denied`` event each once the 404 response is ready, in its own transaction, so
the response is exactly what it would have been and a view's rolled-back transaction
cannot lose the record. Auditors find them in the audit log and on their dashboard.
"""

from __future__ import annotations

import contextvars
import dataclasses

_NOTES: contextvars.ContextVar[list[DeniedRequest] | None] = contextvars.ContextVar(
    "safecase_denied", default=None
)


@dataclasses.dataclass(frozen=True)
class DeniedRequest:
    reference: str
    exists: bool
    case_id: int | None
    kind: str  # "case", "referral" or "attachment"


def access_denied_note(*, reference: str, exists: bool, case_id: int | None, kind: str) -> None:
    """Note, for the current request, that a ``kind`` the user may not see was asked for
    (outside a request, e.g. in a task, there is nothing to note)."""
    notes = _NOTES.get()
    if notes is not None:
        note = DeniedRequest(str(reference)[:60], exists, case_id, kind)
        if note not in notes:
            notes.append(note)


def access_denied_collect() -> contextvars.Token:
    """Start collecting notes for one request."""
    return _NOTES.set([])


def access_denied_collected(token: contextvars.Token) -> list[DeniedRequest]:
    """The notes of the request, and stop collecting."""
    notes = list(_NOTES.get() or [])
    _NOTES.reset(token)
    return notes
