"""Writing the audit log: ``audit_record`` is the only way an AuditEvent is created.

Events are hash-chained (DESIGN.md "Audit"): each stores the hash of the previous event
and an HMAC-SHA-256 over its own canonical content, keyed with a secret held outside the
database (``SAFECASE_AUDIT_KEY``, issue 17), whose id each event keeps (``key_id``) so
that the key can be rotated (docs/security.md). Without the key nobody can re-hash a
rewritten chain. Writers take a transaction-scoped advisory lock so that concurrent
services append one after another and the chain stays linear. The database refuses
UPDATE and DELETE on the table (a pgtrigger Protect trigger; the application's database
role may not TRUNCATE or ALTER it either: ``manage.py setup_database_roles``), and
``audit_chain_verify`` walks the chain, with the signed checkpoints written hourly
outside the database (``casework.audit_checkpoint``), to find an event changed or
removed, a deleted tail or an emptied table (``manage.py verify_audit_chain``, nightly
in Celery beat).

Events recorded before the key (``key_id`` empty: a plain SHA-256) are accepted only at
the start of the chain, and only where ``SAFECASE_AUDIT_ACCEPT_UNKEYED`` allows them
(development; never in production).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import BooleanField, Count, Max, Model, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.lookups import Exact
from django.utils import timezone

from casework.conditions import OPEN_ALIAS, OnBaseTable
from casework.counting import Later
from casework.models import (
    AuditChainVerification,
    AuditEvent,
    Case,
    CasePerson,
    CaseType,
    Person,
    Premises,
    Team,
)
from casework.permissions import auditor_cleared_for, named_case_types, restricted_case_types
from casework.roles import Role, has_prevent_clearance, roles_of
from casework.selectors import id_array, in_id_array
from casework.statements import compiled_objects, compiled_values, kept_list
from config.inserts import insert_rows

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
    DEADLINE_REMINDED = "deadline.reminded"
    DEADLINE_ESCALATED = "deadline.escalated"
    CASE_UPDATED = "case.updated"
    CASES_LISTED = "cases.listed"
    PERSON_VIEWED = "person.viewed"
    PERSON_UPDATED = "person.updated"
    PREMISES_UPDATED = "premises.updated"
    USER_SIGNED_IN = "user.signed_in"
    USER_SIGNED_OUT = "user.signed_out"
    USER_SIGN_IN_FAILED = "user.sign_in_failed"
    USER_CLEARANCE_CHANGED = "user.clearance_changed"
    CASE_LINKED = "case.linked"
    AUDIT_SEARCHED = "audit.searched"
    AUDIT_EXPORTED = "audit.exported"
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
    NOTE_ADDED = "note.added"
    ATTACHMENT_ADDED = "attachment.added"
    ATTACHMENT_DOWNLOADED = "attachment.downloaded"
    ACCESS_DENIED = "access.denied"
    CHRONOLOGY_PRODUCED = "chronology.produced"
    STAFF_ADDED = "staff.added"
    STAFF_CHANGED = "staff.changed"
    STAFF_DEACTIVATED = "staff.deactivated"
    STAFF_REACTIVATED = "staff.reactivated"
    STAFF_RESET_LINK_SENT = "staff.reset_link_sent"
    STAFF_RESET_LINK_USED = "staff.reset_link_used"
    STAFF_UNLOCKED = "staff.unlocked"
    STAFF_APPROVAL_REQUESTED = "staff.approval_requested"
    STAFF_APPROVAL_DECIDED = "staff.approval_decided"
    TEAM_SAVED = "team.saved"
    PARTNER_SAVED = "partner.saved"
    BANK_HOLIDAY_ADDED = "bank_holiday.added"
    BANK_HOLIDAY_REMOVED = "bank_holiday.removed"
    TIMESCALE_SET = "timescale.set"
    # Sign-in security (issue 17: casework.api_tokens, casework.two_factor).
    API_TOKEN_CREATED = "api_token.created"  # noqa: S105 (a verb)
    API_TOKEN_REVOKED = "api_token.revoked"  # noqa: S105 (a verb)
    TWO_FACTOR_ENROLLED = "two_factor.enrolled"
    TWO_FACTOR_RESET = "two_factor.reset"
    TWO_FACTOR_FAILED = "two_factor.failed"
    TWO_FACTOR_RECOVERY_USED = "two_factor.recovery_code_used"
    # Any change of role, group, permission, flag or password, by any path (issue 17,
    # casework.role_audit): the staff pages, the Django admin, a shell or a command.
    USER_GROUPS_CHANGED = "user.groups_changed"
    USER_PERMISSIONS_CHANGED = "user.permissions_changed"
    GROUP_PERMISSIONS_CHANGED = "group.permissions_changed"
    USER_FLAGS_CHANGED = "user.flags_changed"
    USER_PASSWORD_CHANGED = "user.password_changed"  # noqa: S105 (a verb, not a secret)


# What each verb is called in the auditor's workspace. Every verb has one (checked when
# this module is imported), so a verb added without a label fails at start-up.
VERB_LABELS: dict[AuditVerb, str] = {
    AuditVerb.CASE_RAISED: "Concern raised",
    AuditVerb.CASE_TRANSITIONED: "Case moved on",
    AuditVerb.CASE_VIEWED: "Case viewed",
    AuditVerb.CASE_ALLOCATED: "Case allocated",
    AuditVerb.PERSON_LINKED: "Person linked",
    AuditVerb.ACCESS_GRANTED: "Access granted",
    AuditVerb.ACCESS_REVOKED: "Access revoked",
    AuditVerb.DEADLINE_PAUSED: "Clock paused",
    AuditVerb.DEADLINE_RESUMED: "Clock resumed",
    AuditVerb.DEADLINE_REMINDED: "Reminder sent",
    AuditVerb.DEADLINE_ESCALATED: "Escalation sent",
    AuditVerb.CASE_UPDATED: "Case edited",
    AuditVerb.CASES_LISTED: "Case list viewed",
    AuditVerb.PERSON_VIEWED: "Person viewed",
    AuditVerb.PERSON_UPDATED: "Person edited",
    AuditVerb.PREMISES_UPDATED: "Premises edited",
    AuditVerb.USER_SIGNED_IN: "Signed in",
    AuditVerb.USER_SIGNED_OUT: "Signed out",
    AuditVerb.USER_SIGN_IN_FAILED: "Failed sign-in",
    AuditVerb.USER_CLEARANCE_CHANGED: "Prevent clearance changed",
    AuditVerb.CASE_LINKED: "Case linked",
    AuditVerb.AUDIT_SEARCHED: "Audit log searched",
    AuditVerb.AUDIT_EXPORTED: "Audit log exported",
    AuditVerb.REFERRAL_CREATED: "Referral drafted",
    AuditVerb.REFERRAL_UPDATED: "Referral draft changed",
    AuditVerb.REFERRAL_SENT: "Referral sent",
    AuditVerb.REFERRAL_ACKNOWLEDGED: "Referral acknowledged",
    AuditVerb.REFERRAL_DECIDED: "Partner's decision recorded",
    AuditVerb.REFERRAL_NO_RESPONSE: "No response from the partner",
    AuditVerb.REFERRAL_OUTCOME_RECORDED: "Referral outcome recorded",
    AuditVerb.REFERRAL_CLOSED: "Referral closed",
    AuditVerb.REFERRAL_WITHDRAWN: "Referral withdrawn",
    AuditVerb.REFERRAL_EXPORTED: "Referral printed or downloaded",
    AuditVerb.NOTE_ADDED: "Note added",
    AuditVerb.ATTACHMENT_ADDED: "Attachment added",
    AuditVerb.ATTACHMENT_DOWNLOADED: "Attachment downloaded",
    AuditVerb.ACCESS_DENIED: "Access refused",
    AuditVerb.CHRONOLOGY_PRODUCED: "Chronology produced",
    AuditVerb.STAFF_ADDED: "Member of staff added",
    AuditVerb.STAFF_CHANGED: "Member of staff's role or teams changed",
    AuditVerb.STAFF_DEACTIVATED: "Member of staff deactivated",
    AuditVerb.STAFF_REACTIVATED: "Member of staff reactivated",
    AuditVerb.STAFF_RESET_LINK_SENT: "Password reset link sent",
    AuditVerb.STAFF_RESET_LINK_USED: "Password set from a reset link",
    AuditVerb.STAFF_UNLOCKED: "Locked account unlocked",
    AuditVerb.STAFF_APPROVAL_REQUESTED: "Role or clearance sent for a second approval",
    AuditVerb.STAFF_APPROVAL_DECIDED: "Role or clearance approved or declined",
    AuditVerb.TEAM_SAVED: "Team saved",
    AuditVerb.PARTNER_SAVED: "Partner agency saved",
    AuditVerb.BANK_HOLIDAY_ADDED: "Bank holiday added",
    AuditVerb.BANK_HOLIDAY_REMOVED: "Bank holiday removed",
    AuditVerb.TIMESCALE_SET: "Local timescale changed",
    AuditVerb.API_TOKEN_CREATED: "API token made",
    AuditVerb.API_TOKEN_REVOKED: "API token revoked",
    AuditVerb.TWO_FACTOR_ENROLLED: "Two-factor sign-in set up",
    AuditVerb.TWO_FACTOR_RESET: "Two-factor sign-in reset",
    AuditVerb.TWO_FACTOR_FAILED: "Wrong two-factor code",
    AuditVerb.TWO_FACTOR_RECOVERY_USED: "Recovery code used",
    AuditVerb.USER_GROUPS_CHANGED: "Role, clearance or group changed",
    AuditVerb.USER_PERMISSIONS_CHANGED: "Permissions given or taken away",
    AuditVerb.GROUP_PERMISSIONS_CHANGED: "A group's permissions changed",
    AuditVerb.USER_FLAGS_CHANGED: "Superuser, staff or active flag changed",
    AuditVerb.USER_PASSWORD_CHANGED: "Password changed",
}
_unlabelled = set(AuditVerb) - set(VERB_LABELS)
if _unlabelled:  # pragma: no cover - a programming error caught at import
    raise RuntimeError(f"audit verbs without a label: {sorted(_unlabelled)}")

# Reads: recorded so that who saw what is known, but not changes to a case.
READ_VERBS = frozenset(
    {
        AuditVerb.CASE_VIEWED,
        AuditVerb.CASES_LISTED,
        AuditVerb.PERSON_VIEWED,
        AuditVerb.AUDIT_SEARCHED,
        AuditVerb.AUDIT_EXPORTED,
        AuditVerb.ATTACHMENT_DOWNLOADED,
        AuditVerb.ACCESS_DENIED,
        AuditVerb.CHRONOLOGY_PRODUCED,
    }
)


def verb_label(verb: str) -> str:
    """The words for a verb; one this release does not know is shown humanised."""
    try:
        return VERB_LABELS[AuditVerb(verb)]
    except ValueError:
        text = verb.replace("_", " ").replace(".", " ").strip()
        return text[:1].upper() + text[1:]


# Labels for a case type's states, transitions and deadline rules. casework knows no case
# type (DESIGN.md: dependencies point one way), so the app that defines workflows
# registers a labeller: ``audit_labeller_register(fn)`` with
# ``fn(case_type, kind, name) -> str | None`` and kind "state", "transition" or "rule".
Labeller = Callable[[str, str, str], str | None]
_LABELLERS: list[Labeller] = []


def audit_labeller_register(labeller: Labeller) -> Labeller:
    """Add a labeller (idempotent); returns it so it can be used as a decorator."""
    if labeller not in _LABELLERS:
        _LABELLERS.append(labeller)
    return labeller


def _casework_label(case_type: str, kind: str, name: str) -> str | None:
    if kind == "role":
        try:
            return Role(name).label
        except ValueError:
            return None
    if kind == "case_type":
        return dict(CaseType.choices).get(name)
    return None


_LABELLERS.append(_casework_label)


def audit_label(case_type: str, kind: str, name: str) -> str:
    """A state's, transition's or rule's label from the registered labellers, or the
    name humanised ("safeguarding_triage" -> "Safeguarding triage")."""
    for labeller in _LABELLERS:
        try:
            found = labeller(case_type, kind, name)
        except (KeyError, LookupError, ValueError):
            found = None
        if found:
            return str(found)
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


# Names as they were when an event was recorded (issue 20): an event that refers to a
# person, team or partner by id also keeps that one's name in its ``names``, so the
# audit trail reads as it did on the day even after someone is renamed. Each data key
# that holds ids belongs to a kind ("users", "teams", ...) and each kind to a namer,
# ``fn(ids) -> {id: name}``; casework names users and teams, other apps register theirs.
Namer = Callable[[set[int]], dict[int, str]]
NAME_KEYS: dict[str, str] = {
    "from_owner": "users",
    "to_owner": "users",
    "user": "users",
    "authorised_by": "users",
    "requested_by": "users",
    "recipients": "users",
    "team": "teams",
    "teams": "teams",
    "person": "people",
}
_NAMERS: dict[str, Namer] = {}


def audit_namer_register(kind: str, namer: Namer, *keys: str) -> Namer:
    """Name the ids of ``kind`` (found under ``keys`` of an event's data) when recorded."""
    _NAMERS[kind] = namer
    for key in keys:
        NAME_KEYS[key] = kind
    return namer


def user_display_name(user: Any) -> str:
    """A member of staff as the audit trail names them: full name, else username."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def user_display_names(ids: set[int]) -> dict[int, str]:
    """Users by id, as ``user_display_name`` names each (the full name as
    ``get_full_name`` makes it, else the username), read through one statement compiled
    once whatever their number."""
    if not ids:
        return {}
    rows = compiled_values(("audit: users' names",), _users_of, (id_array(sorted(ids)),))
    return {
        row["pk"]: f"{row['first_name']} {row['last_name']}".strip() or row["username"]
        for row in rows
    }


def _users_of(ids: str) -> QuerySet[Any]:
    return (
        get_user_model()
        .objects.filter(in_id_array("pk", ids))
        .values("pk", "username", "first_name", "last_name")
    )


def _name_teams(ids: set[int]) -> dict[int, str]:
    return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))


def _name_people(ids: set[int]) -> dict[int, str]:
    return {p.pk: p.full_name or "Name not known" for p in Person.objects.filter(pk__in=ids)}


_NAMERS.update(users=user_display_names, teams=_name_teams, people=_name_people)


def audit_names_lookup(kind: str, ids: set[int]) -> dict[int, str]:
    """Today's names of some ids of ``kind`` (for events recorded before names were kept)."""
    namer = _NAMERS.get(kind)
    return namer(ids) if namer is not None and ids else {}


def _ids_in(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, str) and value.isdigit():
        return [int(value)]
    if isinstance(value, list | tuple):
        return [i for v in value for i in _ids_in(v)]
    return []


def _named_ids(data: Mapping[str, Any]) -> dict[str, set[int]]:
    """The ids, by kind, that an event's data (and its step inputs) refer to."""
    found: dict[str, set[int]] = {}
    for part in (data, data.get("inputs") if isinstance(data.get("inputs"), dict) else {}):
        for key, value in part.items():
            kind = NAME_KEYS.get(key)
            if kind is not None:
                found.setdefault(kind, set()).update(_ids_in(value))
    return found


def audit_names_at(entries: Sequence[AuditEntry]) -> list[dict[str, dict[str, str]]]:
    """For each entry, the names of the people, teams and partners its data refers to,
    and of its actor, as they are now: the actor from the user object in hand (no
    query, so a page's read records cost what they did), the rest with one query per
    kind for all the entries."""
    wanted: dict[str, set[int]] = {}
    per_entry = []
    actors: dict[int, str] = {}
    for entry in entries:
        ids = _named_ids(entry.data or {})
        actor_id = getattr(entry.actor, "pk", None)
        if actor_id is not None and getattr(entry.actor, "is_authenticated", False):
            ids.setdefault("users", set()).add(actor_id)
            actors[actor_id] = user_display_name(entry.actor)
        per_entry.append(ids)
        for kind, values in ids.items():
            wanted.setdefault(kind, set()).update(values)
    known = {
        kind: _NAMERS[kind](values - set(actors) if kind == "users" else values)
        if kind in _NAMERS and values
        else {}
        for kind, values in wanted.items()
    }
    known.setdefault("users", {}).update(actors)
    return [
        {
            kind: {str(i): known[kind][i] for i in sorted(ids) if i in known[kind]}
            for kind, ids in entry_ids.items()
            if any(i in known[kind] for i in ids)
        }
        for entry_ids in per_entry
    ]


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
    names: dict[str, Any] | None = None,
    key_id: str = "",
) -> str:
    """The exact text an event's hash is computed over (sorted keys, ISO times). The
    names kept with an event, and the id of the key that signs it, are covered when
    there are any, so events recorded before either hash as they always did."""
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
    if names:
        payload["names"] = names
    if key_id:
        payload["key_id"] = key_id
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)


class UnknownAuditKey(LookupError):
    """An event or checkpoint names a key this deployment does not hold."""


def audit_keys() -> dict[str, bytes]:
    """The audit keys by id: the current one (``SAFECASE_AUDIT_KEY_ID``) and the retired
    ones still needed to verify older events (``SAFECASE_AUDIT_RETIRED_KEYS``)."""
    keys = {str(k): str(v).encode() for k, v in settings.SAFECASE_AUDIT_RETIRED_KEYS.items()}
    keys[audit_key_id()] = settings.SAFECASE_AUDIT_KEY.encode()
    return keys


def audit_key_id() -> str:
    """The id of the key new events and checkpoints are signed with."""
    key_id = str(settings.SAFECASE_AUDIT_KEY_ID)
    if not key_id or not settings.SAFECASE_AUDIT_KEY:
        raise ImproperlyConfigured("SAFECASE_AUDIT_KEY and SAFECASE_AUDIT_KEY_ID must be set")
    return key_id


def keyed_digest(text: str, key_id: str) -> str:
    """HMAC-SHA-256 of ``text`` under the key ``key_id``; a plain SHA-256 for the events
    recorded before keys (``key_id`` empty)."""
    if not key_id:
        return hashlib.sha256(text.encode()).hexdigest()
    key = audit_keys().get(key_id)
    if key is None:
        raise UnknownAuditKey(key_id)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def event_hash(event: AuditEvent) -> str:
    """Recompute an event's hash from its stored content (``UnknownAuditKey`` when its
    key is not held)."""
    text = canonical_content(
        at=event.at,
        actor_id=event.actor_id,
        verb=event.verb,
        case_id=event.case_id,
        object_type=event.object_type,
        object_id=event.object_id,
        data=event.data,
        prev_hash=event.prev_hash,
        names=event.names,
        key_id=event.key_id,
    )
    return keyed_digest(text, event.key_id)


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    """One event to append (see ``audit_record``)."""

    actor: Any
    verb: AuditVerb | str
    case: Case | None = None
    target: Any = None
    data: dict[str, Any] | None = None


def audit_record(
    *,
    actor: Any,
    verb: AuditVerb | str,
    case: Case | None = None,
    target: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain; must run inside the caller's transaction."""
    entry = AuditEntry(actor=actor, verb=verb, case=case, target=target, data=data)
    return audit_record_many([entry])[0]


def audit_chain_lock() -> None:
    """Take the audit chain's lock for the rest of the transaction (as ``audit_record``
    does). A writer that also updates shared rows other writers update (the figures'
    sums, ``workflows.case_figures``) takes it first, so that every such transaction
    takes the two in the same order and none waits for another in a cycle."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def audit_record_many(entries: Sequence[AuditEntry]) -> list[AuditEvent]:
    """Append several events in order with one lock and one insert (the deadline sweep
    records many reminders at once); must run inside the caller's transaction.

    Every other writer waits while this one holds the chain's lock, so all that does not
    depend on the chain (the names, the data's JSON, the key) is prepared before it is
    taken; under the lock are one round trip for the lock and the chain's head
    (``safecase_audit_chain_head``, migration ``casework.0031``), the time, the hashes
    and the insert, whose statement is written out (``_append``) rather than built by the
    ORM while the others wait."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change")
    if not entries:
        return []
    key_id = audit_key_id()
    events = []
    for entry, names in zip(entries, audit_names_at(entries), strict=True):
        target = entry.target
        events.append(
            AuditEvent(
                actor=entry.actor if getattr(entry.actor, "is_authenticated", False) else None,
                verb=str(entry.verb),
                case=entry.case,
                # The concrete model, so that a case is "casework.case" whatever
                # workflow proxy the service held it as.
                object_type=(
                    target._meta.concrete_model._meta.label_lower if target is not None else ""
                ),
                object_id=str(target.pk) if target is not None else "",
                # JSON round trip so the stored data and the hashed data are identical.
                data=json.loads(json.dumps(entry.data or {}, cls=DjangoJSONEncoder)),
                names=names,
                key_id=key_id,
            )
        )
    previous = _chain_head_locked() or GENESIS_HASH
    # Taken under the lock, so that the events' times follow the chain's order.
    now = timezone.now()
    for event in events:
        event.at = now
        event.prev_hash = previous
        event.hash = previous = event_hash(event)
    _append(events)
    return events


# The fields ``_append`` writes, in order (``data`` and ``names`` sent as JSON text).
_FIELDS = (
    "at", "actor_id", "verb", "case_id", "object_type", "object_id", "data", "names",
    "prev_hash", "hash", "key_id",
)  # fmt: skip
_INSERT_BATCH = 500  # rows a statement (11 parameters each)


def _append(events: Sequence[AuditEvent]) -> None:
    """Insert the events in one statement a batch and give each its id, as
    ``bulk_create`` would (``config.inserts.insert_rows``)."""
    ids = insert_rows(
        AuditEvent,
        _FIELDS,
        [[getattr(event, name) for name in _FIELDS] for event in events],
        batch=_INSERT_BATCH,
    )
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding = False
        event._state.db = connection.alias


def _chain_head_locked() -> str | None:
    """Take the chain's lock for the rest of the transaction and return the hash of its
    last event (None when it has none), read after the lock is granted."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT safecase_audit_chain_head(%s)", [_CHAIN_LOCK_KEY])
        return cursor.fetchone()[0]


@dataclasses.dataclass(frozen=True)
class ChainResult:
    """The outcome of walking the chain: OK with the count, or the first broken link."""

    ok: bool
    events_checked: int
    first_broken_id: int | None = None
    expected: str = ""
    found: str = ""
    # Why, in words, when it is not a link's hash (a key, a checkpoint).
    reason: str = ""

    @property
    def message(self) -> str:
        if self.ok:
            return f"OK: {self.events_checked} events"
        if self.reason:
            return f"BROKEN: {self.reason}"
        return (
            f"BROKEN at event {self.first_broken_id}: expected {self.expected}, found {self.found}"
        )


@dataclasses.dataclass(frozen=True)
class Anchor:
    """What a signed checkpoint says the chain held (``casework.audit_checkpoint``): its
    first ``count`` events end with event ``last_id``, whose hash is ``head_hash``."""

    name: str
    count: int
    last_id: int | None
    head_hash: str


def audit_chain_check(*, chunk_size: int = 2000, anchors: Sequence[Anchor] = ()) -> ChainResult:
    """Walk every event in id order, streaming, and stop at the first broken link.

    A link is broken when an event's ``prev_hash`` is not the hash of the event before
    it (one was removed, or its hash rewritten), when its content no longer hashes to
    its ``hash`` under its key (it was edited, or re-hashed without the key), or when
    its key is unknown or missing after keyed events. Either way the event named is
    where trust ends. Each anchor (a checkpoint already checked for its signature) must
    then be found: its event at its position with its hash, so that a deleted tail, an
    emptied table or a chain rebuilt from scratch is found too.
    """
    previous, checked, keyed = GENESIS_HASH, 0, False
    accept_unkeyed = settings.SAFECASE_AUDIT_ACCEPT_UNKEYED
    by_id = {a.last_id: a for a in anchors if a.last_id is not None}
    met: set[str] = set()
    events = AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size)
    for event in events:
        if event.prev_hash != previous:
            return ChainResult(False, checked, event.pk, previous, event.prev_hash)
        if not event.key_id and (keyed or not accept_unkeyed):
            return ChainResult(
                False, checked, event.pk, reason=f"event {event.pk} is not signed with a key"
            )
        try:
            recomputed = event_hash(event)
        except UnknownAuditKey:
            return ChainResult(
                False, checked, event.pk,
                reason=f"event {event.pk} names a key this deployment does not hold "
                f"({event.key_id})",
            )  # fmt: skip
        if recomputed != event.hash:
            return ChainResult(False, checked, event.pk, recomputed, event.hash)
        keyed = keyed or bool(event.key_id)
        previous, checked = event.hash, checked + 1
        anchor = by_id.get(event.pk)
        if anchor is not None:
            if (anchor.count, anchor.head_hash) != (checked, event.hash):
                return ChainResult(
                    False, checked, event.pk,
                    reason=f"checkpoint {anchor.name} has event {event.pk} as number "
                    f"{anchor.count} with hash {anchor.head_hash}; the chain has it as "
                    f"number {checked} with hash {event.hash}",
                )  # fmt: skip
            met.add(anchor.name)
    for anchor in anchors:
        if anchor.name not in met and anchor.count > 0:
            return ChainResult(
                False, checked, anchor.last_id,
                reason=f"checkpoint {anchor.name} saw {anchor.count} events up to event "
                f"{anchor.last_id}; the chain has {checked} and not that event "
                "(events were removed from its end, or the table emptied or rebuilt)",
            )  # fmt: skip
    return ChainResult(True, checked)


def audit_chain_verify(
    *, chunk_size: int = 2000, checkpoint_dir: str | None = None
) -> AuditChainVerification:
    """Check the whole chain against the signed checkpoints (those in ``checkpoint_dir``,
    by default ``SAFECASE_AUDIT_CHECKPOINT_DIR``) and keep the result, which the
    auditor's workspace shows.

    The walk is one query read through a server-side cursor, so it sees one snapshot of
    the chain however long it takes while services keep appending.
    """
    from casework.audit_checkpoint import checkpoint_anchors

    anchors, problem = checkpoint_anchors(checkpoint_dir)
    if problem:
        result = ChainResult(False, 0, reason=problem)
    else:
        result = audit_chain_check(chunk_size=chunk_size, anchors=anchors)
    return AuditChainVerification.objects.create(
        ran_at=timezone.now(),
        ok=result.ok,
        events_checked=result.events_checked,
        first_broken_id=result.first_broken_id,
        message=result.message,
    )


# Reading the audit log (auditors only: DESIGN.md "Access") -------------------------------


def audit_case_condition(cases: QuerySet[Case]) -> Q:
    """Events about these cases: those recorded on them, and those about their people and
    premises (a person's or premises' edits and views are recorded on the person or
    premises, which may belong to several cases).

    The ids are read first (three small queries) so that PostgreSQL combines the
    (case, id) and (object_type, object_id) indexes; as subqueries inside an OR it
    scanned every event (10,000,000 at county scale: docs/performance.md)."""
    case_ids = list(cases.values_list("pk", flat=True))
    people = (
        CasePerson.objects.filter(case__in=case_ids).values_list("person_id", flat=True).distinct()
    )
    premises = Case.objects.filter(pk__in=case_ids, premises__isnull=False).values_list(
        "premises_id", flat=True
    )
    return _about_cases(case_ids, id_array(people), id_array(premises))


def _about_cases(case_ids: list[Any], people: str, premises: str) -> Q:
    """Events recorded on the cases ``case_ids`` or on their people and premises (the
    ids of these as arrays' text, ``id_array``)."""
    return Q(case__in=case_ids) | _objects_of(Person, people) | _objects_of(Premises, premises)


class RestrictedPeopleAndPremises(OnBaseTable):
    """Whether an event is about a person or premises of a case of ``case_types``: the
    two ``EXISTS`` of ``restricted_case_events``, written out once rather than built,
    resolved and compiled by Django for every statement of every search (2 ms of an
    auditor's search by user, twice that with its count: docs/performance.md).

    Each ``EXISTS`` ends with ``OFFSET 0`` so that PostgreSQL evaluates it row by row,
    through the indexes ``caseperson_person_text`` and ``case_premises_text`` (their
    expressions are written here exactly as indexed). Inside an ``OR`` or under ``NOT``
    the planner may otherwise build a hash of every row the subquery could match, and did
    whenever it expected many outer rows: for an auditor's search by user it hashed the
    people of all 48,000 Prevent cases (a scan of 676,000 links, 113 ms) to test the few
    person events among a thousand. The event's own alias is the query's base table's,
    followed when the query is relabelled; the subqueries' tables have names no Django
    query gives an alias. Never NULL (``object_type`` is never NULL), so ``NOT`` of it is
    its complement."""

    conditional = True

    def __init__(self, case_types: Iterable[str]) -> None:
        kinds = tuple(sorted(case_types))
        super().__init__(kinds, lambda: None, None, BooleanField())

    @property
    def identity(self) -> tuple[Any, ...]:
        return (self.__class__, self.key, self.alias)

    def _resolve(self, query: Any, *args: Any) -> Any:
        if query is None or query.model is not AuditEvent:
            raise ValueError("a condition on audit events, for a query of audit events")
        return self._resolved(query, _restricted_template(self.key))

    def get_group_by_cols(self) -> list[Any]:
        return []

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        sql, params = self._template()
        return self._written(compiler, sql), list(params)


def _restricted_template(kinds: tuple[str, ...]) -> tuple[str, tuple[Any, ...]]:
    """The condition's SQL, the event table's alias left open (``OPEN_ALIAS``)."""
    if not kinds:
        return "FALSE", ()
    event = OPEN_ALIAS
    # Names from the models, values as parameters.
    sql = (
        f"(({event}.object_type = %s AND EXISTS(SELECT 1 FROM {_PERSON_LINKS} rp"  # noqa: S608
        f" JOIN {_CASES} rc ON rc.id = rp.case_id WHERE rc.case_type = ANY(%s)"
        f" AND (rp.person_id)::varchar = {event}.object_id OFFSET 0))"
        f" OR ({event}.object_type = %s AND EXISTS(SELECT 1 FROM {_CASES} rc"
        f" WHERE rc.case_type = ANY(%s) AND rc.premises_id IS NOT NULL"
        f" AND (rc.premises_id)::varchar = {event}.object_id OFFSET 0)))"
    )
    return sql, (Person._meta.label_lower, list(kinds), Premises._meta.label_lower, list(kinds))


_PERSON_LINKS = connection.ops.quote_name(CasePerson._meta.db_table)
_CASES = connection.ops.quote_name(Case._meta.db_table)


def restricted_case_events(case_types: Iterable[str]) -> Q:
    """Events about any case of ``case_types`` (recorded on the case, or on a person or
    premises of one), as a condition PostgreSQL answers with the event's own columns and
    two lookups per person or premises event (``RestrictedPeopleAndPremises``).
    ``audit_case_condition`` reads the ids first, which suits a few cases but not every
    Prevent case of a county: at 500,000 cases it put 100,000 ids into the statement and
    took 3 s of the application's CPU per search (docs/performance.md)."""
    kinds = sorted(case_types)
    return Q(case__case_type__in=kinds) | Q(RestrictedPeopleAndPremises(kinds))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# What a listed event shows of its actor and case (``casework.audit_describe``, the CSV
# export): their names and reference, not the whole user and case rows (a case's details,
# summary and every column were read and built for 50 events a page).
_LISTED_COLUMNS = (
    *(field.name for field in AuditEvent._meta.concrete_fields),
    "actor__username", "actor__first_name", "actor__last_name",
    "case__reference", "case__case_type", "view_repeat",
)  # fmt: skip


def audit_event_list_for_user(user: Any, filters: Mapping[str, Any]) -> QuerySet[AuditEvent]:
    """The audit events an auditor searched for, with actor and case loaded; nothing for
    anyone else. ``filters``: ``reference`` (a case, its people and premises), ``user`` (a
    username: what they did, and failed sign-ins as them), ``action`` (a verb),
    ``date_from`` and ``date_to`` (days in UK time, both included)."""
    search = _AuditSearch.of(user, filters)
    return AuditEvent.objects.none() if search is None else search.build(*search.values)


def audit_event_search_for_user(user: Any, filters: Mapping[str, Any]) -> QuerySet[AuditEvent]:
    """``audit_event_list_for_user`` newest first, each view's repeat loaded: the
    auditor's search page. Its pages and capped count are read through statements
    compiled once per kind of search (``casework.statements.KeptList``): building and
    compiling the query was a third of the search's application CPU at 10,000,000
    events (docs/performance.md, tenth session)."""
    search = _AuditSearch.of(user, filters)
    if search is None:
        return AuditEvent.objects.none()

    def newest_first(*given: Any) -> QuerySet[AuditEvent]:
        return search.build(*given).select_related("view_repeat").order_by("-id")

    built = Later(AuditEvent, lambda: newest_first(*search.values))  # read by the ORM only
    return kept_list(built, search, newest_first, search.values)


@dataclasses.dataclass(frozen=True)
class _AuditSearch:
    """An auditor's search of the log: what its query is built from (the compartments
    hidden from the auditor, which filters were given, how many users a username is)
    and, apart, the values it is given (``values``: ids, the reference, the verb and
    the days' bounds), so that one kind of search is compiled once
    (``casework.statements``: the fields are its key, the values its arguments)."""

    # Case types whose events are hidden: named compartments without the auditor's
    # clearance, and the restricted ones (Prevent) without Prevent clearance.
    hidden: tuple[str, ...]
    restricted: tuple[str, ...]
    # "case": a reference a case has; "asked": one no case has; "": none given.
    reference: str
    actors: int | None  # how many users the username is; None: no username given
    failed: bool  # failed sign-ins name the username
    action: bool
    date_from: bool
    date_to: bool
    values: tuple[Any, ...] = dataclasses.field(compare=False, default=())

    @classmethod
    def of(cls, user: Any, filters: Mapping[str, Any]) -> _AuditSearch | None:
        """The search ``filters`` asks for, as ``user`` may make it; None for anyone but
        an active auditor. The ids a reference and a username stand for are read here
        (statements compiled once too): reading them first lets PostgreSQL use the
        events' indexes (``audit_case_condition``; docs/performance.md)."""
        if Role.AUDITOR not in roles_of(user) or not user.is_active:
            return None
        named = named_case_types()
        # A named compartment's events (a Domestic Homicide Review's) only with its
        # clearance; nothing of a restricted (Prevent) case for an auditor without
        # clearance (RULES.md §4.5): not its events, nor those of its people and premises.
        hidden = tuple(t for t in named if not auditor_cleared_for(user, t))
        restricted = (
            () if has_prevent_clearance(user) else tuple(sorted(restricted_case_types() - named))
        )
        values: list[Any] = []
        reference = ""
        if filters.get("reference"):
            # References are made upper-case (casework.references), so the unique index
            # finds one typed in any case.
            asked = filters["reference"].strip().upper()
            found = compiled_values(("audit: the case of a reference",), _case_of, (asked,))
            if found:
                case_id, premises = found[0]["pk"], found[0]["premises_id"]
                people = compiled_values(("audit: a case's people",), _people_of, (case_id,))
                values += [
                    case_id,
                    id_array(row["person_id"] for row in people),
                    id_array([] if premises is None else [premises]),
                ]
            reference = "case" if found else "asked"
            values.append(asked)
        actors, failed = None, False
        if filters.get("user"):
            name = filters["user"]
            # The user's id first, so the (actor, id) index is used (docs/performance.md).
            ids = [
                row["pk"] for row in compiled_values(("audit: users named",), _users_named, (name,))
            ]
            actors = len(ids)
            # Failed sign-ins naming them are few or none (the partial index
            # ``audit_failed_sign_in_name`` says which). Without any, the search is their
            # events alone, which the (actor, id) index gives newest first, 50 at a time;
            # the OR made PostgreSQL read all of a lead's tens of thousands and sort them
            # (docs/performance.md).
            failed = bool(compiled_values(("audit: failed sign-ins as",), _failed_as, (name,)))
            values += ids
            if failed:
                values.append(name)
        if filters.get("action"):
            values.append(filters["action"])
        for bound, moved in (("date_from", 0), ("date_to", 1)):
            if filters.get(bound):
                values.append(_day_start(_as_date(filters[bound]) + timedelta(moved)))
        return cls(
            hidden, restricted, reference, actors, failed,
            bool(filters.get("action")), bool(filters.get("date_from")),
            bool(filters.get("date_to")), tuple(values),
        )  # fmt: skip

    def build(self, *given: Any) -> QuerySet[AuditEvent]:
        """The search's query given its ``values`` (or stand-ins for them)."""
        values = iter(given)
        events = AuditEvent.objects.select_related("actor", "case").only(*_LISTED_COLUMNS)
        if self.hidden:
            events = events.exclude(case__case_type__in=self.hidden)
        if self.restricted:
            events = events.exclude(restricted_case_events(self.restricted))
        if self.reference:
            about = Q()
            if self.reference == "case":
                # ``audit_case_condition``, its ids given: the case, its people, its premises.
                about = _about_cases([next(values)], next(values), next(values))
            # Requests for a reference no case has are found by the reference asked for.
            asked = Q(verb=AuditVerb.ACCESS_DENIED, case__isnull=True) & Q(
                Exact(KT("data__reference"), next(values))
            )
            events = events.filter(about | asked)
        if self.actors is not None:
            mine = Q(actor_id__in=[next(values) for _ in range(self.actors)])
            events = events.filter(mine | _failed_sign_ins(next(values)) if self.failed else mine)
        if self.action:
            events = events.filter(verb=next(values))
        if self.date_from:
            events = events.filter(at__gte=next(values))
        if self.date_to:
            events = events.filter(at__lt=next(values))
        return events


def _objects_of(model: type[Model], ids: str) -> Q:
    """Events recorded on the ``model`` rows of ``ids`` (an array's text, ``id_array``)."""
    return Q(object_type=model._meta.label_lower) & in_id_array("object_id", ids, as_text=True)


def _case_of(reference: str) -> QuerySet[Case]:
    return Case.objects.filter(reference=reference).values("pk", "premises_id")


def _people_of(case_id: int) -> QuerySet[CasePerson]:
    return CasePerson.objects.filter(case_id=case_id).values("person_id").distinct()


def _users_named(name: str) -> QuerySet[Any]:
    return get_user_model().objects.filter(username__iexact=name).values("pk")


def _failed_sign_ins(name: str) -> Q:
    return Q(verb=AuditVerb.USER_SIGN_IN_FAILED, data__username__iexact=name)


def _failed_as(name: str) -> QuerySet[AuditEvent]:
    # Unordered, as ``exists()`` asks: whether any, not the first by id.
    return AuditEvent.objects.filter(_failed_sign_ins(name)).values("pk").order_by()[:1]


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def audit_chain_latest() -> AuditChainVerification | None:
    """The most recent verification of the chain, if it was ever checked (its statement
    compiled once: the auditor's every search shows it)."""
    latest = compiled_objects(("audit: the chain's latest check",), _latest_checks)
    return latest[0] if latest else None


def _latest_checks() -> QuerySet[AuditChainVerification]:
    return AuditChainVerification.objects.order_by("-ran_at", "-id")[:1]


ACCESS_DENIED_DAYS = 30


@dataclasses.dataclass(frozen=True)
class DeniedCount:
    user: Any
    name: str
    count: int
    last_at: datetime


def access_denied_counts_for_user(
    user: Any, *, days: int = ACCESS_DENIED_DAYS
) -> list[DeniedCount]:
    """For an auditor's dashboard: how many times each member of staff asked for a case
    they may not see in the last ``days`` days, most first (nothing for anyone else)."""
    if Role.AUDITOR not in roles_of(user) or not user.is_active:
        return []
    since = timezone.now() - timedelta(days=days)
    rows = (
        AuditEvent.objects.filter(verb=AuditVerb.ACCESS_DENIED, at__gte=since)
        .values("actor")
        .annotate(count=Count("id"), last_at=Max("at"))
        .order_by("-count", "actor")
    )
    users = get_user_model().objects.in_bulk([r["actor"] for r in rows if r["actor"]])
    return [
        DeniedCount(
            users.get(r["actor"]),
            user_display_name(users.get(r["actor"])),
            r["count"],
            r["last_at"],
        )
        for r in rows
        if r["actor"] in users
    ]
