"""Referral writes (DESIGN.md "One write path").

Each service is one transaction: lock the referral, check that the actor is a lead of
its case (403), that it has not changed since the client read it and that the step is
possible now (409), validate the input (400), apply the django-fsm transition, save, and
write the audit event, the partner's response clock and the outbox rows in the same
transaction. A refused or failed call writes nothing; for a partner's decision that
includes the case's own step, taken through ``workflows.services.case_transition``.

Drafts are stored as the lead typed them, however incomplete, so long as each value is
well-formed; ``referral_send`` refuses content that is not complete, naming the fields,
and a referral without a lawful basis (``referrals.checks``).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from casework.audit import AuditVerb, audit_record
from casework.dates import datetime_words
from casework.errors import StaleCase, TransitionNotAllowed
from casework.models import Case
from casework.permissions import lead_may
from casework.selectors import case_leads, case_readers
from notifications.models import Channel
from notifications.services import outbox_enqueue
from referrals import checks
from referrals.document import pdf_filename, referral_pdf_bytes, running_reference
from referrals.models import PartnerAgency, Referral, ReferralState
from referrals.selectors import response_time_for
from referrals.types import (
    REFERRAL_TYPES,
    Decision,
    Problems,
    ReferralTypeSpec,
    decision_fields,
    step_fields,
    step_inputs,
)
from workflows import clocks
from workflows.case_figures import case_figures_refresh
from workflows.clocks import due_after
from workflows.definitions import Field, FieldType
from workflows.forms import validate_fields
from workflows.models import Deadline, DeadlineStatus
from workflows.registry import get_workflow
from workflows.services import case_transition, future_event_problem

logger = logging.getLogger(__name__)
RESPONSE_RULE = "partner_response"
NOT_A_LEAD = "Only a safeguarding lead of the case's team can make or act on its referrals."
STALE = "This referral has changed since you opened it. Reload it and try again."

# The inputs of the referral's own steps (a decision's depend on its type: types.py).
ACKNOWLEDGE_FIELDS = (
    Field("acknowledged_on", FieldType.DATE, "Date the partner acknowledged it"),
    Field(
        "partner_reference",
        FieldType.STRING,
        "The partner's reference",
        required=False,
        max_length=100,
        column="referrals.Referral.partner_reference",
    ),
)
NO_RESPONSE_FIELDS = (
    Field("chased_on", FieldType.DATE, "Date the partner was last chased", required=False),
    Field("no_response_note", FieldType.TEXT, "What was done to get an answer"),
)
OUTCOME_FIELDS = (
    Field("outcome_on", FieldType.DATE, "Date of the outcome"),
    Field("outcome", FieldType.TEXT, "The outcome for the person and the case"),
)
CLOSE_FIELDS = (Field("closing_note", FieldType.TEXT, "Closing note", required=False),)
WITHDRAW_FIELDS = (
    Field("reason", FieldType.TEXT, "Why the referral is withdrawn"),
    Field(
        "partner_told",
        FieldType.BOOLEAN,
        "If it was sent, has the partner been told it is withdrawn?",
        required=False,
    ),
)


# --- Helpers ----------------------------------------------------------------------------------


def _require_lead(case: Case, actor: Any) -> None:
    if not lead_may(case, actor):
        raise PermissionDenied(NOT_A_LEAD)


def _locked(referral: Referral, actor: Any, expected_version: int | None) -> Referral:
    """The referral re-read under a row lock, after the lead and version checks."""
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("case", "partner", "response_deadline")
        .get(pk=referral.pk)
    )
    _require_lead(referral.case, actor)
    if expected_version is not None and referral.version != expected_version:
        raise StaleCase(STALE, state=referral.state)
    return referral


def state_label(state: str) -> str:
    return str(ReferralState(state).label).lower()


def _require_step(referral: Referral, name: str, label: str) -> None:
    """409 when the referral's state does not allow the step ``name``."""
    if not getattr(referral, name)._django_fsm.has_transition(referral.state):
        raise TransitionNotAllowed(
            f"{label} is not possible while the referral is {state_label(referral.state)}.",
            state=referral.state,
        )


def _save(referral: Referral) -> Referral:
    # The row is locked, so reading and bumping the version here cannot race.
    referral.version += 1
    referral.save()
    return referral


def referral_link(referral: Referral) -> str:
    return reverse("referrals:referral-detail", args=[referral.pk])


def _notify(referral: Referral, actor: Any, *, template: str, subject: str, body: str) -> None:
    """Tell the case's leads and its allocated worker (not the actor) in the app. The
    message names the case reference, the type and the partner: nothing of the content."""
    case = referral.case
    recipients = {lead.pk for lead in case_leads(case)}
    if case.owner_id is not None:
        recipients.add(case.owner_id)
    recipients.discard(actor.pk)
    # The one content check for every message (issue 17): only who may read it in full.
    for recipient in case_readers(case, sorted(recipients)):
        outbox_enqueue(
            recipient_id=recipient,
            channel=Channel.IN_APP,
            template=template,
            subject=subject,
            body=body,
            link=referral_link(referral),
            case=case,
        )


def _audit(referral: Referral, actor: Any, verb: AuditVerb, **data: Any) -> None:
    audit_record(
        actor=actor,
        verb=verb,
        case=referral.case,
        target=referral,
        data={"referral_type": referral.referral_type, "state": referral.state, **data},
    )


def _spec(referral_type: str, case: Case) -> ReferralTypeSpec:
    spec = REFERRAL_TYPES.get(referral_type)
    if spec is None or spec.case_type != case.case_type:
        raise ValidationError({"referral_type": ["Choose a type of referral this case can make."]})
    return spec


def _partner_problems(spec: ReferralTypeSpec, partner: PartnerAgency | None) -> Problems:
    if partner is None or not partner.active or partner.kind not in spec.partner_kinds:
        return {"partner": [f"Choose a partner that takes a {spec.label.lower()}."]}
    return {}


def _merge(problems: Problems, found: Problems) -> None:
    for name, messages in found.items():
        problems.setdefault(name, []).extend(messages)


def _collect(problems: Problems, call: Any, *args: Any) -> Any:
    """Run ``call``; on ValidationError add its field errors to ``problems``."""
    try:
        return call(*args)
    except ValidationError as exc:
        _merge(problems, {k: list(v) for k, v in exc.message_dict.items()})
        return None


def _clean_draft(
    spec: ReferralTypeSpec,
    case: Case,
    partner: PartnerAgency | None,
    content: Mapping[str, Any],
    lawful_basis: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The draft's cleaned content and lawful basis; one ValidationError with every
    problem found (partner, malformed values, identifying data in an anonymous type)."""
    problems = _partner_problems(spec, partner)
    values = _collect(problems, checks.content_clean, spec, content) or {}
    if spec.anonymous:
        _merge(problems, checks.identifying_problems(checks.case_identifiers(case), values))
    basis = None
    if lawful_basis is not None:
        basis = _collect(problems, checks.lawful_basis_clean, lawful_basis)
    if problems:
        raise ValidationError(problems)
    return values, basis


def _apply_basis(referral: Referral, basis: dict[str, Any], actor: Any, now: datetime) -> bool:
    """Record the lawful basis; the lead recording it is who authorised the disclosure.
    Returns whether it changed."""
    names = ("consent_given", "gateway", "lawful_basis_notes", *checks.SPECIAL_CATEGORY_NAMES)
    before = tuple(getattr(referral, name) for name in names)
    after = tuple(basis[name] for name in names)
    if before == after and referral.authorised_by_id is not None:
        return False
    for name, value in zip(names, after, strict=True):
        setattr(referral, name, value)
    recorded = basis["consent_given"] or bool(basis["gateway"])
    referral.authorised_by = actor if recorded else None
    referral.authorised_at = now if recorded else None
    return before != after or recorded


def _basis_data(referral: Referral) -> dict[str, Any]:
    return {
        "consent_given": referral.consent_given,
        "gateway": referral.gateway,
        **{name: getattr(referral, name) for name in checks.SPECIAL_CATEGORY_NAMES},
        "authorised_by": referral.authorised_by_id,
    }


# --- Drafting ---------------------------------------------------------------------------------


@transaction.atomic
def referral_create(
    *,
    case: Case,
    actor: Any,
    referral_type: str,
    partner: PartnerAgency | None,
    content: Mapping[str, Any],
    lawful_basis: Mapping[str, Any] | None = None,
) -> Referral:
    """Draft a referral of ``case`` to ``partner`` (leads of the case only).

    The type must be one of the case type's; the partner active and of a kind that takes
    it; the content well-formed but not yet complete (checked when it is sent).
    """
    case = Case.objects.select_related("team").get(pk=case.pk)
    _require_lead(case, actor)
    if case.is_closed:
        raise TransitionNotAllowed("A closed case cannot make a new referral.", state=case.state)
    spec = _spec(referral_type, case)
    values, basis = _clean_draft(spec, case, partner, content, lawful_basis)
    referral = Referral(
        case=case, partner=partner, referral_type=spec.value, content=values, created_by=actor
    )
    if basis is not None:
        _apply_basis(referral, basis, actor, timezone.now())
    referral.save()
    _audit(
        referral,
        actor,
        AuditVerb.REFERRAL_CREATED,
        partner=partner.pk if partner else None,
        fields=sorted(values),
        **_basis_data(referral),
    )
    return referral


@transaction.atomic
def referral_update_draft(
    *,
    referral: Referral,
    actor: Any,
    partner: PartnerAgency | None,
    content: Mapping[str, Any],
    lawful_basis: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> Referral:
    """Change a draft's partner, content and lawful basis; a sent referral is fixed."""
    referral = _locked(referral, actor, expected_version)
    if referral.state != ReferralState.DRAFT:
        raise TransitionNotAllowed(
            f"Only a draft can be changed; this referral is {state_label(referral.state)}.",
            state=referral.state,
        )
    spec = REFERRAL_TYPES[referral.referral_type]
    values, basis = _clean_draft(spec, referral.case, partner, content, lawful_basis)
    changed = sorted(
        name
        for name in {*values, *referral.content}
        if values.get(name) != referral.content.get(name)
    )
    partner_changed = partner.pk != referral.partner_id
    referral.partner, referral.content = partner, values
    basis_changed = basis is not None and _apply_basis(referral, basis, actor, timezone.now())
    if not (changed or partner_changed or basis_changed):
        return referral
    _save(referral)
    _audit(
        referral,
        actor,
        AuditVerb.REFERRAL_UPDATED,
        partner=referral.partner_id,
        fields=changed,
        lawful_basis_changed=basis_changed,
        **_basis_data(referral),
    )
    return referral


def referral_send_problems(referral: Referral) -> Problems:
    """Everything that stops ``referral`` being sent now, by field (writes nothing)."""
    spec = REFERRAL_TYPES[referral.referral_type]
    problems = _partner_problems(spec, referral.partner)
    _merge(problems, checks.content_problems(spec, referral.case, referral.content))
    if spec.anonymous:
        identifiers = checks.case_identifiers(referral.case)
        _merge(problems, checks.identifying_problems(identifiers, referral.content))
    _merge(problems, checks.lawful_basis_problems(spec, referral))
    return problems


# --- Sending and the partner's answer ---------------------------------------------------------


def _open_response_clock(referral: Referral, actor: Any, now: datetime) -> Deadline:
    """The partner's response clock, as a deadline on the case so that the deadline sweep
    reminds and escalates to the case's people like any other clock.

    Where the type's answer is itself a clock of the case's workflow (``case_clock``: the
    NRM's reasonable grounds decision) that one clock is used, opened now if the case's
    step has not opened it yet, so a lead never sees two clocks for one decision."""
    spec = REFERRAL_TYPES[referral.referral_type]
    if spec.case_clock:
        return _case_clock(referral, spec.case_clock, actor, now)
    expected = response_time_for(referral.partner, referral.referral_type)
    return Deadline.objects.create(
        case=referral.case,
        rule=RESPONSE_RULE,
        label=f"Partner response: {spec.label} to {referral.partner.name}"[:200],
        unit=expected.unit,
        duration=expected.duration,
        statutory=False,
        source=expected.source,
        started_at=now,
        due_at=due_after(now, expected.duration, expected.unit),
        created_by=actor,
    )


def _case_clock(referral: Referral, rule_name: str, actor: Any, now: datetime) -> Deadline:
    running = clocks.running_clocks(referral.case, [rule_name])
    if running:
        return running[0]
    workflow = get_workflow(referral.case.case_type)
    rule = workflow.rule(rule_name)
    opened = clocks.deadline_open(
        case=referral.case, workflow=workflow, rule=rule, at=now, actor=actor, recorded_at=now
    )
    if opened is None:  # a paused clock of the rule: the decision is still awaited on it
        return Deadline.objects.filter(case=referral.case, rule=rule_name).latest("started_at")
    return opened


SEND_FAILED = (
    "The referral could not be emailed to {address}: the mail server did not accept it. "
    "Nothing has been recorded and the referral is still a draft. Try again later, or "
    "ask an administrator to check the email settings."
)


class ReferralNotSent(ValidationError):
    """The partner's mailbox could not be reached: nothing was recorded (a 400 in the API,
    the send page again with the reason on the pages)."""


def send_label(partner: PartnerAgency | None) -> str:
    """The send step's words: it emails the PDF where the partner has a secure mailbox,
    and only records a sending done by hand where it has none."""
    if partner is not None and partner.secure_email:
        return "Send the referral by secure email"
    return "Record as sent"


def _email_referral(referral: Referral, message_id: str) -> None:
    """Email the referral's PDF to the partner's secure mailbox through the project's mail
    settings (``EMAIL_*``, ``DEFAULT_FROM_EMAIL``); raises ReferralNotSent if the mail
    server refuses it. The email itself says no more than the PDF's running reference:
    an anonymous notification's carries nothing that links it to the case."""
    spec = REFERRAL_TYPES[referral.referral_type]
    reference = running_reference(spec, referral)
    address = referral.partner.secure_email
    message = EmailMessage(
        subject=f"{spec.label}: {reference} (OFFICIAL-SENSITIVE)",
        body=(
            f"{referral.partner.name},\n\n"
            f"Please find attached a {spec.label.lower()} ({reference}).\n\n"
            "Reply to this email to acknowledge it, quoting the reference.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Message-ID": message_id},
    )
    message.attach(pdf_filename(referral), referral_pdf_bytes(referral), "application/pdf")
    try:
        sent = message.send(fail_silently=False)
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("Referral %s could not be emailed: %s", referral.pk, exc)
        raise ReferralNotSent({NON_FIELD_ERRORS: [SEND_FAILED.format(address=address)]}) from exc
    if not sent:
        raise ReferralNotSent({NON_FIELD_ERRORS: [SEND_FAILED.format(address=address)]})


@transaction.atomic
def referral_send(
    *, referral: Referral, actor: Any, expected_version: int | None = None
) -> Referral:
    """Send a draft: complete content, a lawful basis and an active partner, or nothing.

    Where the partner has a secure mailbox the referral's PDF is emailed to it, and the
    address and the email's Message-ID are recorded; where it has none, the lead records
    that they sent it by hand. Starts the partner's response clock from its expected
    response time for this type.

    The email goes last, inside the transaction: if the mail server refuses it, every
    write is rolled back and the referral stays a draft (ReferralNotSent).
    """
    referral = _locked(referral, actor, expected_version)
    _require_step(referral, "send", "Sending")
    problems = referral_send_problems(referral)
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    address = referral.partner.secure_email
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or None
    message_id = make_msgid("referral", domain=domain) if address else ""
    referral.send(at=now, by=actor, to=address, message_id=message_id)
    referral.response_deadline = _open_response_clock(referral, actor, now)
    _save(referral)
    case_figures_refresh([referral.case_id])  # the clock a partner's answer is due by
    spec = REFERRAL_TYPES[referral.referral_type]
    _audit(
        referral,
        actor,
        AuditVerb.REFERRAL_SENT,
        partner=referral.partner_id,
        deadline=referral.response_deadline.pk,
        due_at=referral.response_deadline.due_at,
        sent_by_email=referral.sent_by_email,
        sent_to=referral.sent_to,
        message_id=referral.sent_message_id,
        **_basis_data(referral),
    )
    how = f"emailed to {address}" if address else "recorded as sent"
    _notify(
        referral,
        actor,
        template="referral.sent",
        subject=f"{referral.case.reference}: {spec.label} sent",
        body=f"A {spec.label.lower()} for {referral.case.reference} was {how} "
        f"({referral.partner.name}).",
    )
    if address:
        _email_referral(referral, message_id)
    return referral


@transaction.atomic
def referral_acknowledge(
    *,
    referral: Referral,
    actor: Any,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Referral:
    """Record that the partner acknowledged the referral (and its reference)."""
    referral = _locked(referral, actor, expected_version)
    _require_step(referral, "acknowledge", "Recording an acknowledgement")
    values = validate_fields(ACKNOWLEDGE_FIELDS, data)
    referral.acknowledge(at=timezone.now(), partner_reference=values.get("partner_reference", ""))
    _save(referral)
    _audit(referral, actor, AuditVerb.REFERRAL_ACKNOWLEDGED, inputs=values)
    return referral


def _stop_clock(referral: Referral, at: datetime) -> None:
    """The partner answered at ``at`` (the decision's date, not when it was typed in): the
    response clock is met on time or late (``workflows.clocks.deadline_stop``)."""
    deadline = referral.response_deadline
    if deadline is None or deadline.met_at is not None:
        return
    if deadline.status in (DeadlineStatus.OPEN, DeadlineStatus.PAUSED, DeadlineStatus.MISSED):
        clocks.deadline_stop(deadline, at)
        case_figures_refresh([referral.case_id])


DECIDED_ON_LABEL = "Date of the partner's decision"


def _check_decision_date(referral: Referral, values: Mapping[str, Any], now: datetime) -> None:
    """A decision is dated between the referral's sending and today (issue 14)."""
    decided = values.get("decided_on")
    if not decided:
        return
    future = future_event_problem(decided, DECIDED_ON_LABEL, now)
    if future:
        raise ValidationError({"decided_on": [future]})
    day = date.fromisoformat(decided)
    sent = timezone.localdate(referral.sent_at) if referral.sent_at else None
    if sent is not None and day < sent:
        raise ValidationError(
            {"decided_on": [f"{DECIDED_ON_LABEL} must be on or after "
                            f"{sent:%-d %B %Y}, when the referral was sent."]}
        )  # fmt: skip


def decision_blocker(referral: Referral, decision: Decision) -> str | None:
    """Why the case cannot take the decision's step now, or None (writes nothing)."""
    if not decision.transition:
        return None
    workflow = get_workflow(referral.case.case_type)
    proxy = workflow.model.objects.get(pk=referral.case_id)
    if any(t.name == decision.transition for t in proxy.get_available_state_transitions()):
        return None
    step = workflow.transition_meta(decision.transition)["label"]
    return (
        f"This decision moves the case on ({step}), which is not possible while the case is "
        f"{workflow.state_label(proxy.state).lower()}."
    )


@transaction.atomic
def referral_record_decision(
    *,
    referral: Referral,
    actor: Any,
    decision: str,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Referral:
    """Record the partner's decision and move the case where its workflow says.

    The decision's case step (e.g. a positive reasonable grounds decision's
    ``record_rg_positive``, which starts the recovery period) goes through
    ``case_transition``; if the case cannot take it now, nothing is recorded (409).
    """
    referral = _locked(referral, actor, expected_version)
    spec = REFERRAL_TYPES[referral.referral_type]
    try:
        chosen = spec.decision(decision)
    except KeyError:
        raise ValidationError({"decision": ["Choose one of the partner's decisions."]}) from None
    method = "accept" if chosen.accepted else "decline"
    _require_step(referral, method, "Recording the partner's decision")
    values = validate_fields(decision_fields(spec, chosen), data)
    now = timezone.now()
    _check_decision_date(referral, values, now)
    _stop_clock(referral, clocks.event_time(values.get("decided_on")) or now)
    before = referral.case.state
    case = referral.case
    if chosen.transition:
        inputs = step_inputs(referral, chosen, values, step_fields(spec, chosen))
        case = case_transition(case=referral.case, actor=actor, name=chosen.transition, data=inputs)
    getattr(referral, method)(at=now, decision=chosen.value, details=values)
    referral.partner_reference = values.get("partner_reference") or referral.partner_reference
    _save(referral)
    _audit(
        referral,
        actor,
        AuditVerb.REFERRAL_DECIDED,
        decision=chosen.value,
        accepted=chosen.accepted,
        case_transition=chosen.transition,
        case_from=before,
        case_to=case.state,
    )
    _notify(
        referral,
        actor,
        template="referral.decided",
        subject=f"{referral.case.reference}: {referral.partner.name} decided",
        body=f"{referral.partner.name} decided on the {spec.label.lower()} for "
        f"{referral.case.reference}: {chosen.label}.",
    )
    return referral


def no_response_blocker(referral: Referral, now: datetime | None = None) -> str | None:
    """Why "no response" cannot be recorded yet: the partner's clock has not run out."""
    deadline = referral.response_deadline
    now = now or timezone.now()
    if deadline is None:
        return "There is no response clock on this referral."
    if deadline.status == DeadlineStatus.PAUSED:
        return "The partner's response clock is paused."
    if deadline.due_at > now:
        return (
            "The partner still has time to answer: their response is due by "
            f"{datetime_words(deadline.due_at)}."
        )
    return None


@transaction.atomic
def referral_record_no_response(
    *,
    referral: Referral,
    actor: Any,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Referral:
    """Record that the partner has not answered; only once its response clock has run out.

    The clock is marked missed and stopped: the lead has acted on it, so it leaves the
    overdue views; it stays missed for reports, and a late decision still records when it
    finally came.
    """
    referral = _locked(referral, actor, expected_version)
    _require_step(referral, "record_no_response", "Recording no response")
    now = timezone.now()
    blocker = no_response_blocker(referral, now)
    if blocker is not None:
        raise TransitionNotAllowed(blocker, state=referral.state)
    values = validate_fields(NO_RESPONSE_FIELDS, data)
    deadline = referral.response_deadline
    if deadline.status in (DeadlineStatus.OPEN, DeadlineStatus.MISSED):
        deadline.status = DeadlineStatus.MISSED
        deadline.closed_at = deadline.closed_at or now
        deadline.save()
    referral.record_no_response(at=now)
    _save(referral)
    _audit(referral, actor, AuditVerb.REFERRAL_NO_RESPONSE, inputs=values)
    return referral


@transaction.atomic
def referral_record_outcome(
    *,
    referral: Referral,
    actor: Any,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Referral:
    """Record what came of the referral, once the partner decided (or never answered)."""
    referral = _locked(referral, actor, expected_version)
    _require_step(referral, "record_outcome", "Recording the outcome")
    values = validate_fields(OUTCOME_FIELDS, data)
    referral.record_outcome(at=timezone.now(), outcome=values["outcome"])
    _save(referral)
    _audit(referral, actor, AuditVerb.REFERRAL_OUTCOME_RECORDED, outcome_on=values["outcome_on"])
    return referral


@transaction.atomic
def referral_close(
    *,
    referral: Referral,
    actor: Any,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Referral:
    """Close a referral whose outcome is recorded."""
    referral = _locked(referral, actor, expected_version)
    _require_step(referral, "close", "Closing")
    values = validate_fields(CLOSE_FIELDS, data)
    referral.close(at=timezone.now())
    _save(referral)
    _audit(referral, actor, AuditVerb.REFERRAL_CLOSED, inputs=values)
    return referral


@transaction.atomic
def referral_withdraw(
    *,
    referral: Referral,
    actor: Any,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Referral:
    """Withdraw an open referral; a running response clock is cancelled."""
    referral = _locked(referral, actor, expected_version)
    _require_step(referral, "withdraw", "Withdrawing")
    values = validate_fields(WITHDRAW_FIELDS, data)
    now = timezone.now()
    deadline = referral.response_deadline
    if deadline is not None and deadline.status in (DeadlineStatus.OPEN, DeadlineStatus.PAUSED):
        deadline.status, deadline.closed_at, deadline.paused_at = (
            DeadlineStatus.CANCELLED,
            now,
            None,
        )
        deadline.save()
        case_figures_refresh([referral.case_id])
    referral.withdraw(at=now, reason=values["reason"])
    _save(referral)
    _audit(referral, actor, AuditVerb.REFERRAL_WITHDRAWN, inputs=values)
    return referral


@transaction.atomic
def referral_export_record(*, referral: Referral, actor: Any, export_format: str) -> None:
    """Record that someone printed or downloaded a referral (a copy may leave Safecase)."""
    audit_record(
        actor=actor,
        verb=AuditVerb.REFERRAL_EXPORTED,
        case=referral.case,
        target=referral,
        data={"format": export_format, "referral_type": referral.referral_type},
    )
