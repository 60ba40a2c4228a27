"""Attachments that would run something when opened are refused (issue 17, low findings).

``casework.files`` decides what a file is by its name and its content; this module decides
whether, being that, it carries active content, which a member of staff opening it on a
council laptop would run:

- a PDF with JavaScript, a launch action, embedded files, rich media or an XFA form
  (looked for in the file and in every compressed stream, with ``#xx`` escapes in names
  decoded, so a compressed object stream or ``/J#61vaScript`` hides nothing);
- an Office document with macros (``vbaProject.bin``, a macro-enabled content type) or
  ActiveX controls, whatever it is named; an OpenDocument file with Basic or scripts;
  an Outlook message holding a VBA project;
- text (``.txt``) that is really a web page, SVG or XML, which a browser or mail client
  would render and run; an email (``.eml``) whose HTML has script, or that carries a
  program or macro document.

Files named ``.docm``, ``.xlsm`` or ``.pptm`` are refused for what they say they are.
Downloads are also always sent as attachments under a sandboxing policy
(``casework.note_views``); this check keeps such files out in the first place.
"""

from __future__ import annotations

import email
import email.policy
import re
import zipfile
import zlib
from typing import IO

PDF = (
    "The selected PDF contains JavaScript, an action that opens something, or embedded "
    "files. Save it without them, for example by printing it to a new PDF, and attach that"
)
MACROS = (
    "The selected file contains macros or other code. Save it as a document without "
    "macros (such as .docx or .xlsx) and attach that"
)
MACRO_EXTENSION = (
    "Macro-enabled documents (.docm, .xlsm, .pptm) cannot be attached. Save it as a "
    "document without macros (such as .docx or .xlsx) and attach that"
)
MARKUP = (
    "The selected file contains web page, SVG or XML content, which can run code when "
    "opened. Attach it as a PDF instead"
)
EMAIL = (
    "The selected email contains script, or an attachment that is a program or has "
    "macros. Save the parts you need as PDF and attach those"
)
MACRO_EXTENSIONS = frozenset({"docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppam"})
# Extensions of files an email may not carry into a case record.
ACTIVE_EXTENSIONS = MACRO_EXTENSIONS | frozenset(
    {"exe", "dll", "com", "bat", "cmd", "scr", "js", "jse", "vbs", "vbe", "wsf", "ps1",
     "hta", "html", "htm", "svg", "xhtml", "msi", "lnk", "jar", "iso"}
)  # fmt: skip

_PDF_ACTIVE = {b"JS", b"JavaScript", b"Launch", b"EmbeddedFile", b"EmbeddedFiles",
               b"RichMedia", b"XFA"}  # fmt: skip
_PDF_NAME = re.compile(rb"/([A-Za-z0-9#_.+-]+)")
_PDF_STREAM = re.compile(rb"stream\r?\n")
_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
# Decompressed bytes looked at per stream, so that a zip bomb cannot exhaust memory.
_STREAM_LIMIT = 8 * 1024 * 1024
_MARKUP = re.compile(
    rb"<\s*(script|svg|html|iframe|frameset|object|embed|body|applet)\b"
    rb"|<\s*!doctype\s+html|<\?xml|javascript\s*:|<[a-z][^>]*\son[a-z]+\s*=",
    re.IGNORECASE,
)
_HTML_SCRIPT = re.compile(
    rb"<\s*(script|iframe|object|embed|applet)\b|javascript\s*:|\son[a-z]+\s*=", re.IGNORECASE
)
_OLE_VBA = ("_VBA_PROJECT".encode("utf-16-le"), "VBA".encode("utf-16-le") + b"\x00\x00")


def _read(file: IO[bytes]) -> bytes:
    file.seek(0)
    try:
        return file.read()
    finally:
        file.seek(0)


def _pdf_names(data: bytes) -> set[bytes]:
    return {_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), n) for n in _PDF_NAME.findall(data)}


def _pdf_streams(data: bytes):
    """The decompressed content of each stream that inflates (FlateDecode)."""
    for match in _PDF_STREAM.finditer(data):
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            return
        inflater = zlib.decompressobj()
        try:
            yield inflater.decompress(data[start:end], _STREAM_LIMIT)
        except zlib.error:
            continue


def pdf_is_active(file: IO[bytes]) -> bool:
    data = _read(file)
    if _pdf_names(data) & _PDF_ACTIVE:
        return True
    return any(_pdf_names(stream) & _PDF_ACTIVE for stream in _pdf_streams(data))


def office_is_active(file: IO[bytes]) -> bool:
    """OOXML or OpenDocument with macros, scripts or ActiveX controls."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = [n.lower() for n in archive.namelist()]
            types = b""
            if "[content_types].xml" in names:
                info = archive.getinfo(archive.namelist()[names.index("[content_types].xml")])
                if info.file_size < 1024 * 1024:
                    types = archive.read(info).lower()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, OSError):
        return False
    finally:
        file.seek(0)
    if any(n.rsplit("/", 1)[-1] in {"vbaproject.bin", "vbadata.xml"} for n in names):
        return True
    if any(n.startswith(("activex/", "word/activex/", "xl/activex/", "ppt/activex/"))
           for n in names):  # fmt: skip
        return True
    if any(n.startswith(("basic/", "scripts/")) for n in names):  # OpenDocument macros
        return True
    return b"macroenabled" in types or b"vbaproject" in types


def ole_is_active(file: IO[bytes]) -> bool:
    """An OLE2 compound file (an Outlook message) holding a VBA project."""
    data = _read(file)
    return any(marker in data for marker in _OLE_VBA)


def text_is_markup(file: IO[bytes]) -> bool:
    return bool(_MARKUP.search(_read(file)))


def email_is_active(file: IO[bytes]) -> bool:
    message = email.message_from_bytes(_read(file), policy=email.policy.default)
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = (part.get_filename() or "").strip().lower()
        if filename.rsplit(".", 1)[-1] in ACTIVE_EXTENSIONS:
            return True
        content_type = part.get_content_type()
        payload = part.get_payload(decode=True) or b""
        if content_type in {"text/html", "application/xhtml+xml"} and _HTML_SCRIPT.search(payload):
            return True
        if content_type in {"image/svg+xml", "text/xml", "application/xml", "text/javascript",
                            "application/javascript", "application/x-msdownload"}:  # fmt: skip
            return True
    return False


CHECKS = {
    "pdf": (pdf_is_active, PDF),
    "docx": (office_is_active, MACROS),
    "xlsx": (office_is_active, MACROS),
    "odt": (office_is_active, MACROS),
    "msg": (ole_is_active, MACROS),
    "txt": (text_is_markup, MARKUP),
    "eml": (email_is_active, EMAIL),
}


def active_content_message(type_key: str, file: IO[bytes]) -> str | None:
    """Why a file of the detected type ``type_key`` is refused, or None if it is inert."""
    check = CHECKS.get(type_key)
    if check is None:
        return None
    is_active, message = check
    return message if is_active(file) else None
