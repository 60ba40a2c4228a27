"""Template context shared by every page: the service name, phase and the user's role."""

from django.conf import settings
from django.http import HttpRequest

from casework.permissions import can_raise
from casework.roles import role_of
from casework.sessions import idle_seconds_left


def safecase(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    role = role_of(user) if user is not None else None
    return {
        "user_can_raise": bool(user is not None and can_raise.test(user)),
        "service_name": settings.SAFECASE_SERVICE_NAME,
        "service_phase": settings.SAFECASE_PHASE,
        "user_role": role,
        # The seconds left of the idle timeout, and the whole of it (casework/sessions.py).
        "session_timeout_seconds": (
            idle_seconds_left(request)
            if user is not None and user.is_authenticated
            else settings.SESSION_COOKIE_AGE
        ),
        "session_idle_seconds": settings.SESSION_COOKIE_AGE,
        "session_warning_seconds": settings.SAFECASE_SESSION_WARNING_SECONDS,
    }
