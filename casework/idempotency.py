"""``Idempotency-Key`` for the API's creating requests (raising a concern, drafting a
referral): a client that retries, or sends the same request twice at once, creates once.

The first request with a key records it, in its own transaction, before doing the work,
and stores its answer with it. A request with the same key from the same user waits on
that row's unique key until the first commits, then is answered with the first's stored
answer (status and body, with ``Idempotent-Replayed: true``) and creates nothing. The
same key with a different body is refused (400). A request that fails stores nothing,
so the client may retry with the same key. Keys are kept ``KEY_RETENTION`` (a day).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response

from casework.models import ApiIdempotencyKey

HEADER = "Idempotency-Key"
MAX_LENGTH = 200
KEY_RETENTION = timedelta(days=1)
BAD_KEY = f"Send at most {MAX_LENGTH} printable characters."
REUSED = "This key was used for a different request. Use a new key for a new request."


SCHEMA_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Optional, at most 200 characters. A request repeated with the same key "
    "(a retry, or the same request sent twice at once) creates once; the repeat gets the "
    "first answer with Idempotent-Replayed: true. The same key with a different body is "
    "400. Keys are kept for a day.",
)


def _fingerprint(request: Request) -> str:
    data = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{data}".encode()).hexdigest()


def _checked_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key or len(key) > MAX_LENGTH or not key.isprintable():
        raise ValidationError({HEADER: [BAD_KEY]})
    return key


def _replay(user: Any, key: str, fingerprint: str) -> Response:
    earlier = ApiIdempotencyKey.objects.get(user=user, key=key)
    if earlier.fingerprint != fingerprint:
        raise ValidationError({HEADER: [REUSED]})
    return Response(
        earlier.body, status=earlier.status_code, headers={"Idempotent-Replayed": "true"}
    )


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Make an API view's creating handler honour ``Idempotency-Key``."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = _checked_key(request)
        if key is None:
            return handler(view, request, *args, **kwargs)
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = ApiIdempotencyKey.objects.create(
                        user=request.user, key=key, fingerprint=fingerprint
                    )
            except IntegrityError:
                return _replay(request.user, key, fingerprint)
            response = handler(view, request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)  # nothing kept: the key may be used again
                return response
            record.status_code, record.body = response.status_code, response.data
            record.save(update_fields=["status_code", "body"])
            return response

    return wrapper


def idempotency_keys_expire(*, now: Any = None) -> int:
    """Delete the keys older than ``KEY_RETENTION``; returns how many."""
    cutoff = (now or timezone.now()) - KEY_RETENTION
    deleted, _ = ApiIdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
