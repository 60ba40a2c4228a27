"""Writing the audit log: ``audit_record`` is the only way an AuditEvent is created.

Events are hash-chained (DESIGN.md "Audit"): each stores the hash of the previous event
and a SHA-256 over its own canonical content. Writers take a transaction-scoped advisory
lock so that concurrent services append one after another and the chain stays linear.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from casework.models import AuditEvent, Case

GENESIS_HASH = "0" * 64
_CHAIN_LOCK_KEY = 7_310_001  # an arbitrary, fixed advisory-lock key for the audit chain


class AuditVerb(StrEnum):
    CASE_RAISED = "case.raised"
    CASE_TRANSITIONED = "case.transitioned"
    CASE_VIEWED = "case.viewed"
    CASE_ALLOCATED = "case.allocated"
    PERSON_LINKED = "person.linked"
    ACCESS_GRANTED = "access.granted"
    ACCESS_REVOKED = "access.revoked"
    DEADLINE_PAUSED = "deadline.paused"
    DEADLINE_RESUMED = "deadline.resumed"
    REFERRAL_CREATED = "referral.created"
    REFERRAL_UPDATED = "referral.updated"
    REFERRAL_SENT = "referral.sent"
    REFERRAL_ACKNOWLEDGED = "referral.acknowledged"
    REFERRAL_DECIDED = "referral.decided"
    REFERRAL_NO_RESPONSE = "referral.no_response"
    REFERRAL_OUTCOME_RECORDED = "referral.outcome_recorded"
    REFERRAL_CLOSED = "referral.closed"
    REFERRAL_WITHDRAWN = "referral.withdrawn"
    REFERRAL_EXPORTED = "referral.exported"


def canonical_content(
    *,
    at: datetime,
    actor_id: int | None,
    verb: str,
    case_id: int | None,
    object_type: str,
    object_id: str,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    """The exact text an event's hash is computed over (sorted keys, ISO times)."""
    payload = {
        "at": at.isoformat(),
        "actor_id": actor_id,
        "verb": verb,
        "case_id": case_id,
        "object_type": object_type,
        "object_id": object_id,
        "data": data,
        "prev_hash": prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)


def event_hash(event: AuditEvent) -> str:
    """Recompute an event's hash from its stored content."""
    text = canonical_content(
        at=event.at,
        actor_id=event.actor_id,
        verb=event.verb,
        case_id=event.case_id,
        object_type=event.object_type,
        object_id=event.object_id,
        data=event.data,
        prev_hash=event.prev_hash,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def audit_record(
    *,
    actor: Any,
    verb: AuditVerb | str,
    case: Case | None = None,
    target: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain; must run inside the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    # JSON round trip so the stored data and the hashed data are identical.
    clean = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    event = AuditEvent(
        at=timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        verb=str(verb),
        case=case,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        data=clean,
        prev_hash=last or GENESIS_HASH,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    return event
