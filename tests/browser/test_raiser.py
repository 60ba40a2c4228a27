"""Browser journeys for issue 19, points 3 and 8 (headless Debian Chromium, Playwright):

1. a housing officer raises a concern, is told who will pick it up, follows the link to
   their own view of it, sees its status in plain words and adds a note there; the lead is
   told in the app, with a link to the case;
2. a lead sends a referral to a partner with a secure mailbox: the email, with the
   referral's PDF attached, is in the outbox and the referral records where it went.

The concern is raised through the intake service, not its pages (tests/browser/
test_journeys.py raises each type through the pages): this journey starts on the page the
raiser lands on once it is raised.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from notifications.models import OutboxMessage
from referrals.models import PartnerAgency, PartnerKind, Referral, ReferralState
from referrals.services import referral_create
from tests.browser.conftest import take
from tests.browser.data import INTAKE
from tests.browser.support import assert_accessible, needs_chromium
from tests.referrals.conftest import LAWFUL_BASIS, complete_content
from workflows.services import case_raise

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]

NOTE = "The door was answered by a different young man again this morning."


def test_a_housing_officer_raises_sees_who_picks_it_up_and_adds_a_note(new_page, people):
    frontline = people["frontline"]
    case = case_raise(actor=frontline, case_type="cuckooing", data=INTAKE["cuckooing"])
    page = new_page(frontline)
    page.goto(f"/concerns/raised/{case.reference}/")
    main = page.get_by_role("main")
    expect(main).to_contain_text("The safeguarding leads of North")
    expect(main).to_contain_text("will pick it up")
    assert_accessible(page, "the confirmation of a raised concern")
    main.get_by_role("link", name=f"your page for {case.reference}").click()
    expect(page).to_have_url(re.compile(rf"/cases/{case.reference}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(case.reference)
    expect(page.locator("[data-status]")).to_have_text("With the safeguarding lead for triage")
    expect(main).not_to_contain_text("There is nothing you can do on this case now")
    page.get_by_role("main").get_by_role("link", name="Add a note").first.click()
    page.get_by_label("Add a note").fill(NOTE)
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Note added")
    expect(page.get_by_role("main")).to_contain_text("has been told")
    page.get_by_role("link", name=f"Go back to {case.reference}").click()
    expect(page.get_by_role("main")).to_contain_text(NOTE)
    # The lead is told, with a link to the case, and reads the note there.
    told = OutboxMessage.objects.get(template="case.raiser_added", recipient=people["lead"])
    assert told.link == f"/cases/{case.reference}/"
    lead_page = new_page(people["lead"])
    lead_page.goto(told.link)
    expect(lead_page.get_by_role("main")).to_contain_text(NOTE)


def test_a_lead_sends_a_referral_to_a_partner_with_a_secure_mailbox(new_page, people):
    frontline, lead = people["frontline"], people["lead"]
    case = case_raise(actor=frontline, case_type="cse", data=INTAKE["cse"])
    case = take(case, lead, "refer_to_mash")
    partner = PartnerAgency.objects.create(
        name="Northtown MASH (secure)", kind=PartnerKind.CHILDRENS_SOCIAL_CARE_MASH,
        secure_email="mash@northtown.gcsx.example",
    )  # fmt: skip
    referral = referral_create(
        case=case, actor=lead, referral_type="mash_referral", partner=partner,
        content=complete_content("mash_referral"), lawful_basis=LAWFUL_BASIS,
    )  # fmt: skip
    page = new_page(lead)
    page.goto(f"/referrals/{referral.pk}/")
    expect(page.get_by_role("main")).to_contain_text("mash@northtown.gcsx.example")
    page.get_by_role("button", name="Send the referral by secure email").click()
    expect(page).to_have_url(re.compile(r"/referrals/\d+/actions/send/$"))
    assert_accessible(page, "sending a referral by secure email")
    page.get_by_role("main").get_by_role("button", name="Send the referral by secure email").click()
    expect(page).to_have_url(re.compile(r"/referrals/\d+/$"))
    expect(page.get_by_role("main")).to_contain_text("Emailed to mash@northtown.gcsx.example on")
    sent = Referral.objects.get(pk=referral.pk)
    assert sent.state == ReferralState.SENT
    assert (sent.sent_by, sent.sent_by_email) == (lead, True)
    [email] = [m for m in mail.outbox if m.to == ["mash@northtown.gcsx.example"]]
    [(filename, content, mimetype)] = email.attachments
    assert filename == f"{case.reference}-referral-{referral.pk}.pdf"
    assert mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    assert email.extra_headers["Message-ID"] == sent.sent_message_id
