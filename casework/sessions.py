"""Session limits (issue: sessions): an idle timeout with a warning, and an absolute limit.

The idle timeout is Django's: the session (its row and its cookie) lives
``SESSION_COOKIE_AGE`` seconds from the last time it was saved. Activity renews it, but a
page read renews it at most once every ``SAFECASE_SESSION_RENEW_SECONDS`` (a minute by
default), not on every request: saving the session is a write and a commit on every page
otherwise (issue 18, docs/performance.md). So an idle session may end up to that much
earlier than the idle timeout, never later; any POST (a form, an autosave, "Stay signed
in") renews it at once. Each page carries the seconds really left
(``idle_seconds_left``), which ``js/session-timeout.js`` counts down from to warn before
the end; "Stay signed in" calls ``session_keep_alive``. However active, a session ends
``SAFECASE_SESSION_ABSOLUTE_SECONDS`` after sign-in.

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
from django.utils import timezone
from django.views.decorators.http import require_POST

SIGNED_IN_AT = "safecase_signed_in_at"
# When the session was last saved with a fresh idle timeout (seconds since the epoch, on
# Django's clock, which also sets the session's expiry).
RENEWED_AT = "safecase_renewed_at"
SESSION_ENDED_MESSAGE = "Your session has ended. Sign in again to carry on."


def _now() -> int:
    return int(timezone.now().timestamp())


@receiver(user_logged_in, dispatch_uid="casework.session_started")
def session_started(sender: type, request: HttpRequest | None, **kwargs: object) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = int(time.time())


def renew_after_seconds() -> int:
    """How long a page read leaves the idle timeout unrenewed: the setting, but never
    more than half the idle timeout (a short timeout in a test or a config still works)."""
    return max(0, min(settings.SAFECASE_SESSION_RENEW_SECONDS, settings.SESSION_COOKIE_AGE // 2))


def idle_seconds_left(request: HttpRequest) -> int:
    """Seconds until this session ends if its user does nothing more, as saved."""
    renewed = request.session.get(RENEWED_AT)
    age = settings.SESSION_COOKIE_AGE
    if renewed is None:
        return age
    return max(0, min(age, age - (_now() - renewed)))


class AbsoluteSessionLimitMiddleware:
    """Sign out a session older than the absolute limit, whatever its activity; renew the
    idle timeout of an active one (at most once a ``renew_after_seconds`` for reads)."""

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
            self._renew_when_due(request)
        response = self.get_response(request)
        if request.session.modified and request.user.is_authenticated:
            # Saved now for another reason (a message, a draft): its clock restarts too.
            request.session[RENEWED_AT] = _now()
        return response

    @staticmethod
    def _renew_when_due(request: HttpRequest) -> None:
        now = _now()
        renewed = request.session.get(RENEWED_AT)
        if request.method != "GET" or renewed is None or now - renewed >= renew_after_seconds():
            # Marks the session modified: SessionMiddleware saves it and sends its cookie
            # with a whole idle timeout from now.
            request.session[RENEWED_AT] = now


@require_POST
@login_required
def session_keep_alive(request: HttpRequest) -> HttpResponse:
    """Renew the idle timeout (any POST does: ``AbsoluteSessionLimitMiddleware``)."""
    request.session[RENEWED_AT] = _now()
    return HttpResponse(status=204)
