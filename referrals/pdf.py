"""A referral as a PDF, for partners that take referrals by secure email.

Drawn with reportlab's platypus from the same rows as the page and the print view
(``referrals.presenters``), so it says exactly what they say. Every page carries the case
reference and the referral's number in its header, and the protective marking. Text uses
the standard Helvetica font, so nothing is embedded and the text stays searchable.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from referrals.presenters import Row

MARKING = "OFFICIAL-SENSITIVE"
MARGIN = 18 * mm


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Heading1"], fontSize=16, leading=20),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontSize=12, leading=15),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontSize=9.5, leading=12),
        "key": ParagraphStyle(
            "key", parent=base["BodyText"], fontSize=9.5, leading=12, fontName="Helvetica-Bold"
        ),
    }


def _text(value: str) -> str:
    return escape(value).replace("\n", "<br/>")


def _table(rows: Sequence[Row], styles: dict[str, ParagraphStyle]) -> Table:
    data = [
        [
            Paragraph(_text(row.label), styles["key"]),
            Paragraph(_text("\n".join(row.lines)), styles["body"]),
        ]
        for row in rows
    ]
    table = Table(data, colWidths=[60 * mm, None], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def referral_pdf(
    *,
    reference: str,
    title: str,
    notice: str,
    sections: Sequence[tuple[str, Sequence[Row]]],
) -> bytes:
    """The PDF's bytes: a title, an optional notice, then each (heading, rows) section;
    ``reference`` (e.g. "Case SC-2026-000123 | Referral 7") heads and foots every page."""
    buffer = io.BytesIO()
    header = f"{reference}  |  {MARKING}"

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawString(MARGIN, A4[1] - 11 * mm, header)
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, f"Page {doc.page}")
        canvas.drawString(MARGIN, 10 * mm, reference)
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4 * mm,
        bottomMargin=MARGIN,
        title=f"{title}: {reference}",
        author="Safecase",
    )
    styles = _styles()
    story: list[Any] = [Paragraph(_text(title), styles["title"])]
    if notice:
        story += [Paragraph(_text(notice), styles["body"]), Spacer(1, 4 * mm)]
    for heading, rows in sections:
        if rows:
            story += [
                Paragraph(_text(heading), styles["h2"]),
                _table(rows, styles),
                Spacer(1, 4 * mm),
            ]
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
