"""The partnership figures (reports/figures.py, issue 21): the Community Trigger return
on a constructed year, "as at" figures that stay put, the rolling comparison,
suppression, who sees which figures, the state history and constant query counts."""

from __future__ import annotations

import importlib
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.models import Case, Team, TeamMembership
from reports import figures
from reports.figures import (
    case_statistics,
    community_trigger_return,
    emerging_risks,
    figure_text,
    reporting_year,
    reporting_year_of,
    rolling_comparison,
    rolling_statistics,
    suppress,
)
from tests.workflows.test_community_trigger import SELF, incident, step, steps
from tests.workflows.walker import default_raise
from workflows import community_trigger, cuckooing
from workflows.case_figures import case_figures_rebuild, case_figures_refresh
from workflows.community_trigger import State as CT
from workflows.models import CaseStateChange, FigureSum
from workflows.services import case_raise

LONDON = ZoneInfo("Europe/London")
CT_WORKFLOW = community_trigger.WORKFLOW
TO_DECISION = ("acknowledge", "request_information", "start_threshold_decision")


@pytest.fixture
def on(monkeypatch):
    """Move the clock to 10:00 on a day: ``on(date(2025, 5, 1))``."""

    def _on(day: date) -> None:
        moment = datetime(day.year, day.month, day.day, 10, tzinfo=LONDON)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return _on


def apply(frontline, on, day: date, complaints: int):
    """A Community Trigger application raised on ``day`` with ``complaints`` recent
    qualifying complaints (3 meet the threshold automatically)."""
    on(day)
    made = [
        incident(day - timedelta(days=10 * n + 2), day - timedelta(days=10 * n))
        for n in range(1, complaints + 1)
    ]
    return default_raise(CT_WORKFLOW, frontline)({**SELF, "incidents": made})


def decide(case, lead, on, day, met: bool):
    on(day)
    case = steps(case, lead, *TO_DECISION)
    name = "record_threshold_met_automatically" if met else "decide_threshold_not_met"
    return step(case, lead, name)


def review(case, lead, on, day, recommendations: bool):
    on(day)
    if case.state != CT.REVIEW_MEETING_SCHEDULED:
        case = step(case, lead, "schedule_review_meeting")
    if recommendations:
        return step(case, lead, "hold_review_meeting")
    return step(case, lead, "hold_review_meeting", recommendations=[])


def overturn(case, lead, on, day):
    """The applicant escalates a not-met decision, and the escalation orders a review."""
    on(day)
    case = step(case, lead, "request_escalation")
    case = step(case, lead, "decide_escalation", escalation_decision="re_review")
    return step(case, lead, "order_re_review")


@pytest.fixture
def ct_year(frontline, lead, on):
    """Reporting year 2025 (1 April 2025 to 31 March 2026), built through the workflow."""
    a = apply(frontline, on, date(2025, 5, 1), 3)
    a = decide(a, lead, on, date(2025, 5, 20), met=True)
    a = review(a, lead, on, date(2025, 6, 10), recommendations=True)
    # Not met, overturned on escalation, reviewed without recommendations.
    b = apply(frontline, on, date(2025, 7, 1), 1)
    b = decide(b, lead, on, date(2025, 7, 15), met=False)
    b = overturn(b, lead, on, date(2025, 8, 1))
    b = review(b, lead, on, date(2025, 8, 20), recommendations=False)
    # Not met, and it stands.
    c = apply(frontline, on, date(2025, 9, 1), 1)
    c = decide(c, lead, on, date(2025, 9, 10), met=False)
    # Applied and decided in the year before, overturned and reviewed in this one.
    d = apply(frontline, on, date(2025, 2, 1), 1)
    d = decide(d, lead, on, date(2025, 2, 10), met=False)
    d = overturn(d, lead, on, date(2025, 4, 2))
    d = review(d, lead, on, date(2025, 4, 15), recommendations=True)
    # Applied at the end of the year, decided in the next.
    e = apply(frontline, on, date(2026, 3, 20), 3)
    e = decide(e, lead, on, date(2026, 4, 5), met=True)
    # The council reviewed although the threshold was not met (RULES.md §5.6, Stafford
    # 2021/22). The workflow marks a review ordered on escalation as met, so this review
    # is recorded here as it would be by a council's own route: a review held straight
    # after a not-met decision, without recommendations.
    f = apply(frontline, on, date(2025, 10, 1), 1)
    f = decide(f, lead, on, date(2025, 10, 10), met=False)
    CaseStateChange.objects.filter(case=f, until__isnull=True).update(
        until=datetime(2025, 11, 3, tzinfo=LONDON)
    )
    CaseStateChange.objects.create(
        case=f, case_type=f.case_type, from_state=CT.THRESHOLD_NOT_MET,
        to_state=CT.REVIEW_MEETING_HELD, transition="hold_review_meeting",
        at=datetime(2025, 11, 3, tzinfo=LONDON), recorded_at=timezone.now(),
    )  # fmt: skip
    Case.objects.filter(pk=f.pk).update(
        details={**f.details, "review_held": True, "recommendations_made": False}
    )
    # Written outside the one write path, so its figure facts are derived again as a bulk
    # load's are (workflows.case_figures).
    case_figures_refresh([f.pk])
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


def cuckoo(actor):
    """A county lines cuckooing concern raised now by ``actor``."""
    return default_raise(cuckooing.WORKFLOW, actor)({"premises_postcode": "NT1 4AB"})


def ids(*cases):
    return sorted(c.pk for c in cases)


@pytest.mark.django_db
def test_community_trigger_return_on_a_constructed_year(ct_year, lead):
    c = ct_year
    ret = community_trigger_return(lead, 2025)
    assert (ret.period.start, ret.period.end) == (date(2025, 4, 1), date(2026, 3, 31))
    got = {f.key: (f.count, f.case_ids) for f in ret.figures}
    assert got == {
        "applications_received": (5, ids(c["a"], c["b"], c["c"], c["e"], c["f"])),
        # b was not met, but overturned on escalation: it counts as met.
        "threshold_not_met": (2, ids(c["c"], c["f"])),
        # d's review is this year's although its application and decision were last year's;
        # f's review was held without the threshold being met.
        "reviews_carried_out": (4, ids(c["a"], c["b"], c["d"], c["f"])),
        "reviews_with_recommendations": (2, ids(c["a"], c["d"])),
    }
    assert ret.threshold_met.case_ids == ids(c["a"], c["b"])
    assert ret.overturned_on_escalation.case_ids == ids(c["b"])
    assert ret.reviews_without_threshold_met.case_ids == ids(c["f"])
    assert "overturned on escalation counts as met" in ret.figure("threshold_not_met").note
    # The year before holds d's application and its decision, counted as met (overturned).
    before = community_trigger_return(lead, 2024)
    assert before.figure("applications_received").case_ids == ids(c["d"])
    assert before.figure("threshold_not_met").count == 0
    assert before.threshold_met.case_ids == ids(c["d"])
    after = community_trigger_return(lead, 2026)
    assert after.threshold_met.case_ids == ids(c["e"])
    assert after.figure("applications_received").count == 0


@pytest.mark.django_db
def test_figures_for_a_past_date_stay_put_when_cases_move_on(frontline, lead, on):
    case = apply(frontline, on, date(2025, 5, 1), 3)
    as_at = date(2025, 6, 30)
    before = case_statistics(lead, date(2025, 4, 1), date(2025, 6, 30), as_at)
    assert (before.totals.raised, before.totals.open_as_at, before.totals.closed) == (1, 1, 0)
    # Later the case moves on and is withdrawn (closed).
    case = decide(case, lead, on, date(2025, 7, 10), met=True)
    on(date(2025, 8, 1))
    step(case, lead, "withdraw")
    again = case_statistics(lead, date(2025, 4, 1), date(2025, 6, 30), as_at)
    assert (again.totals.raised, again.totals.open_as_at, again.totals.closed) == (1, 1, 0)
    later = case_statistics(lead, date(2025, 7, 1), date(2025, 8, 31), date(2025, 8, 31))
    assert (later.totals.raised, later.totals.open_as_at, later.totals.closed) == (0, 0, 1)
    assert later.totals.closed_by_outcome == {"Withdrawn": 1}
    # As at the day before it was raised, it did not exist.
    assert case_statistics(lead, as_at, as_at, date(2025, 4, 30)).totals.open_as_at == 0


@pytest.mark.django_db
def test_closings_are_counted_by_their_outcome_whichever_step_closed_them(
    lead, other_lead, auditor
):
    """The database sums the closings by what their words depend on (a code, else the
    step): a code reached through two steps is one outcome, a closing without a code is
    its step's, each team's apart; nothing for a scope that holds nothing."""
    north, south = Team.objects.get(slug="north"), Team.objects.get(slug="south")
    may = date(2025, 5, 1)

    def sums(team, kind, measure, key, n, day=may):
        FigureSum.objects.create(
            grain=FigureSum.Grain.MONTH, measure=measure, day=day, case_type=kind,
            team=team, key=key, n=n,
        )  # fmt: skip

    sums(north, "community_trigger", "closed", "withdraw|WITHDRAWN", 2)
    sums(north, "community_trigger", "closed", "close_threshold_not_met|WITHDRAWN", 3)
    sums(north, "community_trigger", "closed", "close_threshold_not_met|", 1)
    sums(north, "community_trigger", "closed", "close_with_recommendations|", 4)
    sums(north, "community_trigger", "raised", "", 7)
    sums(south, "community_trigger", "closed", "withdraw|WITHDRAWN", 5)
    sums(south, "cuckooing", "closed", "close_no_further_action|NO_FURTHER_ACTION", 1)
    sums(north, "community_trigger", "closed", "withdraw|WITHDRAWN", 9, day=date(2025, 3, 1))
    not_met = figures.outcome_label("community_trigger", "close_threshold_not_met", "")
    reviewed = figures.outcome_label("community_trigger", "close_with_recommendations", "")
    assert "Withdrawn" not in (not_met, reviewed)  # the steps' own words

    period = (date(2025, 4, 1), date(2025, 5, 31), date(2025, 5, 31))
    stats = case_statistics(auditor, *period)
    got = {
        (r.case_type, r.team_name): (r.raised, r.closed, r.closed_by_outcome) for r in stats.rows
    }
    assert got == {
        ("community_trigger", "North locality team"): (
            7,
            10,
            dict(sorted({"Withdrawn": 5, not_met: 1, reviewed: 4}.items())),
        ),
        ("community_trigger", "South locality team"): (0, 5, {"Withdrawn": 5}),
        ("cuckooing", "South locality team"): (0, 1, {"No further action": 1}),
    }
    assert stats.totals.closed == 16
    north_only = case_statistics(lead, *period)
    assert [(r.team_name, r.closed) for r in north_only.rows] == [("North locality team", 10)]
    # A lead of no team has a scope that holds nothing: no rows, no error.
    TeamMembership.objects.filter(user=other_lead).delete()
    nobody = type(other_lead).objects.get(pk=other_lead.pk)
    assert case_statistics(nobody, *period).rows == []


@pytest.mark.django_db
def test_a_step_dated_earlier_than_the_last_change_never_overlaps_it(frontline, lead, on):
    on(date(2025, 5, 1))
    case = cuckoo(frontline)
    raised = CaseStateChange.objects.get(case=case)
    # The concern is submitted with today's date, i.e. from midnight, before it was raised.
    case = step_any(case, lead, "submit_concern")
    rows = list(CaseStateChange.objects.filter(case=case).order_by("at", "id"))
    assert [r.to_state for r in rows] == ["concern_raised", "safeguarding_concern_submitted"]
    assert rows[0].until == rows[1].at == raised.at
    assert rows[1].until is None
    assert rows[1].transition == "submit_concern"
    assert rows[1].from_state == "concern_raised"
    assert rows[1].by == lead


@pytest.mark.django_db
def test_a_raise_is_the_first_change_and_looks_for_none_before_it(frontline, on):
    """The state history of a new case is its one open row, written without looking for
    a previous one to close (a statement less a raise, docs/performance.md)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    on(date(2025, 5, 1))
    with CaptureQueriesContext(connection) as captured:
        case = cuckoo(frontline)
    row = CaseStateChange.objects.get(case=case)
    assert (row.from_state, row.to_state, row.transition) == ("", "concern_raised", "raise")
    assert (row.at, row.until, row.by) == (case.raised_at, None, frontline)
    assert not [
        q["sql"]
        for q in captured
        if q["sql"].startswith("SELECT") and 'FROM "workflows_casestatechange"' in q["sql"]
    ]


def step_any(case, actor, name, **data):
    from tests.workflows.walker import sample_values
    from workflows.registry import get_workflow
    from workflows.services import case_transition

    fields = get_workflow(case.case_type).transition_meta(name)["fields"]
    return case_transition(
        case=case, actor=actor, name=name, data=sample_values(fields, data),
        expected_version=case.version,
    )  # fmt: skip


@pytest.mark.django_db
def test_state_history_is_backfilled_from_the_audit_log(frontline, lead, on):
    on(date(2025, 5, 1))
    case = cuckoo(frontline)
    on(date(2025, 5, 2))
    step_any(case, lead, "submit_concern")
    bulk = Case.objects.create(
        reference="SC-BULK-1", case_type="cse", state="closed", summary="Loaded in bulk",
        team=case.team, raised_by=frontline, raised_at=datetime(2025, 1, 1, tzinfo=LONDON),
        closed_at=datetime(2025, 3, 1, tzinfo=LONDON), outcome_code="NFA_AT_TRIAGE",
    )  # fmt: skip
    CaseStateChange.objects.all().delete()
    migration = importlib.import_module("workflows.migrations.0012_backfill_case_state_changes")
    migration.backfill(None, type("Editor", (), {"connection": connection})())
    case_figures_rebuild()
    rows = list(
        CaseStateChange.objects.filter(case=case)
        .order_by("at", "id")
        .values_list("from_state", "to_state", "transition", "closed")
    )
    assert rows == [
        ("", "concern_raised", "raise", False),
        ("concern_raised", "safeguarding_concern_submitted", "submit_concern", False),
    ]
    bulk_rows = list(
        CaseStateChange.objects.filter(case=bulk).order_by("at").values_list("closed", "until")
    )
    assert bulk_rows == [(False, bulk.closed_at), (True, None)]
    stats = case_statistics(lead, date(2025, 1, 1), date(2025, 3, 31), date(2025, 2, 1))
    assert stats.totals.open_as_at == 1
    assert stats.totals.closed == 1


def test_rolling_comparison_in_the_committee_format():
    corby = rolling_comparison(2483, 2960)
    assert (corby.difference, corby.percent) == (-477, Decimal("-16.1"))
    assert corby.text == "2,483 vs 2,960, -477, -16.1%"
    assert rolling_comparison(110, 100).text == "110 vs 100, +10, +10.0%"
    assert rolling_comparison(5, 5).text == "5 vs 5, 0, 0.0%"
    assert rolling_comparison(7, 0).text == "7 vs 0, +7, no previous figure"
    # Half away from zero: 1/8 = 12.5%, -1/8 = -12.5%, 1/16 = 6.25% -> 6.3%.
    assert rolling_comparison(17, 16).percent == Decimal("6.3")
    assert rolling_comparison(15, 16).percent == Decimal("-6.3")
    assert rolling_comparison(3, 20).published() == {
        "current": "fewer than 5", "previous": "20", "difference": "withheld",
        "percent": "withheld",
    }  # fmt: skip


@pytest.mark.django_db
def test_rolling_statistics_compare_the_12_months_to_a_date_with_the_12_before(frontline, lead, on):
    for day in [date(2024, 6, 1), date(2025, 2, 28), date(2025, 3, 1), date(2026, 2, 28)]:
        on(day)
        cuckoo(frontline)
    rolling = rolling_statistics(lead, date(2026, 2, 28))
    assert (rolling.current.start, rolling.current.end) == (date(2025, 3, 1), date(2026, 2, 28))
    assert (rolling.previous.start, rolling.previous.end) == (date(2024, 3, 1), date(2025, 2, 28))
    (row,) = rolling.rows
    assert (row.comparison.current, row.comparison.previous) == (2, 2)
    assert rolling.total.text == "2 vs 2, 0, 0.0%"


def test_suppression_of_small_numbers(settings):
    assert [suppress(n) for n in (0, 1, 4, 5, 1234)] == [
        "0", "fewer than 5", "fewer than 5", "5", "1,234",
    ]  # fmt: skip
    settings.SAFECASE_SUPPRESS_BELOW = 10
    assert suppress(9) == "fewer than 10"
    assert suppress(10) == "10"
    settings.SAFECASE_SUPPRESS_BELOW = 0
    assert suppress(1) == "1"


@pytest.mark.django_db
def test_screen_figures_are_exact_only_for_those_who_may_see_the_cases(lead, auditor, analyst):
    assert figure_text(lead, 3) == "3"
    assert figure_text(auditor, 3, "community_trigger") == "3"
    # An auditor without Prevent clearance sees no Prevent case: suppressed.
    assert figure_text(auditor, 3, "prevent") == "fewer than 5"
    assert figure_text(analyst, 3) == "fewer than 5"
    assert figure_text(analyst, 12) == "12"


def test_reporting_year_is_april_to_march_by_default_and_configurable(settings):
    assert reporting_year(2025) == figures.Period(date(2025, 4, 1), date(2026, 3, 31))
    assert reporting_year_of(date(2026, 3, 31)) == 2025
    assert reporting_year_of(date(2026, 4, 1)) == 2026
    settings.SAFECASE_REPORTING_YEAR_START_MONTH = 1
    assert reporting_year(2025) == figures.Period(date(2025, 1, 1), date(2025, 12, 31))


@pytest.mark.django_db
def test_analyst_gets_every_teams_figures_but_no_case_to_open(
    ct_year, analyst, other_lead, frontline, administrator
):
    ret = community_trigger_return(analyst, 2025)
    assert ret.figure("applications_received").count == 5
    assert all(f.case_ids == [] for f in ret.figures)
    # A lead of another team: none of these (north) cases in their figures.
    south = community_trigger_return(other_lead, 2025)
    assert [f.count for f in south.figures] == [0, 0, 0, 0]
    for nobody in (frontline, administrator):
        with pytest.raises(PermissionDenied):
            community_trigger_return(nobody, 2025)
        with pytest.raises(PermissionDenied):
            case_statistics(nobody, date(2025, 4, 1), date(2026, 3, 31), date(2026, 3, 31))


@pytest.mark.django_db
def test_lead_sees_only_their_teams_figures(frontline, south_frontline, lead, other_lead, on):
    on(date(2025, 5, 1))
    cuckoo(frontline)
    cuckoo(south_frontline)
    cuckoo(south_frontline)
    period = (date(2025, 4, 1), date(2025, 5, 31), date(2025, 5, 31))
    north = case_statistics(lead, *period)
    assert [(r.team_name, r.raised) for r in north.rows] == [("North locality team", 1)]
    south = case_statistics(other_lead, *period)
    assert [(r.team_name, r.raised) for r in south.rows] == [("South locality team", 2)]
    risks = emerging_risks(lead, date(2025, 4, 1), date(2025, 5, 31))
    assert risks.cuckooing[0].count == 1


@pytest.mark.django_db
def test_emerging_risks_count_events_in_the_period(frontline, lead, prevent_lead, on):
    on(date(2025, 5, 1))
    case = cuckoo(frontline)
    case = step_any(case, lead, "submit_concern")
    risks = emerging_risks(lead, date(2025, 5, 1), date(2025, 5, 1))
    by_label = {t.label: t.count for t in risks.cuckooing}
    assert by_label["Cuckooing concerns raised"] == 1
    assert by_label["Closure notices issued"] == 0
    assert emerging_risks(lead, date(2025, 5, 2), date(2025, 6, 1)).cuckooing[0].count == 0


def _query_count(func) -> int:
    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_query_counts_do_not_grow_with_the_period_or_the_data(ct_year, lead, analyst, on):
    def run_all(user, start, end):
        community_trigger_return(user, 2025)  # a year with cases to drill down to
        case_statistics(user, start, end, end)
        rolling_statistics(user, end)
        emerging_risks(user, start, end)

    for user in (lead, analyst):
        user = type(user).objects.get(pk=user.pk)  # fresh role caches
        run_all(user, date(2025, 4, 1), date(2025, 4, 30))  # warm the role caches
        small = _query_count(lambda u=user: run_all(u, date(2025, 4, 1), date(2025, 4, 30)))
        large = _query_count(lambda u=user: run_all(u, date(2020, 4, 1), date(2026, 3, 31)))
        assert small == large
    # More data: the same number of queries.
    before = _query_count(lambda: run_all(lead, date(2020, 4, 1), date(2026, 3, 31)))
    for n in range(5):
        apply(ct_year["a"].raised_by, on, date(2025, 6, 1 + n), 3)
    after = _query_count(lambda: run_all(lead, date(2020, 4, 1), date(2026, 3, 31)))
    assert before == after


@pytest.mark.django_db
def test_the_community_trigger_return_counts_from_its_index_alone(ct_year, lead, auditor):
    """The return's count of applications (each once) can be answered from the Community
    Trigger's own index, reading nothing of the table (at 500,000 cases 13 -> 4 ms;
    docs/performance.md): every column the count names, for an auditor's scope and a
    lead's, is a column of that index or its condition. (On a handful of rows the
    planner reads the table anyway, so the plan itself is not what is asked.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'case_figure_ct_measure_day'"
        )
        found = cursor.fetchone()
    assert found, "the Community Trigger's index is missing"
    (definition,) = found
    assert "(measure, day) INCLUDE (team_id, case_id)" in definition
    assert "WHERE ((case_type)::text = 'community_trigger'::text)" in definition
    for user in (auditor, lead):
        with CaptureQueriesContext(connection) as ctx:
            community_trigger_return(user, 2025)
        (counted,) = [q["sql"] for q in ctx.captured_queries if "casefigure" in q["sql"]]
        named = set(re.findall(r'"workflows_casefigure"\."(\w+)"', counted))
        assert named <= {"measure", "day", "team_id", "case_id", "case_type"}, counted
        assert '"workflows_casefigure"."case_type" = \'community_trigger\'' in counted


@pytest.mark.django_db
def test_case_raise_records_the_first_state(frontline):
    case = case_raise(
        actor=frontline, case_type="cuckooing",
        data={"summary": "S", **_cuckooing_intake(), "premises_postcode": "NT1 4AB"},
    )  # fmt: skip
    (row,) = CaseStateChange.objects.filter(case=case)
    assert (row.from_state, row.to_state, row.transition, row.at) == (
        "", case.state, "raise", case.raised_at,
    )  # fmt: skip


def _cuckooing_intake():
    from tests.workflows.walker import sample_values

    return sample_values(cuckooing.WORKFLOW.intake_fields)


@pytest.mark.django_db
def test_report_teams_are_every_team_for_an_auditor_and_a_leads_own_by_name(make_user):
    """The teams a report may be asked of, read through a statement compiled once for
    each set of teams: a team added since is listed at once."""
    from casework.roles import Role

    auditor = make_user("auditor", Role.AUDITOR, [])
    lead = make_user("lead.north", Role.LEAD, ["north"])
    every = [t.name for t in Team.objects.order_by("name")]
    assert len(every) >= 2
    assert [t.name for t in figures.report_teams(auditor)] == every
    assert [t.name for t in figures.report_teams(lead)] == ["North locality team"]
    Team.objects.create(slug="aaa", name="Aardvark team")
    assert [t.name for t in figures.report_teams(auditor)] == ["Aardvark team", *every]
