"""Fixtures for the referral tests: people of every role, partners of every kind, and a
case of each type brought to where its referral's decision applies."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from casework.models import AuditEvent, Case
from casework.roles import Role
from notifications.models import OutboxMessage
from referrals.models import PartnerAgency, PartnerKind, PartnerResponseTime, Referral
from referrals.services import referral_create
from referrals.types import REFERRAL_TYPES
from tests.workflows.walker import default_raise, sample_values
from workflows.models import Deadline
from workflows.registry import get_workflow
from workflows.services import case_transition

# Distinct, searchable details of the person a case is about (never "Example", which is
# what the sample values use, so that a search for the person finds only them).
PERSON = {
    "given_names": "Marta",
    "family_name": "Zielinska",
    "aliases": "Kasia",
    "date_of_birth": "1991-04-17",
    "address": "14 Larch Close, Northtown NT4 7QP",
    "phone": "07700 900431",
    "email": "marta.z@example.org",
}
CHILD = {
    **PERSON,
    "given_names": "Lena",
    "family_name": "Brzezinska",
    "date_of_birth": "2012-06-02",
}


def person_intake(role: str, person: dict[str, str]) -> dict[str, Any]:
    return {f"{role}_{key}": value for key, value in person.items()} | {
        f"{role}_estimated_age": None
    }


@dataclasses.dataclass(frozen=True)
class Setup:
    """How to raise a case for a referral type and bring it to its decision's state."""

    intake: dict[str, Any]
    steps: tuple[tuple[str, dict[str, Any]], ...]
    partner_kind: str


CUCKOO_PREMISES = {
    "children_present": False,
    "premises_address": "14 Larch Close, Northtown",
    "premises_postcode": "NT4 7QP",
}


def _hour_ago() -> str:
    return (timezone.now() - timezone.timedelta(hours=1)).isoformat()


SETUPS: dict[str, Callable[[], Setup]] = {
    "nrm_referral": lambda: Setup(
        person_intake("subject", PERSON),
        (
            ("start_triage", {}),
            ("seek_consent", {}),
            ("record_consent", {}),
            ("submit_nrm_referral", {}),
        ),
        PartnerKind.HOME_OFFICE_SCA,
    ),
    "dtn_anonymous": lambda: Setup(
        person_intake("subject", PERSON),
        (("start_triage", {}), ("seek_consent", {})),
        PartnerKind.HOME_OFFICE_SCA,
    ),
    "adult_safeguarding_concern": lambda: Setup(
        person_intake("occupier", PERSON) | CUCKOO_PREMISES,
        (("submit_concern", {}),),
        PartnerKind.ADULT_SOCIAL_CARE,
    ),
    "closure_order_application": lambda: Setup(
        person_intake("occupier", PERSON) | CUCKOO_PREMISES,
        (
            ("submit_concern", {}),
            ("start_triage", {}),
            ("record_s42_test", {}),
            ("start_s42_enquiry", {}),
            ("convene_risk_meeting", {}),
            ("agree_safety_plan", {}),
            ("issue_closure_notice", {"issued_at": _hour_ago(), "served_at": _hour_ago()}),
            ("apply_for_closure_order", {}),
        ),
        PartnerKind.MAGISTRATES_COURT,
    ),
    "mash_referral": lambda: Setup(
        person_intake("subject", CHILD) | {"immediate_danger": False},
        (("refer_to_mash", {}),),
        PartnerKind.CHILDRENS_SOCIAL_CARE_MASH,
    ),
    "prevent_referral": lambda: Setup(
        person_intake("subject", PERSON),
        (("submit_referral", {}),),
        PartnerKind.POLICE,
    ),
    "review_meeting_request": lambda: Setup(
        person_intake("applicant", PERSON) | {"application_basis": "affected_person"},
        (("acknowledge", {}), ("request_information", {})),
        PartnerKind.POLICE,
    ),
}
ALL_TYPES = sorted(REFERRAL_TYPES)
LAWFUL_BASIS = {
    "consent_given": False,
    "gateway": "dpa_2018_sch1_para18",
    "lawful_basis_notes": "Seeking consent would increase the risk to the person.",
    # Issue 15: the special-category answer, apart from the Art 6 basis.
    "special_category_shared": "yes",
    "special_category_condition": "dpa_2018_sch1_para18",
}
WITH_CONSENT = {
    "consent_given": True, "gateway": "", "lawful_basis_notes": "",
    "special_category_shared": "no",
}  # fmt: skip


def basis_for(referral_type: str) -> dict[str, Any]:
    """A lawful basis the type accepts: an adult's NRM referral needs their consent."""
    return WITH_CONSENT if referral_type == "nrm_referral" else LAWFUL_BASIS


def complete_content(referral_type: str, **overrides: Any) -> dict[str, Any]:
    return sample_values(REFERRAL_TYPES[referral_type].fields, overrides)


@pytest.fixture
def frontline(make_user):
    return make_user("frontline.north", Role.FRONTLINE, ["north"])


@pytest.fixture
def lead(make_user):
    return make_user("lead.north", Role.LEAD, ["north"])


@pytest.fixture
def prevent_lead(make_user):
    return make_user("prevent.lead", Role.PREVENT_LEAD, ["north"])


@pytest.fixture
def other_lead(make_user):
    return make_user("lead.south", Role.LEAD, ["south"])


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", Role.AUDITOR, [])


@pytest.fixture
def administrator(make_user):
    return make_user("admin", Role.ADMINISTRATOR, [])


@pytest.fixture
def partners(db) -> dict[str, PartnerAgency]:
    """One active partner of every kind, with a response time for every type it takes."""
    found = {}
    for kind in PartnerKind:
        partner = PartnerAgency.objects.create(
            name=f"Test {kind.label}", kind=kind, secure_email=f"{kind.value}@partner.example"
        )
        found[kind.value] = partner
    for spec in REFERRAL_TYPES.values():
        for kind in spec.partner_kinds:
            PartnerResponseTime.objects.create(
                partner=found[kind], referral_type=spec.value, duration=5, unit="working_days"
            )
    return found


@pytest.fixture
def acting_lead(lead, prevent_lead):
    """The lead who acts on a case of a type: Prevent needs a Prevent-cleared lead."""

    def _for(case_type: str) -> Any:
        return prevent_lead if case_type == "prevent" else lead

    return _for


def take(case: Case, actor: Any, name: str, **data: Any) -> Case:
    fields = get_workflow(case.case_type).transition_meta(name)["fields"]
    return case_transition(
        case=case, actor=actor, name=name, data=sample_values(fields, data),
        expected_version=case.version,
    )  # fmt: skip


@pytest.fixture
def case_for(frontline, acting_lead):
    """``case_for(type, ready=True)``: a case of the referral type's case type, raised by
    frontline staff in the north team and, when ``ready``, brought to the state where the
    partner's decision applies."""

    def _make(referral_type: str, *, ready: bool = True) -> Case:
        spec = REFERRAL_TYPES[referral_type]
        setup = SETUPS[referral_type]()
        workflow = get_workflow(spec.case_type)
        case = default_raise(workflow, frontline)(setup.intake)
        if ready:
            actor = acting_lead(spec.case_type)
            for name, data in setup.steps:
                case = take(case, actor, name, **data)
        return Case.objects.get(pk=case.pk)

    return _make


@pytest.fixture
def draft_for(case_for, partners, acting_lead):
    """``draft_for(type)``: a complete draft with a lawful basis, on a ready case."""

    def _make(referral_type: str, *, ready: bool = True, **content: Any) -> Referral:
        spec = REFERRAL_TYPES[referral_type]
        case = case_for(referral_type, ready=ready)
        setup = SETUPS[referral_type]()
        return referral_create(
            case=case,
            actor=acting_lead(spec.case_type),
            referral_type=referral_type,
            partner=partners[setup.partner_kind],
            content=complete_content(referral_type, **content),
            lawful_basis=basis_for(referral_type),
        )

    return _make


def trace(referral: Referral) -> tuple:
    """Everything a refused call must leave as it was."""
    row = Referral.objects.get(pk=referral.pk)
    case = Case.objects.get(pk=referral.case_id)
    # Writes only: signing in, reading pages and being refused a hidden one (a 404) are
    # recorded too, and change nothing.
    writes = AuditEvent.objects.exclude(verb__startswith="user.").exclude(verb__endswith="viewed")
    return (
        writes.exclude(verb__in=["cases.listed", "referral.exported", "access.denied"]).count(),
        OutboxMessage.objects.count(),
        list(Deadline.objects.order_by("id").values_list("id", "status", "due_at", "met_at")),
        (row.state, row.version, row.content, row.decision, row.response_deadline_id),
        (case.state, case.version, case.details),
    )
