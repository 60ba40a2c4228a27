"""The in-app inbox (/notifications/...)."""

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="notification-list"),
    path(
        "notifications/<int:notification_id>/read/",
        views.notification_read,
        name="notification-read",
    ),
    path("notifications/read-all/", views.notification_read_all, name="notification-read-all"),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification-preferences",
    ),
]
