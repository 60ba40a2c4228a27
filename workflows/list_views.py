"""The case list: the cases a user may see, searched, filtered, sorted and paged.

It only reads, through ``workflows.case_search.case_search_for_user`` (the same selector
as ``GET /api/v1/cases/``), so a hidden case never shows; a case the user may know only
as received (a Prevent referral they raised) shows its reference, type, "Received" and
when, and is never found or ordered by what it does not show (``case_is_limited``).
Sorting and paging are done in the database: a page of 25 is all the browser gets, so
sorting in the browser would only sort that page.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from casework.counting import CappedPaginator
from casework.dates import date_words
from casework.forms import CaseFilterForm, govuk_controls, govuk_error_summary
from casework.links import case_url
from casework.models import Case
from casework.reads import case_list_read_note
from casework.roles import figures_only
from casework.search_index import first_line
from casework.selectors import case_is_limited
from workflows.case_search import (
    DEFAULT_ORDER,
    DEFAULT_SORT,
    SORT_LABELS,
    SORTS,
    FoundIn,
    case_filter_owners,
    case_filter_teams,
    case_search_for_user,
    case_search_found,
    owners_by_team,
)
from workflows.raiser import raiser_status
from workflows.registry import WORKFLOWS, get_workflow

PAGE_SIZE = 25
# Newest first is the useful way to read dates; text columns read A to Z first.
FIRST_ORDER = {"raised": "desc"}


@dataclasses.dataclass
class CaseRow:
    """A case in a list, with what its row shows worked out here rather than looked up
    by the template row by row (the case list's rows were a fifth of its Python calls)."""

    case: Case
    type_label: str
    state_label: str
    terminal: bool
    limited: bool
    overdue: bool = False
    url: str = ""
    # What the search found in the case, in words (``found_in``); "" when not searched.
    found: str = ""

    @property
    def owner_name(self) -> str:
        """Who it is allocated to, or "" (only the case list shows it, and selects the
        owner with the case; the person and premises pages never ask)."""
        owner = self.case.owner if self.case.owner_id else None
        return (owner.get_full_name() or owner.get_username()) if owner else ""


@dataclasses.dataclass
class FilterTag:
    heading: str
    label: str
    remove_url: str


@dataclasses.dataclass
class SortHeader:
    key: str
    label: str
    aria_sort: str
    url: str
    next_order: str


# The state choices made for each type ("" for every type), with the workflows they
# were made from: the registry can change (tests register workflows of their own).
_STATE_CHOICES: dict[str, tuple[tuple[Any, ...], tuple[tuple[str, str], ...]]] = {}


def _state_choices(case_type: str) -> list[tuple[str, str]]:
    """The states of the chosen type, or of every type (each value once), sorted by
    label. Made once for each type: reading the workflows' state enums took 0.15-0.2 ms
    of every case list, search and triage queue (docs/performance.md, 7 December 2026)."""
    key = case_type if case_type in WORKFLOWS else ""  # never a key per typed-in value
    registered = tuple(WORKFLOWS.values())
    made = _STATE_CHOICES.get(key)
    if made is None or made[0] != registered:
        workflows = [WORKFLOWS[key]] if key else registered
        states: dict[str, str] = {}
        for workflow in workflows:
            for value, label in workflow.states.choices:
                states.setdefault(value, label)
        made = (registered, tuple(sorted(states.items(), key=lambda item: item[1])))
        _STATE_CHOICES[key] = made
    return list(made[1])


def case_row(user: Any, case: Case) -> CaseRow:
    """A case in a list; one seen only as its raiser (``full_content`` False, annotated
    by the search) shows its status in plain words and no clock (issue 17)."""
    workflow = get_workflow(case.case_type)
    limited = case_is_limited(user, case)
    full = getattr(case, "full_content", True)
    return CaseRow(
        case=case,
        type_label=workflow.label,
        state_label=workflow.state_label(case.state) if full else raiser_status(case, workflow),
        terminal=case.state in workflow.terminal_states,
        limited=limited,
        overdue=bool(getattr(case, "has_overdue_deadline", False)) and not limited and full,
        url=case_url(case.reference),
    )


def found_in(user: Any, q: str, rows: list[CaseRow]) -> None:
    """Say on each row what the search ``q`` found in its case (``case_search_found``):
    the people it matched, by name and date of birth, and the premises, by first line
    and postcode; nothing on a case not seen in full."""
    said = case_search_found(user, q, [row.case for row in rows])
    for row in rows:
        if row.case.pk in said:
            row.found = found_words(said[row.case.pk])


def found_words(found: FoundIn) -> str:
    """``FoundIn`` in words: "Ioana Cooper, also known as Jo (born 3 November 1962); 171
    Manor Road, RC29 4AL" (a person's other names, which the search looks in too)."""
    parts = []
    for person in found.people:
        name = " ".join(p for p in (person["given_names"], person["family_name"]) if p)
        born = date_words(person["date_of_birth"])
        name = name or "Name not known"
        if person["aliases"]:
            name = f"{name}, also known as {person['aliases']}"
        parts.append(f"{name} (born {born})" if born else name)
    if found.premises is not None:
        address, postcode = found.premises
        parts.append(", ".join(p for p in (first_line(address).strip(), postcode) if p))
    return "; ".join(parts)


def _person_label(user: dict[str, Any]) -> str:
    """ "Full Name (username)", or the username alone (an owner's row of
    ``case_filter_owners``)."""
    name = f"{user['first_name']} {user['last_name']}".strip()
    return f"{name} ({user['username']})" if name else user["username"]


def page_query(params: QueryDict, **changes: str | None) -> str:
    """The page's address with ``changes`` (None removes a parameter), back on page 1:
    the parameters kept in their order, those changed after them, as ``QueryDict``
    writes them. Written from the pairs rather than a copy of the ``QueryDict`` (a deep
    copy, 20 microseconds; a list page asks for eight addresses)."""
    pairs = [
        (name, value)
        for name, values in params.lists()
        if name != "page" and name not in changes
        for value in values
    ]
    pairs += [(name, value) for name, value in changes.items() if value is not None]
    text = urlencode(pairs)
    return f"?{text}" if text else "?"


def _tags(form: CaseFilterForm, filters: dict[str, str], params: QueryDict) -> list[FilterTag]:
    """One "Selected filters" tag per filter (and the search), each removing only itself."""
    tags = []
    if filters.get("q"):
        tags.append(FilterTag("Search", f"“{filters['q']}”", page_query(params, q=None)))
    for name in CaseFilterForm.FILTERS:
        if name in filters:
            label = form.choice_label(name, filters[name])
            heading = str(form.fields[name].label)
            tags.append(FilterTag(heading, label, page_query(params, **{name: None})))
    return tags


def _headers(sort: str, order: str, params: QueryDict) -> list[SortHeader]:
    """The table's column headers as MOJ sortable-table headers whose buttons are links:
    the current column says its direction in ``aria-sort``; choosing it again reverses."""
    headers = []
    for key in SORTS:
        current = key == sort
        if current:
            aria, next_order = (
                ("ascending" if order == "asc" else "descending"),
                ("desc" if order == "asc" else "asc"),
            )
        else:
            aria, next_order = "none", FIRST_ORDER.get(key, "asc")
        url = page_query(params, sort=key, order=next_order)
        headers.append(SortHeader(key, SORT_LABELS[key], aria, url, next_order))
    return headers


def _selector_filters(filters: dict[str, str], teams: list, owners: list) -> dict[str, Any]:
    """The form's values as the selector takes them (a team and an owner by id)."""
    chosen = {k: v for k, v in filters.items() if k not in ("sort", "order", "team", "owner")}
    if "team" in filters:
        chosen["team"] = next(t["pk"] for t in teams if t["slug"] == filters["team"])
    owner = filters.get("owner")
    if owner in ("me", "unallocated"):
        chosen["owner"] = owner
    elif owner:
        chosen["owner"] = next(u["pk"] for u in owners if u["username"] == owner)
    return chosen


def _form(
    request: HttpRequest, teams: list, owners: list, team: dict[str, Any] | None
) -> CaseFilterForm:
    form = CaseFilterForm(
        request.GET,
        case_types=[(w.case_type, w.label) for w in WORKFLOWS.values()],
        states=_state_choices(request.GET.get("case_type", "")),
        teams=[(t["slug"], t["name"]) for t in teams],
        owners=[(u["username"], _person_label(u)) for u in owners],
        sorts=[(key, SORT_LABELS[key]) for key in SORTS],
    )
    if owners_by_team(request.user):
        # Every team's case workers are too many for one list (``case_filter_owners``).
        form.fields["owner"].help_text = (
            f"The case workers of {team['name']}"
            if team
            else "Choose a team and apply the filters to choose one of its case workers"
        )
    return form


@login_required
@require_http_methods(["GET"])
def case_list(request: HttpRequest) -> HttpResponse:
    """The cases the user may see, newest first, 25 a page, searched, filtered and sorted
    as asked; a value that is not one of the choices is shown as an error.

    A fixed number of queries whatever the number of cases (tests/casework/test_case_pages.py).
    A partnership analyst, who sees figures and no case, is refused (403).
    """
    if figures_only(request.user):
        raise PermissionDenied("A partnership analyst sees figures, not cases.")
    teams = case_filter_teams(request.user)
    team = next((t for t in teams if t["slug"] == request.GET.get("team")), None)
    owners = case_filter_owners(
        request.user, team=team["pk"] if team else None, chosen=request.GET.get("owner", "")
    )
    form = _form(request, teams, owners, team)
    valid = form.is_valid()
    filters = form.filters()
    sort = filters.get("sort", DEFAULT_SORT)
    order = filters.get("order", DEFAULT_ORDER if sort == DEFAULT_SORT else "asc")
    controls = {c.name: c for c in govuk_controls(form)}
    context: dict[str, Any] = {
        "form": form,
        "filters": filters,
        "controls": controls,
        "error_summary": govuk_error_summary(form, list(controls.values())) if not valid else [],
        "tags": _tags(form, filters, request.GET),
        "headers": _headers(sort, order, request.GET),
        "sort": sort,
        "order": order,
        "searched": {k: v for k, v in filters.items() if k not in ("sort", "order")},
    }
    if valid:
        # A list never shows what the concern said: the intake's answers (``details``,
        # kilobytes a case in use) are neither read nor decoded for its rows.
        cases = case_search_for_user(
            request.user, _selector_filters(filters, teams, owners), sort=sort, order=order
        ).defer("details")
        asked = request.GET.get("page")
        page = CappedPaginator(cases, PAGE_SIZE, page=asked).get_page(asked)
        case_list_read_note(filters=filters, count=page.paginator.count, page=page.number)
        context |= {
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1),
            "rows": [case_row(request.user, case) for case in page],
        }
        if filters.get("q"):
            found_in(request.user, filters["q"], context["rows"])
    return render(request, "casework/case_list.html", context)
