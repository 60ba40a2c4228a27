"""What the audit pages need to know of referrals, registered with casework's audit by
``ReferralsConfig.ready``: partners named as they were when an event was recorded, and
the labels of referral types, states, decisions, lawful gateways and referral fields
(issue 20)."""

from __future__ import annotations

from typing import Any

from referrals import services
from referrals.checks import SPECIAL_CATEGORY_FIELDS
from referrals.models import Gateway, PartnerAgency, PartnerKind, ReferralState, ReferralType
from referrals.types import DECISION_FIELDS, REFERRAL_TYPES
from workflows.audit_labels import workflow_field

_STEP_FIELDS = (
    *services.ACKNOWLEDGE_FIELDS,
    *services.NO_RESPONSE_FIELDS,
    *services.OUTCOME_FIELDS,
    *services.CLOSE_FIELDS,
    *services.WITHDRAW_FIELDS,
    *DECISION_FIELDS,
)


def partner_names(ids: set[int]) -> dict[int, str]:
    return dict(PartnerAgency.objects.filter(pk__in=ids).values_list("pk", "name"))


def referral_label(case_type: str, kind: str, name: str) -> str | None:
    """Labels of referral codes; None for a kind or code this app does not know."""
    choices = {
        "referral_type": ReferralType,
        "referral_state": ReferralState,
        "gateway": Gateway,
        "partner_kind": PartnerKind,
    }.get(kind)
    if choices is not None:
        return dict(choices.choices).get(name)
    special = {f.name: f for f in SPECIAL_CATEGORY_FIELDS}.get(kind)
    if special is not None:
        return dict(special.choices).get(name)
    if kind == "referral_decision" and "." in name:
        referral_type, decision = name.split(".", 1)
        spec = REFERRAL_TYPES.get(referral_type)
        return spec.decision(decision).label if spec is not None else None
    return None


def referral_field(case_type: str, step: str, name: str) -> Any:
    """A referral's content field or one of its steps' inputs, by name; failing that, the
    case step's input of that name (a decision gives its case step's inputs)."""
    if not step.startswith("referral:"):
        return None
    spec = REFERRAL_TYPES.get(step.removeprefix("referral:"))
    for field in (*(spec.fields if spec is not None else ()), *_STEP_FIELDS):
        if field.name == name:
            return field
    return workflow_field(case_type, "", name)
