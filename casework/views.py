"""Casework pages: the signed-in user's home page. The case pages are in
``workflows.case_views``, since showing a case means knowing its workflow."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casework.roles import role_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's home page, greeting them by role."""
    return render(request, "casework/home.html", {"role": role_of(request.user)})
