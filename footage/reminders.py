"""The footage clock in the deadline sweep (``workflows.reminders.sweep`` runs this).

Two stages per request still awaiting preservation, each acted on once (a
``FootageReminder`` row, unique per request and stage, written with its messages in one
transaction): a reminder ``SAFECASE_FOOTAGE_REMIND_HOURS`` before ``preserve_by`` to the
request's team's leads, and an escalation to them when ``preserve_by`` passes with the
footage not yet exported. At the overwrite the request is marked lost
(``footage_requests_mark_lost``). Only the latest stage due is sent, as the deadline
sweep does after an outage. Once the date to keep an exported copy until has come, the
leads are reminded (once) to destroy it and record how.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from casework.dates import datetime_words
from casework.roles import Role
from footage.models import (
    AWAITING_PRESERVATION,
    COPY_KEPT,
    FootageReminder,
    FootageReminderStage,
    FootageRequest,
)
from footage.selectors import footage_request_list_for_user
from footage.services import footage_requests_mark_lost
from notifications.models import Channel
from notifications.services import outbox_enqueue

User = get_user_model()


def remind_before() -> timedelta:
    return timedelta(hours=getattr(settings, "SAFECASE_FOOTAGE_REMIND_HOURS", 24))


def _leads(request: FootageRequest) -> list[Any]:
    """The team's active leads who can read the request (its case's compartment too)."""
    leads = User.objects.filter(
        is_active=True,
        team_memberships__team_id=request.team_id,
        groups__name__in=[Role.LEAD.group_name, Role.PREVENT_LEAD.group_name],
    ).distinct()
    return [u for u in leads if footage_request_list_for_user(u).filter(pk=request.pk).exists()]


def _stage_due(request: FootageRequest, now: datetime) -> FootageReminderStage | None:
    if now >= request.preserve_by:
        return FootageReminderStage.PRESERVE_BY_PASSED
    if now >= request.preserve_by - remind_before():
        return FootageReminderStage.PRESERVE_SOON
    return None


def footage_sweep(now: datetime) -> dict[str, int]:
    """Act on the footage clocks due by ``now``; returns counts for the sweep's report.
    With nothing due (the usual case) it costs the sweep one query."""
    today = timezone.localdate(now)
    destroy_reminded = Exists(
        FootageReminder.objects.filter(
            request=OuterRef("pk"), stage=FootageReminderStage.DESTROY_DUE
        )
    )
    preserve = Q(status__in=AWAITING_PRESERVATION, preserve_by__lte=now + remind_before())
    destroy = Q(status__in=COPY_KEPT, retain_until__lte=today, destroy_reminded=False)
    due = FootageRequest.objects.alias(destroy_reminded=destroy_reminded)
    if not due.filter(preserve | destroy).exists():
        return {"footage_lost": 0, "footage_reminded": 0}
    counts = {"footage_lost": footage_requests_mark_lost(now=now), "footage_reminded": 0}
    candidates = due.filter(preserve).exclude(
        reminders__stage=FootageReminderStage.PRESERVE_BY_PASSED
    )
    for request in candidates.order_by("preserve_by", "pk"):
        stage = _stage_due(request, now)
        if stage is not None and _act(request, stage, now):
            counts["footage_reminded"] += 1
    for request in due.filter(destroy).order_by("retain_until", "pk"):
        counts["footage_reminded"] += _act(request, FootageReminderStage.DESTROY_DUE, now)
    return counts


def _words(moment: datetime) -> str:
    return datetime_words(moment)  # one format everywhere (casework.dates)


def _message(request: FootageRequest, stage: FootageReminderStage) -> tuple[str, str]:
    if stage == FootageReminderStage.DESTROY_DUE:
        return (
            f"{request.reference}: destroy the council's exported copy",
            f"The council's copy of {request.reference} (media {request.media_reference}) "
            f"was to be kept until {request.retain_until:%-d %B %Y}. Destroy it and record "
            "how.",
        )
    if stage == FootageReminderStage.PRESERVE_BY_PASSED:
        subject = f"{request.reference}: footage not preserved, overwritten soon"
    else:
        subject = f"{request.reference}: preserve the footage before it is overwritten"
    body = (
        f"{request.reference} must be exported by {_words(request.preserve_by)}; the "
        f"cameras overwrite it on {_words(request.overwrite_at)}."
    )
    return subject, body


@transaction.atomic
def _act(request: FootageRequest, stage: FootageReminderStage, now: datetime) -> bool:
    """Record the stage and queue its messages, once; False if already done."""
    reminder, created = FootageReminder.objects.get_or_create(
        request=request, stage=stage, defaults={"acted_at": now}
    )
    if not created:
        return False
    if stage == FootageReminderStage.PRESERVE_BY_PASSED:
        # The reminder before is no longer worth sending once this one is.
        FootageReminder.objects.get_or_create(
            request=request,
            stage=FootageReminderStage.PRESERVE_SOON,
            defaults={"acted_at": now},
        )
    subject, body = _message(request, stage)
    leads = _leads(request)
    for lead in leads:
        outbox_enqueue(
            recipient_id=lead.pk,
            channel=Channel.IN_APP,
            template=f"footage.{stage}",
            subject=subject,
            body=body,
            link=f"/footage/{request.pk}/",
            case=request.case,  # None for footage asked for without a case
        )
    reminder.recipients = len(leads)
    reminder.save(update_fields=["recipients"])
    return True
