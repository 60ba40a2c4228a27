"""Concurrent intake and concurrent transitions (real transactions, two threads)."""

from __future__ import annotations

import pytest

from casework.models import AuditEvent, Case
from tests.threads import run_in_threads
from tests.workflows.walker import default_raise, sample_values
from workflows import modern_slavery
from workflows.errors import CaseConflict
from workflows.services import case_transition

WORKFLOW = modern_slavery.WORKFLOW
ADULT = {"subject_date_of_birth": "1990-01-01", "subject_estimated_age": None}


@pytest.mark.django_db(transaction=True)
def test_concurrent_intake_gives_unique_references(frontline):
    raise_case = default_raise(WORKFLOW, frontline)
    results, errors = run_in_threads(lambda i: raise_case(ADULT).reference, 6)
    assert errors == []
    assert len(set(results)) == 6
    assert Case.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_two_leads_taking_transitions_at_once_one_wins_and_one_is_refused(frontline, lead):
    case = default_raise(WORKFLOW, frontline)(ADULT)
    case = case_transition(case=case, actor=lead, name="start_triage", data={})
    version = case.version
    choices = ["close_no_grounds", "seek_consent"]

    def take(i):
        name = choices[i]
        fields = WORKFLOW.transition_meta(name)["fields"]
        return case_transition(
            case=case, actor=lead, name=name, data=sample_values(fields),
            expected_version=version,
        ).state  # fmt: skip

    results, errors = run_in_threads(take, 2)
    assert len(results) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], CaseConflict)
    final = Case.objects.get(pk=case.pk)
    assert final.state == results[0]
    assert final.version == version + 1
    assert AuditEvent.objects.filter(case=case, verb="case.transitioned").count() == 2
