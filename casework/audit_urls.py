"""The auditor's workspace under /audit/ (namespace "audit"); every page is read-only."""

from django.urls import path

from casework import audit_views, chronology_views

app_name = "audit"

urlpatterns = [
    path("", audit_views.audit_search, name="search"),
    path("export.csv", audit_views.audit_export, name="export"),
    path("cases/<str:reference>/", audit_views.audit_case_timeline, name="case-timeline"),
    path(
        "cases/<str:reference>/chronology/",
        chronology_views.case_chronology,
        name="case-chronology",
    ),
    path(
        "people/<int:person_id>/chronology/",
        chronology_views.person_chronology,
        name="person-chronology",
    ),
]
