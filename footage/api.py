"""The footage request API (shared/API.md conventions): the same selectors, forms and
services as the pages. 404 for a request the user may not read, 403 for one they read
but may not act on, 400 ``{"errors": ...}``, 409 when it changed since it was read."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.permissions import can_raise
from casework.roles import roles_of
from config.api_errors import error_responses
from footage.forms import ACTIONS, action_take, request_create, version_of
from footage.models import FootageRequest
from footage.selectors import footage_request_get_for_user, footage_request_list_for_user
from footage.services import may_act
from footage.views import CONTENT_ROLES

MAX_ID = 2**63 - 1


class CustodySerializer(serializers.Serializer):
    received_by = serializers.CharField()
    received_for = serializers.CharField()
    received_at = serializers.DateTimeField()
    receipt_reference = serializers.CharField()
    handed_over_by = serializers.CharField(source="handed_over_by.username")


class FootageRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()
    requester_type = serializers.CharField()
    requester_name = serializers.CharField()
    incident_reference = serializers.CharField()
    case = serializers.CharField(source="case.reference", allow_null=True, default=None)
    cameras = serializers.SerializerMethodField()
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    reason = serializers.CharField()
    requested_at = serializers.DateTimeField()
    overwrite_at = serializers.DateTimeField()
    preserve_by = serializers.DateTimeField()
    lawful_basis = serializers.CharField()
    decision_reason = serializers.CharField()
    exported_at = serializers.DateTimeField(allow_null=True)
    sha256 = serializers.CharField()
    media_reference = serializers.CharField()
    retain_until = serializers.DateField(allow_null=True)
    destroyed_at = serializers.DateTimeField(allow_null=True)
    custody = CustodySerializer(source="custody_transfers.all", many=True)
    version = serializers.IntegerField()

    def get_cameras(self, obj: FootageRequest) -> list[str]:
        return [c.camera_id for c in obj.cameras.all()]


def _body(user: Any, pk: int) -> dict[str, Any]:
    return FootageRequestSerializer(footage_request_get_for_user(user, pk)).data


def _request_or_404(user: Any, pk: str) -> FootageRequest:
    if not roles_of(user) & CONTENT_ROLES or not (pk.isascii() and pk.isdigit()):
        raise Http404
    if int(pk) > MAX_ID:
        raise Http404
    return footage_request_get_for_user(user, int(pk))


class FootageRequestListView(APIView):
    """GET: the requests the user may read; POST: ask for footage."""

    parser_classes = [JSONParser]

    @extend_schema(responses={200: FootageRequestSerializer(many=True), **error_responses(401)})
    def get(self, request: Request) -> Response:
        if not roles_of(request.user) & CONTENT_ROLES:
            raise PermissionDenied("Footage requests are for case workers and auditors.")
        items = footage_request_list_for_user(request.user).prefetch_related(
            "cameras", "custody_transfers__handed_over_by"
        )[:200]
        return Response(FootageRequestSerializer(items, many=True).data)

    @extend_schema(
        request=dict,
        responses={201: FootageRequestSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        if not can_raise.test(request.user):
            raise PermissionDenied("Your role cannot ask for footage.")
        data = request.data if hasattr(request.data, "get") else {}
        made = request_create(actor=request.user, data=data)
        return Response(_body(request.user, made.pk), status=201)


class FootageRequestDetailView(APIView):
    @extend_schema(responses={200: FootageRequestSerializer, **error_responses(401, 404)})
    def get(self, request: Request, pk: str) -> Response:
        item = _request_or_404(request.user, pk)
        return Response(_body(request.user, item.pk))


class FootageRequestActionView(APIView):
    """POST a step (decide, export, hand-over, destroy) with its fields and "version"; an
    export may upload the file (multipart ``exported_file``) instead of its SHA-256."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="footage_request_action",
        request=dict,
        responses={200: FootageRequestSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pk: str, action: str) -> Response:
        item = _request_or_404(request.user, pk)
        if action not in ACTIONS:
            raise Http404
        if not may_act(item, request.user):
            raise PermissionDenied("Only a safeguarding lead of the request's team can do this.")
        data = request.data if hasattr(request.data, "get") else {}
        action_take(
            request=item, actor=request.user, name=action, data=data,
            version=version_of(data), file=request.FILES.get("exported_file"),
        )  # fmt: skip
        return Response(_body(request.user, item.pk))
