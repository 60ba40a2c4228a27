"""Allocating a case and sharing it with one more person (leads of the case's team).

Thin views over ``casework.services.case_allocate``, ``case_access_grant`` and
``case_access_revoke``: 404 for a case the user cannot see, 403 for one they can see but
may not manage, 400 with the field errors for bad input, 409 when the case changed since
the form was shown.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from casework.models import Case
from casework.permissions import lead_may, named_case_types
from casework.selectors import (
    case_assignees,
    case_get_for_user,
    case_grants,
    case_share_candidates,
)
from casework.services import case_access_grant, case_access_revoke, case_allocate, case_link
from workflows.case_views import case_page
from workflows.definitions import Field, FieldType
from workflows.errors import CaseConflict
from workflows.intake import control, error_messages, error_summary
from workflows.related import pending_related_set, related_fields, related_start
from workflows.triage import caseload_text, with_open_cases

User = get_user_model()
CANNOT_MANAGE = "Only a safeguarding lead of this case's team can allocate or share it."
PICK_SOMEONE = "Choose who to share the case with."


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "workflows/forbidden.html", {"message": CANNOT_MANAGE}, status=403)


def _name(user: Any) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


def _assignee_field(case: Case) -> Field:
    """Who the case can go to, each with their open caseload (issue 19)."""
    choices = [
        (str(u.pk), f"{_name(u)} ({caseload_text(u.open_cases)})")
        for u in with_open_cases(case_assignees(case))
        if u.pk != case.owner_id
    ]
    return Field("assignee", FieldType.CHOICE, "Allocate to", choices=choices)


def _render_allocate(request, case, draft, errors, *, version, status=200) -> HttpResponse:
    controls = [control(_assignee_field(case), draft, errors)]
    context = {
        "case": case,
        "controls": controls,
        "error_summary": error_summary(controls, errors),
        "version": version,
    }
    return render(request, "workflows/case_allocate.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def case_allocate_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Allocate (or re-allocate) the case to a worker or lead of its team."""
    case = case_get_for_user(request.user, reference)
    if not lead_may(case, request.user):
        return _forbidden(request)
    if request.method == "GET":
        return _render_allocate(request, case, {}, {}, version=str(case.version))
    draft = {"assignee": request.POST.get("assignee", "")}
    version = request.POST.get("version", "")
    assignee = (
        case_assignees(case).filter(pk=draft["assignee"]).first()
        if draft["assignee"].isdigit()
        else None
    )
    if assignee is None or not version.isdigit():
        errors = {"assignee": ["Choose who to allocate the case to."]}
        return _render_allocate(request, case, draft, errors, version=version, status=400)
    try:
        case_allocate(
            case=case, actor=request.user, assignee=assignee, expected_version=int(version)
        )
    except ValidationError as exc:
        errors = error_messages(exc)
        return _render_allocate(request, case, draft, errors, version=version, status=400)
    except PermissionDenied:
        return _forbidden(request)
    except CaseConflict as exc:
        fresh = case_get_for_user(request.user, reference)
        return case_page(request, fresh, status=409, problems=[exc.message])
    messages.success(request, f"{case.reference} allocated to {_name(assignee)}")
    return redirect("case-detail", reference=case.reference)


def _share_field(case: Case, actor: Any) -> Field:
    """Who to share with, picked by name (issue 19): colleagues in the lead's teams first,
    each with their teams, never a username to type."""
    choices = [
        (str(u.pk), f"{_name(u)}, {u.team_names}" if u.team_names else _name(u))
        for u in case_share_candidates(case, actor)
    ]
    return Field(
        "user",
        FieldType.CHOICE,
        "Share with",
        choices=choices,
        help_text="People in your teams come first.",
    )


def _render_access(request, case, draft, errors, status=200) -> HttpResponse:
    pick = control(_share_field(case, request.user), draft, errors)
    pick.kind = "select"  # a list of names, however few: the error summary links to it
    controls = [pick]
    context = {
        "case": case,
        "controls": controls,
        "error_summary": error_summary(controls, errors),
        "grants": case_grants(case),
        # A named compartment (a Domestic Homicide Review): sharing is naming to it.
        "named_compartment": case.case_type in named_case_types(),
    }
    return render(request, "workflows/case_access.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def case_access_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Who else may read the case: grant read access to a colleague picked from a list
    (or, from older forms, by username), or revoke a grant."""
    case = case_get_for_user(request.user, reference)
    if not lead_may(case, request.user):
        return _forbidden(request)
    if request.method == "GET":
        return _render_access(request, case, {}, {})
    revoke = request.POST.get("revoke", "")
    username = request.POST.get("username", "").strip()
    chosen = request.POST.get("user", "").strip()
    try:
        if revoke.isdigit():
            target = User.objects.filter(pk=int(revoke)).first()
            if target is None:
                raise ValidationError({"user": ["They have no grant on this case."]})
            case_access_revoke(case=case, actor=request.user, user=target)
            messages.success(request, f"{_name(target)} can no longer read {case.reference}")
        else:
            if chosen:
                offered = {str(u.pk): u for u in case_share_candidates(case, request.user)}
                target = offered.get(chosen)
            else:
                target = User.objects.filter(username=username).first() if username else None
            if target is None:
                raise ValidationError({"user": [PICK_SOMEONE]})
            case_access_grant(case=case, actor=request.user, user=target)
            messages.success(request, f"{_name(target)} can now read {case.reference}")
    except ValidationError as exc:
        return _render_access(request, case, {"user": chosen}, error_messages(exc), 400)
    except PermissionDenied:
        return _forbidden(request)
    return redirect("case-access", reference=case.reference)


OTHER_REFERENCE = Field("other_reference", FieldType.STRING, "Reference of the related case")
LINK_REASON = Field("reason", FieldType.TEXT, "Why the cases are related")


def _render_link(request, case, draft, errors, status=200) -> HttpResponse:
    controls = [control(OTHER_REFERENCE, draft, errors), control(LINK_REASON, draft, errors)]
    context = {
        "case": case,
        "controls": controls,
        "error_summary": error_summary(controls, errors),
    }
    return render(request, "workflows/case_link.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def case_link_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Link the case to a related one the lead may see (issue 15)."""
    case = case_get_for_user(request.user, reference)
    if not lead_may(case, request.user):
        return _forbidden(request)
    if request.method == "GET":
        return _render_link(request, case, {}, {})
    draft = {
        "other_reference": request.POST.get("other_reference", "").strip(),
        "reason": request.POST.get("reason", ""),
    }
    try:
        link = case_link(
            case=case,
            actor=request.user,
            other_reference=draft["other_reference"],
            reason=draft["reason"],
        )
    except ValidationError as exc:
        return _render_link(request, case, draft, error_messages(exc), 400)
    except PermissionDenied:
        return _forbidden(request)
    messages.success(request, f"{case.reference} linked to {link.to_case.reference}")
    return redirect("case-detail", reference=case.reference)


def _render_related(request, case, draft, errors, status=200) -> HttpResponse:
    controls = [control(spec, draft, errors) for spec in related_fields(request.user)]
    context = {
        "case": case,
        "controls": controls,
        "error_summary": error_summary(controls, errors),
    }
    return render(request, "workflows/case_related.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def case_related_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Open a new concern related to this case (issue 15): choose its type and say why,
    then the usual intake; the link is recorded on both cases once it is raised."""
    case = case_get_for_user(request.user, reference)
    if not lead_may(case, request.user):
        return _forbidden(request)
    if request.method == "GET":
        return _render_related(request, case, {}, {})
    draft = {
        "case_type": request.POST.get("case_type", ""),
        "reason": request.POST.get("reason", ""),
    }
    try:
        choice = related_start(actor=request.user, case=case, data=draft)
    except ValidationError as exc:
        return _render_related(request, case, draft, error_messages(exc), 400)
    except PermissionDenied:
        return _forbidden(request)
    pending_related_set(request.session, choice)
    return redirect("workflows:concern-form", case_type=choice["case_type"])
