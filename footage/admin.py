"""The camera register in the admin: administrators keep it (no personal data). Footage
requests are case content and are not in the admin (DESIGN.md "Access")."""

from django.contrib import admin

from footage.models import Camera


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    list_display = ("camera_id", "location", "retention_days", "active")
    list_filter = ("active", "retention_days")
    search_fields = ("camera_id", "location")
