"""Pages that add a note or an attachment to a case, and the attachment download.

Each reads the case through the selectors (a case the user may not see is a 404, and so
is one they know only as received: its notes are its content), lets only those who may
work on it go further (403 for others who can see it, auditors included), validates the
input (400 with a GOV.UK error summary and inline errors) and writes through one service
in ``casework.notes``.

An upload larger than ``SAFECASE_ATTACHMENT_MAX_BYTES`` is refused while it arrives: an
upload handler counts the bytes and drops the file once it passes the limit, so it is
never held whole in memory or on disk. That handler has to be installed before anything
reads the request body, and Django's CSRF middleware reads it, so the upload view turns
the middleware's check off and makes it itself once the handler is in place.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from casework.files import allowed_types, type_list_words
from casework.models import Case
from casework.notes import (
    CANNOT_ADD,
    DESCRIPTION_MAX_CHARS,
    NOTE_MAX_CHARS,
    attachment_download_record,
    attachment_max_bytes,
    attachment_path,
    case_attachment_add,
    case_attachment_get_for_user,
    case_may_add_to,
    case_note_add,
    size_words,
    too_large_message,
)
from casework.selectors import case_get_for_user, case_is_limited, case_is_raiser_only
from config.hardening import body_refusal, reads_upload_itself

SELECT_A_FILE = "Select a file"
FIELD_ORDER = ("text", "file", "description")


def _case_to_add_to(request: HttpRequest, reference: str) -> Case | HttpResponse:
    """The case (404 if hidden), or a 403 page for a user who sees it but may not add to
    it. The raiser of a Prevent case, who knows it only as received, may add to it
    (issue 19); anyone else who knows it only as received finds nothing (404)."""
    case = case_get_for_user(request.user, reference)
    if case_is_limited(request.user, case) and not case_may_add_to(request.user, case):
        raise Http404("No case found.")
    if not case_may_add_to(request.user, case):
        context = {"message": CANNOT_ADD}
        return render(request, "casework/forbidden.html", context, status=403)
    return case


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {name: list(found) for name, found in exc.message_dict.items()}
    return {"file": list(exc.messages)}


def _summary(errors: dict[str, list[str]]) -> list[tuple[str, str]]:
    names = sorted(errors, key=lambda n: FIELD_ORDER.index(n) if n in FIELD_ORDER else 99)
    return [(name, message) for name in names for message in errors[name]]


# A note ------------------------------------------------------------------------------------


def _note_page(
    request: HttpRequest, case: Case, text: str, errors: dict[str, list[str]], status: int = 200
) -> HttpResponse:
    context = {
        "case": case,
        "text": text,
        "errors": errors,
        "error_summary": _summary(errors),
        "max_chars": NOTE_MAX_CHARS,
        "back": reverse("case-detail", args=[case.reference]) + "#notes",
    }
    return render(request, "casework/note_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def case_note_add_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Add a note to a case: whoever may work on it. Notes cannot be changed afterwards;
    a correction is a further note."""
    found = _case_to_add_to(request, reference)
    if isinstance(found, HttpResponse):
        return found
    case = found
    if request.method == "GET":
        return _note_page(request, case, "", {})
    text = request.POST.get("text", "")
    try:
        case_note_add(case=case, actor=request.user, text=text)
    except ValidationError as exc:
        return _note_page(request, case, text, _errors(exc), status=400)
    except PermissionDenied:
        return render(request, "casework/forbidden.html", {"message": CANNOT_ADD}, status=403)
    if _as_raiser(request, case):
        return _added(request, case, "Note")
    messages.success(request, "Note added")
    return redirect(reverse("case-detail", args=[case.reference]) + "#notes")


def _as_raiser(request: HttpRequest, case: Case) -> bool:
    """Whether the user adds as the case's raiser only (its raiser's view, or a Prevent
    case they know only as received)."""
    return case_is_raiser_only(request.user, case) or case_is_limited(request.user, case)


def _added(request: HttpRequest, case: Case, what: str) -> HttpResponse:
    """The raiser's confirmation that their note or file was added (issue 17), and who is
    told (issue 19)."""
    context = {"case": case, "what": what, "limited": case_is_limited(request.user, case)}
    return render(request, "casework/contribution_added.html", context)


# An attachment -----------------------------------------------------------------------------


class AttachmentSizeLimit(FileUploadHandler):
    """Drops an uploaded file as soon as more than ``limit`` bytes of it have arrived,
    before the handlers after it store them, and says so (``too_large``)."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.too_large = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _attachment_page(
    request: HttpRequest,
    case: Case,
    description: str,
    errors: dict[str, list[str]],
    status: int = 200,
) -> HttpResponse:
    types = allowed_types()
    context = {
        "case": case,
        "description": description,
        "errors": errors,
        "error_summary": _summary(errors),
        "max_size": size_words(attachment_max_bytes()),
        "type_words": type_list_words(types),
        "accept": ",".join(f".{ext}" for t in types for ext in t.extensions),
        "description_max": DESCRIPTION_MAX_CHARS,
        "back": reverse("case-detail", args=[case.reference]) + "#attachments",
    }
    return render(request, "casework/attachment_form.html", context, status=status)


@csrf_protect
def _attachment_add(
    request: HttpRequest, reference: str, limit: AttachmentSizeLimit
) -> HttpResponse:
    found = _case_to_add_to(request, reference)
    if isinstance(found, HttpResponse):
        return found
    case = found
    if request.method == "GET":
        return _attachment_page(request, case, "", {})
    description = request.POST.get("description", "")
    upload = request.FILES.get("file")
    if limit.too_large or upload is None:
        errors = {"file": [too_large_message() if limit.too_large else SELECT_A_FILE]}
        return _attachment_page(request, case, description, errors, status=400)
    try:
        case_attachment_add(
            case=case,
            actor=request.user,
            name=upload.name or "",
            size=upload.size or 0,
            file=upload,
            description=description,
        )
    except ValidationError as exc:
        return _attachment_page(request, case, description, _errors(exc), status=400)
    except PermissionDenied:
        return render(request, "casework/forbidden.html", {"message": CANNOT_ADD}, status=403)
    finally:
        upload.close()
    if _as_raiser(request, case):
        return _added(request, case, "File")
    messages.success(request, f"{upload.name} attached")
    return redirect(reverse("case-detail", args=[case.reference]) + "#attachments")


@reads_upload_itself  # control characters checked here once the size limit is in place
@csrf_exempt  # checked by _attachment_add once the size limit is in place
@login_required
@require_http_methods(["GET", "POST"])
def case_attachment_add_view(request: HttpRequest, reference: str) -> HttpResponse:
    """Attach a file to a case: whoever may work on it; within the size limit and of an
    allowed type, judged by its content as well as its name."""
    limit = AttachmentSizeLimit(request, attachment_max_bytes())
    request.upload_handlers.insert(0, limit)
    refused = body_refusal(request)
    if refused is not None:
        return refused
    return _attachment_add(request, reference, limit)


@login_required
@require_GET
def case_attachment_download(
    request: HttpRequest, reference: str, attachment_id: int
) -> HttpResponse:
    """Send an attachment as a download to whoever may see the case's content, and record
    that they did. Always a download (never shown in the browser), with the type that
    was detected when it was attached and no sniffing of another."""
    attachment = case_attachment_get_for_user(request.user, reference, attachment_id)
    try:
        handle = open(attachment_path(attachment.stored_name), "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise Http404("The file of this attachment is missing.") from None
    try:
        attachment_download_record(user=request.user, attachment=attachment)
    except BaseException:
        handle.close()
        raise
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
