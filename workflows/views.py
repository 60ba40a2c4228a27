"""Pages: raising a concern (choose a type, the form, check your answers, confirmation) and
the workflows reference (each case type's states, transitions, clocks and diagram).

The views read and render; the one write is ``workflows.services.case_raise``. The
draft of a concern lives in the session (``workflows.intake``) until it is raised.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from casework.models import Case, Team
from casework.permissions import can_raise, team_ids_of
from casework.roles import role_of
from workflows import diagrams
from workflows.definitions import Workflow
from workflows.intake import (
    TEAM,
    AnswerRow,
    answer_rows,
    control,
    draft_from_post,
    error_messages,
    error_summary,
    intake_fields,
    intake_team,
    intake_teams,
    intake_validate,
    team_control,
)
from workflows.registry import WORKFLOWS
from workflows.services import case_raise

CANNOT_RAISE = (
    "Your role does not allow you to raise concerns. If your job needs it, ask an "
    "administrator for the frontline staff or safeguarding lead role."
)
NO_TEAM = (
    "You are not a member of a team, so you cannot raise a concern yet. Ask an "
    "administrator to add you to your team."
)
NO_ROLE = "You need a role to see this page. Ask an administrator to give you one."


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "workflows/forbidden.html", {"message": message}, status=403)


def raiser_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else to sign-in), with a role that may raise and a team (else 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_raise.test(request.user):
            return _forbidden(request, CANNOT_RAISE)
        if not team_ids_of(request.user):
            return _forbidden(request, NO_TEAM)
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def role_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else to sign-in) with any role (else 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if role_of(request.user) is None:
            return _forbidden(request, NO_ROLE)
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def _workflow_or_404(case_type: str) -> Workflow:
    try:
        return WORKFLOWS[case_type]
    except KeyError:
        raise Http404("No such type of concern.") from None


def _draft_key(case_type: str) -> str:
    return f"workflows.intake.{case_type}"


def _draft_get(request: HttpRequest, case_type: str) -> dict[str, Any] | None:
    draft = request.session.get(_draft_key(case_type))
    return draft if isinstance(draft, dict) else None


# Raising a concern ----------------------------------------------------------------------


@raiser_required
@require_http_methods(["GET", "POST"])
def concern_type(request: HttpRequest) -> HttpResponse:
    """Choose the type of concern: one radio per registered workflow."""
    chosen, error = "", ""
    if request.method == "POST":
        chosen = request.POST.get("case_type", "")
        if chosen in WORKFLOWS:
            return redirect("workflows:concern-form", case_type=chosen)
        error = "Select the type of concern"
    context = {"workflows": list(WORKFLOWS.values()), "chosen": chosen, "error": error}
    return render(request, "workflows/concern_type.html", context)


@raiser_required
@require_http_methods(["GET", "POST"])
def concern_form(request: HttpRequest, case_type: str) -> HttpResponse:
    """The intake form; a valid one is kept as the draft and goes to "Check your answers"."""
    workflow = _workflow_or_404(case_type)
    if request.method == "GET":
        return _render_form(request, workflow, _draft_get(request, case_type) or {}, {})
    draft = draft_from_post(intake_fields(workflow), request.POST)
    # Kept even when invalid, so a reload after an error loses nothing.
    request.session[_draft_key(case_type)] = draft
    try:
        intake_validate(actor=request.user, case_type=case_type, data=draft)
    except ValidationError as exc:
        return _render_form(request, workflow, draft, error_messages(exc))
    except PermissionDenied:
        return _forbidden(request, CANNOT_RAISE)
    return redirect("workflows:concern-check", case_type=case_type)


@raiser_required
@require_http_methods(["GET", "POST"])
def concern_check(request: HttpRequest, case_type: str) -> HttpResponse:
    """Check your answers; submitting raises the concern from the session's draft."""
    workflow = _workflow_or_404(case_type)
    draft = _draft_get(request, case_type)
    if draft is None:
        return redirect("workflows:concern-form", case_type=case_type)
    teams = intake_teams(request.user)
    try:
        values = intake_validate(actor=request.user, case_type=case_type, data=draft)
        team = intake_team(teams=teams, choice=draft.get(TEAM))
        if request.method == "POST":
            case = case_raise(actor=request.user, case_type=case_type, data=draft, team=team)
            del request.session[_draft_key(case_type)]
            return redirect("workflows:concern-raised", reference=case.reference)
    except ValidationError as exc:
        return _render_form(request, workflow, draft, error_messages(exc))
    except PermissionDenied:
        return _forbidden(request, CANNOT_RAISE)
    return _render_check(request, workflow, values, team if len(teams) > 1 else None)


@raiser_required
@require_http_methods(["GET"])
def concern_raised(request: HttpRequest, reference: str) -> HttpResponse:
    """Confirmation with the new reference; only for a case this user raised."""
    case = Case.objects.filter(reference=reference, raised_by=request.user).first()
    if case is None:
        raise Http404("No such concern raised by you.")
    workflow = WORKFLOWS.get(case.case_type)
    context = {"case": case, "case_type_label": workflow.label if workflow else case.case_type}
    return render(request, "workflows/concern_raised.html", context)


def _render_form(
    request: HttpRequest, workflow: Workflow, draft: dict[str, Any], errors: dict[str, list]
) -> HttpResponse:
    fields = intake_fields(workflow)
    controls = [control(spec, draft, errors) for spec in fields]
    teams = intake_teams(request.user)
    if len(teams) > 1:
        controls.append(team_control(teams, draft.get(TEAM, ""), errors.get(TEAM, [])))
    context = {
        "workflow": workflow,
        "controls": controls,
        "non_field_errors": errors.get(NON_FIELD_ERRORS, []),
        "error_summary": error_summary(controls, errors),
    }
    return render(request, "workflows/concern_form.html", context)


def _render_check(
    request: HttpRequest, workflow: Workflow, values: dict[str, Any], team: Team | None
) -> HttpResponse:
    form_url = reverse("workflows:concern-form", kwargs={"case_type": workflow.case_type})
    rows = answer_rows(intake_fields(workflow), values, form_url)
    if team is not None:
        rows.append(AnswerRow("Team", [team.name], f"{form_url}#{TEAM}"))
    context = {"workflow": workflow, "rows": rows}
    return render(request, "workflows/concern_check.html", context)


# The workflows reference -----------------------------------------------------------------


@role_required
@require_http_methods(["GET"])
def workflow_list(request: HttpRequest) -> HttpResponse:
    """Every case type's process, for anyone with a role (documentation, no case data)."""
    return render(request, "workflows/workflow_list.html", {"workflows": WORKFLOWS.values()})


@role_required
@require_http_methods(["GET"])
def workflow_detail(request: HttpRequest, case_type: str) -> HttpResponse:
    """One case type's states, transitions, deadline rules and diagram."""
    workflow = _workflow_or_404(case_type)
    dot = diagrams.workflow_dot(workflow)
    context = {
        "workflow": workflow,
        "states": diagrams.state_rows(workflow),
        "transitions": diagrams.transition_rows(workflow),
        "rules": diagrams.rule_rows(workflow),
        "dot": dot,
        "svg": diagrams.inline_svg(dot),
    }
    return render(request, "workflows/workflow_detail.html", context)
