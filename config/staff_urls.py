"""Staff administration under /staff/ (namespace "staff", issue 20): administrators only,
except the one-time password link, which is the member of staff's own. Here in config
because its pages come from three apps (people and teams, partners, the calendar)."""

from django.urls import path

from casework import staff_views
from referrals import partner_admin
from workflows import reference_data

app_name = "staff"

urlpatterns = [
    path("people/", staff_views.people_list, name="people"),
    path("people/new/", staff_views.person_add, name="person-add"),
    path("people/<int:pk>/", staff_views.person_detail, name="person-detail"),
    path("people/<int:pk>/change/", staff_views.person_change, name="person-change"),
    path("people/<int:pk>/<slug:action>/", staff_views.person_action, name="person-action"),
    path("approvals/<int:pk>/", staff_views.approval_decide, name="approval"),
    path("teams/", staff_views.team_list, name="teams"),
    path("teams/new/", staff_views.team_form, name="team-add"),
    path("teams/<int:pk>/", staff_views.team_form, name="team-change"),
    path("partners/", partner_admin.partner_list, name="partners"),
    path("partners/new/", partner_admin.partner_form, name="partner-add"),
    path("partners/<int:pk>/", partner_admin.partner_form, name="partner-change"),
    path(
        "partners/<int:pk>/response-time/",
        partner_admin.partner_response_time,
        name="partner-response-time",
    ),
    path("bank-holidays/", reference_data.bank_holiday_list, name="bank-holidays"),
    path("bank-holidays/new/", reference_data.bank_holiday_form, name="bank-holiday-add"),
    path(
        "bank-holidays/<int:pk>/remove/",
        reference_data.bank_holiday_delete,
        name="bank-holiday-remove",
    ),
    path("timescales/", reference_data.timescale_list, name="timescales"),
    path(
        "timescales/<slug:case_type>/<slug:rule>/",
        reference_data.timescale_form,
        name="timescale-change",
    ),
    path(
        "set-password/<str:uidb64>/<str:token>/",
        staff_views.set_password,
        name="set-password",
    ),
]
