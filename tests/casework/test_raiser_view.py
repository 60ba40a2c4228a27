"""The raiser's view (issue 17, finding 5; DESIGN.md "Access": frontline staff see the
cases they raised as "status and their own contributions").

A frontline worker who raised a case they are not allocated to sees its status in plain
words, what they raised and the notes and files they added, and may add more; not the
lead's notes or files, the clocks, the steps, the referrals or the history; through the
pages and the API alike. Allocated to them, they see it in full."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from casework.models import Case
from casework.notes import case_attachment_add, case_note_add
from casework.selectors import case_is_raiser_only
from referrals.models import PartnerAgency, Referral
from tests.samples import ADULT
from tests.workflows.walker import default_raise
from workflows import modern_slavery
from workflows.models import Deadline

pytestmark = pytest.mark.usefixtures("media")

LEADS_NOTE = "Lead only: the gangmaster lives at 4 Mill Lane."
CLOCK = "Reasonable grounds decision"


@pytest.fixture
def raised(people):
    """A modern slavery case the frontline worker raised, not allocated to anyone, with
    the lead's note, file and referral and an overdue clock."""
    case = default_raise(modern_slavery.WORKFLOW, people["frontline"])(ADULT)
    lead = people["lead"]
    case_note_add(case=case, actor=lead, text=LEADS_NOTE)
    case_attachment_add(
        case=case, actor=lead, name="lead-plan.txt", size=10,
        file=io.BytesIO(b"Lead plan\n"), description="",
    )  # fmt: skip
    now = timezone.now()
    Deadline.objects.create(
        case=case, rule="rg_decision", label=CLOCK, unit="working_days", duration=5,
        started_at=now - timezone.timedelta(days=20), due_at=now - timezone.timedelta(days=3),
    )  # fmt: skip
    partner = PartnerAgency.objects.create(name="Raiser view police", kind="police")
    Referral.objects.create(
        case=case, partner=partner, referral_type="nrm_referral", created_by=lead,
        state="draft",
    )  # fmt: skip
    return Case.objects.get(pk=case.pk)


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.django_db
def test_the_raiser_sees_status_what_they_raised_and_nothing_of_the_leads(client, people, raised):
    client.force_login(people["frontline"])
    assert case_is_raiser_only(people["frontline"], raised)
    html = page(client, f"/cases/{raised.reference}/")
    assert 'data-section="raiser-summary"' in html
    assert "With the safeguarding lead for triage" in html
    assert raised.summary in html  # what they raised
    for hidden in (LEADS_NOTE, "lead-plan.txt", CLOCK, "Raiser view police", "History"):
        assert hidden not in html, hidden
    assert 'id="deadlines"' not in html


@pytest.mark.django_db
def test_the_raiser_adds_a_note_and_a_file_and_sees_only_their_own(client, people, raised):
    client.force_login(people["frontline"])
    url = f"/cases/{raised.reference}/notes/new/"
    assert client.get(url).status_code == 200
    done = client.post(url, {"text": "She called me again today."})
    assert done.status_code == 200
    assert "Note added" in done.content.decode()
    assert "govuk-panel--confirmation" in done.content.decode()
    upload = io.BytesIO(b"My own notes\n")
    upload.name = "mine.txt"
    done = client.post(f"/cases/{raised.reference}/attachments/new/", {"file": upload})
    assert done.status_code == 200
    assert "File added" in done.content.decode()
    html = page(client, f"/cases/{raised.reference}/")
    assert "She called me again today." in html
    assert "mine.txt" in html
    assert LEADS_NOTE not in html
    assert "lead-plan.txt" not in html
    mine = raised.attachments.get(original_name="mine.txt")
    theirs = raised.attachments.get(original_name="lead-plan.txt")
    assert client.get(f"/cases/{raised.reference}/attachments/{mine.pk}/").status_code == 200
    assert client.get(f"/cases/{raised.reference}/attachments/{theirs.pk}/").status_code == 404
    # The lead reads the raiser's note with their own.
    client.force_login(people["lead"])
    html = page(client, f"/cases/{raised.reference}/")
    assert "She called me again today." in html
    assert LEADS_NOTE in html


@pytest.mark.django_db
def test_history_referrals_and_their_pdf_are_hidden_from_the_raiser(client, people, raised):
    client.force_login(people["frontline"])
    referral = Referral.objects.get(case=raised)
    for url in (
        f"/cases/{raised.reference}/history/",
        f"/referrals/{referral.pk}/",
        f"/referrals/{referral.pk}/print/",
        f"/referrals/{referral.pk}.pdf",
        f"/api/v1/referrals/{referral.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/api/v1/cases/{raised.reference}/history/",
        f"/api/v1/cases/{raised.reference}/deadlines/",
    ):
        assert client.get(url).status_code == 403, url


@pytest.mark.django_db
def test_the_api_gives_the_raiser_the_raiser_shape(client, people, raised):
    client.force_login(people["frontline"])
    body = client.get(f"/api/v1/cases/{raised.reference}/").json()
    assert body["raiser_view"] is True
    assert body["limited"] is False
    assert body["status"] == "With the safeguarding lead for triage"
    assert body["summary"] == raised.summary
    for hidden in ("state", "deadlines", "owner", "available_transitions", "people"):
        assert hidden not in body, hidden
    listed = client.get("/api/v1/cases/").json()["results"]
    row = next(r for r in listed if r["reference"] == raised.reference)
    assert row["raiser_view"] is True
    assert "overdue" not in row
    assert "state" not in row


@pytest.mark.django_db
def test_the_case_list_tells_the_raiser_no_clock(client, people, raised):
    client.force_login(people["frontline"])
    html = page(client, "/cases/")
    assert raised.reference in html
    assert "data-overdue" not in html
    overdue = page(client, "/cases/?overdue=true")
    assert raised.reference not in overdue
    api = client.get("/api/v1/cases/?overdue=true").json()
    assert api["count"] == 0
    # The lead sees it overdue.
    client.force_login(people["lead"])
    assert raised.reference in page(client, "/cases/?overdue=true")


@pytest.mark.django_db
def test_allocated_to_the_raiser_the_case_is_seen_in_full(client, people, raised):
    Case.objects.filter(pk=raised.pk).update(owner=people["frontline"])
    client.force_login(people["frontline"])
    html = page(client, f"/cases/{raised.reference}/")
    assert LEADS_NOTE in html
    assert CLOCK in html
    assert client.get(f"/cases/{raised.reference}/history/").status_code == 200
