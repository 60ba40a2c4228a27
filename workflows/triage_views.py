"""The triage queue page (/triage/, issue 19): a lead's unallocated cases to work from.

Reads through ``workflows.triage`` (the lead's teams' cases they see in full); allocating
one or several cases at once goes through ``casework.services.cases_allocate`` (each case
through the one allocation service, audited and permission-checked, all or none).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from casework.counting import CappedPaginator
from casework.reads import case_list_read_note
from casework.selectors import team_case_list_for_user
from casework.services import cases_allocate
from workflows.intake import error_messages
from workflows.list_views import page_query
from workflows.triage import (
    ORDERS,
    PAGE_SIZE,
    SORTS,
    TABS,
    allocation_choices_for_user,
    is_lead,
    queue_row,
    triage_counts_for_user,
    triage_queue_for_user,
)

ONLY_LEADS = "Only a safeguarding lead has a triage queue."
# Oldest first is how a queue is worked; a deadline soonest first.
FIRST_ORDER = {"raised": "asc", "due": "asc"}


def _headers(sort: str, order: str, params: QueryDict) -> dict[str, dict[str, str]]:
    headers = {}
    for key in SORTS:
        if key == sort:
            aria = "ascending" if order == "asc" else "descending"
            next_order = "desc" if order == "asc" else "asc"
        else:
            aria, next_order = "none", FIRST_ORDER[key]
        headers[key] = {"aria": aria, "url": page_query(params, sort=key, order=next_order)}
    return headers


def _page(
    request: HttpRequest, *, errors: dict[str, list[str]], chosen: dict[str, Any], status=200
) -> HttpResponse:
    params = request.GET
    tab = params.get("tab") if params.get("tab") in TABS else "new"
    sort = params.get("sort") if params.get("sort") in SORTS else "raised"
    order = params.get("order") if params.get("order") in ORDERS else FIRST_ORDER[sort]
    cases = triage_queue_for_user(request.user, tab=tab, sort=sort, order=order)
    # The tabs' counts are the queue's: the list is not counted a second time.
    counts = triage_counts_for_user(request.user)
    asked = params.get("page")
    page = CappedPaginator(cases, PAGE_SIZE, page=asked, count=counts[tab]).get_page(asked)
    case_list_read_note(
        filters={"queue": tab, "sort": sort, "order": order},
        count=page.paginator.count,
        page=page.number,
    )
    now = timezone.now()
    summary = [
        (anchor, message)
        for anchor, field in (("cases", "cases"), ("assignee", "assignee"))
        for message in errors.get(field, [])
    ]
    context = {
        "tab": tab,
        "tabs": [
            {"key": key, "label": label, "count": counts[key], "url": page_query(params, tab=key)}
            for key, label in TABS.items()
        ],
        "tab_label": TABS[tab],
        "sort": sort,
        "order": order,
        "headers": _headers(sort, order, params),
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1),
        "rows": [queue_row(case, now) for case in page],
        "workers": allocation_choices_for_user(request.user),
        "errors": errors,
        "error_summary": summary,
        "chosen": chosen,
    }
    return render(request, "workflows/triage_queue.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def triage_queue(request: HttpRequest) -> HttpResponse:
    """GET: the queue. POST: allocate the ticked cases to the chosen person (all or
    none); back to the queue with what was done, or the queue again with the errors."""
    if not is_lead(request.user):
        return render(request, "workflows/forbidden.html", {"message": ONLY_LEADS}, status=403)
    if request.method == "GET":
        return _page(request, errors={}, chosen={})
    references = request.POST.getlist("cases")
    assignee_id = request.POST.get("assignee", "")
    chosen = {"cases": references, "assignee": assignee_id}
    workers = {str(w.pk): w for w in allocation_choices_for_user(request.user)}
    found = list(
        team_case_list_for_user(request.user)
        .filter(reference__in=references)
        .order_by("raised_at", "pk")
    )
    errors: dict[str, list[str]] = {}
    if not references:
        errors["cases"] = ["Select the cases to allocate."]
    elif len(found) != len(set(references)):
        errors["cases"] = ["Some of the selected cases can no longer be allocated from here."]
    worker = workers.get(assignee_id)
    if worker is None:
        errors["assignee"] = ["Choose who to allocate the cases to."]
    if errors:
        return _page(request, errors=errors, chosen=chosen, status=400)
    assignee = get_user_model().objects.get(pk=worker.pk)
    try:
        cases_allocate(cases=found, actor=request.user, assignee=assignee)
    except ValidationError as exc:
        return _page(request, errors=error_messages(exc), chosen=chosen, status=400)
    except PermissionDenied:
        return render(request, "workflows/forbidden.html", {"message": ONLY_LEADS}, status=403)
    name = assignee.get_full_name() or assignee.get_username()
    listed = ", ".join(c.reference for c in found)
    messages.success(
        request,
        f"{len(found)} case{'s' if len(found) != 1 else ''} allocated to {name}: {listed}",
    )
    return redirect(request.get_full_path())
