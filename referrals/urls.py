"""Referral pages (/cases/<reference>/referrals/new/..., /referrals/<id>/...)."""

from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("cases/<str:reference>/referrals/new/", views.referral_type, name="referral-type"),
    path(
        "cases/<str:reference>/referrals/new/<slug:referral_type>/",
        views.referral_create,
        name="referral-create",
    ),
    path("referrals/<int:pk>/", views.referral_detail, name="referral-detail"),
    path("referrals/<int:pk>/edit/", views.referral_edit, name="referral-edit"),
    path(
        "referrals/<int:pk>/actions/record_decision/<slug:decision>/",
        views.referral_decision,
        name="referral-decision",
    ),
    path("referrals/<int:pk>/actions/<slug:name>/", views.referral_action, name="referral-action"),
    path("referrals/<int:pk>/print/", views.referral_print, name="referral-print"),
    path("referrals/<int:pk>.pdf", views.referral_pdf_download, name="referral-pdf"),
]
