"""The auditor's workspace: search the audit log, a case's full timeline, CSV export.

Auditors only (DESIGN.md "Access"): anyone else signed in gets a plain 403, and anyone
signed out goes to sign-in. Every page only reads, so any method but GET is refused
(405), and every read is itself recorded in the audit log: a search, a case's timeline
(as a view of the case) and an export.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max, Model, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from casework.audit import (
    AuditVerb,
    audit_case_condition,
    audit_chain_latest,
    audit_event_list_for_user,
    audit_event_search_for_user,
    audit_label,
    user_display_name,
    verb_label,
)
from casework.audit_describe import (
    DescribedEvent,
    NameBook,
    actor_name,
    column_label,
    column_words,
    describe,
    describe_events,
    describe_text,
    field_for,
    humanise,
    words,
)
from casework.counting import CappedPaginator
from casework.dates import datetime_words
from casework.forms import AuditSearchForm, govuk_controls, govuk_error_summary
from casework.models import AuditEvent, Case, Person, Premises
from casework.roles import Role, roles_of
from casework.selectors import case_get_for_user
from casework.services import audit_export_record, audit_search_record

User = get_user_model()
PAGE_SIZE = 50
EXPORT_CHUNK = 2000
NOT_AN_AUDITOR = "Only auditors can use the audit log."
MAX_VALUE_LENGTH = 200


def auditor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else to sign-in) as an auditor (else 403); only GET reaches the page."""
    read_only = require_GET(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if Role.AUDITOR not in roles_of(request.user):
            context = {"message": NOT_AN_AUDITOR}
            return render(request, "audit/forbidden.html", context, status=403)
        return read_only(request, *args, **kwargs)

    return login_required(wrapped)


# Describing events in words: casework.audit_describe ---------------------------------


def _rows(events: Iterable[AuditEvent]) -> list[DescribedEvent]:
    return describe_events(events)


# The search page ----------------------------------------------------------------------


def _search_form(request: HttpRequest) -> AuditSearchForm:
    data = {k: v for k, v in request.GET.items() if k != "page"}
    return AuditSearchForm(data if data else None)


def _search_context(form: AuditSearchForm) -> dict[str, Any]:
    controls = govuk_controls(form)
    return {
        "form": form,
        "controls": {c.name: c for c in controls},
        "error_summary": govuk_error_summary(form, controls),
        "chain": audit_chain_latest(),
    }


@auditor_required
def audit_search(request: HttpRequest) -> HttpResponse:
    """Search the audit log, newest first, 50 a page; with no filters, every event.

    A fixed number of queries whatever the page holds (actor and case are joined, the
    names events refer to are fetched at once). The search is itself recorded.
    """
    form = _search_form(request)
    context = _search_context(form)
    if form.is_bound and not form.is_valid():
        return render(request, "audit/search.html", context, status=400)
    filters = form.filters() if form.is_bound else {}
    events = audit_event_search_for_user(request.user, filters)
    asked = request.GET.get("page")
    page = CappedPaginator(events, PAGE_SIZE, page=asked).get_page(asked)
    rows = _rows(page)
    audit_search_record(
        user=request.user, filters=filters, count=page.paginator.count, page=page.number
    )
    context.update(
        searched=True,
        filters=filters,
        page=page,
        page_range=page.paginator.get_elided_page_range(page.number, on_each_side=1),
        rows=rows,
        export_query=urlencode(filters),
    )
    return render(request, "audit/search.html", context)


# A case's timeline --------------------------------------------------------------------


@dataclasses.dataclass
class RowChange:
    """One row-history event (pghistory): a row of the case, a person or the premises
    as the database trigger copied it, with what changed since the row before."""

    at: datetime
    subject: str
    label: str
    changes: list[str]
    by: str

    @property
    def when(self) -> str:
        return datetime_words(self.at)


# Columns whose change says nothing an auditor needs (they move with every change).
_QUIET_COLUMNS = {"id", "created_at", "updated_at"}


def _columns(model: type[Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if f.name not in _QUIET_COLUMNS]


def _diff(model: type[Model], columns: list[str], before: Any, after: Any, case_type: str):
    lines = []
    for column in columns:
        old, new = getattr(before, column), getattr(after, column)
        if old == new:
            continue
        label = column_label(model, column)
        if isinstance(old, dict) and isinstance(new, dict):
            keys = [k for k in {**old, **new} if old.get(k) != new.get(k)]
            for key in keys:
                field = field_for(case_type, "", key)
                name = getattr(field, "label", None) or humanise(key)
                lines.append(
                    f"{label} › {name}: {words(old.get(key), field)} → {words(new.get(key), field)}"
                )
        else:
            was = column_words(model, column, old, case_type=case_type)
            now = column_words(model, column, new, case_type=case_type)
            lines.append(f"{label}: {was} → {now}")
    return lines


def _history(
    tracked: type[Model],
    object_ids: list[int],
    subject: Callable[[Any], str],
    case_type: str = "",
) -> list[tuple[Any, RowChange]]:
    """The row history of some objects of ``tracked``, each event diffed against the
    one before it for the same object."""
    if not object_ids:
        return []
    event_model = apps.get_model(tracked._meta.app_label, f"{tracked.__name__}Event")
    columns = _columns(tracked)
    events = (
        event_model.objects.filter(pgh_obj_id__in=object_ids)
        .select_related("pgh_context")
        .order_by("pgh_obj_id", "pgh_id")
    )
    found, previous = [], {}
    for event in events:
        before = previous.get(event.pgh_obj_id)
        changes = _diff(tracked, columns, before, event, case_type) if before else []
        previous[event.pgh_obj_id] = event
        context = event.pgh_context.metadata if event.pgh_context is not None else {}
        change = RowChange(event.pgh_created_at, subject(event), event.pgh_label, changes, "")
        found.append((context, change))
    return found


def _row_history(case: Case) -> list[RowChange]:
    """The row history of the case, its people and its premises, oldest first; who made
    a change is shown where the service that made it said so (pghistory context)."""
    people = {link.person_id: link.person for link in case.case_people.select_related("person")}
    found = [
        *_history(Case, [case.pk], lambda e: f"Case {case.reference}", case.case_type),
        *_history(
            Person,
            list(people),
            lambda e: f"Person: {people[e.pgh_obj_id].full_name or 'name not known'}",
        ),
        *_history(Premises, [case.premises_id] if case.premises_id else [], lambda e: "Premises"),
    ]
    ids = {c.get("user") for c, _ in found if isinstance(c.get("user"), int)}
    names = {u.pk: user_display_name(u) for u in User.objects.filter(pk__in=ids)}
    for context, change in found:
        change.by = names.get(context.get("user"), "")
    return sorted((change for _, change in found), key=lambda c: c.at)


# Looks at a case or its people, which the timeline can hide (issue 20).
VIEW_VERBS = [AuditVerb.CASE_VIEWED, AuditVerb.PERSON_VIEWED, AuditVerb.ATTACHMENT_DOWNLOADED]


@auditor_required
def audit_case_timeline(request: HttpRequest, reference: str) -> HttpResponse:
    """Everything recorded about a case, oldest first: every audit event of the case,
    its people and premises (raised, state changes, edits with before and after, views,
    allocations, grants, and referrals and reminders where their apps record them), then
    the database's row history of the same rows. Opening it records a view of the case.
    """
    case = case_get_for_user(request.user, reference)
    events = (
        audit_event_list_for_user(request.user, {})
        .filter(audit_case_condition(Case.objects.filter(pk=case.pk)))
        .select_related("view_repeat")
        .order_by("id")
    )
    show_views = request.GET.get("views") != "hide"
    views = events.filter(verb__in=VIEW_VERBS)
    view_events = views.count()
    if not show_views:
        events = events.exclude(verb__in=VIEW_VERBS)
    context = {
        "show_views": show_views,
        "view_events": view_events,
        "case": case,
        "case_type_label": case.get_case_type_display(),
        "state_label": audit_label(case.case_type, "state", case.state),
        "team_name": case.team.name,
        "raised_words": datetime_words(case.raised_at),
        "people": [link.person for link in case.case_people.select_related("person")],
        "rows": _rows(events),
        "row_history": _row_history(case),
    }
    return render(request, "audit/case_timeline.html", context)


# CSV export ---------------------------------------------------------------------------

CSV_HEADER = [
    "id",
    "at",
    "actor",
    "action",
    "verb",
    "case",
    "object_type",
    "object_id",
    "data",
    "prev_hash",
    "hash",
    "when",
    "by",
    "description",
]
# A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write returns the line, for csv.writer to stream with."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv_line(event: AuditEvent, names: NameBook) -> list[str]:
    """The machine columns (unchanged) then the event in words: when, by whom, what."""
    return [
        _cell(value)
        for value in (
            event.pk,
            timezone.localtime(event.at).isoformat(),
            event.actor.get_username() if event.actor is not None else "",
            verb_label(event.verb),
            event.verb,
            event.case.reference if event.case is not None else "",
            event.object_type,
            event.object_id,
            json.dumps(event.data, sort_keys=True, ensure_ascii=False),
            event.prev_hash,
            event.hash,
            datetime_words(event.at),
            actor_name(event),
            describe_text(describe(event, names)),
        )
    ]


def _csv_stream(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    chunk: list[AuditEvent] = []
    for event in events.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(event)
        if len(chunk) == EXPORT_CHUNK:
            yield from _csv_chunk(writer, chunk)
            chunk = []
    yield from _csv_chunk(writer, chunk)


def _csv_chunk(writer: Any, chunk: list[AuditEvent]) -> Iterator[str]:
    names = NameBook(chunk)  # one lookup per kind of name for the chunk
    for event in chunk:
        yield writer.writerow(_csv_line(event, names))


@auditor_required
def audit_export(request: HttpRequest) -> HttpResponse:
    """The current search as CSV, oldest first, streamed, with a header row and each
    event's hashes so the file can be checked against the chain. The export is recorded
    (filters and row count) before the first row goes out; events written meanwhile,
    the export's own included, are left out so the count is what the file holds."""
    form = _search_form(request)
    if form.is_bound and not form.is_valid():
        return render(request, "audit/search.html", _search_context(form), status=400)
    filters = form.filters() if form.is_bound else {}
    events = audit_event_list_for_user(request.user, filters)
    bounds = events.aggregate(last=Max("id"), count=Count("id"))
    events = events.filter(id__lte=bounds["last"] or 0).order_by("id")
    audit_export_record(user=request.user, filters=filters, count=bounds["count"])
    response = StreamingHttpResponse(_csv_stream(events), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response
