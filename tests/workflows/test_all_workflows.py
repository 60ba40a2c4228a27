"""Properties every registered workflow must have, checked generically."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from casework.audit import audit_label
from casework.models import AuditEvent, Case, Team
from tests.workflows.walker import sample_values, shortest_paths
from workflows.errors import TransitionNotAllowed
from workflows.models import Deadline
from workflows.registry import WORKFLOWS
from workflows.services import case_transition

ALL = sorted(WORKFLOWS)


def make_case_in(workflow, state, team, raised_by, n=[0]):  # noqa: B006 (a counter)
    n[0] += 1
    return workflow.model.objects.create(
        reference=f"T-{workflow.case_type[:4]}-{n[0]}",
        case_type=workflow.case_type,
        state=state,
        summary="x",
        team=team,
        raised_by=raised_by,
        raised_at=timezone.now(),
    )


def test_all_seven_case_types_are_registered():
    assert set(WORKFLOWS) == {
        "modern_slavery", "cuckooing", "cse", "prevent", "community_trigger", "dhr",
        "unclassified",
    }  # fmt: skip


@pytest.mark.parametrize("case_type", ALL)
def test_every_state_is_reachable_and_every_terminal_state_is_final(case_type):
    workflow = WORKFLOWS[case_type]
    assert set(shortest_paths(workflow)) == set(workflow.states.values)
    for t in workflow.transitions():
        if t.name in workflow.reopened_by:
            # A declared reopening (issue 15) records why the case is reopened.
            fields = [f for f in t.custom["fields"] if f.required and f.type == "text"]
            assert any("reopen" in f.name for f in fields), t.name
            continue
        assert t.source not in workflow.terminal_states, (t.name, t.source)
        assert t.custom["label"], t.name


@pytest.mark.parametrize("case_type", ALL)
@pytest.mark.django_db
def test_transitions_from_states_that_do_not_allow_them_are_refused_without_trace(
    case_type, frontline, prevent_lead
):
    workflow = WORKFLOWS[case_type]
    team = Team.objects.get(slug="north")
    sources: dict[str, set[str]] = {}
    for t in workflow.transitions():
        sources.setdefault(t.name, set()).add(t.source)
    for state in workflow.states.values:
        case = make_case_in(workflow, state, team, frontline)
        before = (AuditEvent.objects.count(), Deadline.objects.count())
        for name, allowed in sources.items():
            if state in allowed or "*" in allowed:
                continue
            fields = workflow.transition_meta(name)["fields"]
            with pytest.raises(TransitionNotAllowed) as exc:
                case_transition(
                    case=case, actor=prevent_lead, name=name, data=sample_values(fields),
                    expected_version=case.version,
                )  # fmt: skip
            assert exc.value.state == state
        assert (AuditEvent.objects.count(), Deadline.objects.count()) == before
        stored = Case.objects.get(pk=case.pk)
        assert (stored.state, stored.version) == (state, 1)


@pytest.mark.django_db
def test_the_database_refuses_a_state_its_workflow_does_not_have(frontline):
    team = Team.objects.get(slug="north")
    for workflow in WORKFLOWS.values():
        for state in workflow.states.values:
            with transaction.atomic():
                make_case_in(workflow, state, team, frontline)
        other = next(s for w in WORKFLOWS.values() for s in w.states.values
                     if s not in workflow.states.values)  # fmt: skip
        for bad in ("bogus", other):
            with pytest.raises(IntegrityError), transaction.atomic():
                make_case_in(workflow, bad, team, frontline)


def test_unknown_transition_name_is_refused(db, frontline, prevent_lead):
    workflow = WORKFLOWS["modern_slavery"]
    case = make_case_in(workflow, workflow.initial_state, Team.objects.get(slug="north"), frontline)
    with pytest.raises(TransitionNotAllowed):
        case_transition(case=case, actor=prevent_lead, name="delete", data={})


def test_the_audit_pages_show_the_workflows_own_labels():
    assert audit_label("modern_slavery", "state", "awaiting_rg") == (
        "Awaiting reasonable grounds decision"
    )
    assert audit_label("modern_slavery", "transition", "start_triage") == "Start triage"
    assert audit_label("modern_slavery", "rule", "recovery_period") == "Minimum recovery period"
    assert audit_label("nonexistent", "state", "some_state") == "Some state"
