"""A chronology of a case, or of a person across cases, for auditors (issue 20): on
screen, as a PDF and as CSV; producing one is recorded in the audit log."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from casework.audit_views import auditor_required
from casework.chronology import Entry, chronology_for_case, chronology_for_person
from casework.dates import date_words
from casework.models import Case
from casework.selectors import case_get_for_user, person_list_for_user
from casework.services import chronology_record

FORMATS = ("html", "pdf", "csv")
MARKING = "OFFICIAL-SENSITIVE"
CSV_HEADER = ["at", "when", "case", "kind", "what", "by", "details"]


def _format(request: HttpRequest) -> str:
    chosen = request.GET.get("format", "html")
    return chosen if chosen in FORMATS else "html"


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def _csv(entries: Sequence[Entry], filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for e in entries:
        row = [e.at.isoformat(), e.when, e.case, e.kind, e.title, e.by, e.details]
        writer.writerow([_cell(str(v)) for v in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _text(value: str) -> str:
    return escape(value).replace("\n", "<br/>")


def chronology_pdf(*, title: str, intro: str, entries: Sequence[Entry]) -> bytes:
    """The chronology as a PDF: real text in a table with a repeated header row, the
    document's title and author set, the protective marking on every page."""
    buffer = io.BytesIO()
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontSize=8.5, leading=11)
    head = ParagraphStyle("head", parent=body, fontName="Helvetica-Bold")
    page = landscape(A4)

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawString(15 * mm, page[1] - 10 * mm, f"{title}  |  {MARKING}")
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(page[0] - 15 * mm, 8 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer, pagesize=page, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=18 * mm,
        bottomMargin=15 * mm, title=title, author="Safecase", subject="Chronology", lang="en-GB",
    )  # fmt: skip
    rows = [[Paragraph(h, head) for h in ("When", "Case", "What", "By", "Details")]]
    rows += [
        [Paragraph(_text(v), body) for v in (e.when, e.case, e.title, e.by, e.details)]
        for e in entries
    ]
    table = Table(rows, colWidths=[38 * mm, 30 * mm, 50 * mm, 35 * mm, None], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f2f1")),
            ]
        )
    )
    story = [Paragraph(_text(title), base["Heading1"]), Paragraph(_text(intro), body), table]
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _respond(
    request: HttpRequest,
    *,
    title: str,
    intro: str,
    filename: str,
    entries: list[Entry],
    context: dict[str, Any],
) -> HttpResponse:
    chosen = _format(request)
    if chosen == "csv":
        return _csv(entries, filename)
    if chosen == "pdf":
        body = chronology_pdf(title=title, intro=intro, entries=entries)
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
        return response
    context.update(title=title, intro=intro, entries=entries)
    return render(request, "audit/chronology.html", context)


def _intro(cases: Sequence[Case]) -> str:
    stamp = date_words(timezone.now())
    covered = ", ".join(c.reference for c in cases) or "no case"
    return (
        f"Produced on {stamp} from Safecase's records of {covered}: what was done, notes as "
        "written, referrals and how each clock ended, in date order. Views and searches are "
        "in the audit log."
    )


@auditor_required
def case_chronology(request: HttpRequest, reference: str) -> HttpResponse:
    """A case's chronology; producing it, in any format, is recorded on the case."""
    case = case_get_for_user(request.user, reference)
    entries = chronology_for_case(case)
    chronology_record(
        user=request.user, subject=case.reference, export_format=_format(request),
        cases=[case], count=len(entries), case=case,
    )  # fmt: skip
    return _respond(
        request,
        title=f"Chronology of {case.reference}",
        intro=_intro([case]),
        filename=f"chronology-{case.reference}",
        entries=entries,
        context={"case": case, "cases": [case]},
    )


@auditor_required
def person_chronology(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person's chronology across the cases the auditor may see."""
    person = get_object_or_404(person_list_for_user(request.user), pk=person_id)
    cases, entries = chronology_for_person(request.user, person)
    name = person.full_name or "a person whose name is not known"
    chronology_record(
        user=request.user, subject=name, export_format=_format(request), cases=cases,
        count=len(entries), person=person,
    )  # fmt: skip
    return _respond(
        request,
        title=f"Chronology of {name}",
        intro=_intro(cases),
        filename=f"chronology-person-{person.pk}",
        entries=entries,
        context={"person": person, "cases": cases},
    )
