"""Referral reads. A referral is part of its case's content: it is visible to exactly
those who may see the case in full (``case_content_list_for_user``), so the raiser of a
Prevent case, who knows it only as received, sees none of its referrals, and a referral
the user may not see is the same 404 as a missing one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from casework.models import AuditEvent, Case
from casework.reads import case_read_note
from casework.selectors import CaseAccess, case_denied_note, case_full_list_for_user
from casework.statements import compiled_objects
from referrals.models import PartnerAgency, PartnerResponseTime, Referral, ResponseUnit
from referrals.types import ReferralTypeSpec

# Local default for a partner and referral type with no expected response time recorded
# (RULES.md: most partner timescales are local practice; administrators set them).
DEFAULT_RESPONSE_WORKING_DAYS = 10


def referral_list_for_user(user: Any) -> QuerySet[Referral]:
    """Every referral the user may see: those of the cases they may see in full (not a
    case they see only as its raiser, issue 17)."""
    visible = case_full_list_for_user(user).values("pk")
    return Referral.objects.filter(case__in=visible)


def referral_get_for_user(user: Any, pk: int) -> Referral:
    """The referral ``pk`` if the user may see it; Http404 otherwise."""
    referral = (
        referral_list_for_user(user)
        .select_related("case", "case__team", "partner", "authorised_by", "created_by", "sent_by")
        .select_related("response_deadline")
        .filter(pk=pk)
        .first()
    )
    if referral is None:
        # Recorded for auditors under the referral's case (issue 20); the user sees 404.
        reference = Referral.objects.filter(pk=pk).values_list("case__reference", flat=True)
        found = reference.first()
        case_denied_note(reference=found or f"Referral {pk}", kind="referral", exists=bool(found))
        raise Http404("No referral found.")
    case_read_note(referral.case)
    return referral


def case_referrals_for_user(
    user: Any, case: Case, access: CaseAccess | None = None
) -> QuerySet[Referral]:
    """The referrals of ``case`` the user may see (none when they know it only as
    received, or only as its raiser), oldest first; with the ``access`` the page decided
    for the case, read by its id."""
    if access is None:
        referrals = referral_list_for_user(user)
    else:
        access.check(user, case)
        referrals = Referral.objects.all() if access.full else Referral.objects.none()
    return _in_order(referrals.filter(case=case))


def _in_order(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """A case's referrals as its page lists them: oldest first, with their partner."""
    return referrals.select_related("partner").order_by("created_at", "pk")


def case_referrals_shown_for_user(user: Any, case: Case, access: CaseAccess) -> list[Referral]:
    """``case_referrals_for_user`` with the ``access`` the case page decided, as a list:
    one statement built and compiled once (``casework.statements``), the case's id given
    each time; none without the case's full content."""
    access.check(user, case)
    if not access.full:
        return []

    def of_case(case_id: int) -> QuerySet[Referral]:
        return _in_order(Referral.objects.filter(case_id=case_id))

    referrals = compiled_objects(("case referrals",), of_case, (case.pk,))
    for referral in referrals:
        referral.case = case  # as the case's own related rows know it
    return referrals


def referral_history(referral: Referral) -> QuerySet[AuditEvent]:
    """The audit events of a referral the caller already found visible, oldest first."""
    return (
        AuditEvent.objects.filter(
            object_type=Referral._meta.label_lower, object_id=str(referral.pk)
        )
        .select_related("actor")
        .order_by("pk")
    )


def partners_for(spec: ReferralTypeSpec) -> QuerySet[PartnerAgency]:
    """The active partners that take referrals of this type."""
    return PartnerAgency.objects.filter(active=True, kind__in=spec.partner_kinds).order_by("name")


@dataclass(frozen=True)
class ResponseTime:
    duration: int
    unit: str
    source: str


def response_time_for(partner: PartnerAgency, referral_type: str) -> ResponseTime:
    """How long ``partner`` is expected to take to answer this type of referral: its
    recorded time, else the local default (``SAFECASE_PARTNER_RESPONSE_WORKING_DAYS``)."""
    row = PartnerResponseTime.objects.filter(partner=partner, referral_type=referral_type).first()
    if row is not None:
        return ResponseTime(row.duration, row.unit, row.source or "Partner's expected response")
    days = getattr(
        settings, "SAFECASE_PARTNER_RESPONSE_WORKING_DAYS", DEFAULT_RESPONSE_WORKING_DAYS
    )
    return ResponseTime(
        int(days),
        ResponseUnit.WORKING_DAYS,
        "Local default: no expected response time is recorded for this partner",
    )
