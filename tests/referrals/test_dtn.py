"""The anonymous Duty to Notify (MSA 2015 s52(3), RULES.md §1.5): its schema, its stored
record, its print view and its PDF hold nothing that identifies the person; a search for
the person's name, aliases, date of birth, address, phone and email finds nothing (and
the same search does find them in an NRM referral's PDF, so the search works)."""

from __future__ import annotations

import re

import pytest
import reportlab.rl_config
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from casework.models import AuditEvent, Case, Person
from referrals.document import anonymous_reference
from referrals.models import Referral, ReferralEvent
from referrals.services import referral_create, referral_record_decision, referral_send
from referrals.types import REFERRAL_TYPES
from tests.referrals.conftest import PERSON, complete_content, person_intake, take
from tests.workflows.walker import default_raise
from workflows.definitions import FieldType
from workflows.modern_slavery import DutyToNotifyNotification
from workflows.registry import get_workflow

pytestmark = pytest.mark.django_db

IDENTIFYING_WORDS = (
    "name", "alias", "birth", "dob", "address", "postcode", "phone", "email", "contact",
)  # fmt: skip
# What a search for the person looks for: each name, the date of birth as written in
# words and as stored, each line of the address, the phone number and the email address.
NEEDLES = [
    PERSON["given_names"],
    PERSON["family_name"],
    PERSON["aliases"],
    PERSON["date_of_birth"],
    "17 April 1991",
    "17/04/1991",
    "14 Larch Close",
    "NT4 7QP",
    PERSON["phone"],
    PERSON["phone"].replace(" ", ""),
    PERSON["email"],
]


def found_in(text: str) -> list[str]:
    return [needle for needle in NEEDLES if needle.lower() in text.lower()]


@pytest.fixture
def uncompressed_pdfs(monkeypatch):
    """PDF pages written uncompressed, so their text can be searched as it is."""
    monkeypatch.setattr(reportlab.rl_config, "pageCompression", 0)


def pdf_text(body: bytes) -> str:
    """The strings drawn on the PDF's pages (the ``(...) Tj`` operands), unescaped."""
    assert body.startswith(b"%PDF")
    assert b"/FlateDecode" not in body, "set pageCompression=0 to search the PDF"
    strings = re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", body)
    return " ".join(re.sub(rb"\\(.)", rb"\1", s).decode("latin-1") for s in strings)


def test_the_schema_has_no_identifying_field():
    names = [f.name for f in REFERRAL_TYPES["dtn_anonymous"].fields]
    assert names, "the anonymous notification declares its fields"
    for name in names:
        if name == "referrer_organisation":  # the first responder's, not the person's
            continue
        assert not any(word in name for word in IDENTIFYING_WORDS), name


def test_a_value_that_identifies_the_person_is_refused(case_for, partners, lead):
    case = case_for("dtn_anonymous")
    for field, value in [
        ("referrer_organisation", f"Since {PERSON['given_names']} arrived in 2025"),
        ("referrer_organisation", f"Polish, born {PERSON['date_of_birth']}"),
        ("referrer_organisation", f"Call {PERSON['phone']}"),
        ("referrer_organisation", f"Ask {PERSON['email']}"),
        ("referrer_organisation", "14 Larch Close"),
    ]:
        with pytest.raises(ValidationError) as info:
            referral_create(
                case=case, actor=lead, referral_type="dtn_anonymous",
                partner=partners["home_office_sca"],
                content=complete_content("dtn_anonymous", **{field: value}),
            )  # fmt: skip
        assert list(info.value.message_dict) == [field]
        assert "identifies the person" in info.value.message_dict[field][0]
    assert Referral.objects.count() == 0


def test_consent_means_an_nrm_referral_not_an_anonymous_one(draft_for, lead):
    referral = draft_for("dtn_anonymous")
    referral.consent_given = True
    referral.save()
    with pytest.raises(ValidationError) as info:
        referral_send(referral=referral, actor=lead)
    assert "NRM referral" in info.value.message_dict["consent_given"][0]


@pytest.fixture
def sent_dtn(draft_for, lead):
    referral = draft_for(
        "dtn_anonymous", nationality="romanian", exploitation_period="3_to_12_months"
    )
    return referral_send(referral=referral, actor=lead)


def test_the_record_and_its_history_hold_nothing_identifying(sent_dtn, lead):
    referral = referral_record_decision(
        referral=sent_dtn, actor=lead, decision="recorded",
        data={"decided_on": timezone.localdate().isoformat(),
              "decision_details": "Recorded by the MSU."},
    )  # fmt: skip
    case = Case.objects.get(pk=referral.case_id)
    # The case itself knows the person: that is what makes the search below mean something.
    known = str(list(Person.objects.filter(case_links__case=case).values()))
    assert len(found_in(known)) >= 7
    stored = [
        str(Referral.objects.filter(pk=referral.pk).values().get()),
        str(list(ReferralEvent.objects.filter(pgh_obj=referral).values())),
        str(list(AuditEvent.objects.filter(object_id=str(referral.pk),
                                           object_type="referrals.referral").values("data"))),
        str(list(DutyToNotifyNotification.objects.filter(case=case).values())),
    ]  # fmt: skip
    assert found_in(" ".join(stored)) == []


def test_the_decision_records_the_anonymous_notification_on_the_case(sent_dtn, lead):
    referral_record_decision(
        referral=sent_dtn, actor=lead, decision="recorded",
        data={"decided_on": timezone.localdate().isoformat(),
              "decision_details": "Recorded by the MSU."},
    )  # fmt: skip
    case = Case.objects.get(pk=sent_dtn.case_id)
    assert case.state == "dtn_submitted"
    notification = DutyToNotifyNotification.objects.get(case=case)
    assert notification.nationality == "romanian"
    assert notification.exploitation_period == "3_to_12_months"
    assert notification.submitted_on.isoformat() == sent_dtn.sent_at.date().isoformat()


def test_the_print_view_and_pdf_hold_nothing_identifying(sent_dtn, lead, client,
                                                          uncompressed_pdfs):  # fmt: skip
    client.force_login(lead)
    page = client.get(f"/referrals/{sent_dtn.pk}/print/")
    assert page.status_code == 200
    html = page.content.decode()
    # A referral-only reference: the council's case reference would link it to the person.
    assert sent_dtn.case.reference not in html
    assert anonymous_reference(sent_dtn) in html
    assert "Romanian" in html
    assert found_in(html) == []
    detail = client.get(f"/referrals/{sent_dtn.pk}/").content.decode()
    assert "Romanian" in detail
    assert found_in(detail) == []
    pdf = client.get(f"/referrals/{sent_dtn.pk}.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert sent_dtn.case.reference not in text
    assert sent_dtn.case.reference not in pdf["Content-Disposition"]
    assert anonymous_reference(sent_dtn) in text
    assert "Romanian" in text
    assert "nothing that identifies the person" in text
    assert found_in(text) == []


def test_the_same_search_finds_the_person_in_an_nrm_referral(draft_for, lead, client,
                                                              uncompressed_pdfs):  # fmt: skip
    referral = draft_for(
        "nrm_referral",
        subject_given_names=PERSON["given_names"],
        subject_family_name=PERSON["family_name"],
        subject_date_of_birth=PERSON["date_of_birth"],
        subject_phone=PERSON["phone"],
        subject_email=PERSON["email"],
        subject_address="14 Larch Close",
    )
    client.force_login(lead)
    html = client.get(f"/referrals/{referral.pk}/print/").content.decode()
    text = pdf_text(client.get(f"/referrals/{referral.pk}.pdf").content)
    for haystack in (html, text):
        assert {PERSON["family_name"], "17 April 1991", PERSON["email"], "14 Larch Close"} <= set(
            found_in(haystack)
        )


def test_the_create_form_is_not_filled_in_with_the_persons_details(case_for, partners, lead,
                                                                   client):  # fmt: skip
    case = case_for("dtn_anonymous")
    client.force_login(lead)
    page = client.get(f"/cases/{case.reference}/referrals/new/dtn_anonymous/")
    assert page.status_code == 200
    assert found_in(page.content.decode()) == []
    nrm = client.get(f"/cases/{case.reference}/referrals/new/nrm_referral/").content.decode()
    assert PERSON["family_name"] in nrm  # an NRM referral is filled in from the case


# --- Issue 15: no anonymous notification for a child; the age band agrees with the age ---


def _dtn_draft(frontline, lead, partners, age, band):
    intake = person_intake("subject", PERSON) | {
        "subject_date_of_birth": None,
        "subject_estimated_age": age,
    }
    case = default_raise(get_workflow("modern_slavery"), frontline)(intake)
    case = take(case, lead, "start_triage")
    return referral_create(
        case=case, actor=lead, referral_type="dtn_anonymous",
        partner=partners["home_office_sca"],
        content=complete_content("dtn_anonymous", age_band=band),
        lawful_basis={"consent_given": False, "gateway": "dpa_2018_sch1_para18",
                      "lawful_basis_notes": "The adult declined.",
                      "special_category_shared": "no"},
    )  # fmt: skip


def test_an_anonymous_notification_for_a_child_cannot_be_sent(frontline, lead, partners):
    referral = _dtn_draft(frontline, lead, partners, 16, "18_24")
    with pytest.raises(ValidationError) as info:
        referral_send(referral=referral, actor=lead)
    assert "A child is referred into the NRM" in info.value.message_dict["age_band"][0]
    assert Referral.objects.get(pk=referral.pk).state == "draft"


def test_an_age_band_that_does_not_include_the_age_cannot_be_sent(frontline, lead, partners):
    referral = _dtn_draft(frontline, lead, partners, 40, "18_24")
    with pytest.raises(ValidationError) as info:
        referral_send(referral=referral, actor=lead)
    assert "recorded age (40)" in info.value.message_dict["age_band"][0]


# --- Issue 15: the anonymity check cuts both ways --------------------------------------------


def test_what_is_notified_is_chosen_from_lists_not_typed():
    fields = {f.name: f for f in REFERRAL_TYPES["dtn_anonymous"].fields}
    typed = [n for n, f in fields.items() if f.type in (FieldType.STRING, FieldType.TEXT)]
    assert typed == ["referrer_organisation"]


def test_free_text_describing_the_person_is_refused(case_for, partners, lead):
    with pytest.raises(ValidationError) as info:
        referral_create(
            case=case_for("dtn_anonymous"), actor=lead, referral_type="dtn_anonymous",
            partner=partners["home_office_sca"],
            content=complete_content(
                "dtn_anonymous", nationality="the only Albanian worker there, aged 32"
            ),
        )  # fmt: skip
    assert list(info.value.message_dict) == ["nationality"]


@override_settings(SAFECASE_AREA_PLACE_NAMES=["Corby"])
def test_the_councils_own_place_names_do_not_identify_the_person(frontline, lead, partners):
    intake = person_intake("subject", {**PERSON, "address": "3 Elm Row\nCorby\nNN17 1AA"})
    case = default_raise(get_workflow("modern_slavery"), frontline)(intake)
    case = take(take(case, lead, "start_triage"), lead, "seek_consent")
    referral = referral_create(
        case=case, actor=lead, referral_type="dtn_anonymous",
        partner=partners["home_office_sca"],
        content=complete_content(
            "dtn_anonymous", referrer_organisation="Corby Borough Council", age_band="unknown"
        ),
        lawful_basis={"consent_given": False, "gateway": "dpa_2018_sch1_para18",
                      "lawful_basis_notes": "The adult declined.",
                      "special_category_shared": "no"},
    )  # fmt: skip
    assert referral.content["referrer_organisation"] == "Corby Borough Council"
    # The street still identifies them.
    with pytest.raises(ValidationError):
        referral_create(
            case=case, actor=lead, referral_type="dtn_anonymous",
            partner=partners["home_office_sca"],
            content=complete_content("dtn_anonymous", referrer_organisation="3 Elm Row team"),
        )  # fmt: skip


def test_the_sender_confirms_nothing_identifies_the_person(draft_for, lead):
    referral = draft_for("dtn_anonymous", confirm_not_identifying=False)
    with pytest.raises(ValidationError) as info:
        referral_send(referral=referral, actor=lead)
    assert "confirm_not_identifying" in info.value.message_dict
