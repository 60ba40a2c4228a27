"""The API's error responses, exactly as shared/API.md "Errors" lists them.

Services raise domain errors (Django's ``ValidationError`` and ``PermissionDenied``,
``Http404`` from the selectors, ``CaseConflict``); DRF raises its own for bad requests
and credentials. This handler gives every one of them the contract's body:

- 400 ``{"errors": {"<field>": ["message", ...], "non_field_errors": [...]}}``
- 401 and 403 ``{"detail": "..."}``
- 404 ``{"detail": "Not found."}``, the same words whether the object is missing or hidden
- 409 ``{"detail": "...", "state": "<current state>"}``

Other statuses DRF produces (405, 406, 415, 429) keep its ``{"detail": "..."}`` body.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from casework.errors import CaseConflict

NOT_FOUND = "Not found."
FORBIDDEN = "You do not have permission to perform this action."


def _messages(value: Any, prefix: str = "") -> list[str]:
    """Flatten DRF's nested error details (lists of dicts for list items, dicts for
    nested objects) into plain messages, each naming where it applies."""
    if isinstance(value, Mapping):
        out: list[str] = []
        for key, inner in value.items():
            out.extend(_messages(inner, f"{prefix}{key}: "))
        return out
    if isinstance(value, Iterable) and not isinstance(value, str):
        return [m for item in value for m in _messages(item, prefix)]
    return [f"{prefix}{value}"]


def field_errors(detail: Any) -> dict[str, list[str]]:
    """Errors by field, with errors that belong to no field under ``non_field_errors``."""
    non_field = api_settings.NON_FIELD_ERRORS_KEY
    if isinstance(detail, Mapping):
        return {
            (non_field if key == NON_FIELD_ERRORS else str(key)): _messages(value)
            for key, value in detail.items()
        }
    return {non_field: _messages(detail)}


def _django_validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return field_errors(exc.message_dict)
    return field_errors(exc.messages)


def bad_request(errors: dict[str, list[str]]) -> Response:
    return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER (config/settings.py REST_FRAMEWORK)."""
    if isinstance(exc, CaseConflict):
        return Response(
            {"detail": exc.message, "state": exc.state}, status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, DjangoValidationError):
        return bad_request(_django_validation_errors(exc))
    if isinstance(exc, Http404 | exceptions.NotFound):
        return Response({"detail": NOT_FOUND}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        message = str(exc) or FORBIDDEN
        return Response({"detail": message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, exceptions.ValidationError):
        return bad_request(field_errors(exc.detail))
    if isinstance(exc, exceptions.ParseError):
        return bad_request(field_errors([str(exc.detail)]))
    # 401, 403 from DRF's permission classes, 405, 406, 415, 429: DRF's own response
    # (it sets WWW-Authenticate and Retry-After) with a plain "detail".
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = {"detail": " ".join(_messages(exc.detail))}
    return response


# --- The error bodies, for the OpenAPI schema ----------------------------------------------


class ErrorsBody(serializers.Serializer):
    """400: what failed validation, by field; ``non_field_errors`` for the request as a whole."""

    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class DetailBody(serializers.Serializer):
    detail = serializers.CharField()


class ConflictBody(serializers.Serializer):
    """409: refused because of the case's state, which is given."""

    detail = serializers.CharField()
    state = serializers.CharField(help_text="The case's state now.")


_DESCRIPTIONS = {
    400: (ErrorsBody, "The input failed validation; nothing was changed."),
    401: (DetailBody, "No credentials, or bad ones."),
    403: (DetailBody, "You can see this but may not do it; nothing was changed."),
    404: (DetailBody, 'No such object, or you may not see it: always {"detail": "Not found."}.'),
    409: (ConflictBody, "Not possible in the case's current state, or the case changed since "
          "the version you sent; nothing was changed."),
    429: (DetailBody, "Too many failed sign-ins for this user from this address: locked out "
          "for a while, as on the web sign-in page."),
}  # fmt: skip


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the given error statuses (401 is added for every endpoint that
    needs credentials by the caller)."""
    return {
        code: OpenApiResponse(_DESCRIPTIONS[code][0], description=_DESCRIPTIONS[code][1])
        for code in codes
    }
