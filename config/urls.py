"""Top-level URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from casework import health, sessions, sign_in_views

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("sign-in/", sign_in_views.SignInView.as_view(), name="login"),
    path("sign-in/code/", sign_in_views.two_factor_code, name="two-factor-code"),
    path("sign-in/recovery-code/", sign_in_views.two_factor_recovery, name="two-factor-recovery"),
    path("sign-in/set-up/", sign_in_views.two_factor_set_up, name="two-factor-set-up"),
    path(
        "sign-in/recovery-codes/",
        sign_in_views.two_factor_recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path("account/two-factor/", sign_in_views.account_two_factor, name="account-two-factor"),
    path("account/api-tokens/", sign_in_views.account_api_tokens, name="account-api-tokens"),
    path(
        "account/api-tokens/<int:pk>/revoke/",
        sign_in_views.account_api_token_revoke,
        name="account-api-token-revoke",
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
