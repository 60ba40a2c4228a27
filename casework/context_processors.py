"""Template context shared by every page: the service name, phase and the user's role."""

from django.conf import settings
from django.http import HttpRequest

from casework.roles import role_of


def safecase(request: HttpRequest) -> dict:
    role = role_of(request.user) if hasattr(request, "user") else None
    return {
        "service_name": settings.SAFECASE_SERVICE_NAME,
        "service_phase": settings.SAFECASE_PHASE,
        "user_role": role,
    }
