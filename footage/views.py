"""Footage request pages: thin views over ``footage.selectors`` and ``footage.services``.

404 for a request the user may not read (exactly as for a missing one), 403 for one they
can read but may not act on, 400 with GOV.UK error messages for bad input, 409 when the
request changed since the form was shown.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from casework.permissions import can_raise
from casework.roles import Role, roles_of
from footage.forms import ACTIONS, REQUEST_FIELDS, action_take, request_create, version_of
from footage.models import FootageRequest
from footage.selectors import (
    camera_list,
    footage_request_get_for_user,
    footage_request_list_for_user,
)
from footage.services import StaleRequest, may_act
from workflows.definitions import Field, FieldType
from workflows.intake import control, error_messages, error_summary, intake_team, intake_teams

# The steps that apply to a request in each status (the services refuse the others).
NEXT = {
    "requested": ["decide"],
    "approved": ["export"],
    "exported": ["hand-over", "destroy"],
    "handed_over": ["hand-over", "destroy"],
}
CONTENT_ROLES = {Role.FRONTLINE, Role.LEAD, Role.PREVENT_LEAD, Role.AUDITOR}
NO_CONTENT = "Footage requests are for case workers and auditors."
CANNOT_ASK = "Your role cannot ask for footage."
CANNOT_ACT = "Only a safeguarding lead of the request's team can do this."


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "workflows/forbidden.html", {"message": message}, status=403)


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """The requests the user may read, newest first."""
    if not roles_of(request.user) & CONTENT_ROLES:
        return _forbidden(request, NO_CONTENT)
    requests = footage_request_list_for_user(request.user).prefetch_related("cameras")[:200]
    context = {"requests": requests, "may_ask": can_raise.test(request.user)}
    return render(request, "footage/request_list.html", context)


@login_required
def camera_register(request: HttpRequest) -> HttpResponse:
    """The camera register: IDs, locations and retention (no personal data)."""
    if not roles_of(request.user):
        return _forbidden(request, "You need a role to use Safecase.")
    return render(request, "footage/camera_list.html", {"cameras": camera_list()})


def _render_form(request, *, title, fields, data, errors, status=200, **extra) -> HttpResponse:
    controls = [control(spec, data, errors) for spec in fields]
    context = {
        "title": title,
        "controls": controls,
        "error_summary": error_summary(controls, errors),
        **extra,
    }
    return render(request, "footage/request_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """Ask for footage to be preserved (frontline staff and leads)."""
    if not can_raise.test(request.user):
        return _forbidden(request, CANNOT_ASK)
    title = "Ask for CCTV footage"
    teams = intake_teams(request.user)
    fields = list(REQUEST_FIELDS)
    if len(teams) > 1:
        choices = [(t.slug, t.name) for t in teams]
        fields.append(
            Field("team", FieldType.CHOICE, "Which of your teams is asking", choices=choices)
        )
    if request.method == "GET":
        return _render_form(request, title=title, fields=fields, data={}, errors={})
    data = request.POST
    try:
        team = intake_team(teams=teams, choice=data.get("team")) if teams else None
        made = request_create(actor=request.user, data=data, team=team)
    except ValidationError as exc:
        return _render_form(
            request, title=title, fields=fields, data=data,
            errors=error_messages(exc), status=400,
        )  # fmt: skip
    except PermissionDenied:
        return _forbidden(request, CANNOT_ASK)
    if made.status == "refused":
        messages.error(request, f"{made.reference} was refused at once: {made.decision_reason}")
    else:
        messages.success(request, f"{made.reference} is recorded. A lead will decide it.")
    return redirect("footage:request-detail", pk=made.pk)


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A request, its clock, decision, export and chain of custody."""
    if not roles_of(request.user) & CONTENT_ROLES:
        raise Http404("No footage request found.")
    item = footage_request_get_for_user(request.user, pk)
    context = {
        "item": item,
        "cameras": item.cameras.all(),
        "transfers": item.custody_transfers.select_related("handed_over_by"),
        "actions": [ACTIONS[a] for a in NEXT.get(item.status, [])]
        if may_act(item, request.user)
        else [],
    }
    return render(request, "footage/request_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Decide, export, hand over or destroy (a lead of the request's team)."""
    item: FootageRequest = footage_request_get_for_user(request.user, pk)
    step = ACTIONS.get(action)
    if step is None:
        raise Http404("No such action.")
    if not may_act(item, request.user):
        return _forbidden(request, CANNOT_ACT)
    extra = {"item": item, "takes_file": step.takes_file, "version": item.version}
    if request.method == "GET":
        return _render_form(request, title=step.label, fields=step.fields, data={}, errors={},
                            **extra)  # fmt: skip
    try:
        action_take(
            request=item, actor=request.user, name=action, data=request.POST,
            version=version_of(request.POST), file=request.FILES.get("exported_file"),
        )  # fmt: skip
    except ValidationError as exc:
        return _render_form(
            request, title=step.label, fields=step.fields, data=request.POST,
            errors=error_messages(exc), status=400, **extra,
        )  # fmt: skip
    except StaleRequest as exc:
        return _render_form(
            request, title=step.label, fields=step.fields, data=request.POST,
            errors={"version": [str(exc)]}, status=409, **extra,
        )  # fmt: skip
    messages.success(request, f"{item.reference}: {step.label.lower()} recorded.")
    return redirect("footage:request-detail", pk=item.pk)
