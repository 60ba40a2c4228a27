"""A lead's dashboard figures are right at every moment (issue 18): random cases moved
through random transitions and allocations, and after every few writes the figures
(open cases by team, type and state; the triage queue's total) compared with a count by
brute force over every case, in Python, from DESIGN.md's rules."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from casework.models import Case
from casework.permissions import named_case_types, restricted_case_types
from casework.roles import Role
from casework.services import case_allocate
from reports.dashboards import EXTRA_AWAITING_LEAD_STATES, lead_dashboard
from tests.workflows.test_intake_pages import INTAKE_OVERRIDES
from tests.workflows.walker import default_raise, sample_values
from workflows.errors import TransitionNotAllowed
from workflows.registry import WORKFLOWS, get_workflow
from workflows.selectors import available_transitions
from workflows.services import case_transition


def _expected(lead, cleared: bool) -> tuple[Counter, int]:
    """(open cases by (team, type label, state label), cases awaiting a lead), counted
    one case at a time."""
    teams = set(lead.team_memberships.values_list("team__name", flat=True))
    counts: Counter = Counter()
    waiting = 0
    for case in Case.objects.select_related("team"):
        if case.team.name not in teams or case.closed_at is not None:
            continue
        if case.case_type in restricted_case_types() and not cleared:
            continue
        workflow = get_workflow(case.case_type)
        counts[(case.team.name, workflow.label, workflow.state_label(case.state))] += 1
        first = {workflow.initial_state, *EXTRA_AWAITING_LEAD_STATES.get(case.case_type, set())}
        waiting += case.owner_id is None or case.state in first
    return counts, waiting


def _shown(dashboard: dict) -> tuple[Counter, int]:
    counts: Counter = Counter()
    for group in dashboard["counts"]:
        assert group.total == sum(s.count for s in group.states)
        for line in group.states:
            counts[(group.team, group.type_label, line.state_label)] += line.count
    return counts, dashboard["triage"].total


def _step(rng: random.Random, cases: list[int], leads: dict) -> None:
    case = Case.objects.select_related("team").get(pk=rng.choice(cases))
    lead = leads[case.team.slug]
    if rng.random() < 0.25:
        case_allocate(case=case, actor=lead, assignee=lead)
        return
    available = available_transitions(case, lead)
    if available:
        name = rng.choice(available).name
        fields = get_workflow(case.case_type).transition_meta(name)["fields"]
        case_transition(case=case, actor=lead, name=name, data=sample_values(fields))


@pytest.mark.django_db
def test_the_dashboards_figures_match_a_count_of_every_case_after_random_steps(make_user):
    rng = random.Random(2026)
    frontline = {t: make_user(f"frontline.{t}", Role.FRONTLINE, [t]) for t in ("north", "south")}
    leads = {t: make_user(f"prevent.{t}", Role.PREVENT_LEAD, [t]) for t in ("north", "south")}
    plain = make_user("lead.north", Role.LEAD, ["north"])
    cases = [
        default_raise(WORKFLOWS[kind], frontline[team])(INTAKE_OVERRIDES.get(kind, {})).pk
        # A review (a named compartment) is recorded by a lead and seen only by those named
        # to it: its dashboard figures are tested with its compartment (tests/workflows).
        for kind in WORKFLOWS
        if kind not in named_case_types()
        for team in ("north", "south")
        for _ in range(2)
    ]
    for checkpoint in range(6):
        for _ in range(12):
            try:
                _step(rng, cases, leads)
            except (ValidationError, PermissionDenied, TransitionNotAllowed):
                continue
        for lead, cleared in ((leads["north"], True), (plain, False)):
            assert _shown(lead_dashboard(lead)) == _expected(lead, cleared), checkpoint
    assert Case.objects.filter(closed_at__isnull=False).exists()  # the steps went somewhere
