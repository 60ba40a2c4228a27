"""Opening a new related case from a case page (issue 15): the lead chooses the type and
says why, fills in the usual intake, and the link is recorded on both cases once the
concern is raised; each side shows it only to those who may see both."""

from __future__ import annotations

import pytest

from casework.audit import AuditVerb
from casework.models import AuditEvent, Case, CaseLink, Team
from tests.casework.test_case_page_presentation import visible_text
from tests.workflows.test_cuckooing import raise_case
from tests.workflows.test_intake_pages import (
    ADULT,
    check_url,
    form_url,
    ms_data,
    raise_pages,
    text,
)

pytestmark = pytest.mark.django_db


def related_url(case: Case) -> str:
    return f"/cases/{case.reference}/related/new/"


def open_related(client, case, case_type="modern_slavery", reason="The occupier works unpaid."):
    return client.post(related_url(case), {"case_type": case_type, "reason": reason})


def raise_related(client, origin):
    response = open_related(client, origin)
    assert response.status_code == 302
    assert response["Location"] == form_url("modern_slavery")
    page = text(client.get(form_url("modern_slavery")))
    assert f"will be linked to {origin.reference}" in visible_text(page)
    assert raise_pages(client, "modern_slavery", ms_data()).status_code == 302
    check = visible_text(text(client.get(check_url("modern_slavery"))))
    assert f"will be linked to {origin.reference}" in check
    response = client.post(check_url("modern_slavery"), {})
    assert response.status_code == 302, text(response)
    return Case.objects.get(case_type="modern_slavery", summary=ADULT["summary"])


def test_a_lead_opens_a_related_case_linked_on_both_pages(client, frontline, lead):
    origin = raise_case(frontline)
    client.force_login(lead)
    page = text(client.get(f"/cases/{origin.reference}/"))
    assert related_url(origin) in page
    assert "Open a related case" in page
    new = raise_related(client, origin)
    link = CaseLink.objects.get()
    assert (link.from_case_id, link.to_case_id, link.reason) == (
        origin.pk, new.pk, "The occupier works unpaid.",
    )  # fmt: skip
    assert text(client.get(f"/cases/{origin.reference}/")).count(new.reference) >= 1
    assert origin.reference in text(client.get(f"/cases/{new.reference}/"))
    # Both histories record the link; the next concern of the type is not linked.
    assert AuditEvent.objects.filter(verb=AuditVerb.CASE_LINKED).count() == 2
    assert "will be linked" not in text(client.get(form_url("modern_slavery")))


def test_the_link_shows_only_to_those_who_may_see_both(client, frontline, lead, other_lead):
    origin = raise_case(frontline)
    client.force_login(lead)
    new = raise_related(client, origin)
    # The frontline worker who raised the cuckooing case cannot see the new case: its
    # page names no link and no reference of it.
    client.force_login(frontline)
    page = text(client.get(f"/cases/{origin.reference}/"))
    assert new.reference not in page
    assert "The occupier works unpaid." not in page
    # Another team's lead sees neither case.
    client.force_login(other_lead)
    assert client.get(f"/cases/{new.reference}/").status_code == 404
    assert client.get(related_url(origin)).status_code == 404


def test_only_the_cases_leads_may_open_a_related_case(client, frontline, lead, other_lead):
    origin = raise_case(frontline)
    client.force_login(frontline)
    assert client.get(related_url(origin)).status_code == 403
    assert open_related(client, origin).status_code == 403
    assert "safecase_related_to" not in client.session
    client.force_login(other_lead)
    assert open_related(client, origin).status_code == 404  # not even that it exists
    assert "safecase_related_to" not in client.session


def test_a_prevent_case_is_offered_only_to_a_prevent_lead(client, frontline, lead):
    origin = raise_case(frontline)
    client.force_login(lead)
    page = text(client.get(related_url(origin)))
    assert 'value="modern_slavery"' in page
    assert 'value="prevent"' not in page
    response = open_related(client, origin, case_type="prevent")
    assert response.status_code == 400
    assert "Select the type of the related case" in text(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"case_type": "", "reason": "Why"}, "Select the type of the related case"),
        ({"case_type": "cse", "reason": " "}, "Say why the cases are related."),
    ],
)
def test_the_choice_is_checked(client, frontline, lead, data, message):
    origin = raise_case(frontline)
    client.force_login(lead)
    response = client.post(related_url(origin), data)
    assert response.status_code == 400
    assert message in text(response)
    assert 'class="govuk-error-summary"' in text(response)


def test_nothing_is_raised_if_the_case_can_no_longer_be_linked(client, frontline, lead):
    origin = raise_case(frontline)
    client.force_login(lead)
    assert open_related(client, origin).status_code == 302
    assert raise_pages(client, "modern_slavery", ms_data()).status_code == 302
    Case.objects.filter(pk=origin.pk).update(team=Team.objects.get(slug="south"))
    before = (Case.objects.count(), CaseLink.objects.count(), AuditEvent.objects.count())
    response = client.post(check_url("modern_slavery"), {})
    assert "can no longer be linked" in text(response)
    assert (Case.objects.count(), CaseLink.objects.count(), AuditEvent.objects.count()) == before
