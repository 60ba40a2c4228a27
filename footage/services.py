"""Footage request writes: each one transaction, permission-checked and audited.

Who may do what (DESIGN.md "Access", issue 22): frontline staff and leads ask; a
safeguarding lead of the request's team decides, exports, hands over and destroys;
auditors read; administrators see no content. The local timings are settings
(``SAFECASE_FOOTAGE_SAFETY_MARGIN_HOURS``, ``SAFECASE_FOOTAGE_EXPORT_RETENTION_DAYS``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from casework.audit import audit_record
from casework.dates import datetime_words
from casework.errors import CaseConflict
from casework.models import Case, Team
from casework.permissions import can_raise, team_ids_of
from casework.roles import Role, roles_of
from casework.selectors import case_list_for_user
from footage.models import (
    AWAITING_PRESERVATION,
    Camera,
    CustodyTransfer,
    FootageRequest,
    LawfulBasis,
    RequesterType,
    RequestStatus,
)

SHA256 = re.compile(r"^[0-9a-f]{64}$")
LEAD_ROLES = {Role.LEAD, Role.PREVENT_LEAD}


class StaleRequest(CaseConflict):
    """The request changed since the form was read (409, with its status)."""


def safety_margin() -> timedelta:
    return timedelta(hours=getattr(settings, "SAFECASE_FOOTAGE_SAFETY_MARGIN_HOURS", 48))


def overwrite_clock(cameras: Sequence[Camera], window_start: datetime) -> tuple[datetime, datetime]:
    """When the window's first footage is overwritten (the shortest retention of the
    cameras, from the window's start) and the time it must be preserved by (that less
    the safety margin)."""
    overwrite_at = min(window_start + timedelta(days=c.retention_days) for c in cameras)
    return overwrite_at, overwrite_at - safety_margin()


def _when(moment: datetime) -> str:
    return datetime_words(moment)  # one format everywhere (casework.dates)


def too_late_reason(cameras: Sequence[Camera], window_start: datetime, now: datetime) -> str:
    """Why a request made at ``now`` cannot be met, or "" if it can."""
    overwrite_at, preserve_by = overwrite_clock(cameras, window_start)
    first = min(cameras, key=lambda c: c.retention_days)
    if now >= overwrite_at:
        return (
            f"The footage is gone: camera {first.camera_id} keeps recordings for "
            f"{first.retention_days} days, so footage from {_when(window_start)} was "
            f"overwritten on {_when(overwrite_at)}."
        )
    if now >= preserve_by:
        hours = int(safety_margin().total_seconds() // 3600)
        return (
            f"It cannot be preserved in time: camera {first.camera_id} overwrites footage from "
            f"{_when(window_start)} on {_when(overwrite_at)}, and the {hours}-hour safety "
            f"margin for export ended on {_when(preserve_by)}."
        )
    return ""


def may_act(request: FootageRequest, user: Any) -> bool:
    """A safeguarding lead of the request's team decides, exports, hands over, destroys."""
    return bool(roles_of(user) & LEAD_ROLES) and request.team_id in team_ids_of(user)


def _require_lead(request: FootageRequest, actor: Any) -> None:
    if not may_act(request, actor):
        raise PermissionDenied("Only a safeguarding lead of the request's team can do this.")


def _locked(request: FootageRequest, version: int | None) -> FootageRequest:
    locked = FootageRequest.objects.select_for_update().get(pk=request.pk)
    if version is not None and locked.version != version:
        raise StaleRequest(
            "This request has changed since you opened it. Reload it.", state=locked.status
        )
    return locked


def _save(request: FootageRequest, fields: list[str]) -> FootageRequest:
    request.version = F("version") + 1
    request.save(update_fields=[*fields, "version"])
    request.refresh_from_db()
    return request


@transaction.atomic
def footage_request_create(
    *,
    actor: Any,
    requester_type: str,
    requester_name: str,
    incident_reference: str = "",
    camera_ids: Sequence[str],
    window_start: datetime | None,
    window_end: datetime | None,
    reason: str,
    case_reference: str = "",
    team: Team | None = None,
) -> FootageRequest:
    """Record a request (frontline staff and leads). One that cannot be met before the
    overwrite is recorded refused at once, with the reason, so the figures count it and
    the requester is told now rather than when the footage is gone."""
    if not can_raise.test(actor):
        raise PermissionDenied("Your role cannot ask for footage.")
    now = timezone.now()
    errors, cameras, case = _check_request(
        actor=actor,
        requester_type=requester_type,
        requester_name=requester_name,
        incident_reference=incident_reference,
        camera_ids=camera_ids,
        window_start=window_start,
        window_end=window_end,
        reason=reason,
        case_reference=case_reference,
        now=now,
    )
    team = _team(actor, team, case, errors)
    if errors:
        raise ValidationError(errors)
    overwrite_at, preserve_by = overwrite_clock(cameras, window_start)
    refusal = too_late_reason(cameras, window_start, now)
    request = FootageRequest.objects.create(
        team=team,
        case=case,
        requester_type=requester_type,
        requester_name=requester_name.strip(),
        incident_reference=incident_reference.strip(),
        window_start=window_start,
        window_end=window_end,
        reason=reason.strip(),
        requested_by=actor,
        requested_at=now,
        overwrite_at=overwrite_at,
        preserve_by=preserve_by,
        status=RequestStatus.REFUSED if refusal else RequestStatus.REQUESTED,
        decided_at=now if refusal else None,
        decision_reason=refusal,
    )
    request.cameras.set(cameras)
    audit_record(
        actor=actor,
        verb="footage.requested",
        case=case,
        target=request,
        data={
            "requester_type": requester_type,
            "cameras": sorted(c.camera_id for c in cameras),
            "window_start": window_start,
            "window_end": window_end,
            "overwrite_at": overwrite_at,
            "preserve_by": preserve_by,
            "refused_at_once": refusal,
        },
    )
    return request


def _check_request(
    *,
    actor: Any,
    requester_type: str,
    requester_name: str,
    incident_reference: str,
    camera_ids: Sequence[str],
    window_start: datetime | None,
    window_end: datetime | None,
    reason: str,
    case_reference: str,
    now: datetime,
) -> tuple[dict[str, list[str]], list[Camera], Case | None]:
    """A new request's errors by field, its cameras and its case (one the asker can open)."""
    errors: dict[str, list[str]] = {}
    if requester_type not in RequesterType.values:
        errors["requester_type"] = ["Select who is asking for the footage."]
    if not requester_name.strip():
        errors["requester_name"] = ["Enter who is asking (the officer, organisation or person)."]
    if requester_type == RequesterType.POLICE and not incident_reference.strip():
        errors["incident_reference"] = ["Enter the police incident or crime number."]
    if not reason.strip():
        errors["reason"] = ["Enter why the footage is needed."]
    cameras = list(Camera.objects.filter(camera_id__in=camera_ids, active=True))
    unknown = sorted(set(camera_ids) - {c.camera_id for c in cameras})
    if not camera_ids:
        errors["cameras"] = ["Enter at least one camera ID."]
    elif unknown:
        errors["cameras"] = [f"There is no camera in the register with ID {', '.join(unknown)}."]
    errors.update(_window_errors(window_start, window_end, now))
    case = None
    if case_reference.strip():
        case = case_list_for_user(actor).filter(reference=case_reference.strip()).first()
        if case is None:
            errors["case_reference"] = ["Enter the reference of a case you can open."]
    elif requester_type == RequesterType.COUNCIL_CASE:
        errors["case_reference"] = ["Enter the reference of the council's case."]
    return errors, cameras, case


def _window_errors(
    start: datetime | None, end: datetime | None, now: datetime
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if start is None:
        errors["window_start"] = ["Enter when the footage needed starts."]
    elif start > now:
        errors["window_start"] = ["The start of the footage needed must be in the past."]
    if end is None:
        errors["window_end"] = ["Enter when the footage needed ends."]
    elif start is not None and end < start:
        errors["window_end"] = ["The end of the footage needed must be after its start."]
    return errors


def _team(actor: Any, team: Team | None, case: Case | None, errors: dict) -> Team | None:
    """The request's team: the linked case's, else the asker's (chosen if several)."""
    if case is not None:
        return case.team
    teams = team_ids_of(actor)
    if team is not None and team.pk in teams:
        return team
    if len(teams) == 1:
        return Team.objects.get(pk=next(iter(teams)))
    errors["team"] = ["Choose which of your teams the request is for."]
    return None


@transaction.atomic
def footage_request_decide(
    *,
    request: FootageRequest,
    actor: Any,
    approve: bool,
    lawful_basis: str,
    reason: str,
    version: int | None = None,
) -> FootageRequest:
    """Approve (with the lawful basis for disclosure) or refuse (with the reason); a lead
    of the request's team, while the footage can still be preserved."""
    request = _locked(request, version)
    _require_lead(request, actor)
    if request.status != RequestStatus.REQUESTED:
        raise ValidationError({"decision": ["This request has already been decided."]})
    errors: dict[str, list[str]] = {}
    if approve and lawful_basis not in LawfulBasis.values:
        errors["lawful_basis"] = ["Select the lawful basis for disclosing the footage."]
    if not reason.strip():
        errors["reason"] = ["Enter the reasons for the decision."]
    if approve and timezone.now() >= request.overwrite_at:
        errors["decision"] = ["The footage has been overwritten, so it cannot be approved."]
    if errors:
        raise ValidationError(errors)
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    request.decided_by, request.decided_at = actor, timezone.now()
    request.lawful_basis = lawful_basis if approve else ""
    request.decision_reason = reason.strip()
    request = _save(
        request, ["status", "decided_by", "decided_at", "lawful_basis", "decision_reason"]
    )
    audit_record(
        actor=actor,
        verb="footage.approved" if approve else "footage.refused",
        case=request.case,
        target=request,
        data={"lawful_basis": request.lawful_basis, "reason": request.decision_reason},
    )
    return request


def file_sha256(stream: IO[bytes]) -> str:
    """The SHA-256 of an uploaded file, read in chunks (exports are large)."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


@transaction.atomic
def footage_request_export(
    *,
    request: FootageRequest,
    actor: Any,
    media_reference: str,
    sha256: str = "",
    file: IO[bytes] | None = None,
    retain_until: date | None = None,
    version: int | None = None,
) -> FootageRequest:
    """Record the export of approved footage: who exported it, the copy's SHA-256 (from
    the exported file, or as the export station computed it; both must agree when both
    are given), the media reference and how long the council keeps the copy."""
    request = _locked(request, version)
    _require_lead(request, actor)
    if request.status != RequestStatus.APPROVED:
        raise ValidationError({"export": ["Only approved footage is exported."]})
    errors: dict[str, list[str]] = {}
    given = sha256.strip().lower()
    computed = file_sha256(file) if file is not None else ""
    if given and not SHA256.match(given):
        errors["sha256"] = ["Enter the SHA-256 as 64 characters, 0 to 9 and a to f."]
    elif given and computed and given != computed:
        errors["sha256"] = ["The SHA-256 entered does not match the file uploaded."]
    elif not given and not computed:
        errors["sha256"] = ["Upload the exported file or enter its SHA-256."]
    if not media_reference.strip():
        errors["media_reference"] = ["Enter the reference on the media the footage is on."]
    now = timezone.now()
    if retain_until is None:
        days = getattr(settings, "SAFECASE_FOOTAGE_EXPORT_RETENTION_DAYS", 90)
        retain_until = timezone.localdate(now) + timedelta(days=days)
    elif retain_until <= timezone.localdate(now):
        errors["retain_until"] = ["The date to destroy the copy must be in the future."]
    if errors:
        raise ValidationError(errors)
    request.status = RequestStatus.EXPORTED
    request.exported_by, request.exported_at = actor, now
    request.sha256 = given or computed
    request.media_reference = media_reference.strip()
    request.retain_until = retain_until
    request = _save(
        request,
        ["status", "exported_by", "exported_at", "sha256", "media_reference", "retain_until"],
    )
    audit_record(
        actor=actor,
        verb="footage.exported",
        case=request.case,
        target=request,
        data={
            "sha256": request.sha256,
            "media_reference": request.media_reference,
            "retain_until": request.retain_until,
            "in_time": now < request.overwrite_at,
        },
    )
    return request


@transaction.atomic
def footage_request_hand_over(
    *,
    request: FootageRequest,
    actor: Any,
    received_by: str,
    received_for: str,
    received_at: datetime | None,
    receipt_reference: str,
    sha256_confirmed: str,
    version: int | None = None,
) -> CustodyTransfer:
    """Add a link to the chain of custody: the copy handed to someone, with their receipt
    and their SHA-256 of what they received, which must match the export's."""
    request = _locked(request, version)
    _require_lead(request, actor)
    if request.status not in (RequestStatus.EXPORTED, RequestStatus.HANDED_OVER):
        raise ValidationError({"handover": ["Only exported footage is handed over."]})
    errors: dict[str, list[str]] = {}
    if not received_by.strip():
        errors["received_by"] = ["Enter the name of the person who received the copy."]
    if not received_for.strip():
        errors["received_for"] = ["Enter the organisation they received it for."]
    now = timezone.now()
    if received_at is None:
        errors["received_at"] = ["Enter when they received it."]
    elif received_at > now + timedelta(minutes=5):
        errors["received_at"] = ["When they received it must be now or in the past."]
    elif received_at < request.exported_at:
        errors["received_at"] = ["They cannot have received it before it was exported."]
    if not receipt_reference.strip():
        errors["receipt_reference"] = ["Enter the signature or receipt reference."]
    if sha256_confirmed.strip().lower() != request.sha256:
        errors["sha256_confirmed"] = [
            "The SHA-256 of the copy handed over does not match the one recorded at export."
        ]
    if errors:
        raise ValidationError(errors)
    transfer = CustodyTransfer.objects.create(
        request=request,
        handed_over_by=actor,
        received_by=received_by.strip(),
        received_for=received_for.strip(),
        received_at=received_at,
        receipt_reference=receipt_reference.strip(),
        sha256_confirmed=request.sha256,
        recorded_at=now,
    )
    request.status = RequestStatus.HANDED_OVER
    _save(request, ["status"])
    audit_record(
        actor=actor,
        verb="footage.handed_over",
        case=request.case,
        target=transfer,
        data={
            "request": request.pk,
            "received_by": transfer.received_by,
            "received_for": transfer.received_for,
            "received_at": received_at,
            "receipt_reference": transfer.receipt_reference,
            "sha256": request.sha256,
        },
    )
    return transfer


@transaction.atomic
def footage_request_destroy(
    *, request: FootageRequest, actor: Any, method: str, version: int | None = None
) -> FootageRequest:
    """Record the destruction of the council's exported copy."""
    request = _locked(request, version)
    _require_lead(request, actor)
    if request.status not in (RequestStatus.EXPORTED, RequestStatus.HANDED_OVER):
        raise ValidationError({"destroy": ["Only an exported copy can be destroyed."]})
    if not method.strip():
        raise ValidationError({"method": ["Enter how the copy was destroyed."]})
    request.status = RequestStatus.DESTROYED
    request.destroyed_by, request.destroyed_at = actor, timezone.now()
    request.destruction_method = method.strip()
    request = _save(request, ["status", "destroyed_by", "destroyed_at", "destruction_method"])
    audit_record(
        actor=actor,
        verb="footage.destroyed",
        case=request.case,
        target=request,
        data={"method": request.destruction_method, "retain_until": request.retain_until},
    )
    return request


@transaction.atomic
def footage_requests_mark_lost(*, now: datetime) -> int:
    """Requests still awaiting preservation when their footage was overwritten are lost:
    recorded once each, audited (the sweep runs this)."""
    lost = list(
        FootageRequest.objects.select_for_update(skip_locked=True)
        .filter(status__in=AWAITING_PRESERVATION, overwrite_at__lte=now)
        .order_by("pk")
    )
    for request in lost:
        request.status = RequestStatus.LOST
        _save(request, ["status"])
        audit_record(
            actor=None,
            verb="footage.lost",
            case=request.case,
            target=request,
            data={"overwrite_at": request.overwrite_at},
        )
    return len(lost)
