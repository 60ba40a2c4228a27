"""Top-level URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from casework import health, sessions

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("session/keep-alive/", sessions.session_keep_alive, name="session-keep-alive"),
    path("django-admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("audit/", include("casework.audit_urls")),
    path("staff/", include("config.staff_urls")),
    path("reports/", include("reports.urls")),
    path("", include("casework.urls")),
    path("", include("workflows.case_urls")),
    path("", include("workflows.urls")),
    path("", include("referrals.urls")),
    path("", include("notifications.urls")),
    path("", include("footage.urls")),
]
