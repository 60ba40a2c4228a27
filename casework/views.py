"""Casework pages: the signed-in user's home page. The case pages are in
``workflows.case_views``, since showing a case means knowing its workflow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from casework.roles import role_of

# casework knows no case type, clock or referral (DESIGN.md: dependencies point one way),
# so the app that knows them all registers the function that builds each role's
# dashboard: ``home_dashboard_register(fn)`` with ``fn(user) -> template context``
# (``reports.dashboards.home_dashboard``, registered by ``ReportsConfig.ready``).
DashboardBuilder = Callable[[Any], dict[str, Any]]
_DASHBOARD_BUILDERS: list[DashboardBuilder] = []


def home_dashboard_register(builder: DashboardBuilder) -> DashboardBuilder:
    """Add a dashboard builder (idempotent); returns it so it can be used as a decorator."""
    if builder not in _DASHBOARD_BUILDERS:
        _DASHBOARD_BUILDERS.append(builder)
    return builder


@login_required
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's home page: their role's dashboard (what waits for them)."""
    context: dict[str, Any] = {"role": role_of(request.user)}
    for builder in _DASHBOARD_BUILDERS:
        context |= builder(request.user)
    return render(request, "casework/home.html", context)
