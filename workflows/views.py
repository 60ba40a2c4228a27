"""Pages: raising a concern (choose a type, the form, check your answers, confirmation),
acting on a case (a transition's form, pausing and resuming a clock) and the workflows
reference (each case type's states, transitions, clocks and diagram).

The views read and render; writes go through ``workflows.services`` (``case_raise``,
``case_transition``, ``deadline_pause``, ``deadline_resume``). The draft of a concern is
kept in the database (``workflows.drafts``), saved on every POST of the intake form and
autosaved by the browser, until it is raised or deleted. A transition's form is
drawn from its declared fields exactly as the intake form is (``workflows.intake.control``
and ``workflows/_control.html``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from casework.dates import time_words
from casework.matching import Matches, intake_matches_for_user
from casework.models import Case, CasePersonRole, Team
from casework.permissions import can_raise, lead_may, may_raise_type, team_ids_of
from casework.reads import case_read_note
from casework.roles import Role, role_of
from casework.selectors import case_get_for_user, case_list_for_user
from workflows import diagrams
from workflows.case_views import case_page
from workflows.definitions import Field, FieldType, Workflow
from workflows.drafts import (
    DRAFT_MAX_BYTES,
    TOO_LARGE,
    concern_raise,
    draft_data_from_post,
    draft_delete,
    draft_get_for_user,
    draft_name,
    draft_rows_for_user,
    draft_save,
)
from workflows.errors import CaseConflict
from workflows.forms import validate_fields
from workflows.intake import (
    TEAM,
    AnswerRow,
    answer_rows,
    control,
    controls_for,
    draft_from_post,
    error_messages,
    error_summary,
    intake_fields,
    intake_team,
    intake_teams,
    intake_validate,
    page_fields,
    page_of,
    pages_of,
    team_control,
    unanswered_questions,
)
from workflows.models import Deadline, IntakeDraft
from workflows.prefill import step_prefill
from workflows.raiser import who_picks_it_up
from workflows.registry import FIRST_TYPE, WORKFLOWS, get_workflow
from workflows.related import (
    ORIGIN_GONE,
    pending_related,
    pending_related_clear,
    related_concern_raise,
)
from workflows.services import (
    case_transition,
    deadline_pause,
    deadline_resume,
    intake_people_and_premises,
)
from workflows.urgency import urgent_context

CANNOT_RAISE = (
    "Your role does not allow you to raise concerns. If your job needs it, ask an "
    "administrator for the frontline staff or safeguarding lead role."
)
NO_TEAM = (
    "You are not a member of a team, so you cannot raise a concern yet. Ask an "
    "administrator to add you to your team."
)
CANNOT_ACT = (
    "You cannot do this on this case. A safeguarding lead of the case’s team (or, for "
    "some steps, the worker it is allocated to) moves a case on."
)
CANNOT_MANAGE_CLOCKS = "Only a safeguarding lead of the case’s team can pause or resume its clocks."
PREFILLED_HINT = "Filled in from what this case already records. Change it only if it has changed."
HANDED_ON = (
    "{reference} is now a need-to-know case. Only leads cleared for it can open it, and "
    "they have been told."
)
OUT_OF_DATE_FORM = "This form is out of date. Go back to the case and open the action again."
# An autosave request larger than this is refused before it is read (a draft is capped at
# DRAFT_MAX_BYTES; multipart encoding adds a little to each field).
DRAFT_REQUEST_MAX_BYTES = 2 * DRAFT_MAX_BYTES
PAUSE_REASON = Field(
    "reason",
    FieldType.TEXT,
    "Why are you pausing this clock?",
    help_text="For example, criminal proceedings have started. This is kept in the case history.",
)


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


def _workflow_or_404(case_type: str) -> Workflow:
    try:
        return WORKFLOWS[case_type]
    except KeyError:
        raise Http404("No such type of concern.") from None


def _raisable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """403 on a type the user may not raise (a review is recorded by a lead)."""

    @wraps(view)
    def wrapped(request: HttpRequest, case_type: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if case_type in WORKFLOWS and not may_raise_type(request.user, case_type):
            message = f"Only a safeguarding lead can record a {WORKFLOWS[case_type].label}."
            return _forbidden(request, message)
        return view(request, case_type, *args, **kwargs)

    return wrapped


def _saved_at(draft: IntakeDraft | None) -> str:
    """When a draft was last saved, as the user's clock shows it ("2:32pm")."""
    return time_words(timezone.localtime(draft.updated_at)) if draft else ""


# Raising a concern ----------------------------------------------------------------------


def _draft_rows(user: Any) -> list[dict[str, Any]]:
    """The user's unfinished concerns, named by person or address, with their links."""
    rows = []
    for draft in draft_rows_for_user(user):
        workflow = WORKFLOWS[draft.case_type]
        rows.append(
            {
                "workflow": workflow,
                "name": draft_name(draft),
                "updated_at": draft.updated_at,
                "continue_url": _form_url(workflow, draft),
                "delete_url": reverse("workflows:draft-delete", args=[workflow.case_type])
                + f"?draft={draft.pk}",
            }
        )
    return rows


def home_drafts(user: Any) -> dict[str, Any]:
    """The home page's "Unfinished concerns" panel: the user's own drafts (none for a
    role that cannot raise)."""
    if not can_raise.test(user):
        return {"intake_drafts": []}
    return {
        "intake_drafts": _draft_rows(user),
        "draft_retention_days": settings.SAFECASE_DRAFT_RETENTION_DAYS,
    }


@raiser_required
@require_http_methods(["GET", "POST"])
def concern_type(request: HttpRequest) -> HttpResponse:
    """Choose the type of concern: one radio per registered workflow, each saying when to
    choose it, then "Not sure which" (a general concern whose type a lead chooses,
    ``workflows.unclassified``), and the user's own unfinished drafts."""
    chosen, error = "", ""
    if request.method == "POST":
        chosen = request.POST.get("case_type", "")
        if chosen in WORKFLOWS and may_raise_type(request.user, chosen):
            return redirect("workflows:concern-form", case_type=chosen)
        error = "Select the type of concern"
    raisable = [w for t, w in WORKFLOWS.items() if may_raise_type(request.user, t)]
    context = {
        "workflows": [w for w in raisable if w.case_type != FIRST_TYPE],
        "not_sure": next((w for w in raisable if w.case_type == FIRST_TYPE), None),
        "chosen": chosen,
        "error": error,
        "drafts": _draft_rows(request.user),
        "retention_days": settings.SAFECASE_DRAFT_RETENTION_DAYS,
    }
    return render(request, "workflows/concern_type.html", context)


def _form_url(workflow: Workflow, draft: IntakeDraft | None, page: str = "") -> str:
    """The address of one of the intake's pages, for this draft (none: a new concern)."""
    url = reverse("workflows:concern-form", kwargs={"case_type": workflow.case_type})
    query = []
    if draft is not None:
        query.append(f"draft={draft.pk}")
    if page and page != pages_of(workflow)[0].slug:
        query.append(f"page={page}")
    return f"{url}?{'&'.join(query)}" if query else url


def _check_url(workflow: Workflow, draft: IntakeDraft) -> str:
    url = reverse("workflows:concern-check", kwargs={"case_type": workflow.case_type})
    return f"{url}?draft={draft.pk}"


def _params(request: HttpRequest) -> dict[str, str]:
    """The draft and page a request is about: from the posted form, else the address."""
    return {
        key: request.POST.get(key) or request.GET.get(key, "")
        for key in ("draft", "page", "from_check")
    }


def _page_slug(workflow: Workflow, asked: Any) -> str:
    slugs = [p.slug for p in pages_of(workflow)]
    return asked if asked in slugs else slugs[0]


def _draft_or_404(request: HttpRequest, case_type: str, draft_id: Any) -> IntakeDraft | None:
    """The user's own draft named in the request (None when it names none); 404 for a
    draft that is not theirs or no longer exists."""
    if draft_id in (None, ""):
        return None
    draft = draft_get_for_user(request.user, case_type, draft_id)
    if draft is None:
        raise Http404("No such draft.")
    return draft


@raiser_required
@_raisable
@require_http_methods(["GET", "POST"])
def concern_form(request: HttpRequest, case_type: str) -> HttpResponse:
    """One short page of the intake, filled from the user's draft (``?draft=<id>``;
    none: a new concern, whose first POST starts a new draft). Every POST saves the
    page's answers into the draft first (so an error, a timeout or a closed tab loses
    nothing); "Save and come back later" stops there, "Continue" checks the page's
    answers (all its errors at once) and goes on to the next page, then to "Check your
    answers". "Add another" and "Remove" change a list of records (incidents)."""
    workflow = _workflow_or_404(case_type)
    params = _params(request)
    page = _page_slug(workflow, params.get("page"))
    draft = _draft_or_404(request, case_type, params.get("draft"))
    if request.method == "GET":
        data = draft.data if draft else {}
        return _render_form(request, workflow, data, {}, draft=draft, page=page)
    asked = page_fields(workflow, page)
    try:
        posted = draft_data_from_post(case_type=case_type, post=request.POST, asked=asked)
        action = request.POST.get("action", "")
        posted = _records_action(asked, posted, action)
        data = {**(draft.data if draft else {}), **posted}
        draft = draft_save(
            author=request.user,
            case_type=case_type,
            data=data,
            draft_id=draft.pk if draft else None,
        )
    except ValidationError as exc:
        data = {**(draft.data if draft else {}), **draft_from_post(asked, request.POST)}
        return _render_form(
            request, workflow, data, error_messages(exc), draft=draft, page=page, status=400
        )
    except PermissionDenied:
        return _forbidden(request, CANNOT_RAISE)
    if action == "save":
        messages.success(
            request,
            f"Your draft {workflow.label.lower()} concern has been saved. Continue it from "
            "your home page when you are ready.",
        )
        return redirect("home")
    if action.startswith(("add:", "remove:")):
        return redirect(_form_url(workflow, draft, page) + f"#{action.split(':')[1]}")
    try:
        intake_validate(actor=request.user, case_type=case_type, data=data, page=page)
    except ValidationError as exc:
        errors = error_messages(exc)
        return _render_form(request, workflow, data, errors, draft=draft, page=page)
    except PermissionDenied:
        return _forbidden(request, CANNOT_RAISE)
    slugs = [p.slug for p in pages_of(workflow)]
    if params["from_check"] or page == slugs[-1]:
        return redirect(_check_url(workflow, draft))
    return redirect(_form_url(workflow, draft, slugs[slugs.index(page) + 1]))


def _records_action(asked: list[Field], posted: dict[str, Any], action: str) -> dict[str, Any]:
    """ "Add another" keeps the rows as they are (the page then offers a blank one);
    "Remove" (``remove:<field>:<row>``) takes a row out."""
    if not action.startswith("remove:"):
        return posted
    _, name, _, row = (action.split(":") + ["", "", ""])[:4]
    for spec in asked:
        if spec.name == name and spec.type is FieldType.RECORDS and row.isdigit():
            rows = list(posted.get(name) or [])
            if 1 <= int(row) <= len(rows):
                del rows[int(row) - 1]
            posted[name] = rows
    return posted


@raiser_required
@_raisable
@require_http_methods(["GET", "POST"])
def concern_check(request: HttpRequest, case_type: str) -> HttpResponse:
    """Check your answers; submitting raises the concern from the user's saved draft
    (``?draft=<id>``, else their last saved of the type) and deletes the draft in the
    same transaction (``workflows.drafts.concern_raise``)."""
    workflow = _workflow_or_404(case_type)
    params = _params(request)
    saved = draft_get_for_user(request.user, case_type, params.get("draft"))
    if saved is None:
        return redirect("workflows:concern-form", case_type=case_type)
    draft = saved.data
    teams = intake_teams(request.user)
    try:
        values = intake_validate(actor=request.user, case_type=case_type, data=draft)
        team = intake_team(teams=teams, choice=draft.get(TEAM))
        people, premises = intake_people_and_premises(case_type, values)
        matches = intake_matches_for_user(request.user, people=people, premises=premises)
        related_to = pending_related(request.session, case_type)
        if request.method == "POST":
            links = {**_chosen_links(request, matches), "draft_id": saved.pk}
            if related_to is not None:
                case = related_concern_raise(
                    actor=request.user, case_type=case_type, data=draft, team=team,
                    related_to=related_to, **links,
                )  # fmt: skip
                pending_related_clear(request.session, case_type)
            else:
                case = concern_raise(
                    actor=request.user, case_type=case_type, data=draft, team=team, **links
                )
            return redirect("workflows:concern-raised", reference=case.reference)
    except ValidationError as exc:
        if request.method == "POST" and exc.messages == [ORIGIN_GONE]:
            pending_related_clear(request.session, case_type)
        errors = error_messages(exc)
        page = _first_page_in_error(workflow, errors)
        return _render_form(request, workflow, draft, errors, draft=saved, page=page)
    except PermissionDenied:
        return _forbidden(request, CANNOT_RAISE)
    return _render_check(
        request, workflow, saved, values, team if len(teams) > 1 else None, matches, related_to
    )


def _first_page_in_error(workflow: Workflow, errors: dict[str, list]) -> str:
    """The first intake page that asks a question in error (the last page, which asks
    the team, for any other error)."""
    for page in pages_of(workflow):
        if any(spec.name in errors for spec in page_fields(workflow, page.slug)):
            return page.slug
    return pages_of(workflow)[-1].slug


def role_label(role: str) -> str:
    return str(dict(CasePersonRole.choices).get(role, role)).lower()


def _chosen_links(request: HttpRequest, matches: Matches) -> dict[str, Any]:
    """The known people and premises the raiser chose to link, among those offered
    (anything else posted is ignored: only an offered match can be chosen)."""
    people = {}
    for match in matches.people:
        if request.POST.get(f"link_{match.role}") == str(match.person.pk):
            people[match.role] = match.person
    premises = next(
        (
            m.premises
            for m in matches.premises
            if request.POST.get("link_premises") == str(m.premises.pk)
        ),
        None,
    )
    return {"existing_people": people, "existing_premises": premises}


@raiser_required
@_raisable
@require_http_methods(["POST"])
def draft_autosave(request: HttpRequest, case_type: str) -> HttpResponse:
    """Save the intake page's fields into the user's draft (the browser's autosave, with
    the CSRF token, the draft's id and the page in the posted form; without an id a new
    draft is started and its id returned). Never raises a concern.

    404 for an unknown type; 413 for a request larger than a draft may be; 400 (with
    the messages) for a field the form does not ask for or a draft too large to keep;
    else 200 with when it was saved.
    """
    _workflow_or_404(case_type)
    if _content_length(request) > DRAFT_REQUEST_MAX_BYTES:
        return JsonResponse({"errors": [TOO_LARGE]}, status=413)
    workflow = WORKFLOWS[case_type]
    page = _page_slug(workflow, request.POST.get("page"))
    try:
        draft = _draft_or_404(request, case_type, request.POST.get("draft"))
        asked = page_fields(workflow, page)
        posted = draft_data_from_post(case_type=case_type, post=request.POST, asked=asked)
        data = {**(draft.data if draft else {}), **posted}
        draft = draft_save(
            author=request.user,
            case_type=case_type,
            data=data,
            draft_id=draft.pk if draft else None,
        )
    except ValidationError as exc:
        found = [m for messages in error_messages(exc).values() for m in messages]
        return JsonResponse({"errors": found}, status=400)
    except PermissionDenied:
        return JsonResponse({"errors": [CANNOT_RAISE]}, status=403)
    return JsonResponse(
        {
            "saved_at": draft.updated_at.isoformat(),
            "saved_at_text": _saved_at(draft),
            "draft": draft.pk,
        }
    )


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@raiser_required
@require_http_methods(["GET", "POST"])
def draft_delete_confirm(request: HttpRequest, case_type: str) -> HttpResponse:
    """Ask before deleting the user's own draft ``?draft=<id>`` of ``case_type`` (without
    an id: their last saved of the type; 404 when they have none)."""
    workflow = _workflow_or_404(case_type)
    params = _params(request)
    draft = draft_get_for_user(request.user, case_type, params.get("draft"))
    if draft is None:
        raise Http404("No such draft.")
    if request.method == "POST":
        draft_delete(author=request.user, case_type=case_type, draft_id=draft.pk)
        messages.success(request, f"Your draft {workflow.label.lower()} concern has been deleted.")
        return redirect("workflows:concern-type")
    context = {"workflow": workflow, "draft": draft, "name": draft_name(draft)}
    return render(request, "workflows/concern_draft_delete.html", context)


@raiser_required
@require_http_methods(["GET"])
def concern_raised(request: HttpRequest, reference: str) -> HttpResponse:
    """Confirmation with the new reference; only for a case this user raised."""
    mine = case_list_for_user(request.user).filter(raised_by=request.user)
    case = mine.filter(reference=reference).first()
    if case is None:
        raise Http404("No such concern raised by you.")
    case_read_note(case)
    workflow = WORKFLOWS.get(case.case_type)
    context = {"case": case, "case_type_label": workflow.label if workflow else case.case_type}
    context["who"] = who_picks_it_up(case)  # issue 19: who picks it up, and how to add to it
    if case.immediate_risk:  # issue 19: what to do now comes first
        return render(request, "workflows/concern_urgent.html", urgent_context(case) | context)
    return render(request, "workflows/concern_raised.html", context)


def _render_form(
    request: HttpRequest,
    workflow: Workflow,
    data: dict[str, Any],
    errors: dict[str, list],
    *,
    draft: IntakeDraft | None = None,
    page: str = "",
    status: int = 200,
) -> HttpResponse:
    pages = pages_of(workflow)
    slugs = [p.slug for p in pages]
    page = _page_slug(workflow, page)
    number = slugs.index(page)
    controls = controls_for(page_fields(workflow, page), data, errors, workflow.required_one_of)
    teams = intake_teams(request.user)
    if len(teams) > 1 and number == len(pages) - 1:
        controls.append(team_control(teams, data.get(TEAM, ""), errors.get(TEAM, [])))
    # Errors of questions on other pages (from "Check your answers") are not shown here
    # as stray text: the page that asks them is where they are put right.
    asked = {c.name for control_ in controls for c in control_.walk()}
    elsewhere = {spec.name for spec in intake_fields(workflow)} - asked
    shown = {name: found for name, found in errors.items() if name not in elsewhere}
    back = (
        _form_url(workflow, draft, slugs[number - 1])
        if number
        else reverse("workflows:concern-type")
    )
    context = {
        "workflow": workflow,
        "controls": controls,
        "non_field_errors": errors.get(NON_FIELD_ERRORS, []),
        "error_summary": error_summary(controls, shown),
        "saved_at": _saved_at(draft),
        "related_to": pending_related(request.session, workflow.case_type),
        "draft": draft,
        "page": pages[number],
        "page_number": number + 1,
        "page_count": len(pages),
        "back_url": back,
        "from_check": bool(_params(request)["from_check"]),
    }
    return render(request, "workflows/concern_form.html", context, status=status)


def _render_check(
    request: HttpRequest,
    workflow: Workflow,
    saved: IntakeDraft,
    values: dict[str, Any],
    team: Team | None,
    matches: Matches,
    related_to: dict[str, str] | None = None,
) -> HttpResponse:
    def change_url(spec: Field) -> str:
        url = _form_url(workflow, saved, page_of(workflow, spec))
        return f"{url}&from_check=1"

    rows = answer_rows(intake_fields(workflow), values, change_url, saved.data)
    if team is not None:
        last = _form_url(workflow, saved, pages_of(workflow)[-1].slug)
        rows.append(AnswerRow("Team", [team.name], f"{last}&from_check=1#{TEAM}"))
    roles = {}
    for match in matches.people:
        roles.setdefault(match.role, []).append(match)
    context = {
        "workflow": workflow,
        "draft": saved,
        "rows": rows,
        "person_matches": [(role, role_label(role), found) for role, found in roles.items()],
        "premises_matches": matches.premises,
        "related_to": related_to,
        "back_url": _form_url(workflow, saved, pages_of(workflow)[-1].slug),
    }
    return render(request, "workflows/concern_check.html", context)


# Acting on a case: a transition's form, pausing and resuming a clock ----------------------


def _refuse_action(
    request: HttpRequest, case: Case, workflow: Workflow, name: str
) -> HttpResponse | None:
    """403 when the user may not take ``name`` on this case at all; 409 (the case page
    saying why) when the case's state or the step's conditions rule it out now."""
    declared = [t for t in workflow.transitions() if t.name == name]
    proxy = workflow.model.objects.get(pk=case.pk)
    if not any(t.has_perm(proxy, request.user) for t in declared):
        return _forbidden(request, CANNOT_ACT)
    if any(t.name == name for t in proxy.get_available_state_transitions()):
        return None
    custom = declared[0].custom
    if proxy.state in {t.source for t in declared}:
        reason = _guard_refusal(proxy, declared) or (
            custom.get("guard_message") or "The conditions for this action are not met."
        )
    else:
        state = workflow.state_label(proxy.state).lower()
        reason = f"{custom['label']} is not possible while the case is {state}."
    return case_page(request, case, status=409, problems=[reason])


def _guard_refusal(proxy: Any, declared: list[Any]) -> str:
    """The first failing guard's own message (as ``case_transition`` gives it), or ""."""
    for transition in declared:
        if transition.source != proxy.state:
            continue
        for condition in transition.conditions:
            if condition(proxy):
                continue
            refusal = getattr(condition, "refusal", None)
            return (refusal(proxy) if refusal is not None else "") or getattr(
                condition, "guard_message", ""
            )
    return ""


def _render_action(
    request: HttpRequest,
    case: Case,
    name: str,
    draft: dict[str, Any],
    errors: dict[str, list],
    *,
    version: str,
    status: int = 200,
    prefilled: Collection[str] = (),
) -> HttpResponse:
    workflow = get_workflow(case.case_type)
    custom = workflow.transition_meta(name)
    controls = [control(spec, draft, errors) for spec in custom["fields"]]
    for made in controls:
        if made.name in prefilled:
            made.hint = " ".join(filter(None, [made.hint, PREFILLED_HINT]))
    context = {
        "case": case,
        "workflow": workflow,
        "name": name,
        "label": custom["label"],
        "controls": controls,
        "version": version,
        "error_summary": error_summary(controls, errors),
    }
    return render(request, "workflows/case_action.html", context, status=status)


def _page_errors(fields: list[Field], draft: dict[str, Any]) -> dict[str, list[str]]:
    """What the page refuses before the service sees the input: a required yes/no left
    unanswered (the service would read it as "no"), with the fields' own messages."""
    errors = unanswered_questions(fields, draft)
    if errors:
        try:
            validate_fields(fields, draft)
        except ValidationError as exc:
            for field, found in error_messages(exc).items():
                errors.setdefault(field, []).extend(found)
    return errors


def _submit_action(request: HttpRequest, case: Case, name: str) -> HttpResponse:
    workflow = get_workflow(case.case_type)
    fields = list(workflow.transition_meta(name)["fields"])
    draft = draft_from_post(fields, request.POST)
    version = request.POST.get("version", "")
    errors = _page_errors(fields, draft)
    if not version.isdigit():
        errors.setdefault(NON_FIELD_ERRORS, []).append(OUT_OF_DATE_FORM)
    if errors:
        return _render_action(request, case, name, draft, errors, version=version, status=400)
    try:
        case_transition(
            case=case, actor=request.user, name=name, data=draft, expected_version=int(version)
        )
    except ValidationError as exc:
        errors = error_messages(exc)
        return _render_action(request, case, name, draft, errors, version=version, status=400)
    except PermissionDenied:
        return _forbidden(request, CANNOT_ACT)
    except CaseConflict as exc:
        fresh = case_get_for_user(request.user, case.reference)
        return case_page(request, fresh, status=409, problems=[exc.message])
    messages.success(request, f"{workflow.transition_meta(name)['label']}: done")
    if not case_list_for_user(request.user).filter(pk=case.pk).exists():
        # A general concern a lead made a need-to-know type they are not cleared for.
        messages.success(request, HANDED_ON.format(reference=case.reference))
        return redirect("case-list")
    return redirect("case-detail", reference=case.reference)


@login_required
@require_http_methods(["GET", "POST"])
def case_action(request: HttpRequest, reference: str, name: str) -> HttpResponse:
    """A transition's form: its declared fields, and the case's version when it was shown
    so that a submission after someone else moved the case on is refused (409).

    404 for a case the user may not see or an action its workflow lacks; 403 when the
    user may not take it; 409 when it is not possible now. The write is
    ``case_transition``; success goes back to the case page with a banner.
    """
    case = case_get_for_user(request.user, reference)
    workflow = get_workflow(case.case_type)
    if name not in workflow.transition_names():
        raise Http404("No such action.")
    refusal = _refuse_action(request, case, workflow, name)
    if refusal is not None:
        return refusal
    if request.method == "POST":
        return _submit_action(request, case, name)
    prefill = step_prefill(case, workflow.transition_meta(name)["fields"])
    return _render_action(
        request, case, name, prefill, {}, version=str(case.version), prefilled=set(prefill)
    )


def _case_deadline(
    request: HttpRequest, reference: str, deadline_id: int
) -> tuple[Case, Deadline] | HttpResponse:
    """The case (404 if hidden) and its deadline (404 if not its own), or a 403 response
    for a user who may not manage the case's clocks."""
    case = case_get_for_user(request.user, reference)
    if not lead_may(case, request.user):
        return _forbidden(request, CANNOT_MANAGE_CLOCKS)
    deadline = Deadline.objects.filter(pk=deadline_id, case=case).first()
    if deadline is None:
        raise Http404("No such deadline.")
    return case, deadline


def _render_clock(
    request: HttpRequest,
    case: Case,
    deadline: Deadline,
    *,
    pausing: bool,
    draft: dict[str, Any] | None = None,
    errors: dict[str, list] | None = None,
    status: int = 200,
) -> HttpResponse:
    errors = errors or {}
    controls = [control(PAUSE_REASON, draft or {}, errors)] if pausing else []
    context = {
        "case": case,
        "deadline": deadline,
        "pausing": pausing,
        "controls": controls,
        "error_summary": error_summary(controls, errors),
    }
    return render(request, "workflows/deadline_action.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def case_deadline_pause(request: HttpRequest, reference: str, deadline_id: int) -> HttpResponse:
    """Pause one of the case's clocks, saying why (leads of the case's team)."""
    found = _case_deadline(request, reference, deadline_id)
    if isinstance(found, HttpResponse):
        return found
    case, deadline = found
    if request.method == "GET":
        return _render_clock(request, case, deadline, pausing=True)
    reason = request.POST.get(PAUSE_REASON.name, "")
    try:
        deadline_pause(deadline=deadline, actor=request.user, reason=reason)
    except ValidationError as exc:
        draft, errors = {PAUSE_REASON.name: reason}, error_messages(exc)
        return _render_clock(
            request, case, deadline, pausing=True, draft=draft, errors=errors, status=400
        )
    except PermissionDenied:
        return _forbidden(request, CANNOT_MANAGE_CLOCKS)
    messages.success(request, f"{deadline.label}: clock paused")
    return redirect("case-detail", reference=case.reference)


@login_required
@require_http_methods(["GET", "POST"])
def case_deadline_resume(request: HttpRequest, reference: str, deadline_id: int) -> HttpResponse:
    """Restart a paused clock with the time it had left (leads of the case's team)."""
    found = _case_deadline(request, reference, deadline_id)
    if isinstance(found, HttpResponse):
        return found
    case, deadline = found
    if request.method == "GET":
        return _render_clock(request, case, deadline, pausing=False)
    try:
        deadline_resume(deadline=deadline, actor=request.user)
    except ValidationError as exc:
        errors = error_messages(exc)
        return _render_clock(request, case, deadline, pausing=False, errors=errors, status=400)
    except PermissionDenied:
        return _forbidden(request, CANNOT_MANAGE_CLOCKS)
    messages.success(request, f"{deadline.label}: clock resumed")
    return redirect("case-detail", reference=case.reference)


# The workflows reference -----------------------------------------------------------------


WORKFLOW_READERS = frozenset({Role.LEAD, Role.PREVENT_LEAD, Role.ADMINISTRATOR})
NOT_WORKFLOW_READER = (
    "The workflows pages are for safeguarding leads and administrators. To find out what "
    "happens next on a case, open the case or ask your safeguarding lead."
)


def workflow_reader_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else to sign-in) as a lead or an administrator (else 403): the
    processes are how leads and administrators run the service, not a page for all."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if role_of(request.user) not in WORKFLOW_READERS:
            return _forbidden(request, NOT_WORKFLOW_READER)
        return view(request, *args, **kwargs)

    return login_required(wrapped)


@workflow_reader_required
@require_http_methods(["GET"])
def workflow_list(request: HttpRequest) -> HttpResponse:
    """Every case type's process, for leads and administrators (no case data)."""
    return render(request, "workflows/workflow_list.html", {"workflows": WORKFLOWS.values()})


@workflow_reader_required
@require_http_methods(["GET"])
def workflow_detail(request: HttpRequest, case_type: str) -> HttpResponse:
    """One case type's stages, steps, deadline rules and diagrams (drawn here, in Python)."""
    workflow = _workflow_or_404(case_type)
    context = {
        "workflow": workflow,
        "states": diagrams.state_rows(workflow),
        "transitions": diagrams.transition_rows(workflow),
        "rules": diagrams.rule_rows(workflow),
        "diagrams": diagrams.page_diagrams(workflow),
    }
    return render(request, "workflows/workflow_detail.html", context)
