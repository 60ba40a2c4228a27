"""A lead's dashboard figures are right at every moment (issue 18): random cases moved
through random transitions and allocations, and after every few writes the figures
(open cases by team, type and state; the triage queue's total; tasks overdue and due
soon; referrals awaiting a response) compared with a count by brute force over every
case, clock and referral, in Python, from DESIGN.md's rules. The clocks and referrals
are read on the dashboard by the copy of their case's team and type the database keeps
(``workflows.case_facts``); here by their case."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework.models import Case
from casework.permissions import named_case_types, restricted_case_types
from casework.roles import Role
from casework.services import case_allocate
from referrals.models import PartnerAgency, Referral, ReferralState
from reports.dashboards import DUE_SOON_WORKING_DAYS, EXTRA_AWAITING_LEAD_STATES, lead_dashboard
from tests.workflows.test_intake_pages import INTAKE_OVERRIDES
from tests.workflows.walker import default_raise, sample_values
from workflows.calendar import add_working_days
from workflows.clocks import bank_holidays
from workflows.errors import TransitionNotAllowed
from workflows.models import TASK_RUNNING, Deadline, DeadlineKind, DeadlineStatus
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


def _expected_work(lead, cleared: bool) -> tuple[int, int, int]:
    """(tasks overdue, tasks due by the dashboard's horizon, referrals awaiting a
    response) of the lead's teams' cases they see in full, one row at a time."""
    now = timezone.now()
    horizon = add_working_days(now, DUE_SOON_WORKING_DAYS, bank_holidays(now))
    teams = set(lead.team_memberships.values_list("team_id", flat=True))

    def theirs(case: Case) -> bool:
        if case.team_id not in teams or case.case_type in named_case_types():
            return False
        return cleared or case.case_type not in restricted_case_types()

    overdue = due = awaited = 0
    for clock in Deadline.objects.select_related("case"):
        if not theirs(clock.case) or clock.kind != DeadlineKind.TASK:
            continue
        overdue += clock.status in TASK_RUNNING and clock.closed_at is None and clock.due_at < now
        due += clock.status == DeadlineStatus.OPEN and now <= clock.due_at <= horizon
    for referral in Referral.objects.select_related("case"):
        awaited += theirs(referral.case) and referral.state in (
            ReferralState.SENT,
            ReferralState.ACKNOWLEDGED,
        )
    return overdue, due, awaited


def _shown_work(dashboard: dict) -> tuple[int, int, int]:
    return dashboard["overdue"].total, dashboard["due_soon"].total, dashboard["responses"].total


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


def _send_referral(case: Case, *, answered: bool) -> None:
    partner, _ = PartnerAgency.objects.get_or_create(name="Partner", defaults={"kind": "other"})
    now = timezone.now()
    Referral.objects.create(
        case=case, partner=partner, referral_type="mash_referral",
        created_by=case.raised_by, state="accepted" if answered else "sent", sent_at=now,
        consent_given=True, authorised_by=case.raised_by, authorised_at=now,
    )  # fmt: skip


def clock_ids() -> list[int]:
    return list(Deadline.objects.order_by("pk").values_list("pk", flat=True))


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
        if checkpoint == 2:
            # Referrals sent to partners, some answered since.
            for pk in rng.sample(cases, 8):
                _send_referral(Case.objects.get(pk=pk), answered=rng.random() < 0.3)
        if checkpoint == 3:
            # Time passes: some clocks fall due, some become overdue.
            Deadline.objects.filter(pk__in=rng.sample(clock_ids(), 6)).update(
                due_at=timezone.now() - timedelta(hours=1)
            )
        for lead, cleared in ((leads["north"], True), (plain, False)):
            dashboard = lead_dashboard(lead)
            assert _shown(dashboard) == _expected(lead, cleared), checkpoint
            assert _shown_work(dashboard) == _expected_work(lead, cleared), checkpoint
    overdue, due, awaited = _expected_work(leads["north"], True)
    assert overdue  # the comparison compared something
    assert due
    assert awaited
    assert Case.objects.filter(closed_at__isnull=False).exists()  # the steps went somewhere
