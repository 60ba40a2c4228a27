"""Attachments: the upload page's limits (size, type judged by content, empty files), the
download (access, headers, audit), who may add and read them, and that a failure leaves
neither a row nor a file behind."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import SkipFile
from django.db import DatabaseError, transaction

from casework import notes
from casework.audit import AuditVerb
from casework.models import AuditEvent, Case, CaseAttachment
from casework.note_views import AttachmentSizeLimit
from casework.notes import attachment_check, case_attachment_add
from tests.samples import ADULT
from tests.workflows.walker import default_raise
from workflows import modern_slavery

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 40 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 100 + b"PE\x00\x00"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
EMAIL = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: Visit\r\n\r\nSee you at 10.\r\n"
WRONG_TYPE = "The selected file must be a PDF, JPG, PNG, DOCX, XLSX, ODT, TXT, EML or MSG"


def zipped(*names: str, first: tuple[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        if first:
            archive.writestr(*first)
        for name in names:
            archive.writestr(name, "<xml/>")
    return out.getvalue()


DOCX = zipped("[Content_Types].xml", "word/document.xml")
XLSX = zipped("[Content_Types].xml", "xl/workbook.xml")
ODT = zipped("content.xml", first=("mimetype", b"application/vnd.oasis.opendocument.text"))


pytestmark = pytest.mark.usefixtures("media")


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def upload_url(case: Case) -> str:
    return f"/cases/{case.reference}/attachments/new/"


def html_of(response) -> str:
    return response.content.decode()


def upload(client, case: Case, name: str, content: bytes, **data):
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(upload_url(case), {"file": file, **data})


def add(case: Case, actor, name: str = "letter.pdf", content: bytes = PDF) -> CaseAttachment:
    return case_attachment_add(
        case=case, actor=actor, name=name, size=len(content), file=io.BytesIO(content)
    )


# Uploading -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("letter.pdf", PDF, "application/pdf"),
        ("photo.JPEG", JPEG, "image/jpeg"),
        ("scan.png", PNG, "image/png"),
        ("report.docx", DOCX,
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("figures.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("minutes.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("notes.txt", "Café at 10:00\n".encode(), "text/plain"),
        ("reply.eml", EMAIL, "message/rfc822"),
        ("reply.msg", OLE2, "application/vnd.ms-outlook"),
    ],
)  # fmt: skip
def test_a_worker_attaches_each_allowed_type(
    client, people, case, media, name, content, content_type
):
    client.force_login(people["worker"])
    form = client.get(upload_url(case))
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in html_of(form)
    assert 'class="govuk-file-upload"' in html_of(form)
    response = upload(client, case, name, content, description="From the landlord")
    assert response.status_code == 302, html_of(response)
    assert response.url == f"/cases/{case.reference}/#attachments"
    attachment = CaseAttachment.objects.get(case=case)
    assert attachment.content_type == content_type
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.uploaded_by == people["worker"]
    assert attachment.description == "From the landlord"
    stem, _, extension = name.rpartition(".")
    assert attachment.original_name == f"{stem}.{extension.lower()}"
    assert name not in attachment.stored_name
    [stored] = stored_files(media)
    assert stored.read_bytes() == content
    assert stored.name == attachment.stored_name
    event = AuditEvent.objects.get(verb=AuditVerb.ATTACHMENT_ADDED)
    assert event.actor == people["worker"]
    assert event.case_id == case.pk
    assert event.data["sha256"] == attachment.sha256
    page = html_of(client.get(f"/cases/{case.reference}/"))
    assert f'href="/cases/{case.reference}/attachments/{attachment.pk}/"' in page
    assert "From the landlord" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", EXE, WRONG_TYPE),
        ("letter.pdf", EXE, WRONG_TYPE),  # a program renamed to look like a PDF
        ("photo.png", JPEG, WRONG_TYPE),  # content and name disagree
        ("report.docx", zipped("[Content_Types].xml"), WRONG_TYPE),  # a zip, not Word
        ("notes.txt", EXE, WRONG_TYPE),
        ("reply.eml", b"Just some words\n", WRONG_TYPE),
        ("noextension", PDF, WRONG_TYPE),
        ("empty.pdf", b"", "The selected file is empty"),
    ],
)
def test_a_refused_file_is_400_with_the_govuk_message_and_stores_nothing(
    client, people, case, media, name, content, message
):
    client.force_login(people["lead"])
    events = AuditEvent.objects.count()
    response = upload(client, case, name, content)
    assert response.status_code == 400
    html = html_of(response)
    assert "govuk-error-summary" in html
    assert f'<a href="#file">{message}</a>' in html
    assert 'id="file-error"' in html
    assert "govuk-file-upload--error" in html
    assert not CaseAttachment.objects.exists()
    assert stored_files(media) == []
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_no_file_chosen_asks_for_one(client, people, case):
    client.force_login(people["lead"])
    response = client.post(upload_url(case), {"description": "Nothing"})
    assert response.status_code == 400
    assert '<a href="#file">Select a file</a>' in html_of(response)
    assert 'value="Nothing"' in html_of(response)  # what was typed is kept


@pytest.mark.django_db
def test_an_oversized_file_is_dropped_while_it_arrives(client, people, case, media, settings):
    settings.SAFECASE_ATTACHMENT_MAX_BYTES = 1024
    client.force_login(people["lead"])
    response = upload(client, case, "big.pdf", PDF + b"0" * 2000)
    assert response.status_code == 400
    assert "The selected file must be smaller than 1 KB" in html_of(response)
    assert not CaseAttachment.objects.exists()
    assert stored_files(media) == []
    # Exactly at the limit is accepted.
    assert upload(client, case, "fits.pdf", PDF + b"0" * (1024 - len(PDF))).status_code == 302


def test_the_size_limit_handler_drops_a_file_once_it_passes_the_limit(rf):
    handler = AttachmentSizeLimit(rf.post("/"), limit=10)
    handler.new_file("file", "big.pdf", "application/pdf", None)
    assert handler.receive_data_chunk(b"x" * 6, 0) == b"x" * 6
    assert not handler.too_large
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"x" * 6, 6)
    assert handler.too_large


def test_the_default_limit_is_10_mb_in_words():
    with pytest.raises(ValidationError) as refused:
        attachment_check(name="big.pdf", size=10 * 1024 * 1024 + 1, file=io.BytesIO(PDF))
    assert refused.value.message_dict == {"file": ["The selected file must be smaller than 10 MB"]}


def test_the_allowed_types_come_from_the_settings(settings):
    settings.SAFECASE_ATTACHMENT_TYPES = ["pdf", "jpeg"]
    with pytest.raises(ValidationError) as refused:
        attachment_check(name="scan.png", size=len(PNG), file=io.BytesIO(PNG))
    assert refused.value.message_dict == {"file": ["The selected file must be a PDF or JPG"]}


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\Desktop\\Letter to <landlord>.PDF", "Letter to _landlord_.pdf"),
        ("  .hidden   name\x00\n.pdf  ", "hidden name.pdf"),
        ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
        ("renamed.txt.pdf", "renamed.txt.pdf"),
    ],
)
def test_the_name_kept_is_cleaned(given, kept):
    assert attachment_check(name=given, size=len(PDF), file=io.BytesIO(PDF)).name == kept


@pytest.mark.django_db
def test_a_long_description_is_refused(client, people, case):
    client.force_login(people["lead"])
    response = upload(client, case, "letter.pdf", PDF, description="x" * 501)
    assert response.status_code == 400
    assert "The description must be 500 characters or fewer" in html_of(response)
    assert 'id="description-error"' in html_of(response)
    assert not CaseAttachment.objects.exists()


# Who may add ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    # (its raiser adds their own: tests/casework/test_raiser_view.py; a colleague of the
    # team with no relation to the case cannot see it)
    [("colleague", 404), ("auditor", 403), ("other_lead", 404), ("admin", 404)],
)
def test_others_cannot_attach(client, people, case, media, who, status):
    client.force_login(people[who])
    assert client.get(upload_url(case)).status_code == status
    assert upload(client, case, "letter.pdf", PDF).status_code == status
    assert not CaseAttachment.objects.exists()
    assert stored_files(media) == []


@pytest.mark.django_db
def test_prevent_attachments_are_for_cleared_leads_only(client, people, prevent_case):
    client.force_login(people["prevent_lead"])
    assert upload(client, prevent_case, "letter.pdf", PDF).status_code == 302
    attachment = CaseAttachment.objects.get()
    url = f"/cases/{prevent_case.reference}/attachments/{attachment.pk}/"
    assert client.get(url).status_code == 200
    # Its raiser knows it only as received, yet may pass on a file (issue 19), and sees
    # neither the lead's file nor their own afterwards.
    client.force_login(people["frontline"])
    assert client.get(upload_url(prevent_case)).status_code == 200
    assert upload(client, prevent_case, "more.pdf", PDF).status_code == 200
    own = CaseAttachment.objects.get(original_name="more.pdf")
    assert own.uploaded_by == people["frontline"]
    assert client.get(url).status_code == 404
    own_url = f"/cases/{prevent_case.reference}/attachments/{own.pk}/"
    assert client.get(own_url).status_code == 404
    page = html_of(client.get(f"/cases/{prevent_case.reference}/"))
    assert "letter.pdf" not in page
    assert "more.pdf" not in page
    # An ordinary lead of the team does not see the Prevent case at all.
    client.force_login(people["lead"])
    assert client.get(upload_url(prevent_case)).status_code == 404
    assert upload(client, prevent_case, "other.pdf", PDF).status_code == 404
    assert client.get(url).status_code == 404
    assert "letter.pdf" not in html_of(client.get(f"/cases/{prevent_case.reference}/"))
    assert CaseAttachment.objects.count() == 2


# Downloading ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["worker", "lead", "auditor"])
def test_a_download_is_an_attachment_never_sniffed_and_is_audited(client, people, case, who):
    attachment = add(case, people["lead"], name="Letter to Mr Ó.pdf")
    client.force_login(people[who])
    response = client.get(f"/cases/{case.reference}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''Letter%20to%20Mr%20%C3%93.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(verb=AuditVerb.ATTACHMENT_DOWNLOADED)
    assert event.actor == people[who]
    assert event.case_id == case.pk
    assert event.object_id == str(attachment.pk)


@pytest.mark.django_db
def test_its_raiser_downloads_their_own_file_but_not_the_leads(client, people, case):
    """A raiser who holds no other relation to the case sees only their own contributions
    (issue 17): the lead's file is the same 404 as a missing one, theirs downloads."""
    leads = add(case, people["lead"], name="Strategy minutes.pdf")
    theirs = add(case, people["frontline"], name="My statement.pdf")
    client.force_login(people["frontline"])
    hidden = client.get(f"/cases/{case.reference}/attachments/{leads.pk}/")
    assert hidden.status_code == 404
    response = client.get(f"/cases/{case.reference}/attachments/{theirs.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    event = AuditEvent.objects.get(verb=AuditVerb.ATTACHMENT_DOWNLOADED)
    assert (event.actor, event.object_id) == (people["frontline"], str(theirs.pk))
    page = html_of(client.get(f"/cases/{case.reference}/"))
    assert "My statement.pdf" in page
    assert "Strategy minutes.pdf" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["other_lead", "admin"])
def test_a_hidden_attachment_is_the_same_404_as_a_missing_one(client, people, case, who):
    attachment = add(case, people["lead"])
    client.force_login(people[who])
    hidden = client.get(f"/cases/{case.reference}/attachments/{attachment.pk}/")
    missing = client.get(f"/cases/{case.reference}/attachments/{attachment.pk + 999}/")
    assert hidden.status_code == missing.status_code == 404
    assert not AuditEvent.objects.filter(verb=AuditVerb.ATTACHMENT_DOWNLOADED).exists()


@pytest.mark.django_db
def test_an_attachment_is_only_found_under_its_own_case(client, people, case):
    other = default_raise(modern_slavery.WORKFLOW, people["frontline"])(ADULT)
    attachment = add(case, people["lead"])
    client.force_login(people["lead"])
    assert client.get(f"/cases/{other.reference}/attachments/{attachment.pk}/").status_code == 404


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(client, people, case):
    attachment = add(case, people["lead"])
    for url in (upload_url(case), f"/cases/{case.reference}/attachments/{attachment.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/sign-in/")


# Nothing half-written --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_database_write_removes_the_stored_file(people, case, media, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(notes, "audit_record", broken)
    with pytest.raises(RuntimeError):
        add(case, people["lead"])
    assert not CaseAttachment.objects.exists()
    assert stored_files(media) == []


@pytest.mark.django_db
def test_a_failed_file_write_leaves_no_row(client, people, case, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the media folder should be")
    settings.SAFECASE_MEDIA_ROOT = blocker
    client.force_login(people["lead"])
    events = AuditEvent.objects.count()
    response = upload(client, case, "letter.pdf", PDF)
    assert response.status_code == 400
    assert "The selected file could not be saved. Try again later" in html_of(response)
    assert not CaseAttachment.objects.exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_an_attachment_cannot_be_changed_or_deleted(people, case):
    attachment = add(case, people["lead"])
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseAttachment.objects.filter(pk=attachment.pk).update(original_name="other.pdf")
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseAttachment.objects.filter(pk=attachment.pk).delete()
