"""The Django admin: for superusers (developers) only (issue 20).

Administrators manage staff, teams, partner agencies, bank holidays and timescales in
the service's own pages (``casework.staff_views``), which audit every change; the raw
admin is kept for developers, off every menu. Cases, people linked to cases and the
audit log are deliberately not registered here.
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.models import Team, TeamMembership


def _superusers_only(request: HttpRequest) -> bool:
    """Only an active superuser may use the Django admin, whatever their groups."""
    user: Any = request.user
    return bool(user.is_active and user.is_superuser)


def _sign_in_with_two_factor(request: HttpRequest, extra_context: Any = None) -> Any:
    """The admin's own sign-in form would skip the second factor (issue 17): send
    everyone to the service's sign-in instead."""
    return redirect_to_login(request.get_full_path())


admin.site.has_permission = _superusers_only
admin.site.login = _sign_in_with_two_factor


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ["user"]


# Two-factor secrets (TOTP keys, recovery codes) and API tokens are on no admin page
# (issue 17): nobody reads someone else's second factor; administrators reset it instead.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TeamMembershipInline]
