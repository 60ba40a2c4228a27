"""Session limits (issue: sessions): an idle timeout with a warning, and an absolute limit.

The idle timeout is Django's: the session cookie lives ``SESSION_COOKIE_AGE`` seconds and
every request renews it. The page warns before it runs out (``js/session-timeout.js`` reads
the ``data-session-*`` attributes) and "Stay signed in" calls ``session_keep_alive``. However
active, a session ends ``SAFECASE_SESSION_ABSOLUTE_SECONDS`` after sign-in.

Nothing typed into a concern's intake form is lost when a session ends: the form is saved
as a draft on every POST and autosaved by ``js/draft-autosave.js`` (also when the warning
appears and before "Sign out"); both limits send the user to the sign-in page with
``?next=`` the page they were on, and the form comes back filled from the draft
(``workflows.drafts``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.views.decorators.http import require_POST

SIGNED_IN_AT = "safecase_signed_in_at"
SESSION_ENDED_MESSAGE = "Your session has ended. Sign in again to carry on."


@receiver(user_logged_in, dispatch_uid="casework.session_started")
def session_started(sender: type, request: HttpRequest | None, **kwargs: object) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = int(time.time())


class AbsoluteSessionLimitMiddleware:
    """Sign out a session older than the absolute limit, whatever its activity."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(SIGNED_IN_AT)
            limit = settings.SAFECASE_SESSION_ABSOLUTE_SECONDS
            if started is None:
                request.session[SIGNED_IN_AT] = int(time.time())
            elif time.time() - started > limit:
                logout(request)
                messages.info(request, SESSION_ENDED_MESSAGE)
                # The whole address: an intake page names its draft in the query string.
                target = quote(request.get_full_path())
                return redirect(f"{resolve_url(settings.LOGIN_URL)}?next={target}")
        return self.get_response(request)


@require_POST
@login_required
def session_keep_alive(request: HttpRequest) -> HttpResponse:
    """Renew the idle timeout (the session is saved on every request)."""
    request.session.modified = True
    return HttpResponse(status=204)
