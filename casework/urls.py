"""Casework pages: the home page, and the pages that correct a case's summary, a person
and a case's premises (``casework.edit_views``). Not namespaced: templates use these names."""

from django.urls import path

from casework import edit_views, note_views, pages, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", pages.accessibility_statement, name="accessibility"),
    path(
        "cases/<str:reference>/summary/edit/",
        edit_views.case_summary_edit,
        name="case-summary-edit",
    ),
    path("cases/<str:reference>/premises/edit/", edit_views.premises_edit, name="premises-edit"),
    path("people/<int:person_id>/edit/", edit_views.person_edit, name="person-edit"),
    path("cases/<str:reference>/notes/new/", note_views.case_note_add_view, name="case-note-add"),
    path(
        "cases/<str:reference>/attachments/new/",
        note_views.case_attachment_add_view,
        name="case-attachment-add",
    ),
    path(
        "cases/<str:reference>/attachments/<int:attachment_id>/",
        note_views.case_attachment_download,
        name="case-attachment-download",
    ),
]
