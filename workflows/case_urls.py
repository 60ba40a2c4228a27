"""Case pages (/cases/..., /people/...): reading in ``workflows.case_views``, the forms
that act on a case in ``workflows.views``. Not namespaced: templates use these names."""

from django.urls import path

from workflows import access_views, case_views, list_views, triage_views, views

urlpatterns = [
    path("cases/", list_views.case_list, name="case-list"),
    path("triage/", triage_views.triage_queue, name="triage-queue"),
    path("cases/<str:reference>/", case_views.case_detail, name="case-detail"),
    path("cases/<str:reference>/history/", case_views.case_history, name="case-history"),
    path("cases/<str:reference>/actions/<slug:name>/", views.case_action, name="case-action"),
    path(
        "cases/<str:reference>/deadlines/<int:deadline_id>/pause/",
        views.case_deadline_pause,
        name="deadline-pause",
    ),
    path(
        "cases/<str:reference>/deadlines/<int:deadline_id>/resume/",
        views.case_deadline_resume,
        name="deadline-resume",
    ),
    path("cases/<str:reference>/allocate/", access_views.case_allocate_view, name="case-allocate"),
    path("cases/<str:reference>/access/", access_views.case_access_view, name="case-access"),
    path("cases/<str:reference>/links/", access_views.case_link_view, name="case-link"),
    path(
        "cases/<str:reference>/related/new/",
        access_views.case_related_view,
        name="case-related",
    ),
    path("people/<int:person_id>/", case_views.person_detail, name="person-detail"),
    path("premises/<int:premises_id>/", case_views.premises_detail, name="premises-detail"),
]
