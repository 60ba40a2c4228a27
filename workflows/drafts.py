"""Intake drafts: a concern's answers kept while its author fills in the form.

The intake pages save the draft on every POST and the browser autosaves it
(``frontend/js/draft-autosave.js``), so a session timeout, a sign-out or a closed tab
loses nothing. A draft is private to its author: every read here is filtered by the
author, and nothing else reads the table (no admin, no API, no audit page). It is
deleted in the same transaction that raises its concern (``concern_raise``), when its
author deletes it, or ``SAFECASE_DRAFT_RETENTION_DAYS`` after it was last saved
(``drafts_expire``, run daily by Celery beat). See ``workflows.models.IntakeDraft`` for
why deleting drafts is no gap in the audit trail.

A user may have several drafts of the same type (two cuckooing concerns after one
round of visits): starting a concern starts a new draft, and each is named by its
person or address (``draft_name``) on the home page and the chooser.

Saving a draft never raises a concern and validates only its shape (the case type, the
field names and the size): the answers themselves are checked when the concern is
submitted, exactly as ``case_raise`` checks them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from casework.dates import MONTHS, time_words
from casework.models import Case, Team
from casework.permissions import can_raise
from casework.statements import compiled_objects
from workflows.definitions import Field
from workflows.intake import MAX_RECORD_ROWS, TEAM, draft_from_post, intake_fields
from workflows.models import IntakeDraft
from workflows.registry import WORKFLOWS
from workflows.services import case_raise

# The largest draft kept: a generous intake form is a few kilobytes.
DRAFT_MAX_BYTES = 64 * 1024
# Names a browser posts with the form that are not answers.
FORM_CONTROLS = {"csrfmiddlewaretoken", "action", "draft", "page", "from_check"}
UNKNOWN_TYPE = "Choose a type of concern."
TOO_LARGE = "This draft is too large to save. Shorten your answers and try again."
UNKNOWN_FIELDS = "This form does not ask for: {names}."


def _drafts_of(author_id: int) -> QuerySet[IntakeDraft]:
    return IntakeDraft.objects.filter(author_id=author_id, case_type__in=list(WORKFLOWS)).order_by(
        "-updated_at"
    )


def draft_list_for_user(user: Any) -> QuerySet[IntakeDraft]:
    """The user's own unfinished concerns of types that still exist, last saved first."""
    if not getattr(user, "is_authenticated", False):
        return IntakeDraft.objects.none()
    return _drafts_of(user.pk)


def draft_rows_for_user(user: Any) -> list[IntakeDraft]:
    """``draft_list_for_user``'s drafts, read through a statement compiled once
    (``casework.statements``): the home page lists them at every visit."""
    if not getattr(user, "is_authenticated", False):
        return []
    return compiled_objects(("intake drafts", tuple(WORKFLOWS)), _drafts_of, (user.pk,))


def draft_get_for_user(user: Any, case_type: str, draft_id: Any = None) -> IntakeDraft | None:
    """The user's own draft of ``case_type`` with id ``draft_id`` (without one: their
    last saved of that type), or None. Nobody else's is ever returned."""
    if not getattr(user, "is_authenticated", False):
        return None
    key = ("intake draft", tuple(WORKFLOWS))
    if draft_id in (None, ""):
        found = compiled_objects((*key, "last"), _last_draft, (user.pk, str(case_type)))
        return found[0] if found else None
    try:
        draft_pk = int(draft_id)
    except (TypeError, ValueError):
        return None
    found = compiled_objects(key, _this_draft, (user.pk, str(case_type), draft_pk))
    return found[0] if found else None


# Read at every step of raising a concern: by statements compiled once.
def _last_draft(author_id: int, case_type: str) -> QuerySet[IntakeDraft]:
    return _drafts_of(author_id).filter(case_type=case_type)[:1]


def _this_draft(author_id: int, case_type: str, draft_pk: int) -> QuerySet[IntakeDraft]:
    return _drafts_of(author_id).filter(case_type=case_type, pk=draft_pk)[:1]


# The answers that name a draft, best first: a person's names, then an address.
_NAMING = ("given_names", "family_name")


def draft_name(draft: IntakeDraft) -> str:
    """What the user calls this concern: its person ("Maria Kowalska"), else its
    address' first line, else its type and when it was started."""
    data = draft.data or {}
    for key in sorted(k for k in data if k.endswith("_given_names")):
        role = key.removesuffix("_given_names")
        name = " ".join(str(data.get(f"{role}_{part}") or "").strip() for part in _NAMING).strip()
        if name:
            return name
    for key in ("premises_address", "subject_address", "occupier_address", "applicant_address"):
        value = str(data.get(key) or "").strip()
        if value:
            return value.splitlines()[0].strip().rstrip(",")
    workflow = WORKFLOWS.get(draft.case_type)
    label = workflow.label if workflow else draft.case_type
    started = timezone.localtime(draft.created_at)
    return f"{label} started {started.day} {MONTHS[started.month - 1]} at {time_words(started)}"


def draft_post_check(fields: Sequence[Field], post: Any) -> None:
    """Refuse a posted form that names a field the type's intake form does not ask for.

    Records fields arrive as ``<field>-<row>-<sub-field>`` with at most
    ``MAX_RECORD_ROWS`` rows; the team choice and the form's own controls are allowed.
    """
    allowed = {spec.name for spec in fields} | {TEAM} | FORM_CONTROLS
    records = {spec.name: {sub.name for sub in spec.fields} for spec in fields if spec.fields}
    unknown = []
    for name in post:
        if name in allowed:
            continue
        name = re.sub(r"-(day|month|year|hour|minute)$", "", name)
        if name in allowed:
            continue
        found = re.fullmatch(r"(\w+?)-(\d+)-(\w+)", name)
        if found and found[3] in records.get(found[1], ()):
            if 1 <= int(found[2]) <= MAX_RECORD_ROWS:
                continue
        unknown.append(name)
    if unknown:
        names = ", ".join(sorted(unknown)[:5])
        raise ValidationError({"__all__": [UNKNOWN_FIELDS.format(names=names)]})


def draft_data_from_post(
    *, case_type: str, post: Any, asked: Sequence[Field] | None = None
) -> dict[str, Any]:
    """The draft a posted intake form stands for, after checking its type and field
    names. ``asked``: the questions of the page posted (the others keep their answers)."""
    workflow = WORKFLOWS.get(case_type)
    if workflow is None:
        raise ValidationError({"case_type": [UNKNOWN_TYPE]})
    fields = intake_fields(workflow)
    draft_post_check(fields, post)
    return draft_from_post(fields if asked is None else asked, post)


def _check_shape(case_type: str, data: Mapping[str, Any]) -> None:
    workflow = WORKFLOWS.get(case_type)
    if workflow is None:
        raise ValidationError({"case_type": [UNKNOWN_TYPE]})
    allowed = {spec.name for spec in intake_fields(workflow)} | {TEAM}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError({"__all__": [UNKNOWN_FIELDS.format(names=", ".join(unknown[:5]))]})
    if len(json.dumps(data, ensure_ascii=False).encode()) > DRAFT_MAX_BYTES:
        raise ValidationError({"__all__": [TOO_LARGE]})


@transaction.atomic
def draft_save(
    *, author: Any, case_type: str, data: Mapping[str, Any], draft_id: Any = None
) -> IntakeDraft:
    """Keep ``author``'s answers so far for a concern of ``case_type``: in their draft
    ``draft_id``, or (without one, or when it is gone) in a new draft.

    Only someone who may raise concerns keeps drafts (RULES.md: frontline staff and
    leads raise). The answers are not validated (a draft may be half-written), but the
    case type, field names and size are. Nothing is raised.
    """
    if not can_raise.test(author):
        raise PermissionDenied("Your role cannot raise concerns.")
    _check_shape(case_type, data)
    draft = None
    if draft_id not in (None, ""):
        draft = draft_get_for_user(author, case_type, draft_id)
    if draft is None:
        return IntakeDraft.objects.create(author=author, case_type=case_type, data=dict(data))
    draft.data = dict(data)
    draft.save(update_fields=["data", "updated_at"])
    return draft


@transaction.atomic
def draft_delete(*, author: Any, case_type: str, draft_id: Any = None) -> bool:
    """Delete ``author``'s draft ``draft_id`` of ``case_type`` (without an id: their
    last saved of that type); False when they had none."""
    draft = draft_get_for_user(author, case_type, draft_id)
    if draft is None:
        return False
    draft.delete()
    return True


@transaction.atomic
def concern_raise(
    *,
    actor: Any,
    case_type: str,
    data: Mapping[str, Any],
    team: Team | None = None,
    existing_people: Mapping[str, Any] | None = None,
    existing_premises: Any = None,
    draft_id: Any = None,
) -> Case:
    """Raise the concern (``case_raise``) and delete its draft (``draft_id``, else the
    author's last saved of the type) in the same transaction,
    so that a concern is never raised twice from one draft and a failed raise keeps it.
    ``existing_people`` and ``existing_premises``: the known records the raiser chose
    to link instead of creating new ones (intake matching)."""
    case = case_raise(
        actor=actor,
        case_type=case_type,
        data=data,
        team=team,
        existing_people=existing_people,
        existing_premises=existing_premises,
    )
    draft = draft_get_for_user(actor, case_type, draft_id)
    if draft is not None:
        draft.delete()
    return case


def drafts_expire(*, now: datetime | None = None) -> int:
    """Delete drafts last saved more than ``SAFECASE_DRAFT_RETENTION_DAYS`` ago.

    Unfinished concerns may hold sensitive data and nobody acted on them, so they are
    not kept once their author has plainly moved on. Returns how many were deleted.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SAFECASE_DRAFT_RETENTION_DAYS)
    deleted, _ = IntakeDraft.objects.filter(updated_at__lt=cutoff).delete()
    return deleted
