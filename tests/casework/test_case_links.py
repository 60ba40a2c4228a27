"""Linked cases (issue 15): a lead links a case to a related one they may see; the link
shows on both pages, each side only to those who may see the other case in full, and
never tells anyone that a case they may not see exists (across teams, into Prevent)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from casework.audit import AuditVerb
from casework.models import AuditEvent, Case, CaseLink
from casework.roles import Role
from casework.selectors import case_links_for_user
from casework.services import LINK_NOT_FOUND, case_link
from tests.samples import ADULT
from tests.workflows.walker import default_raise
from workflows import modern_slavery

pytestmark = pytest.mark.django_db


@pytest.fixture
def south_case(people, make_user):
    south_frontline = make_user("frontline.south", Role.FRONTLINE, ["south"])
    return default_raise(modern_slavery.WORKFLOW, south_frontline)(ADULT)


@pytest.fixture
def nrm_case(people):
    return default_raise(modern_slavery.WORKFLOW, people["frontline"])(ADULT)


def test_a_lead_links_two_cases_and_both_pages_show_it(people, case, nrm_case, client):
    lead = people["lead"]
    link = case_link(case=case, actor=lead, other_reference=nrm_case.reference.lower(),
                     reason="The occupier's NRM case.")  # fmt: skip
    assert (link.from_case, link.to_case) == (case, nrm_case)
    assert [other for other, _ in case_links_for_user(lead, case)] == [nrm_case]
    assert [other for other, _ in case_links_for_user(lead, nrm_case)] == [case]
    assert AuditEvent.objects.filter(verb=AuditVerb.CASE_LINKED).count() == 2
    client.force_login(lead)
    page = client.get(f"/cases/{nrm_case.reference}/").content.decode()
    assert case.reference in page
    assert "The occupier&#x27;s NRM case." in page


def test_a_case_the_lead_cannot_see_is_refused_as_if_it_did_not_exist(people, case, south_case,
                                                                      prevent_case):  # fmt: skip
    for reference in (south_case.reference, prevent_case.reference, "SC-2099-999999"):
        with pytest.raises(ValidationError) as info:
            case_link(case=case, actor=people["lead"], other_reference=reference, reason="R")
        assert info.value.message_dict["other_reference"] == [LINK_NOT_FOUND]
    assert not CaseLink.objects.exists()


def test_each_side_is_shown_only_to_those_who_may_see_it(people, case, prevent_case, client):
    # A Prevent-cleared lead of the team links a Prevent case to a modern slavery case.
    case_link(case=prevent_case, actor=people["prevent_lead"], other_reference=case.reference,
              reason="Same person.")  # fmt: skip
    # A lead without clearance sees the modern slavery case but not that it is linked.
    assert case_links_for_user(people["lead"], case) == []
    client.force_login(people["lead"])
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert prevent_case.reference not in page
    assert "Linked cases" not in page
    # The uncleared auditor likewise; the frontline raiser of the Prevent case too.
    assert case_links_for_user(people["auditor"], case) == []
    assert case_links_for_user(people["frontline"], case) == []
    # Nor does the modern slavery case's history name the Prevent case.
    history = client.get(f"/cases/{case.reference}/history/").content.decode()
    assert prevent_case.reference not in history
    assert "Same person." not in history
    events = AuditEvent.objects.filter(case=case, verb=AuditVerb.CASE_LINKED)
    assert prevent_case.reference not in str(list(events.values("data")))
    assert [o for o, _ in case_links_for_user(people["prevent_lead"], case)] == [prevent_case]


def test_only_a_lead_of_the_case_links_it_and_never_to_itself(people, case, nrm_case):
    with pytest.raises(PermissionDenied):
        case_link(case=case, actor=people["worker"], other_reference=nrm_case.reference,
                  reason="R")  # fmt: skip
    with pytest.raises(ValidationError):
        case_link(case=case, actor=people["lead"], other_reference=case.reference, reason="R")
    case_link(case=case, actor=people["lead"], other_reference=nrm_case.reference, reason="R")
    with pytest.raises(ValidationError) as info:
        case_link(case=nrm_case, actor=people["lead"], other_reference=case.reference,
                  reason="R")  # fmt: skip
    assert "already linked" in info.value.message_dict["other_reference"][0]
    assert Case.objects.count() == 2


def test_the_link_form(people, case, nrm_case, client):
    client.force_login(people["lead"])
    url = f"/cases/{case.reference}/links/"
    assert client.get(url).status_code == 200
    refused = client.post(url, {"other_reference": "SC-2099-999999", "reason": "R"})
    assert refused.status_code == 400
    assert LINK_NOT_FOUND in refused.content.decode()
    done = client.post(url, {"other_reference": nrm_case.reference, "reason": "Related."})
    assert done.status_code == 302
    assert CaseLink.objects.filter(from_case=case, to_case=nrm_case).exists()


def test_of_many_links_only_those_to_cases_seen_in_full_show_in_order(
    people, case, nrm_case, south_case, prevent_case, django_assert_num_queries
):
    lead = people["lead"]
    # A case with no link costs the page one small query.
    with django_assert_num_queries(1):
        assert case_links_for_user(lead, case) == []
    # Links made in the past by people who could see both sides, either way round.
    for other, made_by in ((nrm_case, lead), (south_case, people["admin"])):
        CaseLink.objects.create(from_case=case, to_case=other, reason="R", linked_by=made_by)
    CaseLink.objects.create(
        from_case=prevent_case, to_case=case, reason="R", linked_by=people["prevent_lead"]
    )
    extra = default_raise(modern_slavery.WORKFLOW, people["frontline"])(ADULT)
    CaseLink.objects.create(from_case=extra, to_case=case, reason="R", linked_by=lead)
    case_links_for_user(lead, case)  # the lead's teams, roles and grants, read once
    # Then the links, and which of their cases the lead sees in full.
    with django_assert_num_queries(2):
        shown = [other for other, _ in case_links_for_user(lead, case)]
    assert shown == [nrm_case, extra]
    cleared = [other for other, _ in case_links_for_user(people["prevent_lead"], case)]
    assert cleared == [nrm_case, prevent_case, extra]
    # The links' statement is kept (casework.statements): built by Django each time, the
    # same cases, references, types and reasons.
    kept = [(o.reference, o.case_type, k.reason) for o, k in case_links_for_user(lead, case)]
    with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
        built = case_links_for_user(lead, case)
    assert kept == [(o.reference, o.case_type, k.reason) for o, k in built]
    assert kept[0] == (nrm_case.reference, nrm_case.case_type, "R")
    # A lead of the other team sees the south case, but not this one: no link at all.
    assert case_links_for_user(people["other_lead"], case) == []
