"""A referral's special-category condition, apart from its Art 6 basis (issue 15): a yes
or no answer to "does it share special-category data?" is needed before it is sent, a
yes needs its UK GDPR Art 9 condition (and criminal offence data its Art 10 one), and
both are shown on the referral page and in the audit description."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from casework.audit import AuditVerb
from casework.audit_describe import describe, describe_text
from casework.models import AuditEvent
from referrals.checks import CONDITION_NEEDED, OFFENCE_CONDITION_NEEDED, SAY_SPECIAL_CATEGORY
from referrals.models import ReferralState
from referrals.services import referral_send, referral_update_draft
from tests.referrals.conftest import LAWFUL_BASIS, trace

pytestmark = pytest.mark.django_db
ANSWERS = ("special_category_shared", "special_category_condition",
           "criminal_offence_data_shared", "criminal_offence_condition")  # fmt: skip


def redraft(referral, lead, **answers):
    basis = {k: v for k, v in LAWFUL_BASIS.items() if k not in ANSWERS}
    return referral_update_draft(
        referral=referral, actor=lead, partner=referral.partner, content=referral.content,
        lawful_basis={**basis, **answers},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        pytest.param({}, "special_category_shared", SAY_SPECIAL_CATEGORY, id="unanswered"),
        pytest.param({"special_category_shared": "yes"}, "special_category_condition",
                     CONDITION_NEEDED, id="yes-without-condition"),
        pytest.param({"special_category_shared": "no", "criminal_offence_data_shared": "yes"},
                     "criminal_offence_condition", OFFENCE_CONDITION_NEEDED,
                     id="offence-data-without-condition"),
    ],
)  # fmt: skip
def test_a_referral_is_not_sent_without_its_special_category_answer(
    draft_for, lead, answers, field, message
):
    referral = redraft(draft_for("mash_referral"), lead, **answers)
    before = trace(referral)
    with pytest.raises(ValidationError) as info:
        referral_send(referral=referral, actor=lead)
    assert info.value.message_dict == {field: [message]}
    assert trace(referral) == before


def test_the_condition_is_recorded_shown_and_audited(draft_for, lead, client):
    referral = redraft(
        draft_for("mash_referral"), lead, special_category_shared="yes",
        special_category_condition="dpa_2018_sch1_para18", criminal_offence_data_shared="yes",
        criminal_offence_condition="dpa_2018_sch1_para10",
    )  # fmt: skip
    referral = referral_send(referral=referral, actor=lead)
    assert referral.state == ReferralState.SENT
    assert (referral.special_category_shared, referral.special_category_condition) == (
        "yes", "dpa_2018_sch1_para18",
    )  # fmt: skip
    client.force_login(lead)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Condition for special-category data (UK GDPR Art 9, DPA 2018 Sch. 1)" in page
    assert "DPA 2018 Sch. 1 para 18: safeguarding of children and adults at risk" in page
    assert "DPA 2018 Sch. 1 para 10: preventing or detecting unlawful acts" in page
    assert "dpa_2018_sch1_para18" not in page
    event = AuditEvent.objects.filter(verb=AuditVerb.REFERRAL_SENT).latest("pk")
    text = describe_text(describe(event))
    assert "Special-category condition (UK GDPR Art 9)" in text
    assert "DPA 2018 Sch. 1 para 18: safeguarding of children and adults at risk" in text


def test_no_condition_is_kept_for_data_not_shared(draft_for, lead):
    referral = redraft(
        draft_for("mash_referral"), lead, special_category_shared="no",
        special_category_condition="dpa_2018_sch1_para18",
    )  # fmt: skip
    assert (referral.special_category_shared, referral.special_category_condition) == ("no", "")
    assert referral_send(referral=referral, actor=lead).state == ReferralState.SENT
