"""Recording requests for a case the user may not see (issue 20; casework.denied)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from casework.denied import DeniedRequest, access_denied_collect, access_denied_collected
from casework.services import access_denied_record


def route_of(request: HttpRequest, kind: str) -> str:
    """Through what the case was asked for: the page, the API, its history, a referral,
    an attachment, or the auditor's timeline."""
    path = request.path
    if kind in ("referral", "attachment"):
        return kind
    if "/history/" in path:
        return "history"
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/audit/"):
        return "audit"
    return "page"


class AccessDeniedMiddleware:
    """Records the noted requests of a response that is a 404."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = access_denied_collect()
        try:
            response = self.get_response(request)
        finally:
            notes = access_denied_collected(token)
        user = getattr(request, "user", None)
        if notes and response.status_code == 404 and getattr(user, "is_authenticated", False):
            _record(request, user, notes)
        return response


def _record(request: HttpRequest, user: Any, notes: list[DeniedRequest]) -> None:
    for note in notes:
        access_denied_record(
            user=user,
            reference=note.reference,
            route=route_of(request, note.kind),
            path=request.path[:200],
            exists=note.exists,
            case_id=note.case_id,
        )
