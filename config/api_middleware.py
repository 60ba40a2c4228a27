"""Two guarantees of the JSON API that no single view can give (shared/API.md "Errors").

``ApiAtomicWritesMiddleware``: a refused request changes nothing. Every write request
under /api/ runs in one transaction that also covers building and rendering its answer;
it is committed only when the answer is a success (below 400). A view that writes and
then fails while answering (a value that cannot be shown, a serializer error, a 500)
leaves no trace: no state, version, audit event, clock or outbox row, and no
notification is sent, because ``on_commit`` callbacks of a rolled-back transaction never
run. The token endpoint is the exception: a failed sign-in must stay counted (axes) and
audited, which is the whole point of recording it.

``ApiErrorsMiddleware``: every failure under /api/ is answered in JSON, including those
raised outside DRF's views (middleware, the URL resolver, Django's request parsing):

- the database unavailable: 503 ``{"detail": ...}`` with ``Retry-After``;
- a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413, refused before it is read;
- anything else: the status Django chose, with the contract's body for it (400
  ``{"errors": ...}``, 404 ``{"detail": "Not found."}``, 500 ``{"detail": ...}``).

It goes first in ``MIDDLEWARE`` so that it sees the answer of every layer below it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse

from config.api_errors import NOT_FOUND

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
# Sign-in failures are records in their own right (lockout, audit): never rolled back.
NOT_ROLLED_BACK = ("/api/v1/auth/",)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = "Safecase cannot reach its database just now. Try again in a little while."
TOO_LARGE = "The request body is larger than {limit} bytes. Send less."
SERVER_ERROR = "Something went wrong on the server; nothing was changed. Try again later."
BAD_REQUEST = "The request could not be read."

_EXCEPTION_ATTR = "_safecase_api_exception"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


@receiver(got_request_exception)
def _remember_exception(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Keep the uncaught exception on the request: Django has already turned it into a 500
    page by the time the answer reaches ``ApiErrorsMiddleware``."""
    if request is not None:
        setattr(request, _EXCEPTION_ATTR, sys.exc_info()[1])


def _database_unavailable(exc: BaseException | None) -> bool:
    """Connection failures, not query errors: a failed query is a bug (500), a lost server
    is an outage (503)."""
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        if isinstance(exc, DatabaseError) and "connection" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def unavailable_response() -> JsonResponse:
    response = JsonResponse({"detail": UNAVAILABLE}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def _json_for(response: HttpResponse, exc: BaseException | None) -> HttpResponse:
    """The contract's body for an error answer that is not JSON yet."""
    if _database_unavailable(exc):
        return unavailable_response()
    code = response.status_code
    if code == 400:
        return JsonResponse({"errors": {"non_field_errors": [BAD_REQUEST]}}, status=400)
    if code == 404:
        return JsonResponse({"detail": NOT_FOUND}, status=404)
    if code >= 500:
        return JsonResponse({"detail": SERVER_ERROR}, status=code)
    reason = getattr(response, "reason_phrase", "") or "Refused."
    return JsonResponse({"detail": f"{reason}."}, status=code)


def _too_large(request: HttpRequest) -> JsonResponse | None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if limit is None or length <= limit:
        return None
    message = TOO_LARGE.format(limit=limit)
    return JsonResponse({"detail": message, "errors": {"non_field_errors": [message]}}, status=413)


class ApiErrorsMiddleware:
    """Every /api/ failure in JSON; the database down is 503 with Retry-After."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api(request):
            return self.get_response(request)
        too_large = _too_large(request)
        if too_large is not None:
            return too_large
        response = self.get_response(request)
        exc = getattr(request, _EXCEPTION_ATTR, None)
        if response.status_code >= 500 and _database_unavailable(exc):
            logger.warning("API %s %s: database unavailable: %s", request.method, request.path, exc)
            return unavailable_response()
        if response.status_code >= 400 and not _is_json(response):
            return _json_for(response, exc)
        return response


class ApiAtomicWritesMiddleware:
    """Each /api/ write, answer included, in one transaction kept only on success."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method in SAFE_METHODS
            or not is_api(request)
            or request.path_info.startswith(NOT_ROLLED_BACK)
        ):
            return self.get_response(request)
        with transaction.atomic():
            # Django renders a DRF answer before handing it back, so a body that cannot be
            # rendered has failed (500) by here, inside the transaction.
            response = self.get_response(request)
            if response.status_code >= 400:
                transaction.set_rollback(True)
        return response
