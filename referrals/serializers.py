"""The shapes of the referral API (shared/API.md "Referrals"): partners, a referral and
the steps its user may take now. Read-only: writes go through ``referrals.services``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.permissions import lead_may
from referrals import services
from referrals.checks import LAWFUL_BASIS_FIELDS
from referrals.models import PartnerAgency, Referral, ReferralState, ReferralType
from referrals.types import REFERRAL_TYPES, Decision, ReferralTypeSpec, decision_fields
from workflows.definitions import Field, FieldType
from workflows.serializers import DeadlineSerializer, FieldSerializer, field_data

DECISION = "record_decision"


@dataclasses.dataclass(frozen=True)
class Step:
    """A referral step of the API: its fields, the service, whether it takes input."""

    label: str
    method: str  # the django-fsm transition that must be possible
    fields: Sequence[Field]
    takes_data: bool = True


STEPS: dict[str, Step] = {
    "send": Step("Send the referral", "send", (), takes_data=False),
    "acknowledge": Step(
        "Record the partner's acknowledgement", "acknowledge", services.ACKNOWLEDGE_FIELDS
    ),
    "record_no_response": Step(
        "Record that the partner has not answered",
        "record_no_response",
        services.NO_RESPONSE_FIELDS,
    ),
    "record_outcome": Step("Record the outcome", "record_outcome", services.OUTCOME_FIELDS),
    "close": Step("Close the referral", "close", services.CLOSE_FIELDS),
    "withdraw": Step("Withdraw the referral", "withdraw", services.WITHDRAW_FIELDS),
}


def decision_input_fields(spec: ReferralTypeSpec, decision: Decision) -> list[Field]:
    """A decision's inputs: which decision it is, then what its form asks."""
    which = Field(
        "decision",
        FieldType.CHOICE,
        "The partner's decision",
        choices=[(decision.value, decision.label)],
    )
    return [which, *decision_fields(spec, decision)]


def possible(referral: Referral, method: str) -> bool:
    return getattr(referral, method)._django_fsm.has_transition(referral.state)


def step_blocker(referral: Referral, name: str) -> str | None:
    """Why the step ``name`` is not possible now, or None."""
    step = STEPS[name]
    if not possible(referral, step.method):
        state = services.state_label(referral.state)
        return f"{step.label} is not possible while the referral is {state}."
    if name == "record_no_response":
        return services.no_response_blocker(referral)
    return None


def decision_blocker(referral: Referral, decision: Decision) -> str | None:
    if not possible(referral, "accept" if decision.accepted else "decline"):
        state = services.state_label(referral.state)
        return f"A partner's decision cannot be recorded while the referral is {state}."
    return services.decision_blocker(referral, decision)


def available_steps(referral: Referral, user: Any) -> list[dict[str, Any]]:
    """What ``user`` may do to the referral now: leads of its case only."""
    if not lead_may(referral.case, user):
        return []
    found = [
        {"name": name, "label": step.label, "fields": [field_data(f) for f in step.fields]}
        for name, step in STEPS.items()
        if step_blocker(referral, name) is None
    ]
    spec = REFERRAL_TYPES[referral.referral_type]
    for decision in spec.decisions:
        if decision_blocker(referral, decision) is None:
            fields = decision_input_fields(spec, decision)
            found.append(
                {
                    "name": DECISION,
                    "label": f"Decision: {decision.label}",
                    "decision": decision.value,
                    "fields": [field_data(f) for f in fields],
                }
            )
    return found


class PartnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    referral_types = serializers.SerializerMethodField(
        help_text="The types of referral this partner takes."
    )

    def get_referral_types(self, partner: PartnerAgency) -> list[str]:
        return [s.value for s in REFERRAL_TYPES.values() if partner.kind in s.partner_kinds]


class PartnerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReferralStepSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="POST /api/v1/referrals/{id}/transitions/{name}/")
    label = serializers.CharField()
    decision = serializers.CharField(
        required=False, help_text="record_decision only: the decision this entry records."
    )
    fields = FieldSerializer(many=True)


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


class ReferralSerializer(serializers.Serializer):
    """A referral as a lead of its case (or anyone who sees the case in full) sees it."""

    id = serializers.IntegerField()
    case_reference = serializers.CharField(source="case.reference")
    referral_type = serializers.ChoiceField(choices=ReferralType.values)
    referral_type_label = serializers.CharField(source="get_referral_type_display")
    partner = PartnerRefSerializer()
    state = serializers.ChoiceField(choices=ReferralState.values)
    state_label = serializers.SerializerMethodField()
    version = serializers.IntegerField(
        help_text="Send it back with a step: a referral changed since is refused (409)."
    )
    content = serializers.JSONField(help_text="The referral's fields, as drafted.")
    consent_given = serializers.BooleanField()
    gateway = serializers.CharField(allow_blank=True)
    lawful_basis_notes = serializers.CharField(allow_blank=True)
    special_category_shared = serializers.CharField(
        allow_blank=True, help_text="yes or no (UK GDPR Art 9); blank until answered."
    )
    special_category_condition = serializers.CharField(allow_blank=True)
    criminal_offence_data_shared = serializers.CharField(
        allow_blank=True, help_text="yes or no (UK GDPR Art 10); blank if not answered."
    )
    criminal_offence_condition = serializers.CharField(allow_blank=True)
    authorised_by = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    sent_by = serializers.SerializerMethodField(help_text="Who sent it (or recorded it sent).")
    sent_by_email = serializers.BooleanField(
        help_text="True when Safecase emailed it to the partner's secure mailbox; false "
        "when a lead recorded a sending done by hand (or it is not sent)."
    )
    sent_to = serializers.CharField(
        allow_blank=True, help_text="The secure mailbox it was emailed to; blank otherwise."
    )
    sent_message_id = serializers.CharField(
        allow_blank=True, help_text="The Message-ID of the email that carried it."
    )
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    partner_reference = serializers.CharField(allow_blank=True)
    decision = serializers.CharField(allow_blank=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField(allow_blank=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    response_deadline = serializers.SerializerMethodField()
    send_problems = serializers.SerializerMethodField(
        help_text="A draft only: what stops it being sent, by field."
    )
    available_transitions = serializers.SerializerMethodField()

    def get_state_label(self, referral: Referral) -> str:
        return str(ReferralState(referral.state).label)

    def get_authorised_by(self, referral: Referral) -> str | None:
        return _username(referral.authorised_by)

    def get_sent_by(self, referral: Referral) -> str | None:
        return _username(referral.sent_by)

    def get_created_by(self, referral: Referral) -> str | None:
        return _username(referral.created_by)

    @extend_schema_field(DeadlineSerializer(allow_null=True))
    def get_response_deadline(self, referral: Referral) -> dict[str, Any] | None:
        deadline = referral.response_deadline
        return DeadlineSerializer(deadline, context=self.context).data if deadline else None

    @extend_schema_field(
        serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    )
    def get_send_problems(self, referral: Referral) -> dict[str, list[str]]:
        if referral.state != ReferralState.DRAFT:
            return {}
        return {
            k: [str(m) for m in v] for k, v in services.referral_send_problems(referral).items()
        }

    @extend_schema_field(ReferralStepSerializer(many=True))
    def get_available_transitions(self, referral: Referral) -> list[dict[str, Any]]:
        return available_steps(referral, self.context["user"])


class ReferralCreateSerializer(serializers.Serializer):
    """Only for the schema: the referral type's own fields and the lawful basis
    (consent_given, gateway, lawful_basis_notes, special_category_shared,
    special_category_condition, criminal_offence_data_shared, criminal_offence_condition)
    go alongside."""

    partner = serializers.IntegerField(help_text="A partner's id (GET /api/v1/partners/).")
    referral_type = serializers.ChoiceField(choices=ReferralType.values)


def create_fields(spec: ReferralTypeSpec) -> list[Field]:
    return [*spec.fields, *LAWFUL_BASIS_FIELDS]
