"""Every case step that discloses personal data to another body records its lawful basis
as a referral does (issue 15; RULES.md §3.5, §4.5, §7.5): the Art 6 basis (with legal
obligation, Art 6(1)(c)), the special-category condition apart from it, why, what,
with whom and who authorised it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from casework.models import AuditEvent, Case
from casework.roles import Role
from tests.workflows.walker import default_raise, sample_values
from workflows.disclosure import FIELD_NAMES
from workflows.registry import get_workflow
from workflows.services import case_transition

pytestmark = pytest.mark.django_db

DISCLOSING = {
    "prevent": ("submit_referral", []),
    "cse": ("refer_to_mash", []),
    "cuckooing": ("submit_concern", []),
    "community_trigger": ("request_information", ["acknowledge"]),
}
BASIS = {
    "art6_basis": "uk_gdpr_6_1_c",
    "legal_obligation": "ctsa_2015_s36_s38",
    "special_category_shared": "yes",
    "special_category_condition": "dpa_2018_sch1_para18",
    "sharing_reason": "Risk of radicalisation; consent would prejudice the referral.",
    "shared_what": "Name, date of birth, address and the concern.",
    "shared_with": "Counter Terrorism Policing North East, Prevent team",
}


@pytest.fixture
def actors(make_user):
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "prevent_lead": make_user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
    }


def take(case, actor, name, **data):
    fields = get_workflow(case.case_type).transition_meta(name)["fields"]
    return case_transition(
        case=case, actor=actor, name=name, data=sample_values(fields, data),
        expected_version=case.version,
    )  # fmt: skip


def ready(case_type, actors):
    workflow = get_workflow(case_type)
    intake = {"premises_postcode": "NT1 4AB"} if case_type == "cuckooing" else {}
    case = default_raise(workflow, actors["frontline"])(intake)
    lead = actors["prevent_lead" if case_type == "prevent" else "lead"]
    for name in DISCLOSING[case_type][1]:
        case = take(case, lead, name)
    return case, lead


@pytest.mark.parametrize("case_type", sorted(DISCLOSING))
def test_the_disclosing_step_asks_for_and_records_the_lawful_basis(case_type, actors):
    step = DISCLOSING[case_type][0]
    fields = {f.name for f in get_workflow(case_type).transition_meta(step)["fields"]}
    assert set(FIELD_NAMES) <= fields
    case, lead = ready(case_type, actors)
    case = take(case, lead, step, **BASIS)
    [record] = Case.objects.get(pk=case.pk).details["disclosures"]
    assert {k: record[k] for k in BASIS} == BASIS
    assert (record["step"], record["authorised_by"]) == (step, lead.get_username())
    # The basis is not mistaken for the step's own inputs, and the audit has it all.
    assert "art6_basis" not in case.details
    event = AuditEvent.objects.filter(case=case, verb="case.transitioned").latest("pk")
    assert event.data["inputs"]["special_category_condition"] == "dpa_2018_sch1_para18"


@pytest.mark.parametrize("case_type", sorted(DISCLOSING))
def test_without_a_lawful_basis_nothing_is_disclosed(case_type, actors):
    step = DISCLOSING[case_type][0]
    case, lead = ready(case_type, actors)
    data = sample_values(get_workflow(case_type).transition_meta(step)["fields"])
    for name in ("art6_basis", "special_category_shared", "shared_with"):
        data.pop(name)
    with pytest.raises(ValidationError) as info:
        case_transition(case=case, actor=lead, name=step, data=data)
    assert {"art6_basis", "special_category_shared", "shared_with"} <= set(info.value.message_dict)
    assert Case.objects.get(pk=case.pk).state == case.state


def test_a_legal_obligation_names_its_statute(actors):
    case, lead = ready("cuckooing", actors)
    with pytest.raises(ValidationError) as info:
        take(case, lead, "submit_concern", art6_basis="uk_gdpr_6_1_c", legal_obligation="")
    assert "legal_obligation" in info.value.message_dict
    assert Case.objects.get(pk=case.pk).state == case.state


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        pytest.param({"special_category_shared": "yes", "special_category_condition": ""},
                     "special_category_condition", id="shared-without-condition"),
        pytest.param({"special_category_shared": "yes", "special_category_condition": "none"},
                     "special_category_condition", id="shared-with-none"),
        pytest.param({"special_category_shared": "no",
                      "special_category_condition": "dpa_2018_sch1_para18"},
                     "special_category_condition", id="condition-without-data"),
        pytest.param({"criminal_offence_data_shared": "yes", "criminal_offence_condition": ""},
                     "criminal_offence_condition", id="offence-data-without-condition"),
    ],
)  # fmt: skip
def test_special_category_and_offence_data_need_their_own_condition(actors, answers, field):
    """Issue 15: the Art 9 (and Art 10) condition is a question of its own, answered yes
    or no, apart from the Art 6 basis."""
    case, lead = ready("cuckooing", actors)
    with pytest.raises(ValidationError) as info:
        take(case, lead, "submit_concern", **answers)
    assert field in info.value.message_dict
    assert Case.objects.get(pk=case.pk).state == case.state


def test_no_special_category_data_is_recorded_as_such(actors):
    case, lead = ready("cuckooing", actors)
    case = take(case, lead, "submit_concern", special_category_shared="no",
                special_category_condition="", criminal_offence_data_shared="yes",
                criminal_offence_condition="dpa_2018_sch1_para10")  # fmt: skip
    [record] = case.details["disclosures"]
    assert (record["special_category_shared"], record["special_category_condition"]) == ("no", "")
    assert record["criminal_offence_condition"] == "dpa_2018_sch1_para10"
