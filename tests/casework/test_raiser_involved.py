"""The raiser stays involved (issue 19, point 3).

The person who raised a concern is told who will pick it up and how to add to it; sees
its status in plain words ("With the safeguarding lead for triage", "Referred to
children's social care", "Closed: ..."); adds a note or a file from their view of it,
and the allocated worker and the team's leads are told in the app, with a link to the
case, audited. The raiser of a Prevent case sees only that it was received, and may still
add information without seeing anything else. "My concerns" lists each with a short
summary and its status (Prevent: "Received")."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from casework.audit import AuditVerb
from casework.models import AuditEvent, Case
from notifications.models import OutboxMessage
from referrals.models import PartnerAgency, PartnerKind, Referral
from tests.samples import ADULT, PREVENT_SUBJECT
from tests.workflows.walker import default_raise
from workflows import modern_slavery, prevent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

NOTE = "She told me today that her passport is kept by the man at the car wash."


@pytest.fixture
def raised(people):
    """A modern slavery concern raised by frontline staff, not allocated."""
    return default_raise(modern_slavery.WORKFLOW, people["frontline"])(ADULT)


@pytest.fixture
def prevent_raised(people):
    return default_raise(prevent.WORKFLOW, people["frontline"])(PREVENT_SUBJECT)


def html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def status_on_page(client, case: Case) -> str:
    page = html(client, f"/cases/{case.reference}/")
    return page.split("data-status>")[1].split("</dd>")[0]


def test_the_confirmation_says_who_picks_it_up_and_how_to_add_to_it(client, people):
    # Both confirmations: the usual one, and the one that puts immediate risk first.
    raise_ms = default_raise(modern_slavery.WORKFLOW, people["frontline"])
    calm = raise_ms({**ADULT, "immediate_risk": False})
    urgent = raise_ms({**ADULT, "immediate_risk": True})
    client.force_login(people["frontline"])
    for case, words in (
        (calm, "The safeguarding leads of North locality team will pick it up."),
        (urgent, "The safeguarding leads of North locality team will pick it up:"),
    ):
        page = html(client, f"/concerns/raised/{case.reference}/")
        assert words in page
        assert f'href="/cases/{case.reference}/"' in page
        assert "quote it if you need to add" not in page


def test_the_prevent_confirmation_names_the_prevent_cleared_leads(client, people, prevent_raised):
    client.force_login(people["frontline"])
    page = html(client, f"/concerns/raised/{prevent_raised.reference}/")
    assert "The Prevent-cleared safeguarding leads of North locality team" in page


def test_the_status_in_plain_words_through_the_life_of_the_concern(client, people, raised):
    client.force_login(people["frontline"])
    assert status_on_page(client, raised) == "With the safeguarding lead for triage"
    Case.objects.filter(pk=raised.pk).update(state=modern_slavery.State.TRIAGE)
    assert status_on_page(client, raised) == "Being looked into by the safeguarding team"
    # A draft referral has not left: the status does not change.
    partner = PartnerAgency.objects.create(
        name="Northtown MASH", kind=PartnerKind.CHILDRENS_SOCIAL_CARE_MASH
    )
    referral = Referral.objects.create(
        case=raised, partner=partner, referral_type="nrm_referral", created_by=people["lead"]
    )
    assert status_on_page(client, raised) == "Being looked into by the safeguarding team"
    Referral.objects.filter(pk=referral.pk).update(
        state="sent", sent_at=timezone.now(), consent_given=True, authorised_by=people["lead"]
    )
    page = html(client, f"/cases/{raised.reference}/")
    assert "Referred to children&#x27;s social care" in page
    assert "Northtown MASH" not in page  # the kind of agency, not the referral
    # The list says the same of its row (looked up for the rows seen only as raiser).
    rows = client.get("/api/v1/cases/").json()["results"]
    row = next(r for r in rows if r["reference"] == raised.reference)
    assert (row["raiser_view"], row["status"]) == (True, "Referred to children's social care")
    assert row["summary"] == raised.summary
    assert "Referred to children&#x27;s social care" in html(client, "/cases/")
    Case.objects.filter(pk=raised.pk).update(
        state=modern_slavery.State.WITHDRAWN, closed_at=timezone.now()
    )
    assert status_on_page(client, raised) == "Closed: withdrawn"
    body = client.get(f"/api/v1/cases/{raised.reference}/").json()
    assert body["status"] == "Closed: withdrawn"


def test_the_raiser_adds_a_note_and_the_people_working_on_it_are_told(client, people, raised):
    Case.objects.filter(pk=raised.pk).update(owner=people["worker"])
    client.force_login(people["frontline"])
    page = html(client, f"/cases/{raised.reference}/")
    assert "There is nothing you can do on this case now" not in page
    assert f'href="/cases/{raised.reference}/notes/new/"' in page
    done = client.post(f"/cases/{raised.reference}/notes/new/", {"text": NOTE})
    assert done.status_code == 200
    assert "has been told" in done.content.decode()

    told = OutboxMessage.objects.filter(template="case.raiser_added")
    recipients = set(told.values_list("recipient__username", flat=True))
    # The allocated worker and the team's leads (a Prevent-cleared lead is a lead too);
    # not the raiser, not the other team's lead.
    assert recipients == {"worker.north", "lead.north", "prevent.lead"}
    for message in told:
        assert message.link == f"/cases/{raised.reference}/"
        assert raised.reference in message.subject
        assert NOTE not in message.body
    event = AuditEvent.objects.get(verb=AuditVerb.NOTE_ADDED, case=raised)
    assert event.actor == people["frontline"]
    assert event.data["by_raiser"] is True
    # The lead reads it on the case page.
    client.force_login(people["lead"])
    assert NOTE in html(client, f"/cases/{raised.reference}/")


def test_a_file_from_the_raiser_is_told_too_and_a_leads_own_note_is_not(client, people, raised):
    client.force_login(people["frontline"])
    upload = io.BytesIO(b"Photo notes\n")
    upload.name = "what-i-saw.txt"
    done = client.post(f"/cases/{raised.reference}/attachments/new/", {"file": upload})
    assert done.status_code == 200
    told = OutboxMessage.objects.filter(template="case.raiser_added")
    assert set(told.values_list("recipient__username", flat=True)) == {
        "lead.north", "prevent.lead",
    }  # fmt: skip
    assert "file" in told.first().body
    client.force_login(people["lead"])
    client.post(f"/cases/{raised.reference}/notes/new/", {"text": "Lead's own note."})
    assert told.count() == 2


def test_the_prevent_raiser_sees_only_that_it_was_received_and_may_still_add(
    client, people, prevent_raised
):
    reference = prevent_raised.reference
    client.force_login(people["frontline"])
    page = html(client, f"/cases/{reference}/")
    assert "Received" in page
    assert prevent_raised.summary not in page
    assert f'href="/cases/{reference}/notes/new/"' in page
    assert f'href="/cases/{reference}/attachments/new/"' in page
    assert client.get(f"/cases/{reference}/notes/new/").status_code == 200
    done = client.post(f"/cases/{reference}/notes/new/", {"text": NOTE})
    assert done.status_code == 200
    assert "not shown to you afterwards" in done.content.decode()
    # What they added is not shown back, nor anything else of the case.
    page = html(client, f"/cases/{reference}/")
    assert NOTE not in page
    assert prevent_raised.summary not in page
    # Only the Prevent-cleared lead is told; the ordinary lead may not know of it.
    told = OutboxMessage.objects.filter(template="case.raiser_added")
    assert list(told.values_list("recipient__username", flat=True)) == ["prevent.lead"]
    client.force_login(people["prevent_lead"])
    assert NOTE in html(client, f"/cases/{reference}/")
    # Closed or not, the raiser may add: whether it is closed is need-to-know too.
    Case.objects.filter(pk=prevent_raised.pk).update(
        state=prevent.State.CLOSED, closed_at=timezone.now()
    )
    client.force_login(people["frontline"])
    page = html(client, f"/cases/{reference}/")
    assert "Closed" not in page
    upload = io.BytesIO(b"More\n")
    upload.name = "more.txt"
    done = client.post(f"/cases/{reference}/attachments/new/", {"file": upload})
    assert done.status_code == 200


def test_nobody_else_adds_to_a_prevent_case_they_cannot_see(client, people, prevent_raised):
    for who in ("colleague", "lead"):
        client.force_login(people[who])
        url = f"/cases/{prevent_raised.reference}/notes/new/"
        assert client.get(url).status_code == 404
        assert client.post(url, {"text": "x"}).status_code == 404
    assert not prevent_raised.notes.exists()


def test_my_concerns_lists_summary_and_status_and_prevent_only_as_received(
    client, people, raised, prevent_raised
):
    client.force_login(people["frontline"])
    home = html(client, "/")
    panel = home.split('data-panel="raised"')[1].split("</section>")[0]
    mine = panel.split(f'data-reference="{raised.reference}"')[1].split("</tr>")[0]
    assert raised.summary in mine
    assert "With the safeguarding lead for triage" in mine
    theirs = panel.split(f'data-reference="{prevent_raised.reference}"')[1].split("</tr>")[0]
    assert "Received" in theirs
    assert prevent_raised.summary not in theirs
    assert "data-summary" not in theirs
