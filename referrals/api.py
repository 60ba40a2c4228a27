"""The referral API (shared/API.md "Referrals"): partners, drafting a referral of a case,
reading it and taking its steps, through the same selectors and services as the pages.

A referral is its case's content: it is found through ``referral_get_for_user`` (404 for
one the user may not see, exactly as for a missing one); only leads of the case's team
act on it (403 otherwise); a step not possible now, or on a referral changed since the
client read it, is 409 with the referral's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.errors import TransitionNotAllowed
from casework.idempotency import SCHEMA_PARAMETER as IDEMPOTENCY_KEY
from casework.idempotency import idempotent
from casework.permissions import lead_may
from config.api_errors import error_responses
from referrals import services
from referrals.models import PartnerAgency, Referral
from referrals.selectors import referral_get_for_user
from referrals.serializers import (
    DECISION,
    STEPS,
    PartnerSerializer,
    ReferralCreateSerializer,
    ReferralSerializer,
    create_fields,
    decision_blocker,
    decision_input_fields,
    step_blocker,
)
from referrals.types import REFERRAL_TYPES
from workflows.api import REFERENCE, json_object, visible_case
from workflows.serializers import TransitionInputSerializer, json_type_errors

SERVICES = {
    "send": services.referral_send,
    "acknowledge": services.referral_acknowledge,
    "record_no_response": services.referral_record_no_response,
    "record_outcome": services.referral_record_outcome,
    "close": services.referral_close,
    "withdraw": services.referral_withdraw,
}
REFERRAL_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
MAX_ID = 2**63 - 1


def referral_body(request: Request, referral: Referral) -> dict[str, Any]:
    fresh = referral_get_for_user(request.user, referral.pk)
    context = {"user": request.user, "now": timezone.now()}
    return ReferralSerializer(fresh, context=context).data


def _referral_or_404(user: Any, pk: str) -> Referral:
    """The referral if the user may see it; 404 for any other id, a malformed one too (the
    route takes any text, so that every /api/ answer is JSON)."""
    if not (pk.isascii() and pk.isdigit()) or int(pk) > MAX_ID:
        raise Http404
    return referral_get_for_user(user, int(pk))


def _partner(value: Any) -> PartnerAgency | None:
    """The partner named by id; None for anything else (the service says what is wrong)."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return PartnerAgency.objects.filter(pk=value).first()


class PartnerListView(APIView):
    @extend_schema(
        operation_id="partners_list",
        summary="The partner agencies that take referrals",
        responses={200: PartnerSerializer(many=True), **error_responses(401)},
    )
    def get(self, request: Request) -> Response:
        partners = PartnerAgency.objects.filter(active=True).order_by("name", "pk")
        return Response(PartnerSerializer(partners, many=True).data)


class CaseReferralCreateView(APIView):
    @extend_schema(
        operation_id="cases_referrals_create",
        summary="Draft a referral of the case to a partner",
        description="The referral type's fields and the lawful basis go alongside; the "
        "draft may be incomplete, and is sent with the referral's send step.",
        parameters=[REFERENCE, IDEMPOTENCY_KEY],
        request=ReferralCreateSerializer,
        responses={201: ReferralSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        case = visible_case(request.user, reference)
        body = json_object(request.data)
        referral_type = body.get("referral_type")
        referral_type = referral_type if isinstance(referral_type, str) else ""
        spec = REFERRAL_TYPES.get(referral_type)
        if spec is not None and spec.case_type != case.case_type:
            spec = None  # the service refuses the type; its fields are not this case's
        fields = create_fields(spec) if spec is not None else []
        errors = json_type_errors(fields, body)
        if errors:
            raise ValidationError(errors)
        content = {f.name: body.get(f.name) for f in spec.fields} if spec is not None else {}
        basis = {f.name: body.get(f.name) for f in fields if f.name not in content}
        referral = services.referral_create(
            case=case,
            actor=request.user,
            referral_type=referral_type,
            partner=_partner(body.get("partner")),
            content=content,
            lawful_basis=basis,
        )
        return Response(referral_body(request, referral), status=201)


class ReferralDetailView(APIView):
    @extend_schema(
        operation_id="referrals_retrieve",
        summary="A referral, with what you may do to it now",
        parameters=[REFERRAL_ID],
        responses={200: ReferralSerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, pk: str) -> Response:
        return Response(referral_body(request, _referral_or_404(request.user, pk)))


def _decision_call(referral: Referral, body: Mapping[str, Any]) -> tuple[list, Any]:
    """The fields of the decision named in the body, and how to record it."""
    spec = REFERRAL_TYPES[referral.referral_type]
    value = body.get("decision")
    decision = next((d for d in spec.decisions if d.value == value), None)
    if decision is None:
        raise ValidationError({"decision": ["Choose one of the partner's decisions."]})
    blocker = decision_blocker(referral, decision)
    if blocker is not None:
        raise TransitionNotAllowed(blocker, state=referral.state)

    def call(**kwargs: Any) -> Referral:
        return services.referral_record_decision(decision=decision.value, **kwargs)

    return decision_input_fields(spec, decision), call


def _step_call(referral: Referral, name: str) -> tuple[list, Any]:
    blocker = step_blocker(referral, name)
    if blocker is not None:
        raise TransitionNotAllowed(blocker, state=referral.state)
    step, service = STEPS[name], SERVICES[name]

    def call(*, data: Any, **kwargs: Any) -> Referral:
        return service(data=data, **kwargs) if step.takes_data else service(**kwargs)

    return list(step.fields), call


class ReferralTransitionView(APIView):
    @extend_schema(
        operation_id="referrals_transition",
        summary="Take a step of the referral",
        description="send, acknowledge, record_no_response, record_outcome, close, withdraw, "
        'or record_decision with "decision": the fields are listed in the referral\'s '
        "available_transitions.",
        parameters=[REFERRAL_ID, OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH)],
        request=TransitionInputSerializer,
        responses={200: ReferralSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: str, name: str) -> Response:
        referral = _referral_or_404(request.user, pk)
        if name != DECISION and name not in STEPS:
            raise Http404
        body = json_object(request.data)
        version = TransitionInputSerializer(data=body)
        errors = {} if version.is_valid() else dict(version.errors)
        if not lead_may(referral.case, request.user):
            raise PermissionDenied(services.NOT_A_LEAD)
        fields, call = (
            _decision_call(referral, body) if name == DECISION else _step_call(referral, name)
        )
        errors.update(json_type_errors(fields, body))
        if errors:
            raise serializers.ValidationError(errors)
        data = {k: v for k, v in body.items() if k not in ("version", "decision")}
        referral = call(
            referral=referral,
            actor=request.user,
            data=data,
            expected_version=version.validated_data["version"],
        )
        return Response(referral_body(request, referral))
