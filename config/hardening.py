"""Two rules for every request, applied in one place (issue 17, low findings).

``ControlCharactersMiddleware``: a NUL or another control character in the path, the
query string, a form field (names, values, uploaded file names) or a JSON body is refused
with a 400 before any view runs. PostgreSQL cannot store NUL in text, so a NUL once
reached the database and came back as a 500 on ten routes (``/cases/%00/``, note text,
intake, draft autosave); other control characters have no place in case records either.
Tab, line feed and carriage return are allowed in values (text areas send them), never
in the path or in a field's name. Pages get ``templates/400.html`` in the layout; the
API gets its contract's 400 body (shared/API.md "Errors", ``config/api_errors.py``),
naming the field.

``NoStoreMiddleware``: no response of the application is kept by a browser or a shared
cache: ``Cache-Control: no-store, private`` and ``Pragma: no-cache`` on every answer the
views give (case pages, print views, PDFs, the API, audit CSV, attachment downloads, and
the rest alike: simpler to audit than a list), including those other middleware make
(the API's JSON errors, redirects to HTTPS), so it comes first in ``MIDDLEWARE``. Static
files (under ``STATIC_URL``, served by WhiteNoise) keep their long cache lifetimes: they
hold no case content.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from config.api_middleware import is_api

ALLOWED_IN_VALUES = frozenset("\t\n\r")
MESSAGE = "Remove the control characters (such as NUL) from {where}: they cannot be saved"
WHERE_PATH = "the web address"
WHERE_QUERY = "the web address"
# Bodies of these types are form fields or JSON; anything else is not looked into.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
JSON_TYPE = "application/json"


def has_control_characters(text: str, *, allow: frozenset[str] = frozenset()) -> bool:
    """True if ``text`` holds a control character (Unicode category Cc: C0, DEL and C1)
    other than those in ``allow``."""
    return any(
        unicodedata.category(char) == "Cc" and char not in allow
        for char in text
        if char < " " or "\x7f" <= char <= "\x9f"
    )


def _pairs_refused(pairs: Iterable[tuple[str, Any]]) -> str | None:
    """The first field whose name or value has a control character, or None."""
    for key, value in pairs:
        if has_control_characters(key):
            return key
        if isinstance(value, str) and has_control_characters(value, allow=ALLOWED_IN_VALUES):
            return key
    return None


def _json_strings(document: Any) -> Iterator[tuple[str, str, bool]]:
    """Every string in a JSON document as (top-level field, text, is_key); iterative, so
    that however deep the document, no recursion limit is met."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        field, value = stack.pop()
        if isinstance(value, str):
            yield field, value, False
        elif isinstance(value, dict):
            for key, inner in value.items():
                yield field or str(key), str(key), True
                stack.append((field or str(key), inner))
        elif isinstance(value, list):
            stack.extend((field, inner) for inner in value)


def _json_refused(request: HttpRequest) -> str | None:
    try:
        document = json.loads(request.body or b"null")
    except (ValueError, RecursionError):
        return None  # not JSON, or nested too deep: the view's parser answers that
    for field, text, is_key in _json_strings(document):
        allow = frozenset() if is_key else ALLOWED_IN_VALUES
        if has_control_characters(text, allow=allow):
            return field or "non_field_errors"
    return None


def _body_refused(request: HttpRequest) -> str | None:
    content_type = request.META.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if content_type in FORM_TYPES:
        try:
            fields = list(request.POST.lists())
            files = list(request.FILES.lists())
        except (MultiPartParserError, ValueError):
            return None  # unreadable: Django and the view refuse it as they always did
        refused = _pairs_refused((key, value) for key, values in fields for value in values)
        if refused is not None:
            return refused
        return _pairs_refused((key, f.name or "") for key, items in files for f in items)
    if content_type == JSON_TYPE or content_type.endswith("+json"):
        return _json_refused(request)
    return None


def refused_in_address(request: HttpRequest) -> tuple[str, str] | None:
    """(field name for the API, words for the page) if the path or query is refused."""
    if has_control_characters(request.path_info) or has_control_characters(request.path):
        return "non_field_errors", WHERE_PATH
    query = _pairs_refused((k, v) for k, values in request.GET.lists() for v in values)
    if query is not None:
        return query, WHERE_QUERY
    return None


def refused_in_body(request: HttpRequest) -> tuple[str, str] | None:
    if request.method not in {"POST", "PUT", "PATCH", "DELETE"}:
        return None
    field = _body_refused(request)
    if field is None:
        return None
    return field, f"the answer to “{field}”"


def _refusal(request: HttpRequest, refused: tuple[str, str]) -> HttpResponse:
    field, where = refused
    message = MESSAGE.format(where=where)
    if is_api(request):
        return JsonResponse({"errors": {field: [message]}}, status=400)
    return render(request, "400.html", {"message": message}, status=400)


def body_refusal(request: HttpRequest) -> HttpResponse | None:
    """The 400 for a body with control characters, or None: for a view marked
    ``reads_upload_itself``, to call once its upload handlers are in place."""
    refused = refused_in_body(request)
    return None if refused is None else _refusal(request, refused)


def reads_upload_itself(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark an upload view that installs its own upload handlers before the body may be
    read: the middleware leaves a multipart body to it, and it calls ``body_refusal``."""
    view.reads_upload_itself = True  # type: ignore[attr-defined]
    return view


def _is_multipart(request: HttpRequest) -> bool:
    return request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/")


class ControlCharactersMiddleware:
    """Refuse NUL and other control characters in any input with a 400: the address
    before anything else, the body just before the view (after the URL is resolved, so
    that an upload view can install its upload handlers first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = refused_in_address(request)
        if refused is not None:
            return _refusal(request, refused)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if getattr(view, "reads_upload_itself", False) and _is_multipart(request):
            return None
        return body_refusal(request)


class NoStoreMiddleware:
    """``Cache-Control: no-store, private`` and ``Pragma: no-cache`` on every answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(settings.STATIC_URL):
            return response
        patch_cache_control(response, no_store=True, private=True)
        response["Pragma"] = "no-cache"
        return response


# --- the API schema ------------------------------------------------------------------------

REFUSED_INPUT_400 = {
    "description": "The input failed validation, or held a control character such as NUL "
    "(in the address, a parameter or the body); nothing was changed.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "errors": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    }
                },
                "required": ["errors"],
            }
        }
    },
}


def document_refused_input(result: dict, **kwargs: Any) -> dict:
    """drf-spectacular postprocessing hook: every operation may answer 400, since
    ``ControlCharactersMiddleware`` refuses a control character anywhere in its input."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("400", REFUSED_INPUT_400)
    return result
