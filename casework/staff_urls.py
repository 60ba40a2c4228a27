"""Staff administration under /staff/ (namespace "staff"): administrators only, except
the one-time password link, which is the member of staff's own."""

from django.urls import path

from casework import staff_views

app_name = "staff"

urlpatterns = [
    path("people/", staff_views.people_list, name="people"),
    path("people/new/", staff_views.person_add, name="person-add"),
    path("people/<int:pk>/", staff_views.person_detail, name="person-detail"),
    path("people/<int:pk>/change/", staff_views.person_change, name="person-change"),
    path("people/<int:pk>/<slug:action>/", staff_views.person_action, name="person-action"),
    path(
        "set-password/<str:uidb64>/<str:token>/",
        staff_views.set_password,
        name="set-password",
    ),
]
