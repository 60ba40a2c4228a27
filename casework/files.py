"""What an attached file is: its type judged by its content, and a safe name for it.

A file's extension says what the sender claims; its first bytes (and for the Office and
OpenDocument formats, the parts inside the zip) say what it is. An attachment is taken
only when both agree with one of the allowed types (``SAFECASE_ATTACHMENT_TYPES``), so a
program renamed ``report.pdf`` is refused. The content type stored and sent back is the
one detected, never the one the browser sent.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from typing import IO

from django.conf import settings

HEAD_BYTES = 8192
MAX_NAME_LENGTH = 150
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Control characters that do not occur in text (tab, line feed, form feed, carriage
# return and escape do).
_NOT_TEXT = bytes(range(0, 9)) + b"\x0b" + bytes(range(14, 27)) + bytes(range(28, 32))
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
_MAIL_HEADERS = re.compile(
    rb"^(from|date|subject|to|message-id|received|return-path|mime-version):", re.I | re.M
)
_UNSAFE_NAME = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


def _head(file: IO[bytes]) -> bytes:
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    return head


def _zip_names(file: IO[bytes]) -> tuple[list[str], zipfile.ZipFile] | None:
    if not _head(file).startswith(ZIP_MAGIC):
        return None
    try:
        archive = zipfile.ZipFile(file)
        return archive.namelist(), archive
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        return None


def _zip_with(*required: str) -> Callable[[IO[bytes]], bool]:
    def check(file: IO[bytes]) -> bool:
        found = _zip_names(file)
        if found is None:
            return False
        found[1].close()
        file.seek(0)
        return all(name in found[0] for name in required)

    return check


def _is_odt(file: IO[bytes]) -> bool:
    """OpenDocument text: a zip whose first entry, ``mimetype``, names the type."""
    found = _zip_names(file)
    try:
        if found is None or not found[0] or found[0][0] != "mimetype":
            return False
        archive = found[1]
        if archive.getinfo("mimetype").file_size > 100:
            return False
        return archive.read("mimetype").strip() == b"application/vnd.oasis.opendocument.text"
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return False
    finally:
        if found is not None:
            found[1].close()
        file.seek(0)


def _is_text(file: IO[bytes]) -> bool:
    """Text in any 8-bit or UTF-8 encoding: no byte of the whole file is a control
    character that text never has (a program always has NUL bytes)."""
    file.seek(0)
    try:
        while chunk := file.read(65536):
            if any(byte in _NOT_TEXT for byte in chunk):
                return False
        return True
    finally:
        file.seek(0)


def _is_email(file: IO[bytes]) -> bool:
    """An email saved as a file (RFC 5322): text, opening with a header line, with at
    least one header mail always has."""
    head = _head(file).lstrip(b"\xef\xbb\xbf")
    return bool(_HEADER_LINE.match(head) and _MAIL_HEADERS.search(head)) and _is_text(file)


@dataclasses.dataclass(frozen=True)
class FileType:
    """An attachable type: what staff call it, its extensions, the content type sent
    back with it, and the check of its content."""

    key: str
    label: str
    extensions: tuple[str, ...]
    content_type: str
    matches: Callable[[IO[bytes]], bool]


def _starts(magic: bytes) -> Callable[[IO[bytes]], bool]:
    return lambda file: _head(file).startswith(magic)


FILE_TYPES: dict[str, FileType] = {
    t.key: t
    for t in (
        FileType("pdf", "PDF", ("pdf",), "application/pdf", _starts(b"%PDF-")),
        FileType("jpg", "JPG", ("jpg", "jpeg"), "image/jpeg", _starts(b"\xff\xd8\xff")),
        FileType("png", "PNG", ("png",), "image/png", _starts(b"\x89PNG\r\n\x1a\n")),
        FileType(
            "docx",
            "DOCX",
            ("docx",),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            _zip_with("[Content_Types].xml", "word/document.xml"),
        ),
        FileType(
            "xlsx",
            "XLSX",
            ("xlsx",),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            _zip_with("[Content_Types].xml", "xl/workbook.xml"),
        ),
        FileType("odt", "ODT", ("odt",), "application/vnd.oasis.opendocument.text", _is_odt),
        FileType("txt", "TXT", ("txt",), "text/plain", _is_text),
        FileType("eml", "EML", ("eml",), "message/rfc822", _is_email),
        # An Outlook message is an OLE2 compound file; its extension says which kind.
        FileType("msg", "MSG", ("msg",), "application/vnd.ms-outlook", _starts(OLE2_MAGIC)),
    )
}


def allowed_types() -> list[FileType]:
    """The types this deployment accepts (``SAFECASE_ATTACHMENT_TYPES``), in that order;
    a name the setting has that Safecase does not know is ignored."""
    keys = getattr(settings, "SAFECASE_ATTACHMENT_TYPES", list(FILE_TYPES))
    wanted = [k.strip().lower().lstrip(".") for k in keys]
    wanted = ["jpg" if k == "jpeg" else k for k in wanted]
    return [FILE_TYPES[k] for k in dict.fromkeys(wanted) if k in FILE_TYPES]


def type_list_words(types: Iterable[FileType]) -> str:
    """ "a PDF, JPG or PNG": the allowed types as GOV.UK error messages name them."""
    labels = [t.label for t in types]
    if not labels:
        return "an allowed type"
    if len(labels) == 1:
        return f"a {labels[0]}"
    return f"a {', '.join(labels[:-1])} or {labels[-1]}"


def extension_of(name: str) -> str:
    """The extension of a name as given ("Letter.PDF " -> "pdf")."""
    stem, dot, ext = name.replace("\\", "/").rsplit("/", 1)[-1].strip().rstrip(" .").rpartition(".")
    return ext.lower() if dot and stem else ""


def detect_type(name: str, file: IO[bytes], types: Iterable[FileType]) -> FileType | None:
    """The allowed type whose extension ``name`` has and whose content ``file`` has; None
    when the extension is not allowed or the content is something else."""
    extension = extension_of(name)
    for file_type in types:
        if extension in file_type.extensions:
            return file_type if file_type.matches(file) else None
    return None


def clean_filename(name: str, file_type: FileType) -> str:
    """The name a user gave a file, safe to show and to send back: no folders, no
    control or reserved characters, single spaces, at most 150 characters, and ending in
    the extension of the type it was found to be."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch if ch.isprintable() else " " for ch in name)
    name = " ".join(_UNSAFE_NAME.sub("_", name).split()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot or extension.lower() not in file_type.extensions:
        stem, extension = name, file_type.extensions[0]
    stem = stem.strip(" .") or "attachment"
    extension = extension.lower()
    return f"{stem[: MAX_NAME_LENGTH - len(extension) - 1]}.{extension}"
