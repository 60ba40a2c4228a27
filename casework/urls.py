"""Casework pages (/, /cases/..., /people/...).

The forms that act on a case are hosted by ``workflows.views`` (they write through the
workflow services) but live under the case's address, so they are routed here.
"""

from django.urls import path

from casework import views
from workflows import views as workflow_views

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/<str:reference>/", views.case_detail, name="case-detail"),
    path(
        "cases/<str:reference>/actions/<slug:name>/",
        workflow_views.case_action,
        name="case-action",
    ),
    path(
        "cases/<str:reference>/deadlines/<int:deadline_id>/pause/",
        workflow_views.case_deadline_pause,
        name="deadline-pause",
    ),
    path(
        "cases/<str:reference>/deadlines/<int:deadline_id>/resume/",
        workflow_views.case_deadline_resume,
        name="deadline-resume",
    ),
    path("people/<int:person_id>/", views.person_detail, name="person-detail"),
]
