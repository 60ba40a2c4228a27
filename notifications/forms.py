"""Forms of the notifications pages."""

from __future__ import annotations

from django import forms


class NotificationPreferenceForm(forms.Form):
    email_reminders = forms.BooleanField(
        required=False,
        label="Email me deadline reminders and escalations",
        help_text="You always get them in Safecase as well.",
    )
    daily_digest = forms.BooleanField(
        required=False,
        label="Send me a daily digest of deadlines due in the next 5 working days",
    )
