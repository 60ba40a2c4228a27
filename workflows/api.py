"""The JSON API for workflows, cases, their steps, history and deadlines (shared/API.md).

Like the pages, these views only read through the selectors and write through the
services: a case the user may not see is the same 404 as a missing one, a refused
request changes nothing, and a case the user knows only as received (the frontline
raiser of a Prevent case, ``case_is_limited``) shows only its reference, type and when
it was received. Its history, deadlines and steps are refused with 403: the user knows
the case exists, but not what is in it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.audit import READ_VERBS
from casework.counting import CappedPaginator
from casework.idempotency import SCHEMA_PARAMETER as IDEMPOTENCY_KEY
from casework.idempotency import idempotent
from casework.models import Case, Team
from casework.reads import case_list_read_note
from casework.roles import figures_only
from casework.selectors import (
    case_content_list_for_user,
    case_get_for_user,
    case_is_limited,
    case_is_raiser_only,
    prefetched,
)
from config.api_errors import error_responses
from workflows.case_search import case_search_for_user, case_search_found
from workflows.clocks import timescale_overrides
from workflows.models import Deadline, DeadlineKind, DeadlineStatus, overdue_q
from workflows.registry import WORKFLOWS, get_workflow
from workflows.selectors import available_transitions, case_answer_prefetch
from workflows.serializers import (
    CASE_OR_LIMITED,
    CaseFilterSerializer,
    CasePageSerializer,
    CaseSerializer,
    CaseSummarySerializer,
    DeadlineFilterSerializer,
    DeadlineListItemSerializer,
    DeadlinePageSerializer,
    DeadlineSerializer,
    HistoryEventSerializer,
    LimitedCaseSerializer,
    RaiserCaseSerializer,
    RaiseSerializer,
    TransitionInputSerializer,
    WorkflowSerializer,
    bad_text,
    json_type_errors,
    workflow_data,
)
from workflows.services import SUMMARY_FIELD, case_raise, case_transition

PAGE_SIZE = 25
LIMITED = "You may know only that this case was received, not what is in it."
RAISER_ONLY = "You raised this case: you may see its status and what you added, not the rest."
LIMITED_403 = (
    " A case you know only as received (limited: true; the frontline raiser of a Prevent "
    "case) is refused with 403: you know it exists, but not what is in it; so is a case "
    "you see only as its raiser (raiser_view: true), whose status you know."
)
CHOOSE_TEAM = "Choose one of your own teams."
REFERENCE = OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH)


class Pagination(PageNumberPagination):
    """25 a page; a page past the last is a 404. ``count`` stops at ``COUNT_CAP`` past
    the page asked for (``casework.counting``) and ``count_capped`` says there are more:
    a list never counts what it does not show."""

    page_size = PAGE_SIZE

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        asked = request.query_params.get(self.page_query_param, 1)
        self.django_paginator_class = functools.partial(CappedPaginator, page=asked)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_capped": paginator.more,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    # A plain dict, not the QueryDict: DRF reads an empty form value of an optional field
    # as absent, so ?state= passed although the schema says at least one character.
    if hasattr(data, "getlist"):
        data = {key: data.get(key) for key in data}
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def json_object(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValidationError("Send a JSON object.")
    return data


def visible_case(user: Any, reference: str) -> Case:
    """The case if the user may see it (``case_get_for_user``), else 404."""
    if bad_text(reference):
        raise Http404
    return case_get_for_user(user, reference)


def _case_with_content(user: Any, reference: str) -> Case:
    """A visible case whose content the user may see; 403 for one known only as received
    and for one they see only as its raiser (issue 17)."""
    case = visible_case(user, reference)
    if case_is_limited(user, case):
        raise PermissionDenied(LIMITED)
    if case_is_raiser_only(user, case):
        raise PermissionDenied(RAISER_ONLY)
    return case


def case_body(request: Request, case: Case) -> dict[str, Any]:
    """CASE as this user may see it, as its raiser, or only that it was received."""
    if case_is_limited(request.user, case):
        return LimitedCaseSerializer(case).data
    if case_is_raiser_only(request.user, case):
        return RaiserCaseSerializer(case).data
    context = {
        "now": timezone.now(),
        "available_transitions": available_transitions(case, request.user),
    }
    if prefetched(case, "deadlines") is None:
        # Its people, clocks and whether one is overdue, by statements compiled once
        # (a step's answer read them before the audit chain's lock; a raise by a lead
        # and GET of a case have not).
        case_answer_prefetch(case, context["now"])
    return CaseSerializer(case, context=context).data


# --- Workflows -----------------------------------------------------------------------------


class WorkflowListView(APIView):
    @extend_schema(
        operation_id="workflows_list",
        summary="Every case type's workflow",
        responses={200: WorkflowSerializer(many=True), **error_responses(401)},
    )
    def get(self, request: Request) -> Response:
        overrides = timescale_overrides()
        data = [workflow_data(WORKFLOWS[name], overrides) for name in sorted(WORKFLOWS)]
        return Response(WorkflowSerializer(data, many=True).data)


class WorkflowDetailView(APIView):
    @extend_schema(
        operation_id="workflows_retrieve",
        summary="One case type's workflow: states, intake fields, transitions, clocks",
        parameters=[
            OpenApiParameter(
                "case_type", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(WORKFLOWS)
            )
        ],
        responses={200: WorkflowSerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, case_type: str) -> Response:
        workflow = WORKFLOWS.get(case_type)
        if workflow is None:
            raise Http404
        return Response(WorkflowSerializer(workflow_data(workflow)).data)


# --- Cases ---------------------------------------------------------------------------------


def case_queryset(user: Any, filters: Mapping[str, Any]) -> QuerySet[Case]:
    """The visible cases matching the list's filters, newest first: the same selector as
    the case list page (``workflows.case_search``), so the two never disagree. As there,
    the concern's intake answers (``details``, kilobytes a case) are not read: a summary
    shows none of them (a raiser's summary is annotated by the selector)."""
    return case_search_for_user(user, filters).defer("details")


def _team(value: Any) -> Team | None:
    if value in (None, ""):
        return None
    team = None
    if isinstance(value, str) and not bad_text(value):
        team = Team.objects.filter(slug=value).first()
    if team is None:
        raise ValidationError({"team": [CHOOSE_TEAM]})
    return team


class CaseListView(APIView):
    @extend_schema(
        operation_id="cases_list",
        summary="The cases you may see, newest first, 25 a page",
        parameters=[CaseFilterSerializer],
        responses={200: CasePageSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        if figures_only(request.user):
            raise PermissionDenied("A partnership analyst sees figures, not cases.")
        filters = _valid(CaseFilterSerializer, request.query_params)
        paginator = Pagination()
        page = paginator.paginate_queryset(case_queryset(request.user, filters), request, self)
        case_list_read_note(
            filters={k: v for k, v in filters.items() if k != "page"},
            count=paginator.page.paginator.count,
            page=paginator.page.number,
        )
        context: dict[str, Any] = {"now": timezone.now()}
        if filters.get("q"):
            context["found"] = case_search_found(request.user, filters["q"], page or [])
        rows = _summary_rows(request.user, page or [], context)
        return paginator.get_paginated_response(rows)

    @extend_schema(
        operation_id="cases_create",
        summary="Raise a concern",
        description="The type's intake fields (GET /api/v1/workflows/{case_type}/, "
        '"intake_fields") go alongside case_type and summary.',
        parameters=[IDEMPOTENCY_KEY],
        request=RaiseSerializer,
        responses={201: CASE_OR_LIMITED, **error_responses(400, 401, 403)},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        body = json_object(request.data)
        case_type = body.get("case_type")
        case_type = case_type if isinstance(case_type, str) else ""
        workflow = WORKFLOWS.get(case_type)
        if workflow is not None:
            errors = json_type_errors([SUMMARY_FIELD, *workflow.intake_fields], body)
            if errors:
                raise ValidationError(errors)
        team = _team(body.get("team"))
        case = case_raise(
            actor=request.user, case_type=case_type, data=body, team=team, answer=True
        )
        return Response(case_body(request, case), status=201)


def _summary_rows(user: Any, cases: Any, context: dict[str, Any]) -> list[dict[str, Any]]:
    """Each case in the list as CASE_SUMMARY, or as its raiser or as received sees it.
    One serializer of each kind for the page: each new serializer copies its fields, which
    a serializer per row did 25 times a page (docs/performance.md)."""
    limited = LimitedCaseSerializer()
    raiser = RaiserCaseSerializer()
    full = CaseSummarySerializer(context=context)
    rows = []
    for case in cases:
        if case_is_limited(user, case):
            rows.append(limited.to_representation(case))
        elif not getattr(case, "full_content", True):
            rows.append(raiser.to_representation(case))
        else:
            rows.append(full.summary_row(case))
    return rows


class CaseDetailView(APIView):
    @extend_schema(
        operation_id="cases_retrieve",
        summary="A case, with what you may do to it now",
        parameters=[REFERENCE],
        responses={200: CASE_OR_LIMITED, **error_responses(401, 404)},
    )
    def get(self, request: Request, reference: str) -> Response:
        return Response(case_body(request, visible_case(request.user, reference)))


class CaseTransitionView(APIView):
    @extend_schema(
        operation_id="cases_transition",
        summary="Take a step of the case's workflow",
        description="Send the transition's fields (available_transitions of the case, or "
        "the workflow's definition) with the version of the case you last read." + LIMITED_403,
        parameters=[REFERENCE, OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH)],
        request=TransitionInputSerializer,
        responses={200: CaseSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, reference: str, name: str) -> Response:
        case = _case_with_content(request.user, reference)
        workflow = get_workflow(case.case_type)
        if name not in workflow.transition_names():
            raise Http404
        body = json_object(request.data)
        fields = workflow.transition_meta(name)["fields"]
        errors = json_type_errors(fields, body)
        serializer = TransitionInputSerializer(data=body)
        if not serializer.is_valid():
            errors = {**serializer.errors, **errors}
        if errors:
            raise serializers.ValidationError(errors)
        data = {k: v for k, v in body.items() if k != "version"}
        case = case_transition(
            case=case,
            actor=request.user,
            name=name,
            data=data,
            expected_version=serializer.validated_data["version"],
            answer=True,
        )
        return Response(case_body(request, case))


class CaseHistoryView(APIView):
    @extend_schema(
        operation_id="cases_history",
        summary="What happened to the case, oldest first",
        description="Each change recorded in the audit log. Who opened the case is kept in "
        "the audit log for auditors, not here." + LIMITED_403,
        parameters=[REFERENCE],
        responses={200: HistoryEventSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, reference: str) -> Response:
        case = _case_with_content(request.user, reference)
        events = (
            case.audit_events.exclude(verb__in=READ_VERBS).select_related("actor").order_by("pk")
        )
        return Response(HistoryEventSerializer(events, many=True).data)


class CaseDeadlinesView(APIView):
    @extend_schema(
        operation_id="cases_deadlines",
        summary="The case's deadlines, soonest first",
        description=LIMITED_403.strip(),
        parameters=[REFERENCE],
        responses={200: DeadlineSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, reference: str) -> Response:
        case = _case_with_content(request.user, reference)
        deadlines = case.deadlines.order_by("due_at", "pk")
        context = {"now": timezone.now()}
        return Response(DeadlineSerializer(deadlines, many=True, context=context).data)


# --- Deadlines across cases ----------------------------------------------------------------


def deadline_queryset(user: Any, filters: Mapping[str, Any]) -> QuerySet[Deadline]:
    """Deadlines of the cases whose content the user may see, soonest first."""
    visible = case_content_list_for_user(user).values("pk")
    deadlines = Deadline.objects.filter(case__in=visible).select_related("case")
    if filters.get("status") == DeadlineStatus.OPEN:
        # "open" is what is still running: a task the sweep marked missed stays open
        # until it is met or cancelled (issue 14), so it never drops out of this view.
        deadlines = deadlines.filter(
            Q(status=DeadlineStatus.OPEN)
            | Q(status=DeadlineStatus.MISSED, kind=DeadlineKind.TASK, closed_at__isnull=True)
        )
    elif "status" in filters:
        deadlines = deadlines.filter(status=filters["status"])
    if "overdue" in filters:
        overdue = overdue_q(timezone.now())
        deadlines = deadlines.filter(overdue if filters["overdue"] == "true" else ~overdue)
    if filters.get("assigned_to") == "me":
        deadlines = deadlines.filter(case__owner=user)
    return deadlines.order_by("due_at", "pk")


class DeadlineListView(APIView):
    @extend_schema(
        operation_id="deadlines_list",
        summary="Deadlines across the cases you may see, soonest first, 25 a page",
        parameters=[DeadlineFilterSerializer],
        responses={200: DeadlinePageSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request: Request) -> Response:
        filters = _valid(DeadlineFilterSerializer, request.query_params)
        paginator = Pagination()
        page = paginator.paginate_queryset(deadline_queryset(request.user, filters), request, self)
        case_list_read_note(
            filters={"list": "deadlines", **{k: v for k, v in filters.items() if k != "page"}},
            count=paginator.page.paginator.count,
            page=paginator.page.number,
        )
        context = {"now": timezone.now()}
        rows = DeadlineListItemSerializer(page or [], many=True, context=context).data
        return paginator.get_paginated_response(rows)
