"""The in-app inbox: a user's own notifications, marking them read, and preferences.

Only the signed-in user's own notifications are ever shown or changed: someone else's
notification is the same 404 as a missing one.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from notifications.forms import NotificationPreferenceForm
from notifications.models import Notification
from notifications.selectors import (
    notification_list_for_user,
    notification_preference_for,
    notification_unread_count,
)
from notifications.services import (
    notification_mark_read,
    notification_preference_set,
    notifications_mark_all_read,
)

PAGE_SIZE = 25


@login_required
@require_http_methods(["GET"])
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, 25 a page, with the unread count."""
    page = Paginator(notification_list_for_user(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1),
        "unread": notification_unread_count(request.user),
    }
    return render(request, "notifications/notification_list.html", context)


def _back_to_list(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(reverse("notifications:notification-list"))


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one of the user's notifications read; anyone else's is a 404."""
    try:
        notification_mark_read(user=request.user, notification_id=notification_id)
    except Notification.DoesNotExist:
        raise Http404("No notification found.") from None
    return _back_to_list(request)


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    """Mark all of the user's notifications read."""
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read")
    return _back_to_list(request)


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """Choose whether to get reminder emails and the daily digest."""
    current = notification_preference_for(request.user)
    form = NotificationPreferenceForm(
        request.POST if request.method == "POST" else None,
        initial={"email_reminders": current.email_reminders, "daily_digest": current.daily_digest},
    )
    if request.method == "POST" and form.is_valid():
        notification_preference_set(user=request.user, **form.cleaned_data)
        messages.success(request, "Your notification preferences have been saved")
        return redirect(reverse("notifications:notification-preferences"))
    return render(request, "notifications/preferences.html", {"form": form})
