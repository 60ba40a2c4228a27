"""The date filters every template uses (built in through ``TEMPLATES``' ``builtins``).

``{{ when|govuk_datetime }}`` is "3 December 2026 at 9:15am", ``{{ day|govuk_date }}``
is "3 December 2026", ``{{ moment|govuk_time }}`` is "9:15am" and ``{{ day|govuk_month }}``
is "December 2026" (``casework.dates``). Machine-readable values (``<time datetime>``,
form values) keep Django's ``date`` filter with an ISO format.
"""

from __future__ import annotations

from typing import Any

from django import template

from casework import dates

register = template.Library()


@register.filter
def govuk_date(value: Any) -> str:
    return dates.date_words(value)


@register.filter
def govuk_datetime(value: Any) -> str:
    return dates.datetime_words(value)


@register.filter
def govuk_time(value: Any) -> str:
    moment = dates.as_moment(value)
    return dates.time_words(moment) if hasattr(moment, "hour") else ""


@register.filter
def govuk_month(value: Any) -> str:
    return dates.month_words(value)
