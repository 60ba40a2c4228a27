"""Sign-in lockout: per user name and address, and per address across user names.

django-axes locks a user name tried from one address after ``AXES_FAILURE_LIMIT``
failures. That alone lets one address try a common password against every user name
(password spraying). ``SafecaseAxesHandler`` also locks an address once the failures
from it, summed over all user names within the cool-off, reach
``SAFECASE_ADDRESS_FAILURE_LIMIT``: every sign-in from it is then refused as locked out
(the web page and the API alike) until the cool-off passes. The address is the client's
as ``config.client_ip`` finds it, so the limit holds behind a proxy (issue 17).
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def address_failures(ip_address: str, request: HttpRequest | None = None) -> int:
    """Failed sign-ins from ``ip_address``, over every user name, within the cool-off."""
    attempts = AccessAttempt.objects.filter(ip_address=ip_address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class SafecaseAxesHandler(AxesDatabaseHandler):
    """axes' database handler, with the per-address limit over all user names."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        failures = super().get_failures(request, credentials)
        ip_address = getattr(request, "axes_ip_address", None)
        if not ip_address:
            return failures
        if address_failures(ip_address, request) >= settings.SAFECASE_ADDRESS_FAILURE_LIMIT:
            # Counted as the per-user limit, so that axes refuses it as a lockout.
            return max(failures, get_failure_limit(request, credentials))
        return failures
