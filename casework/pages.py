"""Public pages that are not about cases: the accessibility statement, and the page a
form gets when its CSRF check fails.

The accessibility statement follows the GOV.UK model statement (the Public Sector
Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018, which
a council's staff-facing service must meet too). It is public: someone who cannot sign
in because of an accessibility problem must still be able to read how to report it.
Who to contact (``SAFECASE_ACCESSIBILITY_CONTACT``) and when the statement was prepared
(``SAFECASE_ACCESSIBILITY_PREPARED``) are per deployment.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods


def _prepared_on() -> date | None:
    try:
        return date.fromisoformat(settings.SAFECASE_ACCESSIBILITY_PREPARED)
    except ValueError:
        return None


@require_http_methods(["GET"])
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    """The accessibility statement, for anyone, signed in or not."""
    context = {
        "contact": settings.SAFECASE_ACCESSIBILITY_CONTACT,
        "prepared_on": _prepared_on(),
    }
    return render(request, "pages/accessibility.html", context)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 for a form whose CSRF token failed (``CSRF_FAILURE_VIEW``), in the layout.

    Django's own view renders ``403_csrf.html`` without the request, so the page would
    lose the service name and the signed-in header; the reason is for the logs only.
    """
    return render(request, "403_csrf.html", status=403)
