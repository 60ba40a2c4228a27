"""The Django admin: for superusers (developers) only (issue 20).

Administrators manage staff, teams, partner agencies, bank holidays and timescales in
the service's own pages (``casework.staff_views``), which audit every change; the raw
admin is kept for developers, off every menu. Cases, people linked to cases and the
audit log are deliberately not registered here.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from casework.models import Team, TeamMembership


def _superusers_only(request: HttpRequest) -> bool:
    """Only an active superuser may use the Django admin, whatever their groups."""
    user: Any = request.user
    return bool(user.is_active and user.is_superuser)


admin.site.has_permission = _superusers_only


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TeamMembershipInline]
