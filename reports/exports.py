"""The committee pack as published: an accessible tagged PDF (WeasyPrint, PDF/UA-1, from
the same sections as the page), an XLSX workbook (openpyxl) and a CSV file. Each shows
every figure as published (``Cell.published``): counts from 1 to 4 read "fewer than 5"."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from reports.pack import Pack

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value: object) -> object:
    """Text a spreadsheet would run as a formula (an indicator named "=HYPERLINK(...)"),
    made plain text; numbers and figures such as "-477" or "+10.0%" stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        try:
            float(value.replace(",", "").rstrip("%"))
        except ValueError:
            return "'" + value
    return value


def pack_pdf(pack: Pack) -> bytes:
    """A tagged PDF (PDF/UA-1: structure tree, language, title, fonts embedded)."""
    from weasyprint import HTML, URLFetcher  # imported here: it loads Pango, only this needs it

    html = render_to_string("reports/committee_pack_pdf.html", {"pack": pack})
    # The pack is self-contained (its stylesheet inline, its charts inline SVG): no
    # protocol is allowed, so nothing in it can make the server read a file or a URL.
    fetcher = URLFetcher(allowed_protocols=())
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).write_pdf(
        pdf_variant="pdf/ua-1"
    )


def pack_xlsx(pack: Pack) -> bytes:
    """One worksheet a section: each table under its caption, numbers as numbers where
    they are published exact, suppressed counts as their words."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for section in pack.sections:
        sheet = book.create_sheet((section.sheet or section.title)[:31])
        sheet.append([pack.title])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([safe(section.title), pack.period_text])
        sheet.append([])
        tables = [*section.tables]
        for table in tables:
            sheet.append([safe(table.caption)])
            sheet.cell(sheet.max_row, 1).font = bold
            sheet.append(table.columns)
            for column in range(1, len(table.columns) + 1):
                sheet.cell(sheet.max_row, column).font = bold
            for row in table.rows:
                sheet.append(
                    [safe(row.header)]
                    + [c.number if c.number is not None else safe(c.published) for c in row.cells]
                )
            if table.note:
                sheet.append([table.note])
            sheet.append([])
        for chart in section.charts:
            sheet.append([safe(f"Data for the chart: {chart.title}")])
            sheet.cell(sheet.max_row, 1).font = bold
            sheet.append(["Month", "Value"])
            for row in chart.rows:
                sheet.append([row.header, safe(row.cells[0].published)])
            sheet.append([safe(chart.published_summary)])
            sheet.append([])
        sheet.column_dimensions[get_column_letter(1)].width = 60
        for column in range(2, 7):
            sheet.column_dimensions[get_column_letter(column)].width = 20
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pack_csv(pack: Pack) -> str:
    """One line a figure: section, table, row, column, value (as published)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "table", "row", "column", "value"])
    for section in pack.sections:
        for table in section.tables:
            for row in table.rows:
                for column, cell in zip(table.columns[1:], row.cells, strict=True):
                    writer.writerow(
                        [safe(v) for v in (section.title, table.caption, row.header, column)]
                        + [safe(cell.published)]
                    )
        for chart in section.charts:
            for row in chart.rows:
                writer.writerow(
                    [safe(section.title), safe(chart.title), row.header, "Value"]
                    + [safe(row.cells[0].published)]
                )
    return out.getvalue()
