"""``bench/seed_scale.py``: the benchmark's data is valid data (issue 10).

The seeder writes with COPY and without row triggers, so nothing but these checks stands
between it and a database the application would reject: every foreign key must point at
a row, every state must be one its workflow declares, the audit chain must verify, and
the people who use it must see what DESIGN.md "Access" says they see.
"""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from bench.seed_scale import Command as SeedScale
from casework.audit import audit_chain_check
from casework.models import (
    AuditEvent,
    Case,
    CasePerson,
    CaseSearchEntry,
    CaseUserObjectPermission,
    Team,
)
from casework.references import next_case_reference
from casework.roles import Role, roles_of
from casework.search_index import search_case_ids_for_user
from casework.selectors import case_content_list_for_user, case_list_for_user
from referrals.models import Referral
from workflows.models import Deadline, DeadlineStatus
from workflows.registry import WORKFLOWS

pytestmark = pytest.mark.django_db

# Enough for 20 or more type-state pairs across the six types.
CASES = 120

# (child table, column, parent table): every link the seeder writes.
LINKS = [
    ("casework_case", "team_id", "casework_team"),
    ("casework_case", "owner_id", "auth_user"),
    ("casework_case", "raised_by_id", "auth_user"),
    ("casework_case", "premises_id", "casework_premises"),
    ("casework_caseperson", "case_id", "casework_case"),
    ("casework_caseperson", "person_id", "casework_person"),
    ("workflows_deadline", "case_id", "casework_case"),
    ("referrals_referral", "case_id", "casework_case"),
    ("referrals_referral", "partner_id", "referrals_partneragency"),
    ("referrals_referral", "created_by_id", "auth_user"),
    ("referrals_referral", "authorised_by_id", "auth_user"),
    ("casework_auditevent", "case_id", "casework_case"),
    ("casework_auditevent", "actor_id", "auth_user"),
    ("casework_caseuserobjectpermission", "content_object_id", "casework_case"),
    ("casework_caseuserobjectpermission", "user_id", "auth_user"),
    ("casework_caseuserobjectpermission", "permission_id", "auth_permission"),
    ("casework_teammembership", "user_id", "auth_user"),
    ("auth_user_groups", "user_id", "auth_user"),
]


def _indexes(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def seeded():
    before = {t: _indexes(t) for t in ("casework_auditevent", "casework_case")}
    call_command(SeedScale(), cases=CASES, seed=7, stdout=open("/dev/null", "w"))  # noqa: PTH123, SIM115
    return before


def test_every_case_type_and_many_states_are_seeded(seeded):
    assert Case.objects.count() == CASES
    types = set(Case.objects.values_list("case_type", flat=True))
    assert types == set(WORKFLOWS)
    pairs = set(Case.objects.values_list("case_type", "state"))
    assert len(pairs) >= 20
    for case_type, state in pairs:
        assert state in WORKFLOWS[case_type].states.values
    closed = Case.objects.filter(closed_at__isnull=False)
    for case in closed:
        assert case.state in WORKFLOWS[case.case_type].terminal_states
    assert Case.objects.filter(closed_at__isnull=True).exists()


def test_every_foreign_key_points_at_a_row(seeded):
    with connection.cursor() as cursor:
        for child, column, parent in LINKS:
            cursor.execute(
                f"SELECT count(*) FROM {child} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "  # noqa: S608
                f"(SELECT 1 FROM {parent} p WHERE p.id = c.{column})"
            )
            assert cursor.fetchone()[0] == 0, f"{child}.{column} points at missing {parent}"


def test_the_audit_chain_verifies_with_about_twenty_events_a_case(seeded):
    result = audit_chain_check()
    assert result.ok, result.message
    assert result.events_checked == AuditEvent.objects.count()
    assert 15 * CASES <= result.events_checked <= 30 * CASES
    raised = AuditEvent.objects.filter(verb="case.raised").count()
    assert raised == CASES


def test_the_indexes_dropped_for_the_load_are_back(seeded):
    for table, names in seeded.items():
        assert _indexes(table) == names


def test_staff_teams_and_grants(seeded):
    User = get_user_model()  # noqa: N806
    staff = User.objects.filter(username__regex=r"^(t\d\d-|auditor-|admin-)")
    assert staff.count() == 1000
    assert Team.objects.filter(slug__startswith="county-").count() == 20
    lead = User.objects.get(username="t01-lead-1")
    assert roles_of(lead) == {Role.LEAD}
    auditor = User.objects.get(username="auditor-01")
    assert roles_of(auditor) == {Role.AUDITOR}
    assert lead.check_password(os.environ.get("SAFECASE_DEMO_PASSWORD", "safecase-demo-2026"))
    grants = CaseUserObjectPermission.objects.select_related("permission", "content_object")
    assert grants.exists()
    for grant in grants:
        assert grant.permission.codename == "view_case"
        assert grant.content_object in case_list_for_user(grant.user)
    assert Case.objects.filter(owner__isnull=False).exists()


def test_a_lead_sees_their_teams_cases_and_not_other_teams(seeded):
    User = get_user_model()  # noqa: N806
    lead = User.objects.get(username="t01-lead-1")
    team = lead.team_memberships.get().team
    visible = set(case_list_for_user(lead).values_list("pk", flat=True))
    team_cases = set(
        Case.objects.filter(team=team).exclude(case_type="prevent").values_list("pk", flat=True)
    )
    assert team_cases <= visible
    others = Case.objects.exclude(team=team).exclude(raised_by=lead).exclude(owner=lead)
    granted = CaseUserObjectPermission.objects.filter(user=lead).values("content_object_id")
    assert not visible & set(others.exclude(pk__in=granted).values_list("pk", flat=True))


def test_people_clocks_and_referrals(seeded):
    assert CasePerson.objects.filter(role="subject").exists()
    assert Case.objects.filter(case_type="cuckooing", premises__isnull=False).exists()
    assert Deadline.objects.filter(status=DeadlineStatus.OPEN).exists()
    assert Deadline.objects.filter(status=DeadlineStatus.MET).exists()
    for deadline in Deadline.objects.select_related("case"):
        assert deadline.rule in {r.name for r in WORKFLOWS[deadline.case.case_type].deadline_rules}
        # Written with the triggers off, then filled (workflows.case_facts).
        assert (deadline.team_id, deadline.case_type) == (
            deadline.case.team_id,
            deadline.case.case_type,
        )
    assert Referral.objects.exists()
    for referral in Referral.objects.select_related("case"):
        assert (referral.team_id, referral.case_type) == (
            referral.case.team_id,
            referral.case.case_type,
        )
    for referral in Referral.objects.exclude(state__in=["draft", "withdrawn"]):
        assert referral.sent_at
        assert referral.authorised_by_id


def test_every_seeded_case_is_in_the_search_index_with_its_access(seeded):
    assert CaseSearchEntry.objects.count() == CASES
    assert "case_search_document" in _indexes("casework_casesearchentry")
    User = get_user_model()  # noqa: N806
    lead = User.objects.get(username="t01-lead-1")
    link = (
        CasePerson.objects.filter(case__in=case_content_list_for_user(lead))
        .exclude(person__family_name="")
        .select_related("person", "case")
        .first()
    )
    found = set(
        search_case_ids_for_user(lead, link.person.family_name).values_list("case_id", flat=True)
    )
    assert link.case_id in found
    assert found <= set(case_content_list_for_user(lead).values_list("pk", flat=True))


def test_the_reference_sequence_is_moved_past_the_seeded_cases(seeded):
    numbers = {
        int(ref.rsplit("-", 1)[1]) for ref in Case.objects.values_list("reference", flat=True)
    }
    assert len(numbers) == CASES
    assert int(next_case_reference().rsplit("-", 1)[1]) > max(numbers)


def test_a_seeded_database_is_refused_without_force(seeded):
    with pytest.raises(CommandError, match="already has cases"):
        call_command(SeedScale(), cases=5)
    call_command(SeedScale(), cases=5, force=True, stdout=open("/dev/null", "w"))  # noqa: PTH123, SIM115
    assert Case.objects.count() == CASES + 5
    assert audit_chain_check().ok


def test_every_seeded_case_has_its_state_history(seeded):
    """The reports read the state history (issue 21): each seeded case has one, from its
    audit trail, ending in its state now, closed exactly when the case is."""
    from workflows.models import CaseStateChange

    current = {row.case_id: row for row in CaseStateChange.objects.filter(until__isnull=True)}
    for case in Case.objects.all():
        row = current[case.pk]
        assert row.to_state == case.state
        assert row.closed == (case.state in WORKFLOWS[case.case_type].terminal_states)
    assert CaseStateChange.objects.filter(transition="raise").count() == Case.objects.count()


def test_the_reports_figures_count_every_seeded_case(seeded):
    """The seed derives the figures' facts as the write path keeps them (issue 21): the
    reports count every seeded case, and the open ones as the cases say."""
    from django.db.models import Sum

    from workflows.models import FigureSum

    raised = FigureSum.objects.filter(grain="d", measure="raised").aggregate(n=Sum("n"))["n"]
    opened = FigureSum.objects.filter(grain="m", measure="open").aggregate(n=Sum("n"))["n"]
    assert raised == Case.objects.count()
    assert opened == Case.objects.filter(closed_at__isnull=True).count()
