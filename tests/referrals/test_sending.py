"""Referral sending that sends (issue 19, point 8).

Where the partner has a secure mailbox, "Send" emails the referral's PDF to it through the
project's mail settings and records who sent it, when, to which address and the email's
Message-ID, audited; a mail server that refuses it leaves the referral a draft and
nothing else written. Where the partner has no mailbox, the button says "Record as sent"
and the page shows where the referral should go. While it cannot be sent there is no
send button at all, only what is missing. The API says the same (``sent_by_email``,
``sent_to``, ``sent_by``, ``sent_message_id``)."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from rest_framework.test import APIClient

from casework.audit import AuditVerb
from casework.models import AuditEvent
from referrals.models import PartnerAgency, PartnerKind, Referral, ReferralState
from referrals.services import referral_create, referral_send
from tests.referrals.conftest import LAWFUL_BASIS, complete_content, trace

pytestmark = pytest.mark.django_db


def send_url(referral: Referral) -> str:
    return f"/referrals/{referral.pk}/actions/send/"


def test_send_emails_the_pdf_to_the_secure_mailbox_and_records_the_message(draft_for, lead, client):
    referral = draft_for("mash_referral")
    mailbox = referral.partner.secure_email
    client.force_login(lead)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert 'data-action="send"' in page
    assert "Send the referral by secure email" in page
    assert f"secure mailbox, {mailbox}" in page
    response = client.post(send_url(referral), {"version": referral.version})
    assert response.status_code == 302

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [mailbox]
    assert referral.case.reference in email.subject
    [(filename, content, mimetype)] = email.attachments
    assert filename == f"{referral.case.reference}-referral-{referral.pk}.pdf"
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF")

    sent = Referral.objects.get(pk=referral.pk)
    assert sent.state == ReferralState.SENT
    assert sent.sent_by == lead
    assert sent.sent_by_email is True
    assert sent.sent_to == mailbox
    assert sent.sent_message_id == email.extra_headers["Message-ID"]
    assert sent.sent_message_id.startswith("<")
    assert sent.sent_message_id.endswith(">")
    event = AuditEvent.objects.get(verb=AuditVerb.REFERRAL_SENT, object_id=str(referral.pk))
    assert event.actor == lead
    assert event.data["sent_by_email"] is True
    assert event.data["sent_to"] == mailbox
    assert event.data["message_id"] == sent.sent_message_id

    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert f"Emailed to {mailbox} on " in page
    assert sent.sent_message_id.strip("<>") in page


def test_an_anonymous_notification_is_emailed_without_the_case_reference(draft_for, lead):
    from referrals.document import anonymous_reference

    referral = draft_for("dtn_anonymous")
    referral_send(referral=referral, actor=lead, expected_version=referral.version)
    [email] = mail.outbox
    reference = referral.case.reference
    assert reference not in email.subject
    assert reference not in email.body
    assert anonymous_reference(referral) in email.subject
    [(filename, _, _)] = email.attachments
    assert filename == f"{anonymous_reference(referral)}.pdf"


def test_a_refused_email_leaves_the_referral_unsent_with_a_clear_error(
    draft_for, lead, client, monkeypatch
):
    referral = draft_for("mash_referral")
    before = trace(referral)

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({self.to[0]: (550, b"No such mailbox")})

    monkeypatch.setattr(EmailMessage, "send", refuse)
    client.force_login(lead)
    response = client.post(send_url(referral), {"version": referral.version})
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert f"could not be emailed to {referral.partner.secure_email}" in page
    assert "still a draft" in page
    assert trace(referral) == before
    row = Referral.objects.get(pk=referral.pk)
    assert row.state == ReferralState.DRAFT
    assert (row.sent_at, row.sent_by, row.sent_to, row.sent_message_id) == (None, None, "", "")
    assert not AuditEvent.objects.filter(verb=AuditVerb.REFERRAL_SENT).exists()


def test_without_a_mailbox_the_button_records_it_as_sent_and_shows_where_it_goes(
    case_for, lead, client
):
    partner = PartnerAgency.objects.create(
        name="Southtown MASH by post", kind=PartnerKind.CHILDRENS_SOCIAL_CARE_MASH,
        address="Civic Centre\nSouthtown ST1 1AA", phone="01632 960 123",
        notes="Referrals through the county's online portal.",
    )  # fmt: skip
    referral = referral_create(
        case=case_for("mash_referral"), actor=lead, referral_type="mash_referral",
        partner=partner, content=complete_content("mash_referral"), lawful_basis=LAWFUL_BASIS,
    )  # fmt: skip
    client.force_login(lead)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Record as sent" in page
    assert "Send the referral" not in page
    assert "has no secure mailbox" in page
    for held in ("Southtown ST1 1AA", "01632 960 123", "online portal"):
        assert held in page, held
    form = client.get(send_url(referral)).content.decode()
    assert ">Record as sent</button>" in form.replace("\n", "").replace("  ", "")
    assert "01632 960 123" in form
    response = client.post(send_url(referral), {"version": referral.version})
    assert response.status_code == 302
    assert mail.outbox == []
    sent = Referral.objects.get(pk=referral.pk)
    assert sent.state == ReferralState.SENT
    assert (sent.sent_by, sent.sent_by_email, sent.sent_to) == (lead, False, "")
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Recorded as sent on " in page


def test_no_send_button_while_it_cannot_be_sent_only_what_is_missing(
    case_for, partners, lead, client
):
    basis = {**LAWFUL_BASIS, "special_category_shared": "", "special_category_condition": ""}
    referral = referral_create(
        case=case_for("mash_referral"), actor=lead, referral_type="mash_referral",
        partner=partners["childrens_social_care_mash"],
        content=complete_content("mash_referral"), lawful_basis=basis,
    )  # fmt: skip
    client.force_login(lead)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert 'data-action="send"' not in page
    assert "Send the referral" not in page
    assert "It cannot be sent yet" in page
    assert 'data-section="send-problems"' in page
    assert "#special_category_shared" in page
    form = client.get(send_url(referral)).content.decode()
    assert "data-prevent-double-click" not in form
    assert "It cannot be sent yet" in form
    assert client.post(send_url(referral), {"version": referral.version}).status_code == 400
    assert mail.outbox == []
    assert Referral.objects.get(pk=referral.pk).state == ReferralState.DRAFT


def test_the_api_sends_by_email_and_says_so(draft_for, lead):
    referral = draft_for("mash_referral")
    api = APIClient()
    api.force_authenticate(lead)
    url = f"/api/v1/referrals/{referral.pk}/"
    before = api.get(url).json()
    assert (before["sent_by_email"], before["sent_to"], before["sent_by"]) == (False, "", None)
    response = api.post(f"{url}transitions/send/", {"version": referral.version}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "sent"
    assert body["sent_by_email"] is True
    assert body["sent_to"] == referral.partner.secure_email
    assert body["sent_by"] == lead.get_username()
    assert body["sent_message_id"] == mail.outbox[0].extra_headers["Message-ID"]


def test_the_api_refuses_with_400_when_the_mail_server_does(draft_for, lead, monkeypatch):
    referral = draft_for("mash_referral")
    before = trace(referral)

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    api = APIClient()
    api.force_authenticate(lead)
    response = api.post(
        f"/api/v1/referrals/{referral.pk}/transitions/send/",
        {"version": referral.version},
        format="json",
    )
    assert response.status_code == 400
    [message] = response.json()["errors"]["non_field_errors"]
    assert "could not be emailed" in message
    assert trace(referral) == before


def test_the_administrator_keeps_the_mailbox_and_where_referrals_go_by_hand(client, administrator):
    client.force_login(administrator)
    form = client.get("/staff/partners/new/").content.decode()
    for label in ("Secure mailbox", "Address", "How it takes referrals"):
        assert label in form, label
    refused = client.post(
        "/staff/partners/new/",
        {"name": "Westfield MASH", "kind": "childrens_social_care_mash",
         "secure_email": "mash at westfield", "active": "yes", "reason": "New partner."},
    )  # fmt: skip
    assert refused.status_code == 400
    assert "Enter an email address in the correct format" in refused.content.decode()
    assert not PartnerAgency.objects.filter(name="Westfield MASH").exists()
    saved = client.post(
        "/staff/partners/new/",
        {"name": "Westfield MASH", "kind": "childrens_social_care_mash", "secure_email": "",
         "address": "Town Hall\nWestfield WF1 2AB",
         "notes": "Through the county portal: https://portal.westfield.example/mash",
         "active": "yes", "reason": "New partner."},
    )  # fmt: skip
    assert saved.status_code == 302
    partner = PartnerAgency.objects.get(name="Westfield MASH")
    assert partner.address == "Town Hall\nWestfield WF1 2AB"
    assert partner.notes.endswith("/mash")
    event = AuditEvent.objects.filter(verb=AuditVerb.PARTNER_SAVED).latest("pk")
    assert event.data["notes"] == partner.notes
