"""Administrators keep the partner directory and each partner's expected response times
(DESIGN.md "Access": partner agencies, no case content). Referrals themselves are case
content and are not in the admin."""

from django.contrib import admin

from referrals.models import PartnerAgency, PartnerResponseTime


class PartnerResponseTimeInline(admin.TabularInline):
    model = PartnerResponseTime
    extra = 1
    fields = ("referral_type", "duration", "unit", "source")


@admin.register(PartnerAgency)
class PartnerAgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "secure_email", "phone", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "contact_email", "secure_email")
    fields = (
        "name",
        "kind",
        "contact_email",
        "secure_email",
        "phone",
        "address",
        "notes",
        "active",
    )
    inlines = [PartnerResponseTimeInline]


@admin.register(PartnerResponseTime)
class PartnerResponseTimeAdmin(admin.ModelAdmin):
    list_display = ("partner", "referral_type", "duration", "unit")
    list_filter = ("referral_type", "unit")
    search_fields = ("partner__name",)
