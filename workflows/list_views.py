"""The case list: the cases a user may see, filtered, searched, sorted and paged.

It only reads, through ``case_list_for_user``, so a hidden case never shows; a case the
user may know only as received (a Prevent referral they raised) shows its reference,
type and "Received" (``case_is_limited``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from casework.forms import CaseFilterForm
from casework.models import Case
from casework.selectors import case_content_list_for_user, case_is_limited, case_list_for_user
from casework.services import case_list_record
from workflows.registry import WORKFLOWS, get_workflow

PAGE_SIZE = 25


@dataclasses.dataclass
class CaseRow:
    case: Case
    type_label: str
    state_label: str
    terminal: bool
    limited: bool


def _state_choices(case_type: str) -> list[tuple[str, str]]:
    """The states of the chosen type, or of every type (each value once)."""
    workflows = [WORKFLOWS[case_type]] if case_type in WORKFLOWS else WORKFLOWS.values()
    states: dict[str, str] = {}
    for workflow in workflows:
        for value, label in workflow.states.choices:
            states.setdefault(value, label)
    return sorted(states.items(), key=lambda item: item[1])


def _filtered_cases(user: Any, filters: dict[str, str]) -> QuerySet[Case]:
    cases = case_list_for_user(user).select_related("team", "owner")
    if "case_type" in filters:
        cases = cases.filter(case_type=filters["case_type"])
    if "state" in filters:
        # A Prevent case under "Channel panel" would tell its raiser the state the case
        # page keeps from them, so a state filter keeps to cases seen in full.
        cases = cases.filter(state=filters["state"], pk__in=case_content_list_for_user(user))
    return cases.order_by("-raised_at", "-pk")


def case_row(user: Any, case: Case) -> CaseRow:
    workflow = get_workflow(case.case_type)
    return CaseRow(
        case=case,
        type_label=workflow.label,
        state_label=workflow.state_label(case.state),
        terminal=case.state in workflow.terminal_states,
        limited=case_is_limited(user, case),
    )


@login_required
@require_http_methods(["GET"])
def case_list(request: HttpRequest) -> HttpResponse:
    """The cases the user may see, newest first, 25 a page, by type and state if asked.

    A fixed number of queries whatever the page size (tests/casework/test_case_pages.py).
    """
    chosen_type = request.GET.get("case_type", "")
    form = CaseFilterForm(
        request.GET,
        case_types=[(w.case_type, w.label) for w in WORKFLOWS.values()],
        states=_state_choices(chosen_type),
    )
    filters = form.filters()
    page = Paginator(_filtered_cases(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    case_list_record(
        user=request.user, filters=filters, count=page.paginator.count, page=page.number
    )
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1),
        "rows": [case_row(request.user, case) for case in page],
    }
    return render(request, "casework/case_list.html", context)
