"""Pages that correct a case's summary, a person's details and a case's premises.

Each reads through the selectors (a case or person the user may not see is a 404), lets
only those who may edit go further (403 for others who can see it), validates the form
(400 with a GOV.UK error summary) and writes through one service, which audits the
fields changed with their values before and after (``casework.services``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from casework.errors import StaleCase
from casework.forms import (
    CaseSummaryForm,
    PersonForm,
    PremisesForm,
    govuk_controls,
    govuk_error_summary,
)
from casework.models import Case, Person
from casework.permissions import lead_may
from casework.reads import person_read_note
from casework.selectors import (
    case_get_for_user,
    case_is_limited,
    person_cases_for_user,
    person_list_for_user,
)
from casework.services import (
    case_summary_update,
    person_may_edit,
    person_update,
    premises_may_edit,
    premises_update,
)

CANNOT_EDIT_CASE = "Only a safeguarding lead of the case’s team can change its summary."
CANNOT_EDIT_PERSON = "Only a safeguarding lead of one of this person’s cases can change them."
CANNOT_EDIT_PREMISES = "Only a safeguarding lead of a case about these premises can change them."
OUT_OF_DATE_FORM = "This form is out of date. Go back to the case and open it again."
NO_CHANGES = "No changes to save"


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else NON_FIELD_ERRORS, errors)


def _render(
    request: HttpRequest, form: forms.Form, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    controls = govuk_controls(form)
    context = {
        **context,
        "form": form,
        "controls": controls,
        "error_summary": govuk_error_summary(form, controls),
    }
    return render(request, "casework/edit_form.html", context, status=status)


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "casework/forbidden.html", {"message": message}, status=403)


def _case_context(case: Case, what: str, action: str) -> dict[str, Any]:
    return {
        "caption": case.reference,
        "heading": f"Change {what}",
        "action": action,
        "back": reverse("case-detail", args=[case.reference]),
    }


# A case's summary ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def case_summary_edit(request: HttpRequest, reference: str) -> HttpResponse:
    """Correct the summary of the concern (leads of the case's team); the version shown
    with the form makes a save after someone else changed the case a 409."""
    case = case_get_for_user(request.user, reference)
    if not lead_may(case, request.user):
        return _forbidden(request, CANNOT_EDIT_CASE)
    context = _case_context(
        case, "the summary of the concern", reverse("case-summary-edit", args=[reference])
    )
    if request.method == "GET":
        form = CaseSummaryForm(initial={"summary": case.summary, "version": case.version})
        return _render(request, form, context)
    form = CaseSummaryForm(request.POST)
    if form.is_valid() and form.cleaned_data["version"] is None:
        form.add_error("version", OUT_OF_DATE_FORM)
    if not form.is_valid():
        return _render(request, form, context, status=400)
    before = case.summary
    try:
        updated = case_summary_update(
            case=case,
            actor=request.user,
            summary=form.cleaned_data["summary"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return _render(request, form, context, status=400)
    except StaleCase as exc:
        form.add_error(None, exc.message)
        return _render(request, form, context, status=409)
    except PermissionDenied:
        return _forbidden(request, CANNOT_EDIT_CASE)
    changed = updated.summary != before
    messages.success(request, "Summary of the concern updated" if changed else NO_CHANGES)
    return redirect("case-detail", reference=case.reference)


# A person ---------------------------------------------------------------------------------


def _visible_person(user: Any, person_id: int) -> Person:
    """The person if the user may see them in full, as on the person page; else 404."""
    person = person_list_for_user(user).filter(pk=person_id).first()
    if person is None or not any(
        not case_is_limited(user, link.case) for link in person_cases_for_user(user, person)
    ):
        raise Http404("No person found.")
    person_read_note(person)
    return person


def _person_initial(person: Person) -> dict[str, Any]:
    return {name: getattr(person, name) for name in PersonForm.base_fields}


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    """Correct a person's details (leads of one of their cases)."""
    person = _visible_person(request.user, person_id)
    if not person_may_edit(request.user, person):
        return _forbidden(request, CANNOT_EDIT_PERSON)
    context = {
        "caption": person.full_name or "Name not known",
        "heading": "Change this person’s details",
        "action": reverse("person-edit", args=[person.pk]),
        "back": reverse("person-detail", args=[person.pk]),
    }
    if request.method == "GET":
        return _render(request, PersonForm(initial=_person_initial(person)), context)
    form = PersonForm(request.POST)
    if not form.is_valid():
        return _render(request, form, context, status=400)
    before = _person_initial(person)
    try:
        updated = person_update(person=person, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        _add_errors(form, exc)
        return _render(request, form, context, status=400)
    except PermissionDenied:
        return _forbidden(request, CANNOT_EDIT_PERSON)
    changed = _person_initial(updated) != before
    messages.success(request, "Person’s details updated" if changed else NO_CHANGES)
    return redirect("person-detail", person_id=person.pk)


# A case's premises ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def premises_edit(request: HttpRequest, reference: str) -> HttpResponse:
    """Correct the premises of a case (leads of a case about them). A case without
    premises, or one the user knows only as received, has none to change (404)."""
    case = case_get_for_user(request.user, reference)
    if case_is_limited(request.user, case) or case.premises_id is None:
        raise Http404("No premises found.")
    premises = case.premises
    if not premises_may_edit(request.user, premises):
        return _forbidden(request, CANNOT_EDIT_PREMISES)
    context = _case_context(case, "the premises", reverse("premises-edit", args=[reference]))
    names = list(PremisesForm.base_fields)
    before = {name: getattr(premises, name) for name in names}
    if request.method == "GET":
        return _render(request, PremisesForm(initial=before), context)
    form = PremisesForm(request.POST)
    if not form.is_valid():
        return _render(request, form, context, status=400)
    try:
        updated = premises_update(premises=premises, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        _add_errors(form, exc)
        return _render(request, form, context, status=400)
    except PermissionDenied:
        return _forbidden(request, CANNOT_EDIT_PREMISES)
    changed = {name: getattr(updated, name) for name in names} != before
    messages.success(request, "Premises updated" if changed else NO_CHANGES)
    return redirect("case-detail", reference=case.reference)
