"""Referral pages: making a referral from a case, a referral, its steps as forms, and its
print view and PDF.

The views read and render; writes go through ``referrals.services``. Visibility is the
case's (``referrals.selectors``): a referral the user may not see is a 404; one they can
see but may not act on is a 403 (only a lead of the case's team acts); a step the
referral's (or, for a decision, the case's) state rules out is a 409 that shows the
referral page saying why, as the case action pages do. Forms are drawn from declared
fields exactly as the intake and case step forms are (``workflows/_control.html``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from casework.audit import AuditVerb
from casework.errors import CaseConflict
from casework.models import Case
from casework.permissions import lead_may
from casework.selectors import case_get_for_user
from referrals import presenters, services
from referrals.checks import LAWFUL_BASIS_FIELDS, SPECIAL_CATEGORY_NAMES
from referrals.models import PartnerAgency, Referral, ReferralState
from referrals.pdf import referral_pdf
from referrals.selectors import partners_for, referral_get_for_user, referral_history
from referrals.types import (
    REFERRAL_TYPES,
    Decision,
    ReferralTypeSpec,
    decision_fields,
    types_for_case_type,
)
from workflows.definitions import Field
from workflows.forms import validate_fields
from workflows.intake import (
    control,
    draft_from_post,
    error_messages,
    error_summary,
    unanswered_questions,
)

CANNOT_REFER = (
    "Only a safeguarding lead of the case’s team can make a referral or act on one. You "
    "can read its referrals."
)
OUT_OF_DATE_FORM = "This form is out of date. Go back to the referral and open it again."
ANONYMOUS_NOTICE = (
    "Anonymous Duty to Notify (Modern Slavery Act 2015, section 52(3)): this notification holds "
    "nothing that identifies the person."
)


def _forbidden(request: HttpRequest, message: str = CANNOT_REFER) -> HttpResponse:
    return render(request, "workflows/forbidden.html", {"message": message}, status=403)


def _page_errors(fields: Sequence[Field], draft: dict[str, Any]) -> dict[str, list[str]]:
    """What the page refuses before the service sees the input: a required yes/no left
    unanswered (the service would read it as "no"), with the fields' own messages."""
    errors = unanswered_questions(fields, draft)
    if errors:
        try:
            validate_fields(fields, draft)
        except ValidationError as exc:
            for name, found in error_messages(exc).items():
                errors.setdefault(name, []).extend(found)
    return errors


# --- Steps --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Step:
    """One step of a referral as a page: its form's fields and the service it calls."""

    label: str
    method: str  # the django-fsm transition that must be possible
    fields: Sequence[Field]
    service: Callable[..., Referral]
    done: str
    takes_data: bool = True


STEPS: dict[str, Step] = {
    "send": Step("Send the referral", "send", (), services.referral_send, "Referral sent", False),
    "acknowledge": Step(
        "Record the partner’s acknowledgement",
        "acknowledge",
        services.ACKNOWLEDGE_FIELDS,
        services.referral_acknowledge,
        "Acknowledgement recorded",
    ),
    "record_no_response": Step(
        "Record that the partner has not answered",
        "record_no_response",
        services.NO_RESPONSE_FIELDS,
        services.referral_record_no_response,
        "No response recorded",
    ),
    "record_outcome": Step(
        "Record the outcome",
        "record_outcome",
        services.OUTCOME_FIELDS,
        services.referral_record_outcome,
        "Outcome recorded",
    ),
    "close": Step(
        "Close the referral",
        "close",
        services.CLOSE_FIELDS,
        services.referral_close,
        "Referral closed",
    ),
    "withdraw": Step(
        "Withdraw the referral",
        "withdraw",
        services.WITHDRAW_FIELDS,
        services.referral_withdraw,
        "Referral withdrawn",
    ),
}


def _possible(referral: Referral, method: str) -> bool:
    return getattr(referral, method)._django_fsm.has_transition(referral.state)


def _step_blocker(referral: Referral, name: str, step: Step) -> str | None:
    if not _possible(referral, step.method):
        state = services.state_label(referral.state)
        return f"{step.label} is not possible while the referral is {state}."
    if name == "record_no_response":
        return services.no_response_blocker(referral)
    return None


def _decision_blocker(referral: Referral, decision: Decision) -> str | None:
    method = "accept" if decision.accepted else "decline"
    if not _possible(referral, method):
        state = services.state_label(referral.state)
        return f"A partner’s decision cannot be recorded while the referral is {state}."
    return services.decision_blocker(referral, decision)


@dataclasses.dataclass
class Action:
    label: str
    url: str
    name: str
    blocked: str = ""


def _actions(referral: Referral, spec: ReferralTypeSpec, user: Any) -> list[Action]:
    """What ``user`` may do now (leads of the case only); a decision the case cannot take
    yet is listed with the reason instead of a link."""
    if not lead_may(referral.case, user):
        return []
    found = []
    if referral.state == ReferralState.DRAFT:
        found.append(Action("Change the draft", _url("referral-edit", referral), "edit"))
    for name, step in STEPS.items():
        if _step_blocker(referral, name, step) is None:
            found.append(Action(step.label, _url("referral-action", referral, name), name))
    for decision in spec.decisions:
        if _possible(referral, "accept" if decision.accepted else "decline"):
            blocked = services.decision_blocker(referral, decision) or ""
            url = _url("referral-decision", referral, decision.value)
            found.append(Action(f"Decision: {decision.label}", url, decision.value, blocked))
    return found


def _url(name: str, referral: Referral, *args: Any) -> str:
    return reverse(f"referrals:{name}", args=[referral.pk, *args])


# --- Making a referral --------------------------------------------------------------------


def _case_for_referral(request: HttpRequest, reference: str) -> Case | HttpResponse:
    """The case (404 if hidden), or a 403 for a user who may not refer it."""
    case = case_get_for_user(request.user, reference)
    if not lead_may(case, request.user):
        return _forbidden(request)
    return case


@login_required
@require_http_methods(["GET", "POST"])
def referral_type(request: HttpRequest, reference: str) -> HttpResponse:
    """Choose the type of referral among those the case's type can make."""
    found = _case_for_referral(request, reference)
    if isinstance(found, HttpResponse):
        return found
    case = found
    specs = types_for_case_type(case.case_type)
    chosen, error, status = "", "", 200
    if request.method == "POST":
        chosen = request.POST.get("referral_type", "")
        if chosen in {s.value for s in specs}:
            return redirect(
                "referrals:referral-create", reference=case.reference, referral_type=chosen
            )
        error, status = "Select the type of referral", 400
    context = {"case": case, "specs": specs, "chosen": chosen, "error": error}
    return render(request, "referrals/referral_type.html", context, status=status)


def _partner_field(spec: ReferralTypeSpec, current: PartnerAgency | None = None) -> Field:
    partners = list(partners_for(spec))
    if current is not None and current not in partners:
        partners.append(current)
    choices = [(str(p.pk), p.name) for p in partners]
    return dataclasses.replace(presenters.PARTNER, choices=choices)


def _form_fields(spec: ReferralTypeSpec, partner: Field) -> list[Field]:
    return [partner, *spec.fields, *LAWFUL_BASIS_FIELDS]


def _render_form(
    request: HttpRequest,
    *,
    case: Case,
    spec: ReferralTypeSpec,
    fields: Sequence[Field],
    draft: dict[str, Any],
    errors: dict[str, list[str]],
    referral: Referral | None = None,
    status: int = 200,
) -> HttpResponse:
    controls = [control(f, draft, errors) for f in fields]
    context = {
        "case": case,
        "spec": spec,
        "referral": referral,
        "partner_control": controls[0],
        "content_controls": controls[1 : 1 + len(spec.fields)],
        "basis_controls": controls[1 + len(spec.fields) :],
        "version": draft.get("version", referral.version if referral else ""),
        "error_summary": error_summary(controls, errors),
        "anonymous_notice": ANONYMOUS_NOTICE if spec.anonymous else "",
    }
    return render(request, "referrals/referral_form.html", context, status=status)


def _posted(fields: Sequence[Field], request: HttpRequest) -> tuple[dict[str, Any], Any]:
    draft = draft_from_post(fields, request.POST)
    partner_id = str(draft.get("partner", ""))
    partner = PartnerAgency.objects.filter(pk=partner_id).first() if partner_id.isdigit() else None
    return draft, partner


def _split(spec: ReferralTypeSpec, draft: dict[str, Any]) -> tuple[dict, dict]:
    content = {f.name: draft.get(f.name) for f in spec.fields}
    basis = {f.name: draft.get(f.name) for f in LAWFUL_BASIS_FIELDS}
    return content, basis


@login_required
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest, reference: str, referral_type: str) -> HttpResponse:
    """The referral form: partner, the type's content, the lawful basis; saved as a draft
    (however incomplete) and sent from the referral's page."""
    found = _case_for_referral(request, reference)
    if isinstance(found, HttpResponse):
        return found
    case = found
    spec = REFERRAL_TYPES.get(referral_type)
    if spec is None or spec.case_type != case.case_type:
        raise Http404("No such type of referral for this case.")
    fields = _form_fields(spec, _partner_field(spec))
    if request.method == "GET":
        draft = presenters.prefill(case, spec, request.user)
        return _render_form(request, case=case, spec=spec, fields=fields, draft=draft, errors={})
    draft, partner = _posted(fields, request)
    content, basis = _split(spec, draft)
    try:
        referral = services.referral_create(
            case=case,
            actor=request.user,
            referral_type=spec.value,
            partner=partner,
            content=content,
            lawful_basis=basis,
        )
    except ValidationError as exc:
        return _render_form(
            request, case=case, spec=spec, fields=fields, draft=draft,
            errors=error_messages(exc), status=400,
        )  # fmt: skip
    except PermissionDenied:
        return _forbidden(request)
    messages.success(request, "Referral saved as a draft")
    return redirect("referrals:referral-detail", pk=referral.pk)


def _referral_for_action(request: HttpRequest, pk: int) -> Referral | HttpResponse:
    referral = referral_get_for_user(request.user, pk)
    if not lead_may(referral.case, request.user):
        return _forbidden(request)
    return referral


@login_required
@require_http_methods(["GET", "POST"])
def referral_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft: its partner, content and lawful basis."""
    found = _referral_for_action(request, pk)
    if isinstance(found, HttpResponse):
        return found
    referral = found
    spec = REFERRAL_TYPES[referral.referral_type]
    if referral.state != ReferralState.DRAFT:
        state = services.state_label(referral.state)
        return referral_page(
            request,
            referral,
            status=409,
            problems=[f"Only a draft can be changed; this referral is {state}."],
        )
    fields = _form_fields(spec, _partner_field(spec, referral.partner))
    common = {"case": referral.case, "spec": spec, "fields": fields, "referral": referral}
    if request.method == "GET":
        draft = {
            **referral.content,
            "partner": str(referral.partner_id),
            "consent_given": referral.consent_given if referral.authorised_by_id else None,
            "gateway": referral.gateway,
            "lawful_basis_notes": referral.lawful_basis_notes,
            **{name: getattr(referral, name) for name in SPECIAL_CATEGORY_NAMES},
        }
        return _render_form(request, draft=draft, errors={}, **common)
    draft, partner = _posted(fields, request)
    version = request.POST.get("version", "")
    draft["version"] = version
    content, basis = _split(spec, draft)
    try:
        if not version.isdigit():
            raise ValidationError(OUT_OF_DATE_FORM)
        services.referral_update_draft(
            referral=referral, actor=request.user, partner=partner, content=content,
            lawful_basis=basis, expected_version=int(version),
        )  # fmt: skip
    except ValidationError as exc:
        return _render_form(request, draft=draft, errors=error_messages(exc), status=400, **common)
    except PermissionDenied:
        return _forbidden(request)
    except CaseConflict as exc:
        return _conflict(request, referral, exc)
    messages.success(request, "Draft saved")
    return redirect("referrals:referral-detail", pk=referral.pk)


# --- A referral ---------------------------------------------------------------------------


HISTORY_TITLES = {
    AuditVerb.REFERRAL_CREATED: "Referral drafted",
    AuditVerb.REFERRAL_UPDATED: "Draft changed",
    AuditVerb.REFERRAL_SENT: "Referral sent",
    AuditVerb.REFERRAL_ACKNOWLEDGED: "Acknowledged by the partner",
    AuditVerb.REFERRAL_DECIDED: "Partner’s decision recorded",
    AuditVerb.REFERRAL_NO_RESPONSE: "No response from the partner",
    AuditVerb.REFERRAL_OUTCOME_RECORDED: "Outcome recorded",
    AuditVerb.REFERRAL_CLOSED: "Referral closed",
    AuditVerb.REFERRAL_WITHDRAWN: "Referral withdrawn",
    AuditVerb.REFERRAL_EXPORTED: "Printed or downloaded",
}


def _history(referral: Referral) -> list[dict[str, Any]]:
    return [
        {
            "event": event,
            "title": HISTORY_TITLES.get(event.verb, event.verb),
            "actor": presenters.user_name(event.actor),
        }
        for event in referral_history(referral)
    ]


def referral_page(
    request: HttpRequest, referral: Referral, *, status: int = 200, problems: Sequence[str] = ()
) -> HttpResponse:
    """The referral page; the step views show it with ``problems`` when they refuse (409)."""
    spec = REFERRAL_TYPES[referral.referral_type]
    send_problems = []
    if referral.state == ReferralState.DRAFT:
        found = services.referral_send_problems(referral)
        send_problems = presenters.problem_links(
            spec.fields, found, _url("referral-edit", referral)
        )
    context = {
        "referral": referral,
        "case": referral.case,
        "spec": spec,
        "state_label": ReferralState(referral.state).label,
        "terminal": not referral.is_open,
        "content_rows": presenters.content_rows(spec, referral),
        "basis_rows": presenters.lawful_basis_rows(referral),
        "decision_rows": presenters.decision_rows(spec, referral),
        "clock": presenters.clock(referral.response_deadline),
        "send_problems": send_problems,
        "actions": _actions(referral, spec, request.user),
        "history": _history(referral),
        "error_summary": [("actions", message) for message in problems],
        "anonymous_notice": ANONYMOUS_NOTICE if spec.anonymous else "",
    }
    return render(request, "referrals/referral_detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A referral, for anyone who may see its case in full; auditors read it too."""
    return referral_page(request, referral_get_for_user(request.user, pk))


def _conflict(request: HttpRequest, referral: Referral, exc: CaseConflict) -> HttpResponse:
    fresh = referral_get_for_user(request.user, referral.pk)
    return referral_page(request, fresh, status=409, problems=[exc.message])


def _render_step(
    request: HttpRequest,
    referral: Referral,
    *,
    label: str,
    fields: Sequence[Field],
    action_url: str,
    draft: dict[str, Any],
    errors: dict[str, list[str]],
    version: str,
    status: int = 200,
) -> HttpResponse:
    spec = REFERRAL_TYPES[referral.referral_type]
    controls = [control(f, draft, errors) for f in fields]
    summary, send_problems = error_summary(controls, errors), []
    if not controls:  # the send page: its problems are in the draft's fields, on its form
        edit = _url("referral-edit", referral)
        summary, send_problems = [], presenters.problem_links(spec.fields, errors, edit)
    context = {
        "referral": referral,
        "case": referral.case,
        "spec": spec,
        "label": label,
        "controls": controls,
        "action_url": action_url,
        "version": version,
        "error_summary": summary,
        "send_problems": send_problems,
        "basis_rows": presenters.lawful_basis_rows(referral),
        "sending": action_url.endswith("/send/"),
    }
    return render(request, "referrals/referral_action.html", context, status=status)


def _submit(
    request: HttpRequest,
    referral: Referral,
    *,
    label: str,
    fields: Sequence[Field],
    action_url: str,
    call: Callable[[dict[str, Any], int], Referral],
    done: str,
) -> HttpResponse:
    draft = draft_from_post(fields, request.POST)
    version = request.POST.get("version", "")
    errors = _page_errors(fields, draft) if fields else {}
    if not version.isdigit():
        errors.setdefault(NON_FIELD_ERRORS, []).append(OUT_OF_DATE_FORM)
    page = {"label": label, "fields": fields, "action_url": action_url, "version": version}
    if errors:
        return _render_step(request, referral, draft=draft, errors=errors, status=400, **page)
    try:
        call(draft, int(version))
    except ValidationError as exc:
        errors = error_messages(exc)
        return _render_step(request, referral, draft=draft, errors=errors, status=400, **page)
    except PermissionDenied:
        return _forbidden(request)
    except CaseConflict as exc:
        return _conflict(request, referral, exc)
    messages.success(request, done)
    return redirect("referrals:referral-detail", pk=referral.pk)


@login_required
@require_http_methods(["GET", "POST"])
def referral_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One step of a referral (send, acknowledge, no response, outcome, close, withdraw)
    as a form, with the referral's version so a stale submission is refused (409)."""
    found = _referral_for_action(request, pk)
    if isinstance(found, HttpResponse):
        return found
    referral = found
    step = STEPS.get(name)
    if step is None:
        raise Http404("No such action.")
    blocker = _step_blocker(referral, name, step)
    if blocker is not None:
        return referral_page(request, referral, status=409, problems=[blocker])
    url = _url("referral-action", referral, name)
    if request.method == "GET":
        errors = services.referral_send_problems(referral) if name == "send" else {}
        return _render_step(
            request, referral, label=step.label, fields=step.fields, action_url=url,
            draft={}, errors=errors, version=str(referral.version),
        )  # fmt: skip

    def call(data: dict[str, Any], version: int) -> Referral:
        kwargs = {"data": data} if step.takes_data else {}
        return step.service(
            referral=referral, actor=request.user, expected_version=version, **kwargs
        )

    return _submit(
        request, referral, label=step.label, fields=step.fields, action_url=url,
        call=call, done=step.done,
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def referral_decision(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Record one of the partner's decisions; it moves the case as its workflow says."""
    found = _referral_for_action(request, pk)
    if isinstance(found, HttpResponse):
        return found
    referral = found
    spec = REFERRAL_TYPES[referral.referral_type]
    try:
        chosen = spec.decision(decision)
    except KeyError:
        raise Http404("No such decision.") from None
    blocker = _decision_blocker(referral, chosen)
    if blocker is not None:
        return referral_page(request, referral, status=409, problems=[blocker])
    fields = decision_fields(spec, chosen)
    label = f"Record the partner’s decision: {chosen.label}"
    url = _url("referral-decision", referral, chosen.value)
    if request.method == "GET":
        return _render_step(
            request, referral, label=label, fields=fields, action_url=url, draft={},
            errors={}, version=str(referral.version),
        )  # fmt: skip

    def call(data: dict[str, Any], version: int) -> Referral:
        return services.referral_record_decision(
            referral=referral, actor=request.user, decision=chosen.value, data=data,
            expected_version=version,
        )  # fmt: skip

    return _submit(
        request, referral, label=label, fields=fields, action_url=url, call=call,
        done=f"Decision recorded: {chosen.label}",
    )  # fmt: skip


# --- Print view and PDF -------------------------------------------------------------------


def anonymous_reference(referral: Referral) -> str:
    """A reference for an anonymous notification only (MSA 2015 s52(3), issue 15): the
    council's case reference would link the notification to the person's case, so what
    is sent carries this one instead. Derived from the referral's number with the
    deployment's secret key: stable, and meaningless outside Safecase."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"dtn-{referral.pk}".encode(), hashlib.sha256
    ).hexdigest()
    return f"DTN-{digest[:10].upper()}"


def running_reference(spec: ReferralTypeSpec, referral: Referral) -> str:
    """What heads every printed page: the case and referral, or for an anonymous
    notification its referral-only reference."""
    if spec.anonymous:
        return f"Notification {anonymous_reference(referral)}"
    return f"Case {referral.case.reference} · Referral {referral.pk}"


def _sections(spec: ReferralTypeSpec, referral: Referral) -> list[tuple[str, list]]:
    partner = referral.partner
    if spec.anonymous:
        reference = presenters.Row("Notification reference", [anonymous_reference(referral)])
    else:
        reference = presenters.Row("Case reference", [referral.case.reference])
    about = [
        reference,
        presenters.Row("Type of referral", [spec.label]),
        presenters.Row("To", [partner.name]),
        presenters.Row("Partner's secure email", [partner.secure_email or "Not recorded"]),
        presenters.Row("Status", [str(ReferralState(referral.state).label)]),
        presenters.Row("Sent", [presenters.datetime_words(referral.sent_at) or "Not sent (draft)"]),
    ]
    if referral.partner_reference:
        about.append(presenters.Row("Partner's reference", [referral.partner_reference]))
    return [
        ("About this referral", about),
        ("The referral", presenters.content_rows(spec, referral)),
        ("Lawful basis for sharing", presenters.lawful_basis_rows(referral)),
        ("The partner's decision", presenters.decision_rows(spec, referral)),
    ]


@login_required
@require_http_methods(["GET"])
def referral_print(request: HttpRequest, pk: int) -> HttpResponse:
    """A clean, print-ready copy with the case reference on every printed page."""
    referral = referral_get_for_user(request.user, pk)
    spec = REFERRAL_TYPES[referral.referral_type]
    services.referral_export_record(referral=referral, actor=request.user, export_format="print")
    context = {
        "referral": referral,
        "reference": running_reference(spec, referral),
        "title": spec.label,
        "sections": _sections(spec, referral),
        "anonymous_notice": ANONYMOUS_NOTICE if spec.anonymous else "",
    }
    return render(request, "referrals/referral_print.html", context)


@login_required
@require_http_methods(["GET"])
def referral_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The referral as a PDF (for a partner that takes referrals by secure email)."""
    referral = referral_get_for_user(request.user, pk)
    spec = REFERRAL_TYPES[referral.referral_type]
    services.referral_export_record(referral=referral, actor=request.user, export_format="pdf")
    body = referral_pdf(
        reference=running_reference(spec, referral).replace(" · ", "  |  "),
        title=spec.label,
        notice=ANONYMOUS_NOTICE if spec.anonymous else "",
        sections=_sections(spec, referral),
    )
    response = HttpResponse(body, content_type="application/pdf")
    if spec.anonymous:
        filename = f"{anonymous_reference(referral)}.pdf"
    else:
        filename = f"{referral.case.reference}-referral-{referral.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
