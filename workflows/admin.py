"""Administration of the working-day calendar and local timescales (administrators)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from workflows.models import BankHoliday, TimescaleOverride
from workflows.registry import WORKFLOWS


@admin.register(BankHoliday)
class BankHolidayAdmin(admin.ModelAdmin):
    """RULES.md §0.2: one-off proclamations are added here; working-day clocks opened
    afterwards count them."""

    list_display = ["date", "title", "source"]
    list_filter = ["source"]
    date_hierarchy = "date"
    search_fields = ["title"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.source = "manual"
        super().save_model(request, obj, form, change)


def _local_rule_choices() -> list[tuple[str, str]]:
    return [
        (f"{w.case_type}:{r.name}", f"{w.label}: {r.label} (default {r.duration} {r.unit})")
        for w in WORKFLOWS.values()
        for r in w.deadline_rules
        if not r.statutory
    ]


class TimescaleOverrideForm(forms.ModelForm):
    """Only local rules can be overridden; statutory timescales are fixed in code."""

    rule_key = forms.ChoiceField(label="Deadline rule", choices=_local_rule_choices)

    class Meta:
        model = TimescaleOverride
        fields = ["duration"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["rule_key"] = f"{self.instance.case_type}:{self.instance.rule}"

    def clean(self):
        cleaned = super().clean()
        key = cleaned.get("rule_key", "")
        case_type, _, rule = key.partition(":")
        if (case_type, rule) not in {tuple(k.split(":")) for k, _ in _local_rule_choices()}:
            raise ValidationError({"rule_key": "Choose a local deadline rule."})
        self.instance.case_type, self.instance.rule = case_type, rule
        return cleaned


@admin.register(TimescaleOverride)
class TimescaleOverrideAdmin(admin.ModelAdmin):
    form = TimescaleOverrideForm
    list_display = ["case_type", "rule", "duration", "updated_at"]
    list_filter = ["case_type"]
