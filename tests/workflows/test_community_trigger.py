"""Community Trigger / ASB case review (RULES.md §5): threshold, routes, clocks, intake."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.utils import timezone

from casework.models import AuditEvent, Case, CasePerson, Person
from tests.workflows.walker import default_raise, sample_values, walk_all
from workflows import community_trigger
from workflows.community_trigger import (
    Outcome,
    State,
    application_date,
    is_qualifying_complaint,
    period_end,
    qualifying_complaints,
    threshold_met_automatically,
    threshold_number,
)
from workflows.definitions import person_fields
from workflows.errors import TransitionNotAllowed
from workflows.models import Deadline, DeadlineStatus
from workflows.services import case_raise, case_transition, timescale_set

WORKFLOW = community_trigger.WORKFLOW
LONDON = ZoneInfo("Europe/London")


def days_ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def incident(behaviour: str | date, reported: str | date, **extra) -> dict:
    return {
        "incident_date": str(behaviour),
        "description": "Shouting and banging on the door at night.",
        "reported_to": "Police (101)",
        "reported_on": str(reported),
        **extra,
    }


def recent_incidents(count: int) -> list[dict]:
    """``count`` complaints made two days after the behaviour, all in the last months."""
    return [incident(days_ago(10 * n + 2), days_ago(10 * n)) for n in range(1, count + 1)]


APPLICANT = {
    "applicant_given_names": "Jan",
    "applicant_family_name": "Novak",
    "applicant_address": "3 Elm Row, Northtown NT2 9XY",
    "applicant_email": "jan.novak@example.com",
}
NO_SUBJECT = {f.name: None for f in person_fields("subject", label="")}
SELF = {
    **APPLICANT,
    **NO_SUBJECT,
    "application_basis": "affected_person",
    "application_received_on": None,
}
ABOVE = {**SELF, "incidents": recent_incidents(3)}
BELOW = {**SELF, "incidents": recent_incidents(1)}
NO_CONSENT = {
    **BELOW,
    "application_basis": "for_affected_person",
    "victim_consent": False,
    "subject_given_names": "Ada",
    "subject_family_name": "Brown",
    "relationship_to_victim": "Daughter",
}


def raise_ct(actor, variant):
    return default_raise(WORKFLOW, actor)(variant)


def step(case, actor, name, **data):
    fields = WORKFLOW.transition_meta(name)["fields"]
    return case_transition(
        case=case, actor=actor, name=name, data=sample_values(fields, data),
        expected_version=case.version,
    )  # fmt: skip


def steps(case, actor, *names):
    for name in names:
        case = step(case, actor, name)
    return case


TO_DECISION = ("acknowledge", "request_information", "start_threshold_decision")
TO_OUTCOME = ("schedule_review_meeting", "hold_review_meeting", "communicate_outcome")


def snapshot(case):
    fresh = Case.objects.get(pk=case.pk)
    return (
        AuditEvent.objects.count(),
        Deadline.objects.count(),
        list(Deadline.objects.order_by("pk").values_list("status", flat=True)),
        fresh.state,
        fresh.version,
        fresh.details,
    )


def assert_refused(case, actor, name, match, **data):
    before = snapshot(case)
    with pytest.raises(TransitionNotAllowed, match=match):
        step(case, actor, name, **data)
    assert snapshot(case) == before


def clocks(case, rule):
    return list(Deadline.objects.filter(case=case, rule=rule).order_by("started_at", "pk"))


def clock(case, rule):
    (only,) = clocks(case, rule)
    return only


def patch_details(case, **changes):
    """Set case details directly, as a test's ``before_step`` may (not a user action)."""
    fresh = Case.objects.get(pk=case.pk)
    Case.objects.filter(pk=case.pk).update(details={**fresh.details, **changes})


def freeze(monkeypatch, *args):
    moment = datetime(*args, tzinfo=LONDON)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


# --- Walk ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_transition_and_terminal_state_is_reachable(frontline, lead):
    # Guards read what earlier steps recorded; where the walker's shortest path records
    # the other answer, set it before the step. The shortest way into monitoring is an
    # escalation from a not-met decision, with no meeting, so it needs a review recorded.
    adjustments = {
        "close_with_recommendations": {"recommendations_made": True},
        "close_no_recommendations": {"recommendations_made": False},
        "resume_monitoring": {"escalation_decision": "not_upheld", "review_held": True},
        "close_escalation_not_upheld": {"escalation_decision": "not_upheld"},
    }

    def before_step(case, name):
        if name in adjustments:
            patch_details(case, **adjustments[name])
        if name == "reopen_for_escalation":
            # The shortest way to a closed case is an invalid application, which cannot
            # be escalated: record the closure as a threshold decision instead.
            Case.objects.filter(pk=case.pk).update(outcome_code=Outcome.THRESHOLD_NOT_MET)

    result = walk_all(
        WORKFLOW,
        raise_case=lambda v: raise_ct(frontline, v),
        actor=lead,
        variants=[ABOVE, BELOW, NO_CONSENT],
        before_step=before_step,
    )
    declared = {(t.source, t.name) for t in WORKFLOW.transitions()}
    assert result["taken"] == declared
    assert set(WORKFLOW.terminal_states) <= result["reached"]


# --- The threshold computation (s104(4), s104(11)) ---------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        pytest.param(date(2026, 3, 10), 1, date(2026, 4, 9), id="day-before-corresponding"),
        pytest.param(date(2026, 3, 1), 1, date(2026, 3, 31), id="whole-calendar-month"),
        pytest.param(date(2026, 1, 31), 1, date(2026, 2, 28), id="no-31-february"),
        pytest.param(date(2028, 1, 31), 1, date(2028, 2, 29), id="leap-year"),
        pytest.param(date(2028, 1, 29), 1, date(2028, 2, 28), id="29-february-exists"),
        pytest.param(date(2026, 1, 15), 6, date(2026, 7, 14), id="six-months"),
        pytest.param(date(2026, 8, 31), 6, date(2027, 2, 28), id="six-months-no-31st"),
        pytest.param(date(2026, 9, 20), 6, date(2027, 3, 19), id="across-the-year-end"),
    ],
)
def test_period_beginning_with_a_date_ends_the_day_before_the_corresponding_date(
    start, months, end
):
    assert period_end(start, months) == end


@pytest.mark.parametrize(
    ("reported", "qualifies"),
    [
        pytest.param(date(2026, 3, 10), True, id="same-day"),
        pytest.param(date(2026, 4, 9), True, id="last-day-of-the-month"),
        pytest.param(date(2026, 4, 10), False, id="one-day-late"),
        pytest.param(date(2026, 3, 9), False, id="before-the-behaviour"),
    ],
)
def test_complaint_must_be_made_within_one_month_beginning_with_the_behaviour(reported, qualifies):
    complaint = incident(date(2026, 3, 10), reported)
    assert is_qualifying_complaint(complaint, date(2026, 5, 1)) is qualifies


@pytest.mark.parametrize(
    ("reported", "qualifies"), [(date(2026, 2, 28), True), (date(2026, 3, 1), False)]
)
def test_one_month_from_31_january_runs_to_the_end_of_february(reported, qualifies):
    complaint = incident(date(2026, 1, 31), reported)
    assert is_qualifying_complaint(complaint, date(2026, 3, 2)) is qualifies


@pytest.mark.parametrize(
    ("applied", "qualifies"),
    [
        pytest.param(date(2026, 1, 15), True, id="same-day-as-complaint"),
        pytest.param(date(2026, 7, 14), True, id="last-day-of-six-months"),
        pytest.param(date(2026, 7, 15), False, id="one-day-late"),
        pytest.param(date(2026, 1, 14), False, id="before-the-complaint"),
    ],
)
def test_application_must_be_within_six_months_beginning_with_the_complaint(applied, qualifies):
    complaint = incident(date(2026, 1, 12), date(2026, 1, 15))
    assert is_qualifying_complaint(complaint, applied) is qualifies


def test_qualifying_complaints_keeps_only_those_that_qualify():
    good = incident(date(2026, 4, 1), date(2026, 4, 2))
    late = incident(date(2026, 1, 1), date(2026, 2, 1))  # 1 Feb: a day after the month
    stale = incident(date(2025, 9, 1), date(2025, 9, 1))  # over six months before
    dated = {**good, "incident_date": date(2026, 4, 3), "reported_on": date(2026, 4, 3)}
    found = qualifying_complaints([good, late, stale, dated], date(2026, 5, 1))
    assert found == [good, dated]


def test_threshold_number_defaults_to_three_and_may_be_lower(settings):
    del settings.SAFECASE_COMMUNITY_TRIGGER_THRESHOLD
    assert threshold_number() == 3
    settings.SAFECASE_COMMUNITY_TRIGGER_THRESHOLD = 1
    assert threshold_number() == 1


@pytest.mark.parametrize("bad", [0, 4, "3", True, None])
def test_threshold_number_outside_one_to_three_is_a_configuration_error(settings, bad):
    settings.SAFECASE_COMMUNITY_TRIGGER_THRESHOLD = bad
    with pytest.raises(ImproperlyConfigured, match=r"section 104\(4\)"):
        threshold_number()


TWO_QUALIFYING = [
    incident(date(2026, 1, 5), date(2026, 1, 6)),
    incident(date(2026, 2, 1), date(2026, 2, 28)),
    incident(date(2026, 2, 1), date(2026, 3, 1)),  # one day too late: does not qualify
]


@pytest.mark.django_db
def test_threshold_is_met_automatically_at_the_local_number(settings, frontline):
    case = raise_ct(
        frontline,
        {**SELF, "application_received_on": "2026-06-30", "incidents": TWO_QUALIFYING},
    )
    assert application_date(case) == date(2026, 6, 30)
    assert threshold_met_automatically(case) is False
    settings.SAFECASE_COMMUNITY_TRIGGER_THRESHOLD = 2
    assert threshold_met_automatically(case) is True


@pytest.mark.django_db
def test_application_date_is_the_day_raised_when_no_date_is_given(frontline):
    case = raise_ct(frontline, ABOVE)
    assert application_date(case) == timezone.localtime(case.raised_at).date()
    assert threshold_met_automatically(case) is True


# --- Guards -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_application_for_someone_else_needs_their_consent_to_proceed(frontline, lead):
    case = raise_ct(frontline, NO_CONSENT)
    assert_refused(case, lead, "acknowledge", "without their consent")
    case = step(case, lead, "record_victim_consent")
    assert (case.state, case.details["victim_consent"]) == (State.APPLICATION_RECEIVED, True)
    assert_refused(case, lead, "close_invalid_no_consent", "has consent")
    case = step(case, lead, "acknowledge")
    assert case.state == State.ACKNOWLEDGED


@pytest.mark.django_db
def test_application_without_consent_closes_as_invalid(frontline, lead):
    case = step(raise_ct(frontline, NO_CONSENT), lead, "close_invalid_no_consent")
    assert (case.state, case.outcome_code) == (State.CLOSED, Outcome.INVALID_NO_CONSENT)
    assert case.closed_at is not None
    assert clock(case, "acknowledgement").status == DeadlineStatus.CANCELLED


@pytest.mark.django_db
def test_own_application_needs_no_consent_and_is_never_invalid_for_it(frontline, lead):
    case = raise_ct(frontline, {**BELOW, "victim_consent": False})
    assert_refused(case, lead, "record_victim_consent", "on someone's behalf")
    assert_refused(case, lead, "close_invalid_no_consent", "the applicant's own")
    assert step(case, lead, "acknowledge").state == State.ACKNOWLEDGED


@pytest.mark.django_db
def test_automatic_threshold_needs_enough_qualifying_complaints(settings, frontline, lead):
    data = {**SELF, "application_received_on": "2026-06-30", "incidents": TWO_QUALIFYING}
    case = steps(raise_ct(frontline, data), lead, *TO_DECISION)
    assert_refused(case, lead, "record_threshold_met_automatically", "fewer qualifying")
    settings.SAFECASE_COMMUNITY_TRIGGER_THRESHOLD = 2
    case = step(case, lead, "record_threshold_met_automatically")
    assert case.state == State.THRESHOLD_MET
    assert case.details["threshold_basis"] == "automatic"
    assert (case.details["qualifying_complaints"], case.details["threshold_number"]) == (2, 2)


@pytest.mark.django_db
def test_threshold_cannot_be_refused_or_made_discretionary_when_met_automatically(frontline, lead):
    case = steps(raise_ct(frontline, ABOVE), lead, *TO_DECISION)
    assert_refused(case, lead, "decide_threshold_not_met", "must be treated as met")
    assert_refused(case, lead, "decide_threshold_met_discretionary", "met automatically")
    case = step(case, lead, "record_threshold_met_automatically")
    assert (case.details["threshold_met"], case.details["qualifying_complaints"]) == (True, 3)


@pytest.mark.django_db
def test_discretionary_threshold_needs_grounds_and_rationale(frontline, lead):
    case = steps(raise_ct(frontline, BELOW), lead, *TO_DECISION)
    before = snapshot(case)
    with pytest.raises(ValidationError) as exc:
        case_transition(case=case, actor=lead, name="decide_threshold_met_discretionary",
                        data={"threshold_decided_on": "2026-11-02",
                              "applicant_informed_on": "2026-11-02"},
                        expected_version=case.version)  # fmt: skip
    assert {"discretionary_grounds", "rationale"} <= set(exc.value.message_dict)
    assert snapshot(case) == before
    case = step(case, lead, "decide_threshold_met_discretionary",
                discretionary_grounds=["persistence", "harm"])  # fmt: skip
    assert case.state == State.THRESHOLD_MET
    assert case.details["threshold_basis"] == "discretionary"
    assert case.details["discretionary_grounds"] == ["persistence", "harm"]


@pytest.mark.django_db
def test_complaints_found_by_relevant_bodies_count_towards_the_threshold(frontline, lead):
    case = steps(raise_ct(frontline, BELOW), lead, "acknowledge", "request_information")
    case = step(case, lead, "record_agency_response", responding_body="police",
                complaints=recent_incidents(3)[1:])  # fmt: skip
    assert case.state == State.INFORMATION_GATHERING
    assert len(case.details["incidents"]) == 3
    assert case.details["incidents"][-1]["found_by"] == "police"
    assert case.details["agency_responses"][0]["responding_body"] == "police"
    case = step(case, lead, "start_threshold_decision")
    assert step(case, lead, "record_threshold_met_automatically").state == State.THRESHOLD_MET


@pytest.mark.django_db
def test_closing_after_review_follows_whether_recommendations_were_made(frontline, lead):
    reviewed = steps(raise_ct(frontline, ABOVE), lead, *TO_DECISION,
                     "record_threshold_met_automatically", *TO_OUTCOME,
                     "start_monitoring")  # fmt: skip
    assert reviewed.details["recommendations_made"] is True
    assert_refused(reviewed, lead, "close_no_recommendations", "made recommendations")
    case = step(reviewed, lead, "close_with_recommendations")
    assert case.outcome_code == Outcome.REVIEWED_WITH_RECOMMENDATIONS
    assert (case.details["threshold_met"], case.details["review_held"]) == (True, True)

    none = steps(raise_ct(frontline, ABOVE), lead, *TO_DECISION,
                 "record_threshold_met_automatically", "schedule_review_meeting")  # fmt: skip
    none = step(none, lead, "hold_review_meeting", recommendations=[])
    none = steps(none, lead, "communicate_outcome", "start_monitoring")
    assert_refused(none, lead, "close_with_recommendations", "no recommendations")
    case = step(none, lead, "close_no_recommendations")
    assert (case.state, case.outcome_code) == (State.CLOSED, Outcome.REVIEWED_NO_RECOMMENDATIONS)


@pytest.mark.django_db
def test_upheld_escalation_of_a_not_met_decision_orders_a_review(frontline, lead):
    case = steps(raise_ct(frontline, BELOW), lead, *TO_DECISION, "decide_threshold_not_met",
                 "request_escalation")  # fmt: skip
    assert case.details["escalated_from"] == State.THRESHOLD_NOT_MET
    case = step(case, lead, "decide_escalation", escalation_decision="re_review")
    assert_refused(case, lead, "resume_monitoring", "not upheld")
    assert_refused(case, lead, "close_escalation_not_upheld", "not upheld")
    case = step(case, lead, "order_re_review")
    assert case.state == State.REVIEW_MEETING_SCHEDULED
    assert (case.details["threshold_met"], case.details["threshold_basis"]) == (True, "escalation")


@pytest.mark.django_db
def test_escalation_not_upheld_closes_a_not_met_case(frontline, lead):
    case = steps(raise_ct(frontline, BELOW), lead, *TO_DECISION, "decide_threshold_not_met",
                 "request_escalation")  # fmt: skip
    case = step(case, lead, "decide_escalation", escalation_decision="not_upheld")
    assert_refused(case, lead, "order_re_review", "not upheld")
    assert_refused(case, lead, "resume_monitoring", "outcome was not upheld")
    case = step(case, lead, "close_escalation_not_upheld")
    assert (case.state, case.outcome_code) == (State.CLOSED, Outcome.THRESHOLD_NOT_MET)


@pytest.mark.django_db
def test_escalation_of_an_outcome_not_upheld_returns_to_the_action_plan(frontline, lead):
    case = steps(raise_ct(frontline, ABOVE), lead, *TO_DECISION,
                 "record_threshold_met_automatically", *TO_OUTCOME,
                 "request_escalation")  # fmt: skip
    case = step(case, lead, "decide_escalation", escalation_decision="not_upheld")
    assert_refused(case, lead, "close_escalation_not_upheld", "not-met decision")
    case = step(case, lead, "resume_monitoring")
    assert case.state == State.ACTION_PLAN_MONITORING
    case = step(case, lead, "close_with_recommendations")
    assert case.outcome_code == Outcome.REVIEWED_WITH_RECOMMENDATIONS


# --- Clocks (RULES.md §5.4, all local) ------------------------------------------------------


def test_every_clock_is_local_working_days_and_cites_rules_5_4():
    for rule in WORKFLOW.deadline_rules:
        assert (rule.statutory, rule.unit, rule.repeatable) == (False, "working_days", False)
        assert rule.source.startswith("RULES.md §5.4")
        assert "overridable" in rule.source


@pytest.mark.django_db
def test_acknowledgement_clock_runs_five_working_days_from_intake(monkeypatch, frontline, lead):
    # Wednesday 23 December 2026: Christmas, the Boxing Day substitute (28th) and New
    # Year's Day are not working days, so day 5 is Monday 4 January 2027.
    freeze(monkeypatch, 2026, 12, 23, 10)
    case = raise_ct(frontline, ABOVE)
    ack = clock(case, "acknowledgement")
    assert (ack.status, ack.unit, ack.duration, ack.statutory) == ("open", "working_days", 5, False)
    assert timezone.localtime(ack.due_at).date() == date(2027, 1, 4)
    step(case, lead, "acknowledge")
    ack.refresh_from_db()
    assert ack.status == DeadlineStatus.MET


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variant", "decision"),
    [
        (ABOVE, "record_threshold_met_automatically"),
        (BELOW, "decide_threshold_met_discretionary"),
        (BELOW, "decide_threshold_not_met"),
    ],
)
def test_threshold_decision_clock_is_met_by_each_decision(frontline, lead, variant, decision):
    case = step(raise_ct(frontline, variant), lead, "acknowledge")
    due = clock(case, "threshold_decision")
    assert (due.status, due.duration, due.statutory) == ("open", 15, False)
    case = steps(case, lead, "request_information", "start_threshold_decision", decision)
    due.refresh_from_db()
    assert due.status == DeadlineStatus.MET


@pytest.mark.django_db
def test_threshold_decision_clock_skips_easter(monkeypatch, frontline, lead):
    # Thursday 2 April 2026: Good Friday and Easter Monday fall in the 15 working days.
    case = raise_ct(frontline, ABOVE)
    freeze(monkeypatch, 2026, 4, 2, 10)
    step(case, lead, "acknowledge")
    assert timezone.localtime(clock(case, "threshold_decision").due_at).date() == date(2026, 4, 27)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variant", "decision", "rule"),
    [
        (ABOVE, "record_threshold_met_automatically", "review_meeting_after_automatic_threshold"),
        (BELOW, "decide_threshold_met_discretionary",
         "review_meeting_after_discretionary_threshold"),
    ],
)  # fmt: skip
def test_review_meeting_clock_starts_when_the_threshold_is_met(
    frontline, lead, variant, decision, rule
):
    case = steps(raise_ct(frontline, variant), lead, *TO_DECISION, decision)
    meeting = clock(case, rule)
    assert (meeting.status, meeting.duration, meeting.unit) == ("open", 20, "working_days")
    assert Deadline.objects.filter(case=case, rule__startswith="review_meeting").count() == 1
    case = step(case, lead, "schedule_review_meeting")
    case = step(case, lead, "reschedule_review_meeting", reason="The chair is ill.")
    meeting.refresh_from_db()
    assert meeting.status == DeadlineStatus.OPEN
    step(case, lead, "hold_review_meeting")
    meeting.refresh_from_db()
    assert meeting.status == DeadlineStatus.MET


@pytest.mark.django_db
def test_outcome_and_appeal_clocks_and_a_review_after_escalation(frontline, lead):
    case = steps(raise_ct(frontline, ABOVE), lead, *TO_DECISION,
                 "record_threshold_met_automatically", "schedule_review_meeting",
                 "hold_review_meeting")  # fmt: skip
    letter = clock(case, "outcome_letter")
    assert (letter.status, letter.duration) == ("open", 5)
    case = step(case, lead, "communicate_outcome")
    letter.refresh_from_db()
    assert letter.status == DeadlineStatus.MET
    window = clock(case, "appeal_window_after_outcome")
    assert (window.status, window.duration) == ("open", 20)
    case = steps(case, lead, "start_monitoring", "request_escalation")
    window.refresh_from_db()
    assert window.status == DeadlineStatus.ENDED  # a period: ended by the escalation
    case = step(case, lead, "decide_escalation", escalation_decision="re_review")
    case = step(case, lead, "order_re_review")
    assert clock(case, "review_meeting_after_escalation").status == DeadlineStatus.OPEN
    case = steps(case, lead, "hold_review_meeting", "communicate_outcome")
    assert [d.status for d in clocks(case, "outcome_letter")] == ["met", "met"]
    assert [d.status for d in clocks(case, "appeal_window_after_outcome")] == ["ended", "open"]


@pytest.mark.django_db
def test_appeal_window_after_not_met_is_cancelled_when_the_case_closes(frontline, lead):
    case = steps(raise_ct(frontline, BELOW), lead, *TO_DECISION, "decide_threshold_not_met")
    window = clock(case, "appeal_window_after_threshold_not_met")
    assert (window.status, window.duration, window.statutory) == ("open", 20, False)
    case = step(case, lead, "close_threshold_not_met")
    window.refresh_from_db()
    assert window.status == DeadlineStatus.CANCELLED
    assert case.outcome_code == Outcome.THRESHOLD_NOT_MET


@pytest.mark.django_db
def test_appeal_window_after_not_met_is_met_by_an_escalation(frontline, lead):
    case = steps(raise_ct(frontline, BELOW), lead, *TO_DECISION, "decide_threshold_not_met",
                 "request_escalation")  # fmt: skip
    assert clock(case, "appeal_window_after_threshold_not_met").status == DeadlineStatus.ENDED


@pytest.mark.django_db
def test_closing_with_the_appeal_window_open_cancels_it(frontline, lead):
    case = steps(raise_ct(frontline, ABOVE), lead, *TO_DECISION,
                 "record_threshold_met_automatically", *TO_OUTCOME, "start_monitoring",
                 "close_with_recommendations")  # fmt: skip
    assert clock(case, "appeal_window_after_outcome").status == DeadlineStatus.CANCELLED


@pytest.mark.django_db
def test_withdrawal_cancels_running_clocks(frontline, lead):
    case = step(raise_ct(frontline, ABOVE), lead, "acknowledge")
    case = step(case, lead, "withdraw")
    assert (case.state, case.outcome_code) == (State.WITHDRAWN, Outcome.WITHDRAWN)
    assert clock(case, "threshold_decision").status == DeadlineStatus.CANCELLED


@pytest.mark.django_db
def test_a_deployment_may_set_its_own_timescale(frontline):
    timescale_set(case_type="community_trigger", rule="acknowledgement", duration=10)
    assert clock(raise_ct(frontline, ABOVE), "acknowledgement").duration == 10


# --- Intake (RULES.md §5.5) -----------------------------------------------------------------


def intake_counts():
    return (
        Case.objects.count(),
        Person.objects.count(),
        AuditEvent.objects.count(),
        Deadline.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"applicant_given_names": ""}, "applicant_given_names", id="anonymous"),
        pytest.param({"applicant_family_name": None}, "applicant_family_name", id="no-surname"),
        pytest.param({"incidents": []}, "incidents", id="no-incidents"),
        pytest.param({"application_basis": ""}, "application_basis", id="no-basis"),
        pytest.param({"asb_description": ""}, "asb_description", id="no-description"),
    ],
)
def test_intake_requires_its_fields_and_writes_nothing(frontline, changes, field):
    before = intake_counts()
    with pytest.raises(ValidationError) as exc:
        raise_ct(frontline, {**ABOVE, **changes})
    assert field in exc.value.message_dict
    assert intake_counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param({"incidents": [incident(days_ago(3), days_ago(5))]}, "incidents",
                     "Incident 1: it was reported before the behaviour", id="reported-early"),
        pytest.param({"incidents": [incident(days_ago(3), days_ago(2)),
                                    incident(days_ago(-1), days_ago(-1))]}, "incidents",
                     "Record 2, incident_date: The date of the behaviour must be today or in the "
                     "past",
                     id="future"),
        pytest.param({"incidents": [incident(days_ago(3), days_ago(-2))]}, "incidents",
                     "Record 1, reported_on: The date it was reported must be today or in the past",
                     id="reported-in-future"),
        pytest.param({"application_received_on": days_ago(-1)}, "application_received_on",
                     "The date the application was received must be today or in the past",
                     id="received-in-future"),
        pytest.param({**NO_CONSENT, "subject_given_names": None, "subject_family_name": None},
                     "subject_family_name", "the person you are applying for", id="for-nobody"),
    ],
)  # fmt: skip
def test_intake_refuses_impossible_dates_and_unnamed_people(frontline, changes, field, message):
    before = intake_counts()
    with pytest.raises(ValidationError) as exc:
        raise_ct(frontline, {**ABOVE, **changes})
    assert any(message in m for m in exc.value.message_dict[field])
    assert intake_counts() == before


@pytest.mark.django_db
def test_intake_links_people_in_their_roles_and_keeps_the_details(frontline):
    case = raise_ct(frontline, {**NO_CONSENT, "hate_incident": True,
                                "application_received_on": days_ago(4)})  # fmt: skip
    assert (case.state, case.case_type) == (State.APPLICATION_RECEIVED, "community_trigger")
    roles = {link.role: link.person for link in CasePerson.objects.filter(case=case)}
    assert set(roles) == {"applicant", "subject"}
    assert (roles["applicant"].given_names, roles["applicant"].family_name) == ("Jan", "Novak")
    assert roles["applicant"].email == "jan.novak@example.com"
    assert roles["subject"].full_name == "Ada Brown"
    assert not any(key.startswith(("applicant_", "subject_")) for key in case.details)
    assert case.details["application_basis"] == "for_affected_person"
    assert (case.details["victim_consent"], case.details["hate_incident"]) == (False, True)
    assert case.details["incidents"] == NO_CONSENT["incidents"]
    assert application_date(case) == timezone.localdate() - timedelta(days=4)
    assert clock(case, "acknowledgement").status == DeadlineStatus.OPEN


@pytest.mark.django_db
def test_own_application_links_only_the_applicant(frontline):
    case = raise_ct(frontline, ABOVE)
    assert list(case.case_people.values_list("role", flat=True)) == ["applicant"]


# --- Permission -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["frontline", "other_lead", "auditor"])
@pytest.mark.parametrize(
    ("path", "name"),
    [((), "acknowledge"), (("acknowledge", "request_information"), "record_agency_response")],
)
def test_only_the_team_lead_or_allocated_worker_may_act(request, frontline, lead, who, path,
                                                        name):  # fmt: skip
    case = steps(raise_ct(frontline, ABOVE), lead, *path)
    actor = request.getfixturevalue(who)
    before = snapshot(case)
    with pytest.raises(PermissionDenied):
        step(case, actor, name)
    assert snapshot(case) == before


@pytest.mark.django_db
def test_auditor_cannot_raise_an_application(auditor):
    with pytest.raises(PermissionDenied):
        case_raise(actor=auditor, case_type="community_trigger", data={})


# --- Issue 15: the applicant's right to escalate survives closure --------------------------


@pytest.mark.django_db
def test_an_escalation_after_closure_reopens_the_case_with_a_recorded_reason(frontline, lead):
    case = steps(raise_ct(frontline, BELOW), lead, *TO_DECISION, "decide_threshold_not_met")
    case = step(case, lead, "close_threshold_not_met", applicant_waived_escalation=True)
    assert (case.state, case.outcome_code) == (State.CLOSED, Outcome.THRESHOLD_NOT_MET)
    closed_at = case.closed_at
    with pytest.raises(TransitionNotAllowed):
        step(case, lead, "request_escalation")
    case = step(
        case, lead, "reopen_for_escalation",
        reopen_reason="The applicant asked within the window after all.",
    )  # fmt: skip
    assert (case.state, case.outcome_code, case.closed_at) == (
        State.ESCALATION_REQUESTED, "", None,
    )  # fmt: skip
    [reopened] = case.details["reopenings"]
    assert reopened["reason"] == "The applicant asked within the window after all."
    assert reopened["closed_with"] == Outcome.THRESHOLD_NOT_MET
    assert reopened["closed_at"] == closed_at.isoformat()
    # The escalation then runs as from the not-met decision.
    case = step(case, lead, "decide_escalation", escalation_decision="re_review")
    case = step(case, lead, "order_re_review")
    assert case.state == State.REVIEW_MEETING_SCHEDULED


@pytest.mark.django_db
def test_a_reopened_case_whose_escalation_fails_closes_again(frontline, lead):
    case = steps(raise_ct(frontline, BELOW), lead, *TO_DECISION, "decide_threshold_not_met")
    case = step(case, lead, "close_threshold_not_met", applicant_waived_escalation=True)
    case = steps(case, lead, "reopen_for_escalation")
    case = step(case, lead, "decide_escalation", escalation_decision="not_upheld")
    case = step(case, lead, "close_escalation_not_upheld")
    assert (case.state, case.outcome_code) == (State.CLOSED, Outcome.THRESHOLD_NOT_MET)
    assert case.closed_at is not None


@pytest.mark.django_db
def test_a_withdrawn_or_invalid_application_is_not_reopened(frontline, lead):
    case = raise_ct(frontline, NO_CONSENT)
    case = step(case, lead, "close_invalid_no_consent")
    assert_refused(case, lead, "reopen_for_escalation", "cannot")
