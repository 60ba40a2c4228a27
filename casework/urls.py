"""Casework pages: the home page."""

from django.urls import path

from casework import views

urlpatterns = [
    path("", views.home, name="home"),
]
