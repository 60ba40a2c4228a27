"""The audit search's and the case list's rows, drawn in Python (casework.templatetags.
table_rows) rather than by the template engine: the same markup as the templates they
replaced (kept here as the reference), every value escaped, on the real pages too."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext

from casework.audit_describe import DescribedEvent, Line
from casework.models import AuditEvent, Case, CaseAttachment, Team
from casework.roles import Role
from casework.services import case_allocate, case_summary_update
from casework.templatetags.table_rows import (
    audit_search_rows,
    case_list_rows,
    case_timeline_items,
    dashboard_case_rows,
    dashboard_count_groups,
    dashboard_deadline_rows,
    dashboard_response_rows,
    rolling_rows,
    statistics_outcome_rows,
    statistics_rows,
    triage_queue_rows,
)
from reports.dashboards import CaseLine, DeadlineLine, ReferralLine, StateCount, TypeCounts
from tests.workflows.walker import default_raise
from workflows import modern_slavery
from workflows.case_views import EventRow
from workflows.list_views import CaseRow
from workflows.triage import QueueRow

HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"
ADULT = {"subject_date_of_birth": "1990-01-01", "subject_estimated_age": None}

# The templates' markup before the rows moved to Python: the reference the rows must match.
AUDIT_ROWS_TEMPLATE = """{% for row in rows %}
  <tr class="govuk-table__row" data-event="{{ row.event.pk }}" data-verb="{{ row.event.verb }}">
    <td class="govuk-table__cell"><time datetime="{{ row.event.at|date:'c' }}">{{ row.when }}</time></td>
    <td class="govuk-table__cell">{{ row.actor }}</td>
    <td class="govuk-table__cell">{{ row.label }}</td>
    <td class="govuk-table__cell">{% if row.event.case %}<a class="govuk-link" href="{{ row.timeline_url }}">{{ row.event.case.reference|reference }}</a>{% endif %}</td>
    <td class="govuk-table__cell">{% for line in row.lines %}{{ line }}{% if not forloop.last %}<br>{% endif %}{% endfor %}</td>
  </tr>
{% endfor %}"""  # noqa: E501

CASE_ROWS_TEMPLATE = """{% for row in rows %}
  <tr class="govuk-table__row" data-reference="{{ row.case.reference }}">
    <th scope="row" class="govuk-table__header app-nowrap"><a class="govuk-link" href="{{ row.url }}">{{ row.case.reference|reference }}</a></th>
    <td class="govuk-table__cell">{{ row.type_label }}</td>
    {% if row.limited %}
      <td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--grey">Received</strong></td>
      <td class="govuk-table__cell"></td>
      <td class="govuk-table__cell"></td>
    {% else %}
      <td class="govuk-table__cell">
        <strong class="govuk-tag{% if row.terminal %} govuk-tag--grey{% endif %}">{{ row.state_label }}</strong>
        {% if row.overdue %}<strong class="govuk-tag govuk-tag--red" data-overdue>Overdue</strong>{% endif %}
      </td>
      <td class="govuk-table__cell">{{ row.case.team.name }}</td>
      <td class="govuk-table__cell">{{ row.owner_name|default:"Not allocated" }}</td>
    {% endif %}
    <td class="govuk-table__cell"><time datetime="{{ row.case.raised_at|date:'c' }}">{{ row.case.raised_at|govuk_date }}</time></td>
  </tr>
{% endfor %}"""  # noqa: E501


DASHBOARD_CASE_ROWS_TEMPLATE = """{% for row in panel.rows %}
  <tr class="govuk-table__row" data-reference="{{ row.reference }}">
    <th scope="row" class="govuk-table__header"><a class="govuk-link" href="{{ row.url }}">{{ row.reference|reference }}</a>{% if row.immediate_risk and not row.limited %} <strong class="govuk-tag govuk-tag--red" data-immediate-risk>Immediate risk</strong>{% endif %}</th>
    <td class="govuk-table__cell" data-label="Type">{{ row.type_label }}</td>
    {% if row.limited %}
      <td class="govuk-table__cell" data-label="Status"><strong class="govuk-tag govuk-tag--grey">Received</strong></td>
      {% if show_team %}<td class="govuk-table__cell" data-label="Allocated to"></td>{% endif %}
    {% else %}
      <td class="govuk-table__cell" data-label="Status"><strong class="govuk-tag{% if row.terminal %} govuk-tag--grey{% endif %}">{{ row.state_label }}</strong></td>
      {% if show_team %}<td class="govuk-table__cell" data-label="Allocated to">{{ row.owner|default:"Not allocated" }}</td>{% endif %}
    {% endif %}
    <td class="govuk-table__cell" data-label="Raised"><time datetime="{{ row.raised_at|date:'c' }}">{{ row.raised_at|govuk_date }}</time></td>
  </tr>
{% endfor %}"""  # noqa: E501

DASHBOARD_DEADLINE_ROWS_TEMPLATE = """{% for d in panel.rows %}
  <tr class="govuk-table__row" data-deadline-case="{{ d.reference }}">
    <th scope="row" class="govuk-table__header"><a class="govuk-link" href="{{ d.url }}">{{ d.reference|reference }}</a></th>
    <td class="govuk-table__cell" data-label="Deadline">{{ d.label }}{% if d.statutory %} <strong class="govuk-tag govuk-tag--blue">Statutory</strong>{% endif %}</td>
    <td class="govuk-table__cell" data-label="Due"><time datetime="{{ d.due_at|date:'c' }}">{{ d.due_at|govuk_datetime }}</time></td>
    <td class="govuk-table__cell" data-label="{% if overdue %}Overdue by{% else %}Time left{% endif %}">
      {% if overdue %}
        <strong class="govuk-tag govuk-tag--red">{% if d.working_days %}{{ d.working_days }} working day{{ d.working_days|pluralize }}{% else %}Due today{% endif %}</strong>
      {% elif d.working_days %}{{ d.working_days }} working day{{ d.working_days|pluralize }}{% else %}<strong class="govuk-tag govuk-tag--orange">Due today</strong>{% endif %}
    </td>
  </tr>
{% endfor %}"""  # noqa: E501


QUEUE_ROWS_TEMPLATE = """            {% for row in rows %}
              <tr class="govuk-table__row" data-reference="{{ row.case.reference }}"{% if row.urgent %} data-urgent{% endif %}>
                <td class="govuk-table__cell">
                  <div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">
                    <div class="govuk-checkboxes__item">
                      <input class="govuk-checkboxes__input" id="case-{{ row.case.reference }}" name="cases" type="checkbox" value="{{ row.case.reference }}"{% if row.case.reference in chosen.cases %} checked{% endif %}>
                      <label class="govuk-label govuk-checkboxes__label" for="case-{{ row.case.reference }}"><span class="govuk-visually-hidden">Select {{ row.case.reference }}</span></label>
                    </div>
                  </div>
                </td>
                <th scope="row" class="govuk-table__header">
                  <a class="govuk-link app-nowrap" href="{% url 'case-detail' row.case.reference %}">{{ row.case.reference }}</a><br>
                  <span class="govuk-body-s">{{ row.type_label }}</span>
                  {% if row.urgent %}<br><strong class="govuk-tag govuk-tag--red" data-immediate-risk>Immediate risk</strong>{% endif %}
                  {% if tab == "worked" %}<br><strong class="govuk-tag govuk-tag--grey">{{ row.state_label }}</strong>{% endif %}
                </th>
                <td class="govuk-table__cell" data-label="About">{{ row.about }}{% if row.case.team %}<br><span class="govuk-body-s">{{ row.case.team.name }}</span>{% endif %}</td>
                <td class="govuk-table__cell" data-label="Summary">{{ row.summary }}</td>
                <td class="govuk-table__cell" data-label="Raised"><time datetime="{{ row.raised_at|date:'c' }}">{{ row.raised_at|date:"j M Y, H:i" }}</time></td>
                <td class="govuk-table__cell" data-label="Nearest deadline">
                  {% if row.next_due %}<time datetime="{{ row.next_due|date:'c' }}">{{ row.next_due|date:"j M Y" }}</time>{% if row.overdue %} <strong class="govuk-tag govuk-tag--red">Overdue</strong>{% endif %}{% else %}None running{% endif %}
                </td>
                <td class="govuk-table__cell"><a class="govuk-link" href="{% url 'case-allocate' row.case.reference %}">Allocate<span class="govuk-visually-hidden"> {{ row.case.reference }}</span></a></td>
              </tr>
            {% endfor %}"""  # noqa: E501


RESPONSE_ROWS_TEMPLATE = """            {% for r in rows %}
              <tr class="govuk-table__row" data-referral="{{ r.pk }}">
                <th scope="row" class="govuk-table__header"><a class="govuk-link" href="{{ r.url }}">{{ r.reference|reference }}</a></th>
                <td class="govuk-table__cell" data-label="Referral"><a class="govuk-link" href="{% url 'referrals:referral-detail' r.pk %}">{{ r.referral_type }}</a><br><span class="govuk-body-s">{{ r.state_label }}</span></td>
                <td class="govuk-table__cell" data-label="Partner">{{ r.partner }}</td>
                <td class="govuk-table__cell" data-label="Response due">{% if r.due_at %}<time datetime="{{ r.due_at|date:'c' }}">{{ r.due_at|govuk_date }}</time>{% if r.overdue %} <strong class="govuk-tag govuk-tag--red">Overdue</strong>{% endif %}{% else %}No clock{% endif %}</td>
              </tr>
            {% endfor %}"""  # noqa: E501

COUNT_GROUPS_TEMPLATE = """      {% for group in rows %}
        <h3 class="govuk-heading-s"><a class="govuk-link" href="{{ group.url }}">{{ group.type_label }}</a>: <span class="app-dashboard-count">{{ group.total }}</span>{% if teams > 1 %} ({{ group.team }}){% endif %}</h3>
        <ul class="govuk-list govuk-list--bullet">
          {% for s in group.states %}
            <li><a class="govuk-link" href="{{ s.url }}">{{ s.state_label }}: {{ s.count }}</a></li>
          {% endfor %}
        </ul>
      {% endfor %}"""  # noqa: E501


OUTCOME_ROWS_TEMPLATE = """      {% for r in rows %}
        {% for outcome, n in r.outcomes %}
          <tr class="govuk-table__row">
            <th scope="row" class="govuk-table__header">{{ r.type }}</th>
            <td class="govuk-table__cell">{{ r.team }}</td>
            <td class="govuk-table__cell">{{ outcome }}</td>
            <td class="govuk-table__cell govuk-table__cell--numeric">{{ n }}</td>
          </tr>
        {% endfor %}
      {% empty %}
        <tr class="govuk-table__row"><td class="govuk-table__cell" colspan="4">No cases were closed.</td></tr>
      {% endfor %}"""  # noqa: E501


STATISTICS_ROWS_TEMPLATE = """      {% for r in rows %}
        <tr class="govuk-table__row">
          <th scope="row" class="govuk-table__header">{{ r.type }}</th>
          <td class="govuk-table__cell">{{ r.team }}</td>
          <td class="govuk-table__cell govuk-table__cell--numeric">{{ r.raised }}</td>
          <td class="govuk-table__cell govuk-table__cell--numeric">{{ r.open }}</td>
          <td class="govuk-table__cell govuk-table__cell--numeric">{{ r.closed }}</td>
        </tr>
      {% empty %}
        <tr class="govuk-table__row"><td class="govuk-table__cell" colspan="5">No cases were raised, open or closed.</td></tr>
      {% endfor %}"""  # noqa: E501

ROLLING_ROWS_TEMPLATE = """      {% for r in rows %}
        <tr class="govuk-table__row"{% if r.text %} data-summary="{{ r.text }}"{% endif %}>
          <th scope="row" class="govuk-table__header">{{ r.type }}</th>
          <td class="govuk-table__cell">{{ r.team }}</td>
          <td class="govuk-table__cell govuk-table__cell--numeric">{{ r.current }}</td>
          <td class="govuk-table__cell govuk-table__cell--numeric">{{ r.previous }}</td>
          <td class="govuk-table__cell govuk-table__cell--numeric">{{ r.difference }}</td>
          <td class="govuk-table__cell govuk-table__cell--numeric">{{ r.percent }}</td>
        </tr>
      {% empty %}
        <tr class="govuk-table__row"><td class="govuk-table__cell" colspan="6">No concerns were raised in either period.</td></tr>
      {% endfor %}"""  # noqa: E501


def squeezed(html: str) -> str:
    """Markup without the whitespace between tags (which HTML does not show)."""
    html = re.sub(r">\s+", ">", html.strip())
    return re.sub(r"\s+<", "<", html)


def by_template(source: str, rows: list, **context) -> str:
    template = engines["django"].from_string(source)
    return squeezed(template.render({"rows": rows, "panel": {"rows": rows}, **context}))


def event(pk: int, verb: str, at: datetime, case: Case | None = None) -> AuditEvent:
    return AuditEvent(pk=pk, verb=verb, at=at, case=case)


@pytest.mark.django_db
def test_audit_rows_are_the_templates_markup_with_every_value_escaped():
    summer = datetime(2026, 7, 1, 8, 5, 3, 120, tzinfo=UTC)  # 9:05am in London (BST)
    case = Case(pk=7, reference="SC-2026-000007")
    rows = [
        DescribedEvent(
            event=event(12, "case.summary_updated", summer, case),
            label="Summary changed",
            actor=HOSTILE,
            lines=[Line("Summary", HOSTILE), Line("", "Second line")],
            when="1 July 2026 at 9:05am",
        ),
        DescribedEvent(
            event=event(11, HOSTILE, summer - timedelta(days=200)),
            label=HOSTILE,
            actor="",
            lines=[],
            when=HOSTILE,
        ),
    ]
    drawn = str(audit_search_rows(rows))
    assert squeezed(drawn) == by_template(AUDIT_ROWS_TEMPLATE, rows)
    assert "<script>" not in drawn
    assert drawn.count("&lt;script&gt;") == 5
    assert 'datetime="2026-07-01T09:05:03.000120+01:00"' in drawn
    assert 'href="/audit/cases/SC-2026-000007/"' in drawn
    assert '<span class="app-reference">SC-2026-000007</span>' in drawn
    assert "Summary: &lt;script&gt;" in drawn
    assert "<br>Second line" in drawn
    assert audit_search_rows([]) == ""


@pytest.mark.django_db
def test_case_rows_are_the_templates_markup_for_every_kind_of_row(make_user):
    lead = make_user("lead.north", Role.LEAD, ["north"])
    lead.first_name = HOSTILE
    lead.save()
    team = Team(name=HOSTILE)
    raised = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)  # GMT: the same in London
    full = Case(pk=1, reference="SC-2026-000001", team=team, owner=lead, raised_at=raised)
    unallocated = Case(pk=2, reference="SC-2026-000002", team=team, raised_at=raised)
    rows = [
        CaseRow(full, HOSTILE, HOSTILE, terminal=False, limited=False, overdue=True, url="/c/1/"),
        CaseRow(unallocated, "Prevent", "Closed", terminal=True, limited=False, url="/c/2/"),
        CaseRow(unallocated, "Prevent", "Referred", terminal=False, limited=True, url="/c/3/"),
    ]
    drawn = str(case_list_rows(rows))
    assert squeezed(drawn) == by_template(CASE_ROWS_TEMPLATE, rows)
    assert "<script>" not in drawn
    assert drawn.count("&lt;script&gt;") == 5
    assert drawn.count("data-overdue") == 1
    assert drawn.count("Not allocated") == 1
    assert drawn.count(">Received</strong>") == 1
    assert "Referred" not in drawn
    assert '<time datetime="2026-01-15T23:30:00+00:00">15 January 2026</time>' in drawn


@pytest.mark.django_db
def test_the_pages_draw_their_rows_escaped(client, make_user):
    frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
    lead = make_user("lead.north", Role.LEAD, ["north"])
    auditor = make_user("auditor", Role.AUDITOR, [])
    worker = make_user("worker.north", Role.FRONTLINE, ["north"])
    worker.first_name = HOSTILE
    worker.save()
    case = default_raise(modern_slavery.WORKFLOW, frontline)(ADULT)
    case_allocate(case=case, actor=lead, assignee=worker)
    case_summary_update(case=case, actor=lead, summary=HOSTILE)

    client.force_login(lead)
    listed = client.get("/cases/").content.decode()
    assert f'data-reference="{case.reference}"' in listed
    assert "<script>alert" not in listed
    assert "&lt;script&gt;alert" in listed

    client.force_login(auditor)
    searched = client.get("/audit/", {"reference": case.reference}).content.decode()
    assert searched.count(f'href="/audit/cases/{case.reference}/"') >= 3
    assert 'data-verb="case.updated"' in searched
    assert "<script>alert" not in searched
    assert "&lt;script&gt;alert" in searched


@pytest.mark.django_db
def test_the_audit_search_reads_names_not_whole_rows_and_a_fixed_number_of_queries(
    client, make_user
):
    frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
    lead = make_user("lead.north", Role.LEAD, ["north"])
    auditor = make_user("auditor", Role.AUDITOR, [])
    client.force_login(auditor)

    def search() -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/audit/", {"user": lead.username})
        assert response.status_code == 200
        return len(response.context["rows"]), [q["sql"] for q in queries]

    case = default_raise(modern_slavery.WORKFLOW, frontline)(ADULT)
    case_summary_update(case=case, actor=lead, summary="First.")
    # An allocation names a user: their names are read in one query for the whole page
    # (casework.audit_describe.NameBook), so both pages hold one.
    case_allocate(case=case, actor=lead, assignee=frontline)
    few, few_queries = search()
    for n in range(6):
        other = default_raise(modern_slavery.WORKFLOW, frontline)(ADULT)
        case_allocate(case=other, actor=lead, assignee=frontline if n % 2 else lead)
        case_summary_update(case=other, actor=lead, summary=f"Summary {n}.")
    many, many_queries = search()
    assert many > few
    assert len(many_queries) == len(few_queries)
    listed = next(q for q in many_queries if '"casework_case"."reference"' in q and "LIMIT" in q)
    # The case's reference and type and the actor's names; not the case's content or the
    # actor's password hash.
    assert '"casework_case"."summary"' not in listed
    assert '"casework_case"."details"' not in listed
    assert '"auth_user"."password"' not in listed


def test_dashboard_rows_are_the_panels_markup_for_every_kind_of_row():
    raised = datetime(2026, 7, 1, 8, 5, tzinfo=UTC)
    due = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)

    def line(**more) -> CaseLine:
        base = {
            "reference": "SC-2026-000001", "type_label": HOSTILE, "immediate_risk": False,
            "state_label": HOSTILE, "terminal": False, "limited": False, "raised_at": raised,
            "team": "North", "owner": "",
        }  # fmt: skip
        return CaseLine(**{**base, **more})

    cases = [
        line(immediate_risk=True, owner=HOSTILE),
        line(reference="SC-2026-000002", terminal=True, owner="Sam Carter"),
        line(reference="SC-2026-000003", limited=True, immediate_risk=True, owner="Hidden"),
    ]
    for show_team in (True, False):
        drawn = str(dashboard_case_rows(cases, show_team))
        assert squeezed(drawn) == by_template(
            DASHBOARD_CASE_ROWS_TEMPLATE, cases, show_team=show_team
        )
        assert "<script>" not in drawn
    assert drawn.count("data-immediate-risk") == 1
    assert "Hidden" not in str(dashboard_case_rows(cases, True))

    clocks = [
        DeadlineLine("SC-2026-000001", HOSTILE, due, statutory=True, working_days=0),
        DeadlineLine("SC-2026-000002", "Response", due, statutory=False, working_days=1),
        DeadlineLine("SC-2026-000003", "Review", due, statutory=False, working_days=4),
    ]
    for overdue in (True, False):
        drawn = str(dashboard_deadline_rows(clocks, overdue))
        assert squeezed(drawn) == by_template(
            DASHBOARD_DEADLINE_ROWS_TEMPLATE, clocks, overdue=overdue
        )
        assert "<script>" not in drawn
        assert "1 working day<" in drawn
        assert "4 working days<" in drawn
        assert "Due today" in drawn


def test_the_rows_escape_exactly_as_conditional_escape_does():
    """The rows' own escape gives what ``{{ }}`` gives for every kind of value a row
    holds: text (hostile too), markup already safe, a translated label, numbers, None."""
    from django.utils.html import conditional_escape
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from casework.templatetags.table_rows import _esc

    values = [
        HOSTILE, "", "plain", "«ünïcode» \u2013 ok", mark_safe("<b>safe</b>"),
        gettext_lazy("Case reference"), 42, 4.5, None, Line("Label <x>", HOSTILE),
    ]  # fmt: skip
    for value in values:
        assert str(_esc(value)) == str(conditional_escape(value)), value


@pytest.mark.django_db
@pytest.mark.parametrize("tab", ["new", "worked"])
def test_triage_queue_rows_are_the_templates_markup_for_every_kind_of_row(tab):
    """Urgent or not, with a clock overdue, running or none, with a team or none, ticked
    or not: the rows the template drew, every value escaped, times in London's."""
    team = Team(pk=1, name=HOSTILE)
    summer = datetime(2026, 7, 1, 8, 5, tzinfo=UTC)  # 9:05am in London (BST)
    winter = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)
    first = Case(pk=1, reference="SC-2026-000001", team=team, raised_at=summer)
    second = Case(pk=2, reference="SC-2026-000002", raised_at=winter)
    third = Case(pk=3, reference="SC-2026-000003", team=team, raised_at=winter)
    rows = [
        QueueRow(first, HOSTILE, HOSTILE, HOSTILE, HOSTILE, True, summer, winter, True),
        QueueRow(second, "Prevent", "Referred", "Short", "Not known", False, winter, summer, False),
        QueueRow(third, "Cuckooing", "Triage", "", "Flat 2", False, winter, None, False),
    ]
    chosen = {"cases": ["SC-2026-000002"]}
    drawn = str(triage_queue_rows(rows, tab, chosen))
    assert squeezed(drawn) == by_template(QUEUE_ROWS_TEMPLATE, rows, tab=tab, chosen=chosen)
    assert "<script>" not in drawn
    # The type, summary, person and two teams (and the state on the worked tab).
    assert drawn.count("&lt;script&gt;") == (6 if tab == "worked" else 5)
    assert drawn.count(" checked") == 1
    assert drawn.count("data-urgent") == 1
    assert drawn.count(">Overdue</strong>") == 1
    assert drawn.count("None running") == 1
    assert '<time datetime="2026-07-01T09:05:00+01:00">1 Jul 2026, 09:05</time>' in drawn
    assert 'href="/cases/SC-2026-000001/allocate/"' in drawn
    assert triage_queue_rows([], tab, {}) == ""
    assert str(triage_queue_rows(rows, tab, {})).count(" checked") == 0


@pytest.mark.django_db
def test_the_triage_queue_draws_its_rows_escaped_and_counts_from_its_tabs(
    client, make_user, monkeypatch
):
    """The queue's page shows a hostile summary and name as text, and a full first page
    is counted once, by the tabs' counts: one statement fewer than counting it again."""
    monkeypatch.setattr("workflows.triage_views.PAGE_SIZE", 2)
    frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
    lead = make_user("lead.north", Role.LEAD, ["north"])
    cases = [default_raise(modern_slavery.WORKFLOW, frontline)(ADULT) for _ in range(3)]
    case_summary_update(case=cases[0], actor=lead, summary=HOSTILE)
    client.force_login(lead)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/triage/").content.decode()
    for case in cases[:2]:  # oldest first
        assert f'data-reference="{case.reference}"' in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
    assert "New concerns (3)" in page
    assert page.count('name="cases" type="checkbox"') == 2
    assert "?page=2" in page
    counting = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT COUNT(") and "casework_case" in q["sql"]
    ]
    assert len(counting) == 1, counting  # the tabs' counts, not the list again


@pytest.mark.django_db
def test_dashboard_responses_and_counts_are_the_templates_markup():
    """The lead's partner responses (due, overdue, no clock) and open cases by type and
    state (with and without the team's name): the markup the template drew, escaped."""
    summer = datetime(2026, 7, 1, 8, 5, tzinfo=UTC)
    responses = [
        ReferralLine(7, "SC-2026-000007", HOSTILE, HOSTILE, HOSTILE, summer, summer, True),
        ReferralLine(8, "SC-2026-000008", "NRM", "Home Office", "Sent", summer, summer, False),
        ReferralLine(9, "SC-2026-000009", "MASH", "Police", "Acknowledged", None, None, False),
    ]
    drawn = str(dashboard_response_rows(responses))
    assert squeezed(drawn) == by_template(RESPONSE_ROWS_TEMPLATE, responses)
    assert drawn.count("&lt;script&gt;") == 3
    assert drawn.count(">Overdue</strong>") == 1
    assert 'href="/referrals/7/"' in drawn
    assert "No clock" in drawn

    counts = [
        TypeCounts(
            HOSTILE, HOSTILE, 1234, "/cases/?a=1&b=2",
            [StateCount(HOSTILE, 1200, "/cases/?s=1&t=2"), StateCount("Triage", 34, "/c/")],
        ),
        TypeCounts("North", "Prevent", 3, "/cases/?p=1", [StateCount("Gateway", 3, "/g/")]),
    ]  # fmt: skip
    for teams in (1, 2):
        drawn = str(dashboard_count_groups(counts, teams))
        assert squeezed(drawn) == by_template(COUNT_GROUPS_TEMPLATE, counts, teams=teams)
        assert "<script>" not in drawn
        assert "?a=1&amp;b=2" in drawn
    assert drawn.count("&lt;script&gt;") == 3
    assert dashboard_response_rows([]) == dashboard_count_groups([], 2) == ""


def test_statistics_outcome_rows_are_the_templates_markup():
    """Every type and team's outcomes, the figures as shown (suppressed or exact), and
    the row that says none was closed: the markup the template drew, escaped."""
    rows = [
        {
            "type": HOSTILE,
            "team": HOSTILE,
            "outcomes": [(HOSTILE, "1,234"), ("NRM", "fewer than 5")],
        },
        {"type": "Prevent", "team": "North", "outcomes": []},
        {"type": "Cuckooing", "team": "South", "outcomes": [("Closure order", "12")]},
    ]
    drawn = str(statistics_outcome_rows(rows))
    assert squeezed(drawn) == by_template(OUTCOME_ROWS_TEMPLATE, rows)
    assert drawn.count("<tr") == 3
    assert drawn.count("&lt;script&gt;") == 5  # the type and team twice, an outcome once
    assert "No cases were closed." not in drawn
    empty = str(statistics_outcome_rows([]))
    assert squeezed(empty) == by_template(OUTCOME_ROWS_TEMPLATE, [])
    assert "No cases were closed." in empty


def test_statistics_and_rolling_rows_are_the_templates_markup():
    """The figures by type and team and the rolling comparison (with and without its
    summary), and the row that says there are none: the template's markup, escaped."""
    rows = [
        {"type": HOSTILE, "team": HOSTILE, "raised": "1,234", "open": HOSTILE, "closed": "5"},
        {"type": "Prevent", "team": "North", "raised": "fewer than 5", "open": "0", "closed": "0"},
    ]
    drawn = str(statistics_rows(rows))
    assert squeezed(drawn) == by_template(STATISTICS_ROWS_TEMPLATE, rows)
    assert drawn.count("&lt;script&gt;") == 3
    assert squeezed(str(statistics_rows([]))) == by_template(STATISTICS_ROWS_TEMPLATE, [])
    rolling = [
        {"type": HOSTILE, "team": "North", "current": "12", "previous": "10",
         "difference": "+2", "percent": "+20%", "text": HOSTILE},
        {"type": "Prevent", "team": HOSTILE, "current": "fewer than 5", "previous": "7",
         "difference": "", "percent": "", "text": ""},
    ]  # fmt: skip
    drawn = str(rolling_rows(rolling))
    assert squeezed(drawn) == by_template(ROLLING_ROWS_TEMPLATE, rolling)
    assert drawn.count("data-summary") == 1
    assert drawn.count("&lt;script&gt;") == 3
    assert squeezed(str(rolling_rows([]))) == by_template(ROLLING_ROWS_TEMPLATE, [])


# templates/casework/_case_timeline.html before its items moved to Python.
TIMELINE_TEMPLATE = """<div class="moj-timeline" data-section="history">
  {% for row in events %}
    <div class="moj-timeline__item" data-event="{{ row.event.pk }}">
      <div class="moj-timeline__header">
        <h3 class="moj-timeline__title">{{ row.title }}</h3>
        <p class="moj-timeline__byline">by {{ row.actor|default:"Safecase" }}</p>
      </div>
      <p class="moj-timeline__date">
        <time datetime="{{ row.event.at|date:'c' }}">{{ row.event.at|govuk_datetime }}</time>
      </p>
      {% if row.change or row.note or row.attachment %}
        <div class="moj-timeline__description">
          {% if row.change %}<p class="govuk-body">{{ row.change }}</p>{% endif %}
          {% if row.note %}<p class="govuk-body">{{ row.note|linebreaksbr }}</p>{% endif %}
          {% if row.attachment %}<p class="govuk-body"><a class="govuk-link" href="{% url 'case-attachment-download' case.reference row.attachment.pk %}" download>{{ row.attachment.original_name }}<span class="govuk-visually-hidden"> (download)</span></a>{% if row.attachment.description %}: {{ row.attachment.description }}{% endif %}</p>{% endif %}
        </div>
      {% endif %}
    </div>
  {% empty %}
    <p class="govuk-body">Nothing has been recorded yet.</p>
  {% endfor %}
</div>"""  # noqa: E501


@pytest.mark.django_db
def test_timeline_items_are_the_templates_markup_with_every_value_escaped():
    """A case's timeline: a change, a note over lines, a file with and without its
    description, an event by no one, and the line for a case with none; escaped."""
    summer = datetime(2026, 7, 1, 8, 5, 3, 120, tzinfo=UTC)
    case = Case(pk=7, reference="SC-2026-000007")
    described = CaseAttachment(pk=5, original_name=HOSTILE, description=HOSTILE)
    bare = CaseAttachment(pk=6, original_name="photo.jpg", description="")
    added = "case.attachment_added"
    rows = [
        EventRow(event(21, "case.note_added", summer), HOSTILE, HOSTILE, note=HOSTILE + "\nline 2"),
        EventRow(event(20, "case.summary_updated", summer), "Summary changed", "", change=HOSTILE),
        EventRow(event(19, added, summer), "File added", "Ann", attachment=described),
        EventRow(event(18, added, summer), "File added", "Ann", attachment=bare),
        EventRow(event(17, "case.raised", summer - timedelta(days=200)), "Raised", "Bo"),
    ]  # fmt: skip
    drawn = str(case_timeline_items(rows, case))
    wrapped = f'<div class="moj-timeline" data-section="history">{drawn}</div>'
    assert squeezed(wrapped) == by_template(TIMELINE_TEMPLATE, rows, events=rows, case=case)
    assert "<script>" not in drawn
    assert drawn.count("&lt;script&gt;") == 6  # title, byline, note, change, file, about
    assert "<br>line 2" in drawn
    assert "by Safecase" in drawn
    assert 'href="/cases/SC-2026-000007/attachments/5/" download' in drawn
    assert 'datetime="2026-07-01T09:05:03.000120+01:00"' in drawn
    empty = (
        f'<div class="moj-timeline" data-section="history">{case_timeline_items([], case)}</div>'
    )
    assert squeezed(empty) == by_template(TIMELINE_TEMPLATE, [], events=[], case=case)
    assert "Nothing has been recorded yet." in empty
