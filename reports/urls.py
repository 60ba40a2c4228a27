"""Report pages under /reports/ (issue 21)."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("community-trigger/", views.community_trigger, name="community-trigger"),
    path("community-trigger.csv", views.community_trigger_csv, name="community-trigger-csv"),
    path("case-statistics/", views.case_statistics, name="case-statistics"),
    path("case-statistics.csv", views.case_statistics_csv, name="case-statistics-csv"),
    path("emerging-risks/", views.emerging_risks, name="emerging-risks"),
    path("emerging-risks.csv", views.emerging_risks_csv, name="emerging-risks-csv"),
]
