"""Notes and attachments on a case: the services that add them and the reads of them.

Who may add: whoever may work on the case (``casework.permissions.worker_may``: a lead
of its team, cleared for a restricted type, or the worker it is allocated to); never an
auditor or an administrator; and the raiser, the raiser of a Prevent case too, who
knows it only as received (DESIGN.md "Access") but may still pass on what they learn
(issue 19). What a raiser adds is news to the people working on the case: its allocated
worker and its team's leads are told in the app. Who may read: whoever may see the case's content
(``case_content_list_for_user``).

Both are append-only (the database refuses updates and deletes): a correction is a new
note. Each addition is one transaction with its audit event. The audit event carries a
SHA-256 of the note's text or the file's content rather than the text itself, so the
chain makes a changed note or file evident without copying case content into the log.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import secrets
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from casework.active_content import MACRO_EXTENSION, MACRO_EXTENSIONS, active_content_message
from casework.audit import AuditVerb, audit_record
from casework.files import (
    allowed_types,
    clean_filename,
    detect_type,
    extension_of,
    type_list_words,
)
from casework.models import Case, CaseAttachment, CaseNote
from casework.permissions import worker_may
from casework.selectors import (
    CaseAccess,
    case_content_list_for_user,
    case_denied_note,
    case_full_list_for_user,
    case_is_limited,
    case_leads,
    case_readers,
)
from casework.statements import compiled_objects
from notifications.models import Channel
from notifications.services import outbox_enqueue

NOTE_MAX_CHARS = 10_000
DESCRIPTION_MAX_CHARS = 500
CANNOT_ADD = "Only the worker the case is allocated to or a lead of its team can add to it."


def attachment_max_bytes() -> int:
    return int(getattr(settings, "SAFECASE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def attachment_root() -> Path:
    return Path(settings.SAFECASE_MEDIA_ROOT) / "attachments"


def size_words(size: int) -> str:
    """A size as people say it: "10 MB", "512 KB", "300 bytes"."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


def too_large_message() -> str:
    return f"The selected file must be smaller than {size_words(attachment_max_bytes())}"


def wrong_type_message() -> str:
    return f"The selected file must be {type_list_words(allowed_types())}"


# Who may add -------------------------------------------------------------------------------


def case_may_add_to(user: Any, case: Case) -> bool:
    """Whether ``user`` may add notes and attachments to ``case``: the allocated worker or a
    lead of the case's team (cleared for a restricted type), and its raiser while it is
    open (their own contributions, DESIGN.md "Access"); not auditors or administrators.

    The raiser of a Prevent case, who knows it only as received, may still add what they
    learn (issue 19), open or closed: whether it is closed is need-to-know too. They
    never read it back: it is the case's content."""
    if not getattr(user, "is_authenticated", False):
        return False
    if case_is_limited(user, case):
        return case.raised_by_id == user.pk
    if worker_may(case, user):
        return True
    return case.raised_by_id == user.pk and case.closed_at is None


def added_by_raiser(case: Case, actor: Any) -> bool:
    """Whether ``actor`` adds to ``case`` as its raiser only (not as someone working on
    it): what they add is news to the people working on it."""
    return case.raised_by_id == actor.pk and not worker_may(case, actor)


def _tell_workers(case: Case, actor: Any, what: str) -> None:
    """Tell the case's allocated worker and its team's leads, in the app with a link to the
    case, that its raiser added a note or a file (issue 19). The message names the case
    and who added what, never the content; only those who may read the case in full."""
    recipients = [lead.pk for lead in case_leads(case)]
    if case.owner_id is not None:
        recipients.append(case.owner_id)
    wanted = [pk for pk in dict.fromkeys(recipients) if pk != actor.pk]
    name = actor.get_full_name() or actor.get_username()
    for recipient in case_readers(case, wanted):
        outbox_enqueue(
            recipient_id=recipient,
            channel=Channel.IN_APP,
            template="case.raiser_added",
            subject=f"{case.reference}: {what} added by the person who raised it",
            body=f"{name}, who raised {case.reference}, added a {what} to it.",
            link=reverse("case-detail", args=[case.reference]),
        )


def _require_adder(case: Case, actor: Any) -> None:
    if not case_may_add_to(actor, case):
        raise PermissionDenied(CANNOT_ADD)


def _locked_case(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


# Notes -------------------------------------------------------------------------------------


def note_text_clean(text: str) -> str:
    """The note as it will be kept: trimmed, not empty, at most 10,000 characters."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({"text": ["Enter a note"]})
    if len(text) > NOTE_MAX_CHARS:
        raise ValidationError(
            {"text": [f"The note must be {NOTE_MAX_CHARS:,} characters or fewer"]}
        )
    return text


@transaction.atomic
def case_note_add(*, case: Case, actor: Any, text: str) -> CaseNote:
    """Add a note to a case (whoever may work on it). Audited with the note's id, length
    and SHA-256, not its text: the case page shows the text to those who may read it."""
    case = _locked_case(case)
    _require_adder(case, actor)
    text = note_text_clean(text)
    note = CaseNote.objects.create(case=case, author=actor, text=text, created_at=timezone.now())
    by_raiser = added_by_raiser(case, actor)
    audit_record(
        actor=actor,
        verb=AuditVerb.NOTE_ADDED,
        case=case,
        target=note,
        data={
            "note": note.pk,
            "length": len(text),
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
        }
        | ({"by_raiser": True} if by_raiser else {}),
    )
    if by_raiser:
        _tell_workers(case, actor, "note")
    return note


# Attachments -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Checked:
    """An upload that passed the checks: its clean name and what it is."""

    name: str
    content_type: str
    size: int


def attachment_check(*, name: str, size: int, file: IO[bytes]) -> Checked:
    """Refuse an empty file, one over ``SAFECASE_ATTACHMENT_MAX_BYTES``, one whose
    extension or content is not an allowed type, and one with active content: macros,
    PDF JavaScript, markup as text (``casework.active_content``; GOV.UK file upload
    messages)."""
    if size <= 0:
        raise ValidationError({"file": ["The selected file is empty"]})
    if size > attachment_max_bytes():
        raise ValidationError({"file": [too_large_message()]})
    if extension_of(name) in MACRO_EXTENSIONS:
        raise ValidationError({"file": [MACRO_EXTENSION]})
    file_type = detect_type(name, file, allowed_types())
    if file_type is None:
        raise ValidationError({"file": [wrong_type_message()]})
    # Of an allowed type, but carrying something that would run when opened (issue 17).
    refused = active_content_message(file_type.key, file)
    if refused is not None:
        raise ValidationError({"file": [refused]})
    return Checked(clean_filename(name, file_type), file_type.content_type, size)


def attachment_path(stored_name: str) -> Path:
    """Where a stored file is; the name is ours (random hex), never the user's."""
    return attachment_root() / stored_name[:2] / stored_name


def _store(file: IO[bytes]) -> tuple[str, str, int]:
    """Copy the upload under a new random name, written whole or not at all (a partial
    copy is removed); returns the name, the SHA-256 and the size written."""
    stored_name = secrets.token_hex(20)
    path = attachment_path(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(path.name + ".part")
    digest, written = hashlib.sha256(), 0
    file.seek(0)
    try:
        with open(partial, "xb") as out:
            while chunk := file.read(65536):
                digest.update(chunk)
                written += out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return stored_name, digest.hexdigest(), written


def _remove(stored_name: str) -> None:
    attachment_path(stored_name).unlink(missing_ok=True)


def case_attachment_add(
    *, case: Case, actor: Any, name: str, size: int, file: IO[bytes], description: str = ""
) -> CaseAttachment:
    """Attach a file to a case (whoever may work on it), after the size and type checks.

    The file is written first, under a random name, then the row and its audit event in
    one transaction; if that transaction fails the file is removed, and if writing the
    file fails no row is made. The transaction is durable (never part of a larger one),
    so that a commit of the row is a commit of the file.
    """
    _require_adder(case, actor)
    description = " ".join((description or "").split())
    if len(description) > DESCRIPTION_MAX_CHARS:
        raise ValidationError(
            {
                "description": [
                    f"The description must be {DESCRIPTION_MAX_CHARS} characters or fewer"
                ]
            }
        )
    checked = attachment_check(name=name, size=size, file=file)
    try:
        stored_name, sha256, written = _store(file)
    except OSError as exc:
        raise ValidationError(
            {"file": ["The selected file could not be saved. Try again later"]}
        ) from exc
    try:
        return _attachment_record(
            case=case, actor=actor, checked=checked, stored_name=stored_name,
            sha256=sha256, size=written, description=description,
        )  # fmt: skip
    except BaseException:
        _remove(stored_name)
        raise


@transaction.atomic(durable=True)
def _attachment_record(
    *,
    case: Case,
    actor: Any,
    checked: Checked,
    stored_name: str,
    sha256: str,
    size: int,
    description: str,
) -> CaseAttachment:
    case = _locked_case(case)
    _require_adder(case, actor)
    attachment = CaseAttachment.objects.create(
        case=case,
        uploaded_by=actor,
        original_name=checked.name,
        content_type=checked.content_type,
        size=size,
        sha256=sha256,
        stored_name=stored_name,
        description=description,
        created_at=timezone.now(),
    )
    by_raiser = added_by_raiser(case, actor)
    audit_record(
        actor=actor,
        verb=AuditVerb.ATTACHMENT_ADDED,
        case=case,
        target=attachment,
        data={
            "attachment": attachment.pk,
            "name": checked.name,
            "content_type": checked.content_type,
            "size": size,
            "sha256": sha256,
        }
        | ({"by_raiser": True} if by_raiser else {}),
    )
    if by_raiser:
        _tell_workers(case, actor, "file")
    return attachment


@transaction.atomic
def attachment_download_record(*, user: Any, attachment: CaseAttachment) -> None:
    """Record that ``user`` downloaded an attachment (a read of case content)."""
    audit_record(
        actor=user,
        verb=AuditVerb.ATTACHMENT_DOWNLOADED,
        case=attachment.case,
        target=attachment,
        data={"attachment": attachment.pk, "sha256": attachment.sha256},
    )


# Reads -------------------------------------------------------------------------------------


def _content_cases(user: Any) -> QuerySet[Case]:
    return case_content_list_for_user(user).values("pk")


def _readable(user: Any, by: str) -> Q:
    """Notes or attachments the user may read: all of a case they may read in full, and
    on a case they see only as its raiser those they added themselves (``by``)."""
    full = case_full_list_for_user(user).values("pk")
    return Q(case__in=full) | Q(case__in=_content_cases(user), **{by: user})


def _readable_on(user: Any, case: Case, by: str, access: CaseAccess | None) -> Q:
    """``_readable`` for one case; with the ``access`` the page decided for it, by the
    case's id alone."""
    if access is None:
        return _readable(user, by) & Q(case=case)
    access.check(user, case)
    if access.full:
        return Q(case=case)
    if access.content:
        return Q(case=case, **{by: user})
    return Q(pk__in=[])


def case_note_list_for_user(
    user: Any, case: Case, access: CaseAccess | None = None
) -> QuerySet[CaseNote]:
    """The case's notes, newest first, if the user may see its content (its raiser only
    theirs); none otherwise (one query: visibility is a subquery, or the page's
    ``access``)."""
    return (
        CaseNote.objects.filter(_readable_on(user, case, "author", access))
        .select_related("author")
        .order_by("-created_at", "-id")
    )


def case_attachment_list_for_user(
    user: Any, case: Case, access: CaseAccess | None = None
) -> QuerySet[CaseAttachment]:
    """The case's attachments, newest first, if the user may see its content (its raiser
    only theirs)."""
    return (
        CaseAttachment.objects.filter(_readable_on(user, case, "uploaded_by", access))
        .select_related("uploaded_by")
        .order_by("-created_at", "-id")
    )


def _readable_ids(access: CaseAccess, by: str, case_id: int, user_id: int) -> Q:
    """``_readable_on`` with the page's ``access``, by ids given at each use."""
    if access.full:
        return Q(case_id=case_id)
    if access.content:
        return Q(case_id=case_id, **{f"{by}_id": user_id})
    return Q(pk__in=[])


def _first_readable(
    model: Any, by: str, user: Any, case: Case, access: CaseAccess, limit: int
) -> tuple[list[Any], bool]:
    """The first ``limit`` of the case's notes or files (``model``, written ``by`` its
    author) that the page's ``access`` lets the user read, newest first, and whether
    there are more: one statement, built and compiled once for what ``access`` allows
    (``casework.statements``), the case's and the user's ids given each time."""
    access.check(user, case)

    def first(case_id: int, user_id: int) -> QuerySet[Any]:
        readable = _readable_ids(access, by, case_id, user_id)
        found = model.objects.filter(readable).select_related(by)
        return found.order_by("-created_at", "-id")[: limit + 1]

    key = (model._meta.label, access.full, access.content, limit)
    rows = compiled_objects(key, first, (case.pk, user.pk))
    return rows[:limit], len(rows) > limit


def case_notes_first_for_user(
    user: Any, case: Case, access: CaseAccess, limit: int
) -> tuple[list[CaseNote], bool]:
    """The first ``limit`` of ``case_note_list_for_user`` with the page's ``access``, and
    whether there are more (``_first_readable``)."""
    return _first_readable(CaseNote, "author", user, case, access, limit)


def case_attachments_first_for_user(
    user: Any, case: Case, access: CaseAccess, limit: int
) -> tuple[list[CaseAttachment], bool]:
    """``case_notes_first_for_user`` for the case's attachments."""
    return _first_readable(CaseAttachment, "uploaded_by", user, case, access, limit)


def case_attachment_get_for_user(user: Any, reference: str, attachment_id: int) -> CaseAttachment:
    """One attachment of the case ``reference`` if the user may see that case's content;
    Http404 otherwise, the same whether it is missing, another case's or hidden."""
    attachment = (
        CaseAttachment.objects.filter(
            _readable(user, "uploaded_by"), pk=attachment_id, case__reference=reference
        )
        .select_related("case")
        .first()
    )
    if attachment is None:
        exists = CaseAttachment.objects.filter(pk=attachment_id, case__reference=reference)
        case_denied_note(reference=reference, kind="attachment", exists=exists.exists())
        raise Http404("No attachment found.")
    return attachment
