"""Report pages under /reports/ (issue 21)."""

from django.urls import path

from reports import indicator_views, pack_views, views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("community-trigger/", views.community_trigger, name="community-trigger"),
    path(
        "community-trigger/cases/",
        views.community_trigger_cases,
        name="community-trigger-cases",
    ),
    path("community-trigger.csv", views.community_trigger_csv, name="community-trigger-csv"),
    path("case-statistics/", views.case_statistics, name="case-statistics"),
    path("case-statistics.csv", views.case_statistics_csv, name="case-statistics-csv"),
    path("emerging-risks/", views.emerging_risks, name="emerging-risks"),
    path("emerging-risks.csv", views.emerging_risks_csv, name="emerging-risks-csv"),
    path("indicators/", indicator_views.indicator_list, name="indicator-list"),
    path("indicators/manage/", indicator_views.manage, name="indicators-manage"),
    path("indicators/manage/new/", indicator_views.indicator_edit, name="indicator-new"),
    path("indicators/manage/values/", indicator_views.value_enter, name="indicator-value-enter"),
    path(
        "indicators/manage/upload/",
        indicator_views.values_upload,
        name="indicator-values-upload",
    ),
    path(
        "indicators/manage/<str:code>/edit/",
        indicator_views.indicator_edit,
        name="indicator-edit",
    ),
    path("indicators/<str:code>/", indicator_views.indicator_detail, name="indicator-detail"),
    path("committee-pack/", pack_views.pack_page, name="committee-pack"),
    path("committee-pack/<str:fmt>/", pack_views.pack_download, name="committee-pack-download"),
]
