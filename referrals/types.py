"""The referral types: which case type each belongs to, which partners take it, what it
says, and how each of the partner's decisions moves the case.

A decision names the step of the case's workflow it takes (DESIGN.md "Decisions drive
the case"): a positive reasonable grounds decision takes ``record_rg_positive``, which
starts the 30-day recovery period; a MASH decision takes the matching CSE step; a
Prevent gateway outcome the matching Prevent step. The step's own declared fields are
asked on the decision's form, except those Safecase fills in itself (``derived``: the
decision's date, the partner's reasons, the anonymous notification's fields). A decision
with no step (a partner declining where the workflow has nothing to record) leaves the
case where it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from casework.models import Case
from referrals import content
from referrals.models import PartnerKind, ReferralType
from workflows import modern_slavery
from workflows.definitions import Field, FieldType
from workflows.registry import get_workflow

if TYPE_CHECKING:
    from referrals.models import Referral

Derive = Callable[["Referral", Mapping[str, Any]], Any]
Problems = dict[str, list[str]]


@dataclasses.dataclass(frozen=True)
class Decision:
    """One decision a partner can make on a referral of a type."""

    value: str
    label: str
    accepted: bool
    transition: str = ""
    derived: Mapping[str, Derive] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ReferralTypeSpec:
    value: str
    case_type: str
    partner_kinds: tuple[str, ...]
    fields: Sequence[Field]
    decisions: Sequence[Decision]
    description: str
    # No identifying field at all (MSA 2015 s52(3)): the print view and PDF say so.
    anonymous: bool = False
    # A cross-field rule on complete content, raising ValidationError with field errors.
    check: Callable[[Case, Mapping[str, Any]], None] | None = None
    # A rule on the lawful basis that only this type has; returns field errors.
    lawful_basis_rule: Callable[[Case, Referral], Problems] | None = None
    # The case's own deadline rule that is this partner's answer (the NRM referral's
    # reasonable grounds decision): sending uses that one clock instead of opening a
    # second, separate partner-response clock for the same event (issue 14).
    case_clock: str = ""

    @property
    def label(self) -> str:
        return str(ReferralType(self.value).label)

    def decision(self, value: str) -> Decision:
        for decision in self.decisions:
            if decision.value == value:
                return decision
        raise KeyError(value)


# The fields every decision asks; a step's own fields follow them on its form.
DECISION_FIELDS = (
    Field("decided_on", FieldType.DATE, "Date of the partner's decision"),
    Field("decision_details", FieldType.TEXT, "The partner's decision and reasons, as given"),
    Field(
        "partner_reference",
        FieldType.STRING,
        "The partner's reference",
        required=False,
        max_length=100,
        column="referrals.Referral.partner_reference",
    ),
)


def decided_on(referral: Referral, values: Mapping[str, Any]) -> Any:
    return values["decided_on"]


def decision_details(referral: Referral, values: Mapping[str, Any]) -> Any:
    return values["decision_details"]


def sent_on(referral: Referral, values: Mapping[str, Any]) -> str:
    return timezone.localtime(referral.sent_at).date().isoformat()


def was_acknowledged(referral: Referral, values: Mapping[str, Any]) -> bool:
    return referral.acknowledged_at is not None


def content_value(name: str) -> Derive:
    def derive(referral: Referral, values: Mapping[str, Any]) -> Any:
        return referral.content.get(name)

    return derive


RELEVANT_BODY = {PartnerKind.POLICE: "police", PartnerKind.HOUSING_PROVIDER: "housing_provider"}


def relevant_body(referral: Referral, values: Mapping[str, Any]) -> str:
    """The Community Trigger relevant body the partner is (s105); the ICB and others are
    kept as "other"."""
    return RELEVANT_BODY.get(referral.partner.kind, "other")


# --- Type-specific rules --------------------------------------------------------------------


def nrm_check(case: Case, values: Mapping[str, Any]) -> None:
    """The competent authority needs the person's age: a date of birth or an estimate
    (RULES.md §1.5 marks date of birth as needed)."""
    if not values.get("subject_date_of_birth") and values.get("subject_estimated_age") is None:
        raise ValidationError(
            {"subject_date_of_birth": ["Enter the date of birth or, if not known, the age."]}
        )


def nrm_lawful_basis(case: Case, referral: Referral) -> Problems:
    """An adult enters the NRM only with their consent; a child needs none (MSA 2015
    s52(3), RULES.md §1.3, §1.6)."""
    if (
        modern_slavery.subject_is_adult(case)
        and not referral.consent_given
        and not modern_slavery.best_interests_decided(case)
    ):
        return {
            "consent_given": [
                "An adult is referred into the NRM only with their consent (or, lacking "
                "capacity, a recorded best-interests decision). Without it, send an "
                "anonymous Duty to Notify instead."
            ]
        }
    return {}


def dtn_check(case: Case, values: Mapping[str, Any]) -> None:
    """A child always goes into the NRM: no anonymous notification for a child, and the
    age band must include the recorded age (RULES.md §1.1, issue 15). The sender confirms
    they checked that nothing in it identifies the person (s52(3))."""
    problems: Problems = {}
    problem = modern_slavery.age_band_problem(case, values.get("age_band") or "unknown")
    if problem:
        problems["age_band"] = [problem]
    if values.get(content.DTN_CONFIRMATION) is not True:
        problems[content.DTN_CONFIRMATION] = [
            "Confirm that you have checked nothing in the notification identifies the person."
        ]
    if problems:
        raise ValidationError(problems)


def dtn_lawful_basis(case: Case, referral: Referral) -> Problems:
    """The anonymous notification is for an adult who has not consented (s52(3))."""
    if referral.consent_given:
        return {
            "consent_given": [
                "An anonymous Duty to Notify is for an adult who has not consented. With "
                "consent, make an NRM referral instead."
            ]
        }
    return {}


def closure_check(case: Case, values: Mapping[str, Any]) -> None:
    """A notice is served after it is issued (ASBCPA 2014 s79)."""
    issued, served = values.get("issued_at"), values.get("served_at")
    if issued and served and datetime.fromisoformat(served) < datetime.fromisoformat(issued):
        raise ValidationError({"served_at": ["The notice cannot be served before it was issued."]})


# --- The registry ---------------------------------------------------------------------------

T = ReferralType
K = PartnerKind
RG_DATE = {"rg_decision_on": decided_on}

REFERRAL_TYPES: dict[str, ReferralTypeSpec] = {
    spec.value: spec
    for spec in [
        ReferralTypeSpec(
            value=T.NRM_REFERRAL,
            case_type="modern_slavery",
            partner_kinds=(K.HOME_OFFICE_SCA, K.HOME_OFFICE_IECA),
            fields=content.NRM_REFERRAL,
            description=(
                "A child, or an adult who consents, referred into the National Referral "
                "Mechanism; the competent authority decides reasonable grounds."
            ),
            check=nrm_check,
            lawful_basis_rule=nrm_lawful_basis,
            case_clock="rg_decision",
            decisions=[
                Decision(
                    "rg_positive",
                    "Positive reasonable grounds decision",
                    True,
                    "record_rg_positive",
                    RG_DATE,
                ),
                Decision(
                    "rg_negative",
                    "Negative reasonable grounds decision",
                    False,
                    "record_rg_negative",
                    RG_DATE,
                ),
            ],
        ),
        ReferralTypeSpec(
            value=T.DTN_ANONYMOUS,
            case_type="modern_slavery",
            partner_kinds=(K.HOME_OFFICE_SCA, K.HOME_OFFICE_IECA),
            fields=content.DTN_ANONYMOUS,
            anonymous=True,
            description=(
                "The section 52 notification for an adult who does not consent: nothing that "
                "identifies them, alone or in combination."
            ),
            check=dtn_check,
            lawful_basis_rule=dtn_lawful_basis,
            decisions=[
                Decision(
                    "recorded",
                    "The Home Office recorded the notification",
                    True,
                    "submit_duty_to_notify",
                    {
                        **{
                            f.name: content_value(f.name)
                            for f in content.DTN_ANONYMOUS
                            if f.name not in ("referrer_organisation", content.DTN_CONFIRMATION)
                        },
                        "dtn_submitted_on": sent_on,
                    },
                ),
                Decision("returned", "The Home Office returned it (not accepted)", False),
            ],
        ),
        ReferralTypeSpec(
            value=T.ADULT_SAFEGUARDING_CONCERN,
            case_type="cuckooing",
            partner_kinds=(K.ADULT_SOCIAL_CARE,),
            fields=content.ADULT_SAFEGUARDING_CONCERN,
            description="A safeguarding concern to adult social care (Care Act 2014, section 42).",
            decisions=[
                Decision(
                    "s42_triage",
                    "Accepted for section 42 triage",
                    True,
                    "start_triage",
                    {"triage_started_on": decided_on},
                ),
                Decision(
                    "not_accepted", "Not accepted: no further action by adult social care", False
                ),
            ],
        ),
        ReferralTypeSpec(
            value=T.CLOSURE_ORDER_APPLICATION,
            case_type="cuckooing",
            partner_kinds=(K.MAGISTRATES_COURT, K.OTHER),
            fields=content.CLOSURE_ORDER_APPLICATION,
            description=(
                "An application to the magistrates for a closure order (the "
                "Anti-social Behaviour, Crime and Policing Act 2014, section 80)."
            ),
            check=closure_check,
            decisions=[
                Decision(
                    "order_made",
                    "Closure order made",
                    True,
                    "record_order_made",
                    {"order_made_on": decided_on},
                ),
                Decision(
                    "order_refused",
                    "Closure order refused",
                    False,
                    "record_order_refused",
                    {"order_refused_on": decided_on, "order_refused_reasons": decision_details},
                ),
            ],
        ),
        ReferralTypeSpec(
            value=T.MASH_REFERRAL,
            case_type="cse",
            partner_kinds=(K.CHILDRENS_SOCIAL_CARE_MASH,),
            fields=content.MASH_REFERRAL,
            description="A referral to children's social care through the MASH.",
            decisions=[
                Decision(
                    "strategy_discussion",
                    "Strategy discussion (significant harm suspected)",
                    True,
                    "decide_strategy_discussion",
                    {"mash_decision_on": decided_on},
                ),
                Decision(
                    "s17_assessment",
                    "Child and family assessment",
                    True,
                    "decide_s17_assessment",
                    {"mash_decision_on": decided_on},
                ),
                Decision(
                    "early_help",
                    "Early help",
                    True,
                    "decide_early_help",
                    {"mash_decision_on": decided_on},
                ),
                Decision(
                    "no_further_action",
                    "No further action or advice",
                    False,
                    "decide_no_further_action",
                    {"mash_decision_on": decided_on, "referrer_acknowledged": was_acknowledged},
                ),
            ],
        ),
        ReferralTypeSpec(
            value=T.PREVENT_REFERRAL,
            case_type="prevent",
            partner_kinds=(K.POLICE,),
            fields=content.PREVENT_REFERRAL,
            description="The national Prevent referral to the police counter-terrorism team.",
            decisions=[
                Decision(
                    "referred_to_channel",
                    "Gateway: referred to the Channel panel",
                    True,
                    "refer_to_channel",
                    {"gateway_outcome_on": decided_on},
                ),
                Decision(
                    "police_led",
                    "Gateway: police-led partnership management",
                    True,
                    "close_police_led",
                    {"gateway_outcome_on": decided_on},
                ),
                Decision(
                    "signposted",
                    "Gateway: signposted to other services",
                    False,
                    "close_signposted",
                    {"gateway_outcome_on": decided_on},
                ),
                Decision(
                    "no_further_action",
                    "Gateway: no further action",
                    False,
                    "close_nfa_at_gateway",
                    {"gateway_outcome_on": decided_on, "rationale": decision_details},
                ),
            ],
        ),
        ReferralTypeSpec(
            value=T.REVIEW_MEETING_REQUEST,
            case_type="community_trigger",
            partner_kinds=(K.POLICE, K.HOUSING_PROVIDER, K.OTHER),
            fields=content.REVIEW_MEETING_REQUEST,
            description=(
                "The application passed to a relevant body, asking for its records and its "
                "part in the review meeting (the Anti-social Behaviour, Crime and Policing Act "
                "2014, section 104(3)(b))."
            ),
            decisions=[
                Decision(
                    "records_provided",
                    "Records provided; will take part in the review",
                    True,
                    "record_agency_response",
                    {
                        "responding_body": relevant_body,
                        "responded_on": decided_on,
                        "response_summary": decision_details,
                    },
                ),
                Decision("declined", "Declined to take part", False),
            ],
        ),
    ]
}


def referral_type_spec(value: str) -> ReferralTypeSpec:
    return REFERRAL_TYPES[value]


def types_for_case_type(case_type: str) -> list[ReferralTypeSpec]:
    """The referral types a case of ``case_type`` may make, in declaration order."""
    return [spec for spec in REFERRAL_TYPES.values() if spec.case_type == case_type]


def step_fields(spec: ReferralTypeSpec, decision: Decision) -> list[Field]:
    """The case step's declared fields that the decision's form asks (not derived)."""
    if not decision.transition:
        return []
    step = get_workflow(spec.case_type).transition_meta(decision.transition)["fields"]
    return [f for f in step if f.name not in decision.derived]


def decision_fields(spec: ReferralTypeSpec, decision: Decision) -> list[Field]:
    """Everything the decision's form asks: the common fields, then the step's own."""
    return [*DECISION_FIELDS, *step_fields(spec, decision)]


def step_inputs(
    referral: Referral, decision: Decision, values: Mapping[str, Any], asked: Sequence[Field]
) -> dict[str, Any]:
    """The case step's input: what the form asked for it, plus what Safecase derives."""
    names = {f.name for f in asked}
    inputs = {k: v for k, v in values.items() if k in names}
    inputs.update({name: derive(referral, values) for name, derive in decision.derived.items()})
    return inputs
