"""Administration of people and teams (administrators; DESIGN.md "Access").

Cases, people linked to cases and the audit log are deliberately not registered: an
administrator manages the service, not case content.
"""

from django.contrib import admin

from casework.models import Team, TeamMembership


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
