"""The rows of the busiest tables, drawn in Python rather than by the template engine.

``{% load table_rows %}`` then ``{% audit_search_rows rows %}`` (the auditor's search,
50 events a page: templates/audit/search.html), ``{% case_list_rows rows %}`` (the case
list and triage queue, 25 cases a page: templates/casework/case_list.html), and the
home dashboard's panels, ``{% dashboard_case_rows panel.rows show_team %}`` and
``{% dashboard_deadline_rows panel.rows overdue %}`` (templates/casework/
_dashboard_cases.html and _dashboard_deadlines.html), and the triage queue's,
``{% triage_queue_rows rows tab chosen %}`` (templates/workflows/triage_queue.html), and
the case statistics' three tables, ``{% statistics_rows rows %}``, ``{% rolling_rows
rows %}`` and ``{% statistics_outcome_rows rows %}`` (templates/reports/
case_statistics.html: some thousand rows for every team's figures), and the items of a
case's timeline, ``{% case_timeline_items events case %}`` (templates/casework/
_case_timeline.html: the case page's latest events, the case history's 50 a page).
Each returns the ``<tr>`` elements of the table's body (the timeline, its items); the
table, its caption and its header stay in the template.

Why: Django's template engine resolves every ``{{ row.x.y }}`` through its generic
lookup, filter and escaping machinery, about 10 microseconds a value; a page of 50
audit events is some 600 such values, and drawing them was 4.5 ms of the search's 20 ms
of application CPU (the largest single part; docs/performance.md, "500,000 cases,
4 December 2026, evening"). Here the same markup costs a few hundred microseconds.

The rule that keeps this safe: every value that is not markup goes through
``conditional_escape`` (what ``{{ }}`` does with autoescape on), and the only markup
built here is the fixed GOV.UK table markup below. tests/casework/test_table_rows.py
renders hostile values through both tables.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django import template
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import dateformat, formats
from django.utils.safestring import SafeString, mark_safe

from casework.dates import date_words, datetime_words, in_service_zone
from casework.links import case_url, pk_url, reference_url
from casework.templatetags.references import reference

register = template.Library()


def _esc(value: Any) -> str:
    """``conditional_escape``, without its check for lazy arguments on every call: markup
    (anything with ``__html__``) as it is, anything else as text through ``html.escape``,
    which is what Django's ``escape`` calls. A page of 50 audit events escapes some 900
    values, and the check was most of their cost (docs/performance.md)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _iso(moment: datetime) -> str:
    """``{{ moment|date:'c' }}``: ISO 8601 in the service's time zone, as the words beside
    it (``casework.dates``)."""
    return in_service_zone(moment).isoformat()


# A clock past due, after its date (the triage queue, a partner's response).
_OVERDUE = ' <strong class="govuk-tag govuk-tag--red">Overdue</strong>'


def _joined(rows: Iterable[str]) -> SafeString:
    """Rows drawn by the functions below, which escape every value they put in."""
    return mark_safe("\n".join(rows))  # noqa: S308 (each row escapes its values)


# The auditor's search -------------------------------------------------------------------


def _audit_row(row: Any) -> str:
    """One ``casework.audit_describe.DescribedEvent``: when, who, action, case, details."""
    event = row.event
    case_cell = ""
    if event.case_id is not None and event.case is not None:
        case_cell = (
            f'<a class="govuk-link" href="{_esc(row.timeline_url)}">'
            f"{reference(event.case.reference)}</a>"
        )
    details = "<br>".join(str(_esc(str(line))) for line in row.lines)
    return (
        f'<tr class="govuk-table__row" data-event="{event.pk}" data-verb="{_esc(event.verb)}">'
        f'<td class="govuk-table__cell"><time datetime="{_iso(event.at)}">'
        f"{_esc(row.when)}</time></td>"
        f'<td class="govuk-table__cell">{_esc(row.actor)}</td>'
        f'<td class="govuk-table__cell">{_esc(row.label)}</td>'
        f'<td class="govuk-table__cell">{case_cell}</td>'
        f'<td class="govuk-table__cell">{details}</td>'
        "</tr>"
    )  # fmt: skip


@register.simple_tag
def audit_search_rows(rows: Iterable[Any]) -> SafeString:
    return _joined(_audit_row(row) for row in rows)


# The case list and triage queue ------------------------------------------------------------


def _case_row(row: Any) -> str:
    """One ``workflows.list_views.CaseRow``: reference (and under it what a search found
    in the case), type, status, team, owner, raised."""
    case = row.case
    found = ""
    if getattr(row, "found", ""):
        found = f'<span class="app-found" data-found>Found: {_esc(row.found)}</span>'
    if row.limited:
        # Seen only as its raiser: the status in plain words, no team or owner (issue 17).
        middle = (
            '<td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--grey">'
            "Received</strong></td>"
            '<td class="govuk-table__cell"></td>'
            '<td class="govuk-table__cell"></td>'
        )
    else:
        grey = " govuk-tag--grey" if row.terminal else ""
        overdue = (
            ' <strong class="govuk-tag govuk-tag--red" data-overdue>Overdue</strong>'
            if row.overdue
            else ""
        )
        middle = (
            f'<td class="govuk-table__cell"><strong class="govuk-tag{grey}">'
            f"{_esc(row.state_label)}</strong>{overdue}</td>"
            f'<td class="govuk-table__cell">{_esc(case.team.name)}</td>'
            f'<td class="govuk-table__cell">{_esc(row.owner_name or "Not allocated")}</td>'
        )
    return (
        f'<tr class="govuk-table__row" data-reference="{_esc(case.reference)}">'
        f'<th scope="row" class="govuk-table__header app-nowrap">'
        f'<a class="govuk-link" href="{_esc(row.url)}">{reference(case.reference)}</a>'
        f"{found}</th>"
        f'<td class="govuk-table__cell">{_esc(row.type_label)}</td>'
        f"{middle}"
        f'<td class="govuk-table__cell"><time datetime="{_iso(case.raised_at)}">'
        f"{_esc(date_words(case.raised_at))}</time></td>"
        "</tr>"
    )  # fmt: skip


@register.simple_tag
def case_list_rows(rows: Iterable[Any]) -> SafeString:
    return _joined(_case_row(row) for row in rows)


# The home dashboard's panels (reports.dashboards) ------------------------------------------


def _dashboard_case_row(row: Any, show_team: bool) -> str:
    """One ``reports.dashboards.CaseLine``; one known only as received shows "Received"."""
    risk = (
        ' <strong class="govuk-tag govuk-tag--red" data-immediate-risk>Immediate risk</strong>'
        if row.immediate_risk and not row.limited
        else ""
    )
    if row.limited:
        status = '<strong class="govuk-tag govuk-tag--grey">Received</strong>'
        owner = ""
    else:
        grey = " govuk-tag--grey" if row.terminal else ""
        status = f'<strong class="govuk-tag{grey}">{_esc(row.state_label)}</strong>'
        owner = _esc(row.owner or "Not allocated")
    team = (
        f'<td class="govuk-table__cell" data-label="Allocated to">{owner}</td>' if show_team else ""
    )
    return (
        f'<tr class="govuk-table__row" data-reference="{_esc(row.reference)}">'
        f'<th scope="row" class="govuk-table__header">'
        f'<a class="govuk-link" href="{_esc(row.url)}">{reference(row.reference)}</a>{risk}</th>'
        f'<td class="govuk-table__cell" data-label="Type">{_esc(row.type_label)}</td>'
        f'<td class="govuk-table__cell" data-label="Status">{status}</td>'
        f"{team}"
        f'<td class="govuk-table__cell" data-label="Raised"><time datetime="{_iso(row.raised_at)}">'
        f"{_esc(date_words(row.raised_at))}</time></td>"
        "</tr>"
    )  # fmt: skip


@register.simple_tag
def dashboard_case_rows(rows: Iterable[Any], show_team: bool) -> SafeString:
    return _joined(_dashboard_case_row(row, bool(show_team)) for row in rows)


def _working_days(days: int) -> str:
    return f"{days} working day{'' if days == 1 else 's'}"


def _dashboard_deadline_row(row: Any, overdue: bool) -> str:
    """One ``reports.dashboards.DeadlineLine``: the case, the clock, when due, how long."""
    statutory = (
        ' <strong class="govuk-tag govuk-tag--blue">Statutory</strong>' if row.statutory else ""
    )
    if overdue:
        left = _working_days(row.working_days) if row.working_days else "Due today"
        left = f'<strong class="govuk-tag govuk-tag--red">{left}</strong>'
        heading = "Overdue by"
    else:
        left = (
            _working_days(row.working_days)
            if row.working_days
            else '<strong class="govuk-tag govuk-tag--orange">Due today</strong>'
        )
        heading = "Time left"
    return (
        f'<tr class="govuk-table__row" data-deadline-case="{_esc(row.reference)}">'
        f'<th scope="row" class="govuk-table__header">'
        f'<a class="govuk-link" href="{_esc(row.url)}">{reference(row.reference)}</a></th>'
        f'<td class="govuk-table__cell" data-label="Deadline">{_esc(row.label)}{statutory}</td>'
        f'<td class="govuk-table__cell" data-label="Due"><time datetime="{_iso(row.due_at)}">'
        f"{_esc(datetime_words(row.due_at))}</time></td>"
        f'<td class="govuk-table__cell" data-label="{heading}">{left}</td>'
        "</tr>"
    )  # fmt: skip


@register.simple_tag
def dashboard_deadline_rows(rows: Iterable[Any], overdue: bool) -> SafeString:
    return _joined(_dashboard_deadline_row(row, bool(overdue)) for row in rows)


def _response_row(row: Any) -> str:
    """One ``reports.dashboards.ReferralLine``: the case, the referral, the partner and
    when the partner's response is due."""
    if row.due_at:
        overdue = _OVERDUE if row.overdue else ""
        due = f'<time datetime="{_iso(row.due_at)}">{_esc(date_words(row.due_at))}</time>{overdue}'
    else:
        due = "No clock"
    return (
        f'<tr class="govuk-table__row" data-referral="{_esc(row.pk)}">'
        '<th scope="row" class="govuk-table__header">'
        f'<a class="govuk-link" href="{_esc(row.url)}">{reference(row.reference)}</a></th>'
        '<td class="govuk-table__cell" data-label="Referral">'
        f'<a class="govuk-link" href="{_esc(pk_url("referrals:referral-detail", row.pk))}">'
        f'{_esc(row.referral_type)}</a><br>'
        f'<span class="govuk-body-s">{_esc(row.state_label)}</span></td>'
        f'<td class="govuk-table__cell" data-label="Partner">{_esc(row.partner)}</td>'
        f'<td class="govuk-table__cell" data-label="Response due">{due}</td>'
        "</tr>"
    )  # fmt: skip


@register.simple_tag
def dashboard_response_rows(rows: Iterable[Any]) -> SafeString:
    return _joined(_response_row(row) for row in rows)


def _count_group(group: Any, show_team: bool) -> str:
    """One ``reports.dashboards.TypeCounts``: a type's open cases, then each state's."""
    team = f" ({_esc(group.team)})" if show_team else ""
    states = "".join(
        f'<li><a class="govuk-link" href="{_esc(s.url)}">'
        f"{_esc(s.state_label)}: {_esc(formats.localize(s.count))}</a></li>"
        for s in group.states
    )
    return (
        '<h3 class="govuk-heading-s">'
        f'<a class="govuk-link" href="{_esc(group.url)}">{_esc(group.type_label)}</a>: '
        f'<span class="app-dashboard-count">{_esc(formats.localize(group.total))}</span>{team}</h3>'
        f'<ul class="govuk-list govuk-list--bullet">{states}</ul>'
    )  # fmt: skip


@register.simple_tag
def dashboard_count_groups(groups: Iterable[Any], teams: int) -> SafeString:
    """``teams``: how many teams the lead has; each type names its team when several."""
    return _joined(_count_group(group, int(teams) > 1) for group in groups)


# The triage queue (workflows.triage) ------------------------------------------------------


def _local(moment: datetime, format_string: str) -> str:
    """``{{ moment|date:format_string }}``: in the service's time zone."""
    return dateformat.format(in_service_zone(moment), format_string)


def _queue_row(row: Any, tab: str, chosen: Iterable[str]) -> str:
    """One ``workflows.triage.QueueRow``: a box to tick, the case, who or where it is
    about, its summary, when raised, its nearest clock and a link to allocate it."""
    case = row.case
    ref = _esc(case.reference)
    checked = " checked" if case.reference in chosen else ""
    urgent = " data-urgent" if row.urgent else ""
    risk = (
        '<br><strong class="govuk-tag govuk-tag--red" data-immediate-risk>Immediate risk</strong>'
        if row.urgent
        else ""
    )
    state = (
        f'<br><strong class="govuk-tag govuk-tag--grey">{_esc(row.state_label)}</strong>'
        if tab == "worked"
        else ""
    )
    team = ""
    if case.team_id is not None:
        team = f'<br><span class="govuk-body-s">{_esc(case.team.name)}</span>'
    if row.next_due:
        overdue = _OVERDUE if row.overdue else ""
        due = (
            f'<time datetime="{_iso(row.next_due)}">{_esc(_local(row.next_due, "j M Y"))}</time>'
            f"{overdue}"
        )
    else:
        due = "None running"
    return (
        f'<tr class="govuk-table__row" data-reference="{ref}"{urgent}>'
        '<td class="govuk-table__cell">'
        '<div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">'
        '<div class="govuk-checkboxes__item">'
        f'<input class="govuk-checkboxes__input" id="case-{ref}" name="cases" type="checkbox" '
        f'value="{ref}"{checked}>'
        f'<label class="govuk-label govuk-checkboxes__label" for="case-{ref}">'
        f'<span class="govuk-visually-hidden">Select {ref}</span></label>'
        "</div></div></td>"
        '<th scope="row" class="govuk-table__header">'
        f'<a class="govuk-link app-nowrap" href="{_esc(case_url(case.reference))}">{ref}</a><br>'
        f'<span class="govuk-body-s">{_esc(row.type_label)}</span>{risk}{state}</th>'
        f'<td class="govuk-table__cell" data-label="About">{_esc(row.about)}{team}</td>'
        f'<td class="govuk-table__cell" data-label="Summary">{_esc(row.summary)}</td>'
        f'<td class="govuk-table__cell" data-label="Raised"><time datetime="{_iso(row.raised_at)}">'
        f'{_esc(_local(row.raised_at, "j M Y, H:i"))}</time></td>'
        f'<td class="govuk-table__cell" data-label="Nearest deadline">{due}</td>'
        '<td class="govuk-table__cell"><a class="govuk-link" '
        f'href="{_esc(reference_url("case-allocate", case.reference))}">'
        f'Allocate<span class="govuk-visually-hidden"> {ref}</span></a></td>'
        "</tr>"
    )  # fmt: skip


@register.simple_tag
def triage_queue_rows(rows: Iterable[Any], tab: str, chosen: Any) -> SafeString:
    """``chosen``: what a refused allocation had ticked (``{"cases": [references]}``)."""
    ticked = set((chosen or {}).get("cases") or ())
    return _joined(_queue_row(row, tab, ticked) for row in rows)


# The case statistics (reports.views.case_statistics) -------------------------------------


def _figure_rows(
    rows: Iterable[Mapping[str, Any]], keys: tuple[str, ...], empty: str
) -> SafeString:
    """A type and team's figures (``keys``, as shown), with the comparison's summary
    when it has one; or one row saying there are none."""
    drawn = []
    for row in rows:
        summary = f' data-summary="{_esc(row["text"])}"' if row.get("text") else ""
        figures = "".join(
            f'<td class="govuk-table__cell govuk-table__cell--numeric">{_esc(row[key])}</td>'
            for key in keys
        )
        drawn.append(
            f'<tr class="govuk-table__row"{summary}>'
            f'<th scope="row" class="govuk-table__header">{_esc(row["type"])}</th>'
            f'<td class="govuk-table__cell">{_esc(row["team"])}</td>{figures}</tr>'
        )
    if not drawn:
        drawn = [
            '<tr class="govuk-table__row">'
            f'<td class="govuk-table__cell" colspan="{len(keys) + 2}">{empty}</td></tr>'
        ]
    return _joined(drawn)


@register.simple_tag
def statistics_rows(rows: Iterable[Mapping[str, Any]]) -> SafeString:
    """Concerns raised, open as at the date and closed, by type and team."""
    return _figure_rows(rows, ("raised", "open", "closed"), "No cases were raised, open or closed.")


@register.simple_tag
def rolling_rows(rows: Iterable[Mapping[str, Any]]) -> SafeString:
    """Concerns raised in the rolling 12 months against the previous 12, by type and team."""
    return _figure_rows(
        rows,
        ("current", "previous", "difference", "percent"),
        "No concerns were raised in either period.",
    )


def _outcome_row(row: Mapping[str, Any], outcome: Any, n: Any) -> str:
    return (
        '<tr class="govuk-table__row">'
        f'<th scope="row" class="govuk-table__header">{_esc(row["type"])}</th>'
        f'<td class="govuk-table__cell">{_esc(row["team"])}</td>'
        f'<td class="govuk-table__cell">{_esc(outcome)}</td>'
        f'<td class="govuk-table__cell govuk-table__cell--numeric">{_esc(n)}</td>'
        "</tr>"
    )  # fmt: skip


@register.simple_tag
def statistics_outcome_rows(rows: Iterable[Mapping[str, Any]]) -> SafeString:
    """Each type and team's ``outcomes`` (outcome, how many shown), or a row saying none
    was closed."""
    drawn = [_outcome_row(row, outcome, n) for row in rows for outcome, n in row["outcomes"]]
    if not rows:
        drawn = [
            '<tr class="govuk-table__row"><td class="govuk-table__cell" colspan="4">'
            "No cases were closed.</td></tr>"
        ]
    return _joined(drawn)


# A case's history (workflows.case_views.EventRow), as the MOJ timeline ---------------------


def _timeline_item(row: Any, reference: str) -> str:
    """One event: title, byline, date and, when there is one, its description."""
    event = row.event
    description = []
    if row.change:
        description.append(f'<p class="govuk-body">{_esc(row.change)}</p>')
    if row.note:
        description.append(f'<p class="govuk-body">{linebreaksbr(row.note, autoescape=True)}</p>')
    attachment = row.attachment
    if attachment:
        href = reverse("case-attachment-download", args=[reference, attachment.pk])
        about = f": {_esc(attachment.description)}" if attachment.description else ""
        description.append(
            f'<p class="govuk-body"><a class="govuk-link" href="{_esc(href)}" download>'
            f"{_esc(attachment.original_name)}"
            f'<span class="govuk-visually-hidden"> (download)</span></a>{about}</p>'
        )
    described = (
        f'<div class="moj-timeline__description">{"".join(description)}</div>'
        if description
        else ""
    )
    return (
        f'<div class="moj-timeline__item" data-event="{_esc(event.pk)}">'
        '<div class="moj-timeline__header">'
        f'<h3 class="moj-timeline__title">{_esc(row.title)}</h3>'
        f'<p class="moj-timeline__byline">by {_esc(row.actor or "Safecase")}</p></div>'
        f'<p class="moj-timeline__date"><time datetime="{_iso(event.at)}">'
        f"{_esc(datetime_words(event.at))}</time></p>"
        f"{described}</div>"
    )


@register.simple_tag
def case_timeline_items(rows: Iterable[Any], case: Any) -> SafeString:
    """The items of a case's timeline (templates/casework/_case_timeline.html), newest
    first as given, or a line saying nothing has been recorded."""
    drawn = [_timeline_item(row, case.reference) for row in rows]
    if not drawn:
        drawn = ['<p class="govuk-body">Nothing has been recorded yet.</p>']
    return _joined(drawn)
