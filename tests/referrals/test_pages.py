"""Referral pages: making one from a case, reading it, its steps as forms (400 / 403 / 404 /
409 as the case action pages), its print view and PDF, and who may see and use them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from casework.models import AuditEvent, Case
from casework.services import case_allocate
from referrals.models import Referral, ReferralState
from referrals.services import referral_send
from tests.referrals.conftest import LAWFUL_BASIS, SETUPS, complete_content, trace
from tests.workflows.walker import default_raise
from workflows import prevent

pytestmark = pytest.mark.django_db


def post_form(data: dict) -> dict:
    """A dict of values as a browser would post them: yes/no as "true"/"false"."""
    out = {}
    for key, value in data.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif value is not None:
            out[key] = value
    return out


# --- The case page and making a referral -----------------------------------------------------


def test_the_case_page_lists_referrals_and_offers_leads_a_new_one(draft_for, lead, frontline,
                                                                  auditor, client):  # fmt: skip
    referral = draft_for("mash_referral")
    reference = referral.case.reference
    client.force_login(lead)
    page = client.get(f"/cases/{reference}/").content.decode()
    assert f'href="/referrals/{referral.pk}/"' in page
    assert 'data-action="make-referral"' in page
    client.force_login(auditor)  # the auditor sees it, cannot refer
    page = client.get(f"/cases/{reference}/").content.decode()
    assert f'href="/referrals/{referral.pk}/"' in page
    assert 'data-action="make-referral"' not in page
    # Its raiser, not allocated to it, sees its status, not its referrals (issue 17).
    client.force_login(frontline)
    page = client.get(f"/cases/{reference}/").content.decode()
    assert f'href="/referrals/{referral.pk}/"' not in page
    assert 'data-action="make-referral"' not in page


def test_the_type_page_offers_only_the_case_types_referrals(case_for, lead, client):
    case = case_for("nrm_referral", ready=False)
    client.force_login(lead)
    page = client.get(f"/cases/{case.reference}/referrals/new/").content.decode()
    assert 'value="nrm_referral"' in page
    assert 'value="dtn_anonymous"' in page
    assert 'value="mash_referral"' not in page
    response = client.post(f"/cases/{case.reference}/referrals/new/", {})
    assert response.status_code == 400
    assert "Select the type of referral" in response.content.decode()
    response = client.post(f"/cases/{case.reference}/referrals/new/",
                           {"referral_type": "mash_referral"})  # fmt: skip
    assert response.status_code == 400
    response = client.post(f"/cases/{case.reference}/referrals/new/",
                           {"referral_type": "nrm_referral"})  # fmt: skip
    assert response.url == f"/cases/{case.reference}/referrals/new/nrm_referral/"
    assert client.get(f"/cases/{case.reference}/referrals/new/mash_referral/").status_code == 404


def test_the_form_is_filled_in_from_the_case_and_saves_a_draft(case_for, partners, lead, client):
    case = case_for("mash_referral", ready=False)
    client.force_login(lead)
    url = f"/cases/{case.reference}/referrals/new/mash_referral/"
    page = client.get(url).content.decode()
    assert 'value="Brzezinska"' in page  # the child's name, from the case
    assert f'value="{partners["childrens_social_care_mash"].pk}"' in page
    assert f'value="{partners["police"].pk}"' not in page  # not a partner for this type
    data = post_form({
        "partner": partners["childrens_social_care_mash"].pk,
        "subject_family_name": "Brzezinska",
        "what_has_happened": "Seen getting into cars with older men.",
        **LAWFUL_BASIS,
    })  # fmt: skip
    response = client.post(url, data)
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response.url == f"/referrals/{referral.pk}/"
    assert referral.state == ReferralState.DRAFT
    assert referral.authorised_by == lead
    assert referral.content["what_has_happened"].startswith("Seen getting")
    page = client.get(response.url).content.decode()
    assert 'data-section="send-problems"' in page  # what is missing before it can be sent
    assert "Enter the evidence of harm and its impact on the child" in page


def test_an_invalid_form_is_shown_again_with_its_errors(case_for, partners, lead, client):
    case = case_for("mash_referral", ready=False)
    client.force_login(lead)
    url = f"/cases/{case.reference}/referrals/new/mash_referral/"
    response = client.post(url, {"partner": partners["police"].pk, "subject_date_of_birth": "x"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert 'href="#subject_date_of_birth-day"' in page  # a GOV.UK date input's first box
    assert 'href="#partner"' in page
    assert Referral.objects.count() == 0


# --- Reading a referral ---------------------------------------------------------------------


def test_a_referral_is_visible_to_exactly_those_who_can_see_its_case(
    draft_for, lead, frontline, other_lead, auditor, administrator, client
):
    referral = draft_for("mash_referral")
    # Its raiser, not allocated to it, sees only its status and what they added: the
    # referral, its print view and PDF are hidden like a missing one (issue 17).
    expected = {lead: 200, frontline: 404, auditor: 200, other_lead: 404, administrator: 404}
    for user, status in expected.items():
        client.force_login(user)
        for url in (f"/referrals/{referral.pk}/", f"/referrals/{referral.pk}/print/",
                    f"/referrals/{referral.pk}.pdf"):  # fmt: skip
            assert client.get(url).status_code == status, (user, url)
    client.logout()
    response = client.get(f"/referrals/{referral.pk}/")
    assert response.status_code == 302
    assert response.url.startswith("/sign-in/")


def test_the_raiser_of_a_prevent_case_sees_none_of_its_referrals(draft_for, frontline,
                                                                 prevent_lead, lead,
                                                                 client):  # fmt: skip
    referral = draft_for("prevent_referral")
    client.force_login(frontline)  # raised it, so knows it only as received
    assert client.get(f"/cases/{referral.case.reference}/").status_code == 200
    assert client.get(f"/referrals/{referral.pk}/").status_code == 404
    assert client.get(f"/referrals/{referral.pk}.pdf").status_code == 404
    client.force_login(lead)  # not Prevent-cleared
    assert client.get(f"/referrals/{referral.pk}/").status_code == 404
    client.force_login(prevent_lead)
    assert client.get(f"/referrals/{referral.pk}/").status_code == 200


def test_the_allocated_worker_reads_the_referral(draft_for, lead, make_user, client):
    from casework.roles import Role

    worker = make_user("frontline.worker", Role.FRONTLINE, ["north"])
    referral = draft_for("mash_referral")
    case_allocate(case=referral.case, actor=lead, assignee=worker)
    client.force_login(worker)
    assert client.get(f"/referrals/{referral.pk}/").status_code == 200
    assert client.get(f"/referrals/{referral.pk}/actions/send/").status_code == 403


def test_printing_and_downloading_are_recorded(draft_for, auditor, client):
    referral = draft_for("mash_referral")
    client.force_login(auditor)
    client.get(f"/referrals/{referral.pk}/print/")
    response = client.get(f"/referrals/{referral.pk}.pdf")
    assert response["Content-Disposition"].startswith("attachment;")
    formats = [
        e.data["format"] for e in AuditEvent.objects.filter(verb="referral.exported", actor=auditor)
    ]
    assert formats == ["print", "pdf"]


def test_the_print_view_carries_the_case_reference_on_every_page(draft_for, lead, client):
    referral = draft_for("mash_referral")
    client.force_login(lead)
    page = client.get(f"/referrals/{referral.pk}/print/").content.decode()
    # A table's header row repeats on each printed page.
    header = page.split('<thead class="running-header">')[1].split("</thead>")[0]
    assert f"Case {referral.case.reference}" in header
    # Its print styles are a file of their own (the CSP allows no inline style).
    assert '<link rel="stylesheet" href="/static/css/referral-print.css">' in page
    styles = client.get("/static/css/referral-print.css")
    css = b"".join(styles.streaming_content).decode()
    assert "@media print" in css
    assert "@page" in css
    assert "govuk-header" not in page
    assert "<script" not in page


# --- Acting on a referral -------------------------------------------------------------------

ACTION_URLS = [
    "actions/send/",
    "actions/withdraw/",
    "edit/",
    "actions/record_decision/no_further_action/",
]


@pytest.mark.parametrize("path", ACTION_URLS)
def test_those_who_can_see_but_not_act_get_403_and_nothing_changes(path, draft_for, frontline,
                                                                   auditor, other_lead, lead,
                                                                   make_user,
                                                                   client):  # fmt: skip
    from casework.roles import Role

    referral = draft_for("mash_referral")
    worker = make_user("frontline.worker", Role.FRONTLINE, ["north"])
    case_allocate(case=referral.case, actor=lead, assignee=worker)
    before = trace(referral)
    # The allocated worker sees it and may not act; its raiser, not allocated to it, does
    # not see it at all (issue 17).
    cases = ((worker, 403), (frontline, 404), (auditor, 403), (other_lead, 404))
    for user, status in cases:
        client.force_login(user)
        url = f"/referrals/{referral.pk}/{path}"
        assert client.get(url).status_code == status, (user, url)
        data = {"version": referral.version, "reason": "x"}
        assert client.post(url, data).status_code == status, (user, url)
    assert trace(referral) == before
    client.force_login(frontline)
    response = client.get(f"/cases/{referral.case.reference}/referrals/new/")
    assert response.status_code == 403


def test_sending_from_the_page(draft_for, lead, client):
    referral = draft_for("mash_referral")
    client.force_login(lead)
    url = f"/referrals/{referral.pk}/actions/send/"
    page = client.get(url).content.decode()
    assert "Send the referral" in page
    assert referral.partner.secure_email in page
    response = client.post(url, {"version": referral.version})
    assert response.status_code == 302
    assert response.url == f"/referrals/{referral.pk}/"
    referral.refresh_from_db(fields=["sent_at"])
    sent = Referral.objects.get(pk=referral.pk)
    assert sent.state == ReferralState.SENT
    assert sent.response_deadline is not None
    page = client.get(response.url).content.decode()
    assert 'data-section="clock"' in page
    assert "Partner’s response clock" in page
    # Sending again is not possible now: 409 with the reason, on the referral page.
    response = client.post(url, {"version": sent.version})
    assert response.status_code == 409
    assert "while the referral is sent" in response.content.decode()


def test_an_incomplete_referral_is_refused_naming_what_is_missing(case_for, partners, lead,
                                                                  client):  # fmt: skip
    from referrals.services import referral_create

    referral = referral_create(
        case=case_for("mash_referral"), actor=lead, referral_type="mash_referral",
        partner=partners["childrens_social_care_mash"],
        content=complete_content("mash_referral", what_has_happened=""),
    )  # fmt: skip
    client.force_login(lead)
    response = client.post(f"/referrals/{referral.pk}/actions/send/", {"version": 1})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'href="/referrals/{referral.pk}/edit/#what_has_happened"' in page
    assert "A referral cannot be sent without it." in page
    assert Referral.objects.get(pk=referral.pk).state == ReferralState.DRAFT


def test_a_stale_form_is_refused_with_409(draft_for, lead, client):
    referral = draft_for("mash_referral")
    client.force_login(lead)
    response = client.post(f"/referrals/{referral.pk}/actions/send/", {"version": 0})
    assert response.status_code == 409
    assert Referral.objects.get(pk=referral.pk).state == ReferralState.DRAFT


def test_a_decision_from_the_page_moves_the_case(draft_for, lead, client):
    referral = referral_send(referral=draft_for("mash_referral"), actor=lead)
    client.force_login(lead)
    url = f"/referrals/{referral.pk}/actions/record_decision/strategy_discussion/"
    page = client.get(url).content.decode()
    assert 'name="significant_harm_concern"' in page  # the case step's own question
    assert 'name="mash_decision_on"' not in page  # filled in from the decision's date
    response = client.post(url, {})
    assert response.status_code == 400
    data = post_form({
        "version": referral.version, "decided_on": timezone.localdate().isoformat(),
        "decision_details": "Strategy discussion tomorrow.", "emergency_action_taken": False,
        "significant_harm_concern": "Exploitation by adults.",
    })  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302
    assert Case.objects.get(pk=referral.case_id).state == "strategy_discussion"
    assert Referral.objects.get(pk=referral.pk).state == ReferralState.ACCEPTED


def test_a_decision_the_case_is_not_ready_for_is_409(draft_for, lead, client):
    referral = referral_send(referral=draft_for("mash_referral", ready=False), actor=lead)
    client.force_login(lead)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert 'data-blocked="strategy_discussion"' in page
    url = f"/referrals/{referral.pk}/actions/record_decision/strategy_discussion/"
    response = client.get(url)
    assert response.status_code == 409
    assert "which is not possible while the case is concern raised" in response.content.decode()
    nonsense = f"/referrals/{referral.pk}/actions/record_decision/nonsense/"
    assert client.get(nonsense).status_code == 404


def test_no_response_is_offered_only_after_the_clock_runs_out(draft_for, lead, client,
                                                              monkeypatch):  # fmt: skip
    referral = referral_send(referral=draft_for("mash_referral"), actor=lead)
    client.force_login(lead)
    url = f"/referrals/{referral.pk}/actions/record_no_response/"
    assert (
        'data-action="record_no_response"'
        not in client.get(f"/referrals/{referral.pk}/").content.decode()
    )
    assert client.get(url).status_code == 409
    later = referral.response_deadline.due_at + timezone.timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    client.force_login(lead)  # a new session: the old one has timed out by then
    assert client.get(url).status_code == 200
    response = client.post(url, {"version": referral.version, "no_response_note": "Chased."})
    assert response.status_code == 302
    assert Referral.objects.get(pk=referral.pk).state == ReferralState.NO_RESPONSE


def test_the_whole_lifecycle_through_the_pages(draft_for, lead, client):
    referral = draft_for("prevent_referral")
    lead = referral.created_by
    client.force_login(lead)
    base = f"/referrals/{referral.pk}/"

    def post(path: str, data: dict) -> None:
        version = Referral.objects.get(pk=referral.pk).version
        response = client.post(base + path, post_form({"version": version, **data}))
        assert response.status_code == 302, response.content.decode()[:2000]

    post("actions/send/", {})
    post("actions/acknowledge/", {"acknowledged_on": "2026-03-01", "partner_reference": "CT-9"})
    post("actions/record_decision/referred_to_channel/", {
        "decided_on": timezone.localdate().isoformat(),  # the referral was made today
        "decision_details": "Referred to Channel.",
        "channel_referred_by": "police",
    })  # fmt: skip
    post("actions/record_outcome/", {"outcome_on": "2026-04-01", "outcome": "Adopted."})
    post("actions/close/", {"closing_note": ""})
    referral = Referral.objects.get(pk=referral.pk)
    assert referral.state == ReferralState.CLOSED
    assert referral.partner_reference == "CT-9"
    assert Case.objects.get(pk=referral.case_id).state == "channel_info_gathering"
    page = client.get(base).content.decode()
    titles = ("Referral drafted", "Referral sent", "Acknowledged by the partner",
              "Partner’s decision recorded", "Outcome recorded", "Referral closed")  # fmt: skip
    for title in titles:
        assert title in page
    assert "Referred to Channel." in page  # the partner's decision, as given


def test_a_draft_is_changed_through_its_form(draft_for, lead, client):
    referral = draft_for("mash_referral")
    client.force_login(lead)
    url = f"/referrals/{referral.pk}/edit/"
    page = client.get(url).content.decode()
    assert 'name="version"' in page
    assert 'value="Brzezinska"' not in page
    data = post_form({
        **referral.content, "partner": referral.partner_id, "version": referral.version,
        "what_has_happened": "Changed.", **LAWFUL_BASIS,
    })  # fmt: skip
    data["indicators"] = referral.content["indicators"]
    response = client.post(url, data)
    assert response.status_code == 302
    assert Referral.objects.get(pk=referral.pk).content["what_has_happened"] == "Changed."
    referral_send(referral=Referral.objects.get(pk=referral.pk), actor=lead)
    assert client.get(url).status_code == 409


def test_prevent_referral_pages_need_prevent_clearance(frontline, lead, prevent_lead, partners,
                                                       client):  # fmt: skip
    case = default_raise(prevent.WORKFLOW, frontline)({"subject_family_name": "Hughes"})
    client.force_login(lead)
    assert client.get(f"/cases/{case.reference}/referrals/new/").status_code == 404
    client.force_login(prevent_lead)
    assert client.get(f"/cases/{case.reference}/referrals/new/").status_code == 200
    assert SETUPS["prevent_referral"]().partner_kind == "police"
