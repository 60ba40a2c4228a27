"""Raising a concern (/concerns/...), the workflows reference (/workflows/...) and, for
administrators, the reminders that reached nobody (/reminders/nobody-told/)."""

from django.urls import path

from workflows import reminder_views, views

app_name = "workflows"

urlpatterns = [
    path("concerns/new/", views.concern_type, name="concern-type"),
    path("concerns/new/<slug:case_type>/", views.concern_form, name="concern-form"),
    path("concerns/new/<slug:case_type>/check/", views.concern_check, name="concern-check"),
    path("concerns/drafts/<slug:case_type>/", views.draft_autosave, name="draft-save"),
    path(
        "concerns/drafts/<slug:case_type>/delete/",
        views.draft_delete_confirm,
        name="draft-delete",
    ),
    path("concerns/raised/<str:reference>/", views.concern_raised, name="concern-raised"),
    path("workflows/", views.workflow_list, name="workflow-list"),
    path("workflows/<slug:case_type>/", views.workflow_detail, name="workflow-detail"),
    path(
        "reminders/nobody-told/",
        reminder_views.reminders_unheard_list,
        name="reminders-unheard",
    ),
]
