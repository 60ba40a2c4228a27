"""Signal receivers for casework's pages (UI only: never audit or notifications, STYLE.md 2)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

SIGNED_OUT_MESSAGE = "You have been signed out"


@receiver(user_logged_out, dispatch_uid="casework.signed_out_message")
def signed_out_message(sender: type, request: HttpRequest | None, **kwargs: object) -> None:
    """Tell the user on the sign-in page (LOGOUT_REDIRECT_URL) that sign-out worked.

    The message outlives the session flush that follows this signal: it is only written
    (to the messages cookie) when the redirect response goes out. Logouts without the
    messages middleware (the test client's logout(), scripts) are left alone.
    """
    if request is not None:
        messages.success(request, SIGNED_OUT_MESSAGE, fail_silently=True)
