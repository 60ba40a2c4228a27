"""Demo performance indicators: four police and survey indicators by district with 24
months of values, and one computed from the cases by team (``manage.py seed_indicators``,
which ``seed_demo`` runs; the browser tests' committee pack uses the same)."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from reports.indicator_services import indicator_save
from reports.indicators import months_ending
from reports.models import Indicator, IndicatorValue

# code, name, unit, target, better, per district a month (the year before, the last year)
DEMO_INDICATORS = [
    ("ASB1", "Police-recorded anti-social behaviour incidents", "count", 9000, "lower",
     {"Corby": (247, 207), "East Northamptonshire": (180, 171), "Kettering": (260, 248),
      "Wellingborough": (205, 214)}),
    ("VIO1", "Violence against the person offences", "count", 7400, "lower",
     {"Corby": (160, 152), "East Northamptonshire": (118, 121), "Kettering": (170, 158),
      "Wellingborough": (150, 149)}),
    ("CC1", "Confidence that the police and council deal with anti-social behaviour",
     "percent", 60, "higher",
     {"Corby": (55.0, 58.5), "East Northamptonshire": (61.0, 60.2), "Kettering": (57.5, 57.9),
      "Wellingborough": (56.0, 57.1)}),
    ("IPV2", "Repeat victims of domestic abuse", "percent", 28, "lower",
     {"Corby": (31.0, 29.4), "East Northamptonshire": (27.0, 28.1), "Kettering": (30.5, 30.2),
      "Wellingborough": (29.0, 31.6)}),
]  # fmt: skip
COMPUTED = {
    "code": "CUC1", "name": "Cuckooing concerns raised", "unit": "count",
    "target": Decimal(6), "direction": "higher", "amber_tolerance_percent": Decimal(5),
    "breakdown": "team", "source": "cuckooing_concerns",
}  # fmt: skip


@transaction.atomic
def demo_indicators_seed(actor: Any, last_month: date) -> int:
    """Define the demo indicators that are missing and give each district a value for
    each of the 24 months to ``last_month`` that has none (a little noise each month, the
    same every run). Idempotent; returns how many values were added."""
    rng = random.Random(21)  # noqa: S311 (demo figures, not a secret)
    added = 0
    months = months_ending(last_month, 24)
    for code, name, unit, target, better, by_district in DEMO_INDICATORS:
        indicator = Indicator.objects.filter(code=code).first() or indicator_save(
            actor=actor,
            data={
                "code": code, "name": name, "unit": unit, "target": Decimal(target),
                "direction": better, "amber_tolerance_percent": Decimal(5),
                "breakdown": "district", "source": "",
            },
        )  # fmt: skip
        rows = []
        for district in settings.SAFECASE_DISTRICTS:
            before, now = by_district.get(district, (100, 100))
            for n, month in enumerate(months):
                base = before if n < 12 else now
                noise = rng.uniform(-0.06, 0.06) * base
                value = Decimal(str(round(base + noise, 1 if unit == "percent" else 0)))
                rows.append(
                    IndicatorValue(
                        indicator=indicator,
                        month=month,
                        area=district,
                        value=value,
                        entered_by=actor,
                    )  # fmt: skip
                )
        added += len(IndicatorValue.objects.bulk_create(rows, ignore_conflicts=True))
    if not Indicator.objects.filter(code=COMPUTED["code"]).exists():
        indicator_save(actor=actor, data=COMPUTED)
    return added
