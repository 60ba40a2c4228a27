"""Footage request pages (docs/architecture.md "Footage requests")."""

from django.urls import path

from footage import views

app_name = "footage"

urlpatterns = [
    path("footage/", views.request_list, name="request-list"),
    path("footage/new/", views.request_new, name="request-new"),
    path("footage/cameras/", views.camera_register, name="camera-list"),
    path("footage/<int:pk>/", views.request_detail, name="request-detail"),
    path("footage/<int:pk>/<str:action>/", views.request_action, name="request-action"),
]
