"""Template context for every page: the signed-in user's unread notification count."""

from __future__ import annotations

from django.http import HttpRequest

from notifications.selectors import notification_unread_count


def notifications(request: HttpRequest) -> dict:
    """``unread_notifications``: one COUNT query, and none for a visitor not signed in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": notification_unread_count(user)}
