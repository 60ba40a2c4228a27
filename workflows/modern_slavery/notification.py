"""Modern slavery (RULES.md §1): the anonymous Duty to Notify notification (MSA 2015 s52)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from casework.models import Case
from workflows.modern_slavery.checks import age_band_problem
from workflows.modern_slavery.states import AGE_BANDS, UK_REGIONS


class DutyToNotifyNotification(models.Model):
    """The anonymous s52 notification for an adult who did not consent (RULES.md §1.5).

    MSA 2015 s52(3): it may hold nothing that identifies the adult, alone or in
    combination. So it has no name, date of birth, address or contact column, by design,
    and the fields it has are bands and regions rather than exact values.
    ``tests/workflows/test_modern_slavery.py`` fails if an identifying column is added.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="dtn_notifications")
    submitted_on = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    gender = models.CharField(max_length=20)
    age_band = models.CharField(max_length=20, choices=AGE_BANDS)
    # Chosen from NATIONALITIES and EXPLOITATION_PERIODS by the step's form.
    nationality = models.CharField(max_length=100)
    exploitation_types = models.JSONField(default=list)
    exploitation_region = models.CharField(max_length=30, choices=UK_REGIONS)
    exploitation_period = models.CharField(max_length=100)
    police_informed = models.BooleanField(default=False)

    class Meta:
        app_label = "workflows"

    def __str__(self) -> str:
        return f"Anonymous Duty to Notify for {self.case.reference}"


def create_dtn_notification(*, case: Case, actor: Any, data: dict, at: Any) -> None:
    """Effect of ``submit_duty_to_notify``: store only the non-identifying fields, after
    checking the age band is an adult's and includes the recorded age (RULES.md §1.1)."""
    problem = age_band_problem(case, data["age_band"])
    if problem:
        raise ValidationError({"age_band": [problem]})
    DutyToNotifyNotification.objects.create(
        case=case,
        submitted_on=data["dtn_submitted_on"],
        recorded_by=actor,
        gender=data["gender"],
        age_band=data["age_band"],
        nationality=data["nationality"],
        exploitation_types=data["exploitation_types"],
        exploitation_region=data["exploitation_region"],
        exploitation_period=data["exploitation_period"],
        police_informed=data.get("police_informed", False),
    )
