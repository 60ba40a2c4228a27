"""The bench's warm-up (bench/run.py ``--warm``) steps the transition pool's cases before
the measured run; the pool is read again afterwards, so the measured run's steps are
given each case's version now and are not refused as stale (409, counted as errors)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from bench.run import steps_refreshed
from casework.models import Case
from casework.services import team_ensure


@pytest.mark.django_db
def test_the_transition_pool_is_given_each_cases_version_now(django_user_model):
    team = team_ensure(slug="north", name="North locality team")
    raiser = django_user_model.objects.create(username="raiser")
    cases = [
        Case.objects.create(
            reference=f"SC-B-{n}", case_type="cuckooing", state="s42_triage", team=team,
            raised_by=raiser, raised_at=timezone.now(), version=1,
        )
        for n in range(3)
    ]  # fmt: skip
    data = {
        "leads": [
            {"steps": [{"reference": c.reference, "name": "record_s42_test", "version": 1}]}
            for c in cases
        ]
    }
    Case.objects.filter(pk=cases[1].pk).update(version=4)  # stepped three times meanwhile
    refreshed = steps_refreshed(data)
    assert [lead["steps"][0]["version"] for lead in refreshed["leads"]] == [1, 4, 1]
