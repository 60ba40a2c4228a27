"""A clock's and a referral's copy of their case's team and type is the case's at every
moment, however they are written (workflows.case_facts): the database keeps it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from casework.models import Case, Team
from casework.roles import Role
from referrals.models import PartnerAgency, Referral
from reports.dashboards import lead_dashboard
from workflows import case_facts
from workflows.models import Deadline


def _facts(model, pk) -> tuple[int | None, str]:
    return tuple(model.objects.filter(pk=pk).values_list("team_id", "case_type").get())


@pytest.fixture
def case(make_user, teams):
    raiser = make_user("frontline.north", Role.FRONTLINE, ["north"])
    return Case.objects.create(
        reference="SC-1", case_type="cuckooing", state="concern_raised", summary="s",
        team=teams["north"], raised_by=raiser, raised_at=timezone.now(),
    )  # fmt: skip


def _clock(case, **extra) -> Deadline:
    now = timezone.now()
    return Deadline.objects.create(
        case=case, rule="r", label="Strategy discussion", unit="working_days", duration=1,
        started_at=now, due_at=now - timedelta(hours=1), **extra,
    )  # fmt: skip


def _referral(case, **extra) -> Referral:
    partner = PartnerAgency.objects.create(name="Partner", kind="other")
    return Referral.objects.create(
        case=case, partner=partner, referral_type="adult_safeguarding_concern", state="sent",
        sent_at=timezone.now(), created_by=case.raised_by, consent_given=True,
        authorised_by=case.raised_by, authorised_at=timezone.now(), **extra,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_new_clock_and_referral_take_their_cases_team_and_type(case, teams):
    clock = _clock(case)
    referral = _referral(case)
    assert _facts(Deadline, clock.pk) == (teams["north"].pk, "cuckooing")
    assert _facts(Referral, referral.pk) == (teams["north"].pk, "cuckooing")


@pytest.mark.django_db
def test_what_the_application_writes_there_is_ignored(case, teams):
    clock = _clock(case, team=teams["south"], case_type="prevent")
    assert _facts(Deadline, clock.pk) == (teams["north"].pk, "cuckooing")
    Deadline.objects.filter(pk=clock.pk).update(team=teams["south"], case_type="prevent")
    assert _facts(Deadline, clock.pk) == (teams["north"].pk, "cuckooing")
    referral = _referral(case)
    referral.team = teams["south"]
    referral.save()
    assert _facts(Referral, referral.pk) == (teams["north"].pk, "cuckooing")


@pytest.mark.django_db
def test_a_case_passes_a_new_team_or_type_on(case, teams, make_user):
    """A general concern given its type (workflows.unclassified) changes the case's type:
    its clocks and referrals follow at once, so a lead without Prevent clearance no
    longer sees them on the dashboard."""
    clock, referral = _clock(case), _referral(case)
    lead = make_user("lead.north", Role.LEAD, ["north"])
    before = lead_dashboard(lead)
    assert (before["overdue"].total, before["responses"].total) == (1, 1)
    Case.objects.filter(pk=case.pk).update(case_type="prevent", state="concern_raised")
    assert _facts(Deadline, clock.pk) == (teams["north"].pk, "prevent")
    assert _facts(Referral, referral.pk) == (teams["north"].pk, "prevent")
    lead = type(lead).objects.get(pk=lead.pk)
    after = lead_dashboard(lead)
    assert (after["overdue"].total, after["responses"].total) == (0, 0)
    Case.objects.filter(pk=case.pk).update(team=teams["south"])
    assert _facts(Deadline, clock.pk) == (teams["south"].pk, "prevent")
    assert _facts(Referral, referral.pk) == (teams["south"].pk, "prevent")


@pytest.mark.django_db
def test_fill_puts_right_what_a_bulk_write_without_triggers_left(case, teams):
    """The benchmark's seeder writes with the triggers off and then calls ``fill``."""
    clock, referral = _clock(case), _referral(case)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE workflows_deadline SET team_id = NULL, case_type = ''")
        cursor.execute("UPDATE referrals_referral SET team_id = NULL, case_type = ''")
        cursor.execute("SET LOCAL session_replication_role = origin")
    assert _facts(Deadline, clock.pk) == (None, "")
    with connection.cursor() as cursor:
        case_facts.fill(cursor)
    assert _facts(Deadline, clock.pk) == (teams["north"].pk, "cuckooing")
    assert _facts(Referral, referral.pk) == (teams["north"].pk, "cuckooing")
    assert Team.objects.filter(pk=_facts(Referral, referral.pk)[0]).exists()
