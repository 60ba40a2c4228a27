"""Performance indicators for the partnership's committee report (issue 21, part 4).

An ``Indicator`` is defined by an administrator or partnership analyst: a code such as
ASB1, its target, whether higher or lower is better and the amber tolerance. Its values
are per month and per area (a district, ``SAFECASE_DISTRICTS``, or a team): either
entered (``IndicatorValue``: police and survey figures Safecase does not hold) or computed
from Safecase's own data by a named source (``reports.indicators.SOURCES``). The
red/amber/green status is always computed (``reports.indicators.rag_status``), never typed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class Unit(models.TextChoices):
    COUNT = "count", "Count"
    PERCENT = "percent", "Percentage"


class Breakdown(models.TextChoices):
    DISTRICT = "district", "By district"
    TEAM = "team", "By team"


class Indicator(models.Model):
    code = models.CharField(
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]{1,11}$", "Enter a code such as ASB1")],
    )
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.COUNT)
    # For a count, the target for the rolling 12 months' total of all areas; for a
    # percentage, for the average of the rolling 12 months' values.
    target = models.DecimalField(max_digits=12, decimal_places=2)
    direction = models.CharField(max_length=6, choices=Direction.choices)
    amber_tolerance_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=5, validators=[MinValueValidator(0)]
    )
    breakdown = models.CharField(max_length=10, choices=Breakdown.choices)
    # Blank: values are entered. Otherwise the name of a source in reports.indicators.SOURCES.
    source = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amber_tolerance_percent__gte=0),
                name="indicator_tolerance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} - {self.name}"

    @property
    def computed(self) -> bool:
        return bool(self.source)


class IndicatorValue(models.Model):
    """One month's entered value of an indicator for one area (a district's name or a
    team's slug)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    month = models.DateField(help_text="The first day of the month the value is for.")
    area = models.CharField(max_length=120)
    value = models.DecimalField(max_digits=14, decimal_places=2)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["indicator", "month", "area"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "month", "area"], name="indicator_value_once_a_month"
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="indicator_value_month_starts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.month:%Y-%m} {self.area}: {self.value}"
