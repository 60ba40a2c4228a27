"""Allocating and sharing a case from its page (leads of its team)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from casework.models import AuditEvent, Case, CaseUserObjectPermission, Team
from casework.roles import Role


@pytest.fixture
def staff(make_user):
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "worker": make_user("worker.north", Role.FRONTLINE, ["north"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "lead_south": make_user("lead.south", Role.LEAD, ["south"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
    }


@pytest.fixture
def case(staff):
    return Case.objects.create(
        reference="SC-A-0001", case_type="cse", state="concern_raised", summary="s",
        team=Team.objects.get(slug="north"), raised_by=staff["frontline"],
        raised_at=timezone.now(),
    )  # fmt: skip


def test_a_lead_allocates_from_the_case_page(client, staff, case):
    client.force_login(staff["lead"])
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert f'href="/cases/{case.reference}/allocate/"' in page
    form = client.get(f"/cases/{case.reference}/allocate/").content.decode()
    assert "worker.north" in form
    assert "lead.south" not in form
    response = client.post(
        f"/cases/{case.reference}/allocate/",
        {"assignee": staff["worker"].pk, "version": case.version},
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).owner == staff["worker"]


def test_allocation_with_bad_input_or_a_stale_version_changes_nothing(client, staff, case):
    client.force_login(staff["lead"])
    url = f"/cases/{case.reference}/allocate/"
    bad = client.post(url, {"assignee": staff["lead_south"].pk, "version": case.version})
    assert bad.status_code == 400
    assert "govuk-error-summary" in bad.content.decode()
    Case.objects.filter(pk=case.pk).update(version=5)
    stale = client.post(url, {"assignee": staff["worker"].pk, "version": 1})
    assert stale.status_code == 409
    assert Case.objects.get(pk=case.pk).owner is None
    assert not AuditEvent.objects.filter(verb="case.allocated").exists()


@pytest.mark.parametrize(("who", "status"), [("frontline", 403), ("auditor", 403),
                                             ("lead_south", 404)])  # fmt: skip
def test_only_leads_of_the_team_reach_allocation_and_sharing(client, staff, case, who, status):
    client.force_login(staff[who])
    for path in ("allocate", "access"):
        assert client.get(f"/cases/{case.reference}/{path}/").status_code == status
        response = client.post(f"/cases/{case.reference}/{path}/", {"username": "lead.south"})
        assert response.status_code == status
    assert not CaseUserObjectPermission.objects.exists()


def test_sharing_and_withdrawing_read_access(client, staff, case):
    client.force_login(staff["lead"])
    url = f"/cases/{case.reference}/access/"
    assert client.post(url, {"username": "nobody"}).status_code == 400
    assert client.post(url, {"username": "lead.south"}).status_code == 302
    assert "lead.south" in client.get(url).content.decode()
    client.force_login(staff["lead_south"])
    assert client.get(f"/cases/{case.reference}/").status_code == 200
    client.force_login(staff["lead"])
    assert client.post(url, {"revoke": staff["lead_south"].pk}).status_code == 302
    client.force_login(staff["lead_south"])
    assert client.get(f"/cases/{case.reference}/").status_code == 404
