"""Attachments with active content are refused (issue 17, low findings: uploads were
checked by their first bytes only, so a PDF with JavaScript, a macro document and HTML
saved as .txt were accepted). Each file is built here, byte by byte."""

from __future__ import annotations

import io
import zipfile
import zlib
from email.message import EmailMessage

import pytest

from casework import active_content
from casework.models import AuditEvent, CaseAttachment
from tests.casework.test_attachments import (
    DOCX,
    EMAIL,
    OLE2,
    PDF,
    XLSX,
    html_of,
    stored_files,
    upload,
    zipped,
)

pytestmark = pytest.mark.usefixtures("media")


def pdf(*objects: bytes) -> bytes:
    body = b"".join(b"%d 0 obj\n%s\nendobj\n" % (n + 1, o) for n, o in enumerate(objects))
    return b"%PDF-1.7\n" + body + b"trailer << /Root 1 0 R >>\n%%EOF\n"


def compressed_object_stream(content: bytes) -> bytes:
    data = zlib.compress(content)
    return b"<< /Type /ObjStm /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (
        len(data),
        data,
    )


PDF_JS = pdf(b"<< /Type /Catalog /OpenAction 2 0 R >>", b"<< /S /JavaScript /JS (app.alert(1)) >>")
PDF_LAUNCH = pdf(b"<< /Type /Catalog /OpenAction << /S /Launch /F (cmd.exe) >> >>")
PDF_EMBEDDED = pdf(b"<< /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> >>", b"<< >>")
PDF_ESCAPED = pdf(b"<< /Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (x) >> >>")
PDF_HIDDEN = pdf(
    b"<< /Type /Catalog >>",
    compressed_object_stream(b"3 0 << /S /JavaScript /JS (this.exportDataObject()) >>"),
)
PDF_PLAIN_COMPRESSED = pdf(
    b"<< /Type /Catalog /OpenAction [3 0 R /Fit] >>",
    compressed_object_stream(b"BT /F1 12 Tf (Visit notes) Tj ET"),
)


def office(*names: str, content_types: str = "<Types/>") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", content_types)
        for name in names:
            archive.writestr(name, "<xml/>")
    return out.getvalue()


DOCX_WITH_MACROS = office("word/document.xml", "word/vbaProject.bin")
XLSX_MACRO_TYPE = office(
    "xl/workbook.xml",
    content_types='<Types><Override ContentType="application/vnd.ms-excel.sheet.macroEnabled'
    '.main+xml"/></Types>',
)
DOCX_ACTIVEX = office("word/document.xml", "word/activeX/activeX1.xml")
ODT_WITH_BASIC = zipped(
    "content.xml",
    "Basic/Standard/Module1.xml",
    first=("mimetype", b"application/vnd.oasis.opendocument.text"),
)
MSG_WITH_VBA = OLE2 + "_VBA_PROJECT".encode("utf-16-le") + b"\x00" * 40


def eml(html: str | None = None, attachment: tuple[str, bytes] | None = None) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@x.org", "Visit"
    message.set_content("See you at 10.")
    if html is not None:
        message.add_alternative(html, subtype="html")
    if attachment is not None:
        message.add_attachment(
            attachment[1], maintype="application", subtype="octet-stream", filename=attachment[0]
        )
    return message.as_bytes()


REFUSED = [
    ("pdf-javascript", "letter.pdf", PDF_JS, active_content.PDF),
    ("pdf-launch", "letter.pdf", PDF_LAUNCH, active_content.PDF),
    ("pdf-embedded-file", "letter.pdf", PDF_EMBEDDED, active_content.PDF),
    ("pdf-escaped-name", "letter.pdf", PDF_ESCAPED, active_content.PDF),
    ("pdf-compressed-object-stream", "letter.pdf", PDF_HIDDEN, active_content.PDF),
    ("docx-with-vba", "report.docx", DOCX_WITH_MACROS, active_content.MACROS),
    ("xlsx-macro-content-type", "figures.xlsx", XLSX_MACRO_TYPE, active_content.MACROS),
    ("docx-activex", "report.docx", DOCX_ACTIVEX, active_content.MACROS),
    ("odt-basic", "minutes.odt", ODT_WITH_BASIC, active_content.MACROS),
    ("msg-vba", "reply.msg", MSG_WITH_VBA, active_content.MACROS),
    ("docm", "report.docm", DOCX_WITH_MACROS, active_content.MACRO_EXTENSION),
    ("xlsm", "figures.XLSM", XLSX, active_content.MACRO_EXTENSION),
    ("pptm", "slides.pptm", DOCX, active_content.MACRO_EXTENSION),
    ("html-as-txt", "notes.txt", b"<!DOCTYPE html><html><body>Hi</body></html>",
     active_content.MARKUP),
    ("script-as-txt", "notes.txt", b"Hello <script>alert(1)</script>", active_content.MARKUP),
    ("svg-as-txt", "notes.txt", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>',
     active_content.MARKUP),
    ("xml-as-txt", "notes.txt", b'<?xml version="1.0"?><a/>', active_content.MARKUP),
    ("handler-as-txt", "notes.txt", b"<img src=x onerror=alert(1)>", active_content.MARKUP),
    ("eml-html-script", "reply.eml", eml(html="<p>Hi</p><script>alert(1)</script>"),
     active_content.EMAIL),
    ("eml-exe-attachment", "reply.eml", eml(attachment=("invoice.exe", b"MZ")),
     active_content.EMAIL),
    ("eml-macro-attachment", "reply.eml", eml(attachment=("plan.docm", b"PK")),
     active_content.EMAIL),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_active_content_is_refused_in_the_form_and_stores_nothing(
    client, people, case, media, name, content, message
):
    client.force_login(people["lead"])
    events = AuditEvent.objects.count()
    response = upload(client, case, name, content)
    assert response.status_code == 400
    page = html_of(response)
    assert "govuk-error-summary" in page
    assert f'<a href="#file">{message}</a>' in page
    assert 'id="file-error"' in page
    assert not CaseAttachment.objects.exists()
    assert stored_files(media) == []
    assert AuditEvent.objects.count() == events


INERT = [
    ("pdf-plain", "letter.pdf", PDF),
    ("pdf-compressed-text-and-open-action-to-a-page", "letter.pdf", PDF_PLAIN_COMPRESSED),
    ("docx", "report.docx", DOCX),
    ("xlsx", "figures.xlsx", XLSX),
    ("txt-with-angle-brackets", "notes.txt", b"Risk < 5 and score > 3; email <a@b.org>\n"),
    ("eml", "reply.eml", EMAIL),
    ("eml-html-without-script", "reply.eml", eml(html="<p>See <b>you</b> at 10.</p>")),
    ("eml-pdf-attachment", "reply.eml", eml(attachment=("letter.pdf", PDF))),
    ("msg", "reply.msg", OLE2),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content"), [r[1:] for r in INERT], ids=[r[0] for r in INERT])
def test_inert_files_are_still_attached(client, people, case, name, content):
    client.force_login(people["lead"])
    response = upload(client, case, name, content)
    assert response.status_code == 302, html_of(response)
    assert CaseAttachment.objects.count() == 1


def test_a_huge_compressed_stream_is_read_only_so_far():
    bomb = compressed_object_stream(b"\x00" * (50 * 1024 * 1024))
    assert not active_content.pdf_is_active(io.BytesIO(pdf(b"<< /Type /Catalog >>", bomb)))
