"""The committee pack page and its downloads (PDF, XLSX, CSV): thin views over
``reports.pack`` and ``reports.exports``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reports import access
from reports.exports import pack_csv, pack_pdf, pack_xlsx
from reports.indicator_views import NO_FIGURES, forbidden, period_of
from reports.pack import committee_pack

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@login_required
@require_GET
def pack_page(request: HttpRequest) -> HttpResponse:
    """The pack of a reporting month, printable, with links to its downloads."""
    if not access.may_see_figures(request.user):
        return forbidden(request, NO_FIGURES)
    period, error = period_of(request)
    context = {
        "pack": committee_pack(request.user, period),
        "period": period,
        "period_error": error,
        "error_summary": [("period", error)] if error else [],
    }
    return render(request, "reports/committee_pack.html", context, status=400 if error else 200)


@login_required
@require_GET
def pack_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The pack as published: every count of 1 to 4 reads "fewer than 5"."""
    if fmt not in CONTENT_TYPES:
        raise Http404("No such format.")
    if not access.may_see_figures(request.user):
        return forbidden(request, NO_FIGURES)
    period, error = period_of(request)
    if error:
        return pack_page(request)  # the page, with the error
    pack = committee_pack(request.user, period)
    body = {"pdf": pack_pdf, "xlsx": pack_xlsx, "csv": pack_csv}[fmt](pack)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    name = f"committee-pack-{period:%Y-%m}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
