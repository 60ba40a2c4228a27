"""The JSON API (shared/API.md) under /api/: version 1, its OpenAPI schema and the docs.

Included from config/urls.py at "api/". The docs pages load Swagger UI and Redoc from
drf-spectacular-sidecar's static files, served by Safecase itself (no CDN). Swagger UI
comes in the split view, whose start-up script is a file of its own rather than inline
(the Content-Security-Policy allows no inline script); both pages write inline styles, so
their policy alone allows those (Redoc also starts its search in a blob: worker).
"""

from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from casework.api import TokenView
from footage import api as footage_api
from referrals import api as referrals_api
from workflows import api as workflows_api

# The docs pages' additions to CONTENT_SECURITY_POLICY (config/settings.py).
DOCS_CSP = {"style-src": ["'unsafe-inline'"]}

app_name = "api"

urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="auth-token"),
    path("v1/workflows/", workflows_api.WorkflowListView.as_view(), name="workflow-list"),
    path(
        "v1/workflows/<str:case_type>/",
        workflows_api.WorkflowDetailView.as_view(),
        name="workflow-detail",
    ),
    path("v1/cases/", workflows_api.CaseListView.as_view(), name="case-list"),
    path("v1/cases/<str:reference>/", workflows_api.CaseDetailView.as_view(), name="case-detail"),
    path(
        "v1/cases/<str:reference>/transitions/<str:name>/",
        workflows_api.CaseTransitionView.as_view(),
        name="case-transition",
    ),
    path(
        "v1/cases/<str:reference>/history/",
        workflows_api.CaseHistoryView.as_view(),
        name="case-history",
    ),
    path(
        "v1/cases/<str:reference>/deadlines/",
        workflows_api.CaseDeadlinesView.as_view(),
        name="case-deadlines",
    ),
    path("v1/deadlines/", workflows_api.DeadlineListView.as_view(), name="deadline-list"),
    path("v1/partners/", referrals_api.PartnerListView.as_view(), name="partner-list"),
    path(
        "v1/cases/<str:reference>/referrals/",
        referrals_api.CaseReferralCreateView.as_view(),
        name="case-referral-create",
    ),
    path(
        "v1/referrals/<str:pk>/", referrals_api.ReferralDetailView.as_view(), name="referral-detail"
    ),
    path(
        "v1/referrals/<str:pk>/transitions/<str:name>/",
        referrals_api.ReferralTransitionView.as_view(),
        name="referral-transition",
    ),
    path(
        "v1/footage/requests/",
        footage_api.FootageRequestListView.as_view(),
        name="footage-request-list",
    ),
    path(
        "v1/footage/requests/<str:pk>/",
        footage_api.FootageRequestDetailView.as_view(),
        name="footage-request-detail",
    ),
    path(
        "v1/footage/requests/<str:pk>/<str:action>/",
        footage_api.FootageRequestActionView.as_view(),
        name="footage-request-action",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        csp_update(DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path(
        "docs/redoc/",
        csp_update({**DOCS_CSP, "worker-src": ["'self'", "blob:"]})(
            SpectacularRedocView.as_view(url_name="api:schema")
        ),
        name="redoc",
    ),
]
