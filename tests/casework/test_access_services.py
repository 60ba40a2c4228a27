"""Allocation and per-case grants: who may do them, what they change, what they record."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework.errors import StaleCase
from casework.models import AuditEvent, Case, CaseUserObjectPermission, Team
from casework.roles import Role
from casework.selectors import case_list_for_user
from casework.services import case_access_grant, case_access_revoke, case_allocate
from notifications.models import OutboxMessage


@pytest.fixture
def staff(make_user):
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "worker": make_user("worker.north", Role.FRONTLINE, ["north"]),
        "worker_south": make_user("worker.south", Role.FRONTLINE, ["south"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "lead_south": make_user("lead.south", Role.LEAD, ["south"]),
        "cleared": make_user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
        "admin": make_user("admin", Role.ADMINISTRATOR, []),
    }


def make_case(staff, case_type="cse", state="concern_raised"):
    return Case.objects.create(
        reference=f"SC-T-{Case.objects.count() + 1}", case_type=case_type, state=state,
        summary="s", team=Team.objects.get(slug="north"), raised_by=staff["frontline"],
        raised_at=timezone.now(),
    )  # fmt: skip


def trace():
    return (
        AuditEvent.objects.count(),
        OutboxMessage.objects.count(),
        CaseUserObjectPermission.objects.count(),
    )


@pytest.mark.django_db
def test_a_lead_allocates_a_case_to_a_team_worker(staff):
    case = make_case(staff)
    case = case_allocate(case=case, actor=staff["lead"], assignee=staff["worker"])
    assert (case.owner, case.version) == (staff["worker"], 2)
    event = AuditEvent.objects.get(verb="case.allocated")
    assert event.data == {"from_owner": None, "to_owner": staff["worker"].pk}
    assert OutboxMessage.objects.get().recipient == staff["worker"]
    assert case in case_list_for_user(staff["worker"])


@pytest.mark.django_db
def test_re_allocation_records_the_previous_owner(staff):
    case = case_allocate(case=make_case(staff), actor=staff["lead"], assignee=staff["worker"])
    case_allocate(case=case, actor=staff["lead"], assignee=staff["lead"])
    event = AuditEvent.objects.filter(verb="case.allocated").last()
    assert event.data == {"from_owner": staff["worker"].pk, "to_owner": staff["lead"].pk}
    assert case not in case_list_for_user(staff["worker"])


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["frontline", "worker", "lead_south", "auditor", "admin"])
def test_only_a_lead_of_the_team_allocates(staff, actor):
    case = make_case(staff)
    before = trace()
    with pytest.raises(PermissionDenied):
        case_allocate(case=case, actor=staff[actor], assignee=staff["worker"])
    assert trace() == before
    assert Case.objects.get(pk=case.pk).owner is None


@pytest.mark.django_db
@pytest.mark.parametrize("assignee", ["worker_south", "auditor", "admin"])
def test_allocation_only_to_team_workers_and_leads(staff, assignee):
    case = make_case(staff)
    before = trace()
    with pytest.raises(ValidationError) as exc:
        case_allocate(case=case, actor=staff["lead"], assignee=staff[assignee])
    assert "assignee" in exc.value.message_dict
    assert trace() == before


@pytest.mark.django_db
def test_a_prevent_case_goes_only_to_cleared_staff(staff):
    case = make_case(staff, case_type="prevent")
    with pytest.raises(ValidationError):
        case_allocate(case=case, actor=staff["cleared"], assignee=staff["worker"])
    case = case_allocate(case=case, actor=staff["cleared"], assignee=staff["cleared"])
    assert case.owner == staff["cleared"]


@pytest.mark.django_db
def test_stale_allocation_is_refused(staff):
    case = make_case(staff)
    case_allocate(case=case, actor=staff["lead"], assignee=staff["worker"])
    with pytest.raises(StaleCase):
        case_allocate(case=case, actor=staff["lead"], assignee=staff["lead"], expected_version=1)


@pytest.mark.django_db
def test_grant_and_revoke_read_access(staff):
    case = make_case(staff)
    outsider = staff["worker_south"]
    assert case not in case_list_for_user(outsider)
    case_access_grant(case=case, actor=staff["lead"], user=outsider)
    assert case in case_list_for_user(outsider)
    case_access_revoke(case=case, actor=staff["lead"], user=outsider)
    assert case not in case_list_for_user(outsider)
    verbs = list(AuditEvent.objects.values_list("verb", flat=True))
    assert verbs == ["access.granted", "access.revoked"]


@pytest.mark.django_db
def test_a_grant_cannot_open_the_prevent_compartment(staff):
    case = make_case(staff, case_type="prevent")
    before = trace()
    with pytest.raises(ValidationError):
        case_access_grant(case=case, actor=staff["cleared"], user=staff["lead_south"])
    assert trace() == before


@pytest.mark.django_db
def test_grants_need_a_lead_and_a_real_grant_to_revoke(staff):
    case = make_case(staff)
    with pytest.raises(PermissionDenied):
        case_access_grant(case=case, actor=staff["frontline"], user=staff["worker_south"])
    with pytest.raises(ValidationError):
        case_access_revoke(case=case, actor=staff["lead"], user=staff["worker_south"])
    with pytest.raises(ValidationError):
        case_access_grant(case=case, actor=staff["lead"], user=staff["admin"])
