"""Child sexual exploitation (RULES.md §3): the walk, guards, clocks, intake and access."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework.models import AuditEvent, Case, CasePerson, Person
from tests.workflows.walker import default_raise, sample_values, walk_all
from workflows import cse
from workflows.cse import OUTCOMES, State
from workflows.cse.checks import exploitation_kinds
from workflows.errors import TransitionNotAllowed
from workflows.models import Deadline, DeadlineStatus
from workflows.services import case_transition

LONDON = ZoneInfo("Europe/London")
WORKFLOW = cse.WORKFLOW


def years_ago(years: int, *, days: int = 0) -> str:
    """The ISO date ``years`` years (and ``days`` days) before today, as frozen or real."""
    today = timezone.localdate()
    try:
        then = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        then = today.replace(year=today.year - years, day=28)
    return (then - timedelta(days=days)).isoformat()


def child(**changes):
    """Intake for a 15-year-old; built when called, so it follows a frozen clock."""
    return {
        "subject_given_names": "Amy",
        "subject_family_name": "Walsh",
        "subject_aliases": "Ames",
        "subject_date_of_birth": years_ago(15),
        "subject_estimated_age": None,
        "subject_address": "12 Canal Street, Northtown NT2 5QP",
        "subject_phone": None,
        "subject_email": None,
        "parent_carer_given_names": "Joanne",
        "parent_carer_family_name": "Walsh",
        "parent_carer_aliases": None,
        "parent_carer_date_of_birth": None,
        "parent_carer_estimated_age": None,
        "parent_carer_gender": "female",
        "parent_carer_address": "12 Canal Street, Northtown NT2 5QP",
        "parent_carer_phone": "07700 900456",
        "parent_carer_email": None,
        "kinds": ["sexual"],
        "indicators": ["missing_episodes", "older_associates", "gifts_or_money"],
        "school": "Northtown Academy",
        "what_has_happened": "Picked up from school by an unknown adult in a car; new phone.",
        "parental_consent": "given",
        "consent_rationale": None,
        "child_view": None,
        "immediate_danger": False,
        **changes,
    }


def raise_cse(actor, **changes):
    return default_raise(WORKFLOW, actor)(child(**changes))


def take(case, actor, name, **data):
    fields = WORKFLOW.transition_meta(name)["fields"]
    return case_transition(
        case=case, actor=actor, name=name, data=sample_values(fields, data),
        expected_version=case.version,
    )  # fmt: skip


def walk(case, actor, *names):
    for name in names:
        case = take(case, actor, name)
    return case


TO_S47 = ("refer_to_mash", "decide_strategy_discussion", "start_s47_enquiry")
TO_CP_PLAN = (*TO_S47, "convene_icpc", "hold_icpc_cp_plan")


def at(*args):
    return datetime(*args, tzinfo=LONDON)


def freeze(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=LONDON)


def clock(case, rule):
    return Deadline.objects.get(case=case, rule=rule)


def counts():
    return (
        AuditEvent.objects.count(),
        Deadline.objects.count(),
        Case.objects.count(),
        Person.objects.count(),
        CasePerson.objects.count(),
    )


def assert_refused_without_trace(case, actor, name, error, match=None, **data):
    before = counts()
    stored = Case.objects.get(pk=case.pk)
    with pytest.raises(error, match=match):
        take(case, actor, name, **data)
    after = Case.objects.get(pk=case.pk)
    assert counts() == before
    assert (after.state, after.version, after.details) == (
        stored.state,
        stored.version,
        stored.details,
    )


# --- The walk -----------------------------------------------------------------------------


def prepare_for(case, step_name):
    """Give the walker's fresh case what a guard needs, as earlier events would have."""
    stored = Case.objects.get(pk=case.pk)
    if step_name == "close_turned_18":
        Person.objects.filter(case_links__case=case, case_links__role="subject").update(
            date_of_birth=years_ago(18)
        )
    elif step_name == "record_return_interview" and not cse.return_awaiting_interview(stored):
        episode = {"returned_at": timezone.now().isoformat()}
        Case.objects.filter(pk=case.pk).update(
            details={**stored.details, "missing_episodes": [episode]}
        )
    elif step_name == "record_assessment_completed":
        Case.objects.filter(pk=case.pk).update(
            details={**stored.details, "assessment_status": "in_progress"}
        )


@pytest.mark.django_db
def test_every_transition_and_terminal_state_is_reachable(frontline, lead):
    result = walk_all(
        WORKFLOW,
        raise_case=lambda v: default_raise(WORKFLOW, frontline)(v),
        actor=lead,
        variants=[child()],
        before_step=prepare_for,
    )
    declared = {(t.source, t.name) for t in WORKFLOW.transitions()}
    assert result["taken"] == declared
    assert set(WORKFLOW.terminal_states) <= result["reached"]


def test_every_closing_step_records_a_rules_outcome_code():
    used = set()
    for t in WORKFLOW.transitions():
        if t.target != State.CLOSED:
            continue
        fields = {f.name: f for f in t.custom["fields"]}
        codes = (
            {v for v, _ in fields["outcome_code"].choices} if "outcome_code" in fields else set()
        )
        codes |= {t.custom["outcome"]} - {""}
        assert codes, t.name
        assert codes <= set(OUTCOMES), t.name
        used |= codes
    assert used == set(OUTCOMES)  # RULES.md §3.2's seven codes, each reachable


# --- Guards -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_child_in_immediate_danger_cannot_be_closed_without_a_referral(frontline, lead):
    case = raise_cse(frontline, immediate_danger=True)
    assert_refused_without_trace(
        case, lead, "close_without_referral", TransitionNotAllowed, match="immediate danger"
    )
    case = take(case, lead, "record_emergency_action", emergency_action="police_protection")
    case = take(case, lead, "refer_to_mash")
    assert case.state == State.REFERRED_TO_MASH

    safe = take(raise_cse(frontline), lead, "close_without_referral", rationale="Misidentified.")
    assert (safe.state, safe.outcome_code) == (State.CLOSED, "NO_FURTHER_EXPLOITATION_CONCERNS")
    assert safe.closed_at is not None


@pytest.mark.django_db
def test_turned_18_closure_waits_for_the_18th_birthday(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2026, 11, 2, 10))
    case = walk(raise_cse(frontline, subject_date_of_birth="2008-11-20"), lead, "refer_to_mash")
    assert_refused_without_trace(
        case, lead, "close_turned_18", TransitionNotAllowed, match="not yet 18"
    )
    freeze(monkeypatch, at(2026, 11, 20, 9))
    case = take(case, lead, "close_turned_18")
    assert (case.state, case.outcome_code) == (
        State.CLOSED,
        "TURNED_18_TRANSITIONED_TO_ADULT_SERVICES",
    )
    statuses = dict(Deadline.objects.filter(case=case).values_list("rule", "status"))
    assert statuses.pop("refer_same_day") == DeadlineStatus.MET  # referred on the day
    assert set(statuses.values()) == {DeadlineStatus.CANCELLED}


@pytest.mark.django_db
def test_turned_18_closure_counts_years_since_an_estimated_age(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2026, 1, 5, 10))
    case = raise_cse(frontline, subject_date_of_birth=None, subject_estimated_age=17)
    freeze(monkeypatch, at(2027, 1, 4, 10))
    assert_refused_without_trace(case, lead, "close_turned_18", TransitionNotAllowed)
    freeze(monkeypatch, at(2027, 1, 5, 10))
    assert take(case, lead, "close_turned_18").state == State.CLOSED


@pytest.mark.django_db
def test_a_return_interview_needs_a_recorded_return(frontline, lead):
    case = walk(raise_cse(frontline), lead, "refer_to_mash")
    assert_refused_without_trace(
        case, lead, "record_return_interview", TransitionNotAllowed, match="No recorded return"
    )
    case = take(case, lead, "record_return_from_missing", where_found="A flat in Southtown")
    case = take(case, lead, "record_return_interview", interview_outcome="declined")
    (episode,) = case.details["missing_episodes"]
    assert episode["where_found"] == "A flat in Southtown"
    assert episode["interview"]["interview_outcome"] == "declined"
    assert case.state == State.REFERRED_TO_MASH
    assert_refused_without_trace(case, lead, "record_return_interview", TransitionNotAllowed)


@pytest.mark.django_db
def test_assessment_completion_needs_an_assessment_in_progress(frontline, lead):
    done = walk(raise_cse(frontline), lead, "refer_to_mash", "decide_s17_assessment",
                "start_cin_plan")  # fmt: skip
    assert clock(done, "cf_assessment").status == DeadlineStatus.MET
    assert_refused_without_trace(
        done, lead, "record_assessment_completed", TransitionNotAllowed, match="in progress"
    )

    case = walk(raise_cse(frontline), lead, *TO_S47)
    case = take(case, lead, "record_assessment_completed", assessment_completed_on="2026-11-20")
    assert (case.state, case.details["assessment_status"]) == (State.S47_ENQUIRY, "completed")
    assert clock(case, "cf_assessment").status == DeadlineStatus.MET
    assert clock(case, "icpc").status == DeadlineStatus.OPEN


# --- Clocks -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_mash_decision_is_due_one_working_day_after_referral(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2026, 12, 24, 15))  # Thursday; 25 and 28 December are holidays
    case = walk(raise_cse(frontline), lead, "refer_to_mash")
    mash = clock(case, "mash_decision")
    assert (mash.status, mash.unit, mash.duration, mash.statutory) == (
        "open", "working_days", 1, True,
    )  # fmt: skip
    assert "Working Together 2023 (statutory guidance) as quoted by partnerships [S71]" in (
        mash.source
    )
    assert mash.due_at == end_of(date(2026, 12, 29))


@pytest.mark.django_db
@pytest.mark.parametrize("decision", cse.MASH_DECISIONS)
def test_mash_decision_clock_is_met_by_each_decision(frontline, lead, decision):
    case = walk(raise_cse(frontline), lead, "refer_to_mash", decision)
    assert clock(case, "mash_decision").status == DeadlineStatus.MET
    assert case.details["mash_decision"]


@pytest.mark.django_db
def test_assessment_is_due_45_working_days_from_referral(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2026, 11, 2, 10))  # Monday
    case = walk(raise_cse(frontline), lead, "refer_to_mash")
    assessment = clock(case, "cf_assessment")
    assert (assessment.unit, assessment.duration, assessment.statutory) == (
        "working_days", 45, True,
    )  # fmt: skip
    # 41 working days to 31 December (25 and 28 December are holidays), then 1 January
    # 2027 is a holiday too: the 45th is Thursday 7 January.
    assert assessment.due_at == end_of(date(2027, 1, 7))
    case = walk(case, lead, "decide_s17_assessment", "start_cin_plan")
    assessment.refresh_from_db()
    assert assessment.status == DeadlineStatus.MET


@pytest.mark.django_db
def test_early_help_needs_no_assessment(frontline, lead):
    case = walk(raise_cse(frontline), lead, "refer_to_mash", "decide_early_help")
    assert clock(case, "cf_assessment").status == DeadlineStatus.CANCELLED
    assert clock(case, "mash_decision").status == DeadlineStatus.MET
    # Stepping back up is a new referral with new clocks.
    case = take(case, lead, "refer_to_mash")
    assert Deadline.objects.filter(case=case, rule="cf_assessment", status="open").count() == 1
    assert Deadline.objects.filter(case=case, rule="mash_decision", status="open").count() == 1
    case = take(case, lead, "close_transferred_out")
    assert (case.state, case.outcome_code) == (State.CLOSED, "TRANSFERRED_OUT_OF_AREA")
    assert not Deadline.objects.filter(case=case, status="open").exists()


@pytest.mark.django_db
def test_icpc_is_due_15_working_days_after_the_s47_strategy_discussion(
    frontline, lead, monkeypatch
):
    freeze(monkeypatch, at(2026, 11, 2, 10))  # Monday
    case = walk(raise_cse(frontline), lead, "refer_to_mash", "decide_strategy_discussion")
    assert not Deadline.objects.filter(case=case, rule="icpc").exists()
    case = take(case, lead, "start_s47_enquiry")
    icpc = clock(case, "icpc")
    assert (icpc.unit, icpc.duration, icpc.statutory) == ("working_days", 15, True)
    assert icpc.due_at == end_of(date(2026, 11, 23))


@pytest.mark.django_db
@pytest.mark.parametrize("held", cse.ICPC_HELD)
def test_icpc_clock_is_met_by_holding_the_conference(frontline, lead, held):
    case = walk(raise_cse(frontline), lead, *TO_S47, "convene_icpc", held)
    assert clock(case, "icpc").status == DeadlineStatus.MET


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ending", "state"),
    [("conclude_s47_cin_plan", State.CIN_PLAN), ("close_after_s47", State.CLOSED)],
)
def test_icpc_clock_is_cancelled_when_no_conference_follows(frontline, lead, ending, state):
    case = walk(raise_cse(frontline), lead, *TO_S47, ending)
    assert case.state == state
    assert clock(case, "icpc").status == DeadlineStatus.CANCELLED


@pytest.mark.django_db
def test_review_conferences_first_within_3_months_then_every_6(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2026, 11, 30, 11))
    case = walk(raise_cse(frontline), lead, *TO_S47, "convene_icpc")
    case = take(case, lead, "hold_icpc_cp_plan", cp_category="sexual_abuse")
    first = clock(case, "first_cp_review")
    assert (first.unit, first.duration, first.statutory) == ("months", 3, True)
    assert first.due_at == end_of(date(2027, 2, 28))  # 30 February does not exist

    freeze(monkeypatch, at(2027, 2, 15, 11))
    case = take(case, lead, "hold_review_conference")
    first.refresh_from_db()
    assert first.status == DeadlineStatus.MET
    review = clock(case, "cp_review")
    assert (review.unit, review.duration, review.due_at) == ("months", 6, end_of(date(2027, 8, 15)))

    freeze(monkeypatch, at(2027, 8, 2, 11))
    case = take(case, lead, "hold_review_conference")
    reviews = list(Deadline.objects.filter(case=case, rule="cp_review").order_by("started_at"))
    assert [r.status for r in reviews] == ["met", "open"]
    assert reviews[1].due_at == end_of(date(2028, 2, 2))
    assert case.state == State.CP_PLAN_ACTIVE

    case = take(case, lead, "end_cp_plan")
    assert case.state == State.CP_PLAN_ENDED
    reviews[1].refresh_from_db()
    assert reviews[1].status == DeadlineStatus.MET
    assert not Deadline.objects.filter(case=case, rule__contains="review", status="open").exists()
    case = take(case, lead, "close_after_cp_plan")
    assert (case.state, case.outcome_code) == (State.CLOSED, "CP_PLAN_ENDED")


@pytest.mark.django_db
def test_each_return_opens_a_72_hour_interview_clock(frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2026, 12, 24, 10))
    case = walk(raise_cse(frontline), lead, "refer_to_mash", "decide_s17_assessment")
    case = take(case, lead, "record_return_from_missing")
    first = clock(case, "return_home_interview")
    assert (first.unit, first.duration, first.statutory, first.disregard_christmas_day) == (
        "hours", 72, True, False,
    )  # fmt: skip
    assert first.due_at == at(2026, 12, 27, 10)  # Christmas Day counts

    freeze(monkeypatch, at(2026, 12, 25, 22))
    case = take(case, lead, "record_return_from_missing")
    opened = Deadline.objects.filter(case=case, rule="return_home_interview", status="open")
    assert opened.count() == 2

    freeze(monkeypatch, at(2026, 12, 26, 12))
    case = take(case, lead, "record_return_interview", interview_outcome="held")
    first.refresh_from_db()
    assert first.status == DeadlineStatus.MET
    (second,) = opened
    assert second.due_at == at(2026, 12, 28, 22)
    first_episode, second_episode = case.details["missing_episodes"]
    assert "interview" in first_episode
    assert "interview" not in second_episode

    case = take(case, lead, "record_return_interview")
    second.refresh_from_db()
    assert second.status == DeadlineStatus.MET
    assert case.state == State.S17_ASSESSMENT


@pytest.mark.django_db
def test_closing_cancels_every_running_clock(frontline, lead):
    case = walk(raise_cse(frontline), lead, *TO_CP_PLAN, "hold_review_conference",
                "record_return_from_missing")  # fmt: skip
    running = set(Deadline.objects.filter(case=case, status="open").values_list("rule", flat=True))
    assert running == {
        "cf_assessment", "cp_review", "return_home_interview", "exploitation_risk_assessment",
    }  # fmt: skip
    case = take(case, lead, "close_transferred_out", receiving_authority="Southshire")
    assert case.closed_at is not None
    assert case.outcome_code == "TRANSFERRED_OUT_OF_AREA"
    assert not Deadline.objects.filter(case=case, status="open").exists()
    assert Deadline.objects.filter(case=case, status="cancelled").count() == 4


# --- Intake -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_raise_links_the_child_and_parent_and_keeps_the_referral_details(frontline):
    case = raise_cse(frontline)
    assert (case.case_type, case.state) == ("cse", State.CONCERN_RAISED)
    subject = case.case_people.get(role="subject").person
    assert (subject.given_names, subject.aliases) == ("Amy", "Ames")
    assert subject.date_of_birth == date.fromisoformat(years_ago(15))
    parent = case.case_people.get(role="parent_carer").person
    assert (parent.family_name, parent.phone) == ("Walsh", "07700 900456")
    assert case.details == {
        "kinds": ["sexual"],
        "indicators": ["missing_episodes", "older_associates", "gifts_or_money"],
        "what_has_happened": "Picked up from school by an unknown adult in a car; new phone.",
        "school": "Northtown Academy",
        "parental_consent": "given",
        "immediate_danger": False,
    }
    # Intake starts the same-day referral and the exploitation risk assessment (issue 14).
    assert set(Deadline.objects.filter(case=case).values_list("rule", flat=True)) == {
        "refer_same_day",
        "exploitation_risk_assessment",
    }


@pytest.mark.django_db
def test_parent_or_carer_names_are_optional(frontline):
    parent_blank = {f.name: None for f in cse.INTAKE_FIELDS if f.name.startswith("parent_carer")}
    case = raise_cse(frontline, **parent_blank)
    assert not case.case_people.filter(role="parent_carer").exists()
    case = raise_cse(frontline, **{**parent_blank, "parent_carer_phone": "07700 900789"})
    parent = case.case_people.get(role="parent_carer").person
    assert (parent.full_name, parent.phone) == ("", "07700 900789")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"what_has_happened": None}, "what_has_happened", id="what-happened"),
        pytest.param({"parental_consent": None}, "parental_consent", id="consent"),
        pytest.param({"parental_consent": "maybe"}, "parental_consent", id="consent-choice"),
        pytest.param({"indicators": ["bad_company"]}, "indicators", id="indicator-choice"),
        pytest.param(
            {"subject_date_of_birth": None, "subject_estimated_age": None},
            "subject_date_of_birth",
            id="no-age",
        ),
        pytest.param(
            {"subject_given_names": None, "subject_family_name": None, "subject_aliases": None},
            "subject_given_names",
            id="no-name",
        ),
        pytest.param(
            {"parental_consent": "not_sought_increase_risk"}, "consent_rationale", id="no-reason"
        ),
        pytest.param({"subject_date_of_birth": "2999-01-01"}, "subject_date_of_birth", id="unborn"),
    ],
)
def test_intake_is_refused_and_writes_nothing(frontline, changes, field):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        raise_cse(frontline, **changes)
    assert field in exc.value.message_dict
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"subject_date_of_birth": years_ago(18)}, id="18-today"),
        pytest.param({"subject_date_of_birth": None, "subject_estimated_age": 19}, id="estimate"),
    ],
)
def test_an_adult_is_refused_on_the_date_of_birth(frontline, changes):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        raise_cse(frontline, **changes)
    (message,) = exc.value.message_dict["subject_date_of_birth"]
    assert "child under 18" in message
    assert "adult safeguarding" in message
    assert counts() == before


@pytest.mark.django_db
def test_a_child_of_17_turning_18_tomorrow_is_accepted(frontline):
    case = raise_cse(frontline, subject_date_of_birth=years_ago(18, days=-1))
    assert case.state == State.CONCERN_RAISED


@pytest.mark.django_db
def test_consent_not_sought_is_accepted_with_its_reason(frontline):
    case = raise_cse(
        frontline,
        parental_consent="not_sought_prejudice_investigation",
        consent_rationale="Father suspected of facilitating; police agreed. DSL decided.",
        subject_given_names=None,
        subject_family_name=None,
    )
    assert case.details["parental_consent"] == "not_sought_prejudice_investigation"
    assert case.details["consent_rationale"].startswith("Father suspected")
    assert case.case_people.get(role="subject").person.aliases == "Ames"


# --- Permission ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["frontline", "other_lead", "auditor"])
@pytest.mark.parametrize("name", ["decide_s17_assessment", "record_return_from_missing"])
def test_only_the_teams_lead_or_allocated_worker_may_act(request, frontline, lead, who, name):
    case = walk(raise_cse(frontline), lead, "refer_to_mash")
    actor = request.getfixturevalue(who)
    assert_refused_without_trace(case, actor, name, PermissionDenied)


@pytest.mark.django_db
def test_the_allocated_worker_records_returns_but_not_decisions(frontline, lead):
    case = walk(raise_cse(frontline), lead, "refer_to_mash")
    Case.objects.filter(pk=case.pk).update(owner=frontline)
    case = Case.objects.get(pk=case.pk)
    case = take(case, frontline, "record_return_from_missing")
    assert Deadline.objects.filter(case=case, rule="return_home_interview").count() == 1
    assert_refused_without_trace(case, frontline, "decide_s17_assessment", PermissionDenied)


# --- Issue 15: one child exploitation type, sexual and/or criminal; the NRM link -------------


def test_one_child_exploitation_type_keeps_its_api_name():
    assert (WORKFLOW.case_type, WORKFLOW.label) == ("cse", "Child exploitation")
    kinds = next(f for f in WORKFLOW.intake_fields if f.name == "kinds")
    assert [v for v, _ in kinds.choices] == ["sexual", "criminal"]


@pytest.mark.django_db
def test_a_child_running_drugs_on_county_lines_is_a_child_exploitation_case(frontline):
    case = raise_cse(frontline, kinds=["criminal"], indicators=["travel_out_of_area"])
    assert (case.case_type, exploitation_kinds(case)) == ("cse", ["criminal"])
    # A v1 client that does not send the kind raises a sexual exploitation concern.
    assert exploitation_kinds(raise_cse(frontline, kinds=[])) == ["sexual"]


@pytest.mark.django_db
def test_a_trafficked_child_is_referred_into_the_nrm_once_with_its_lawful_basis(frontline, lead):
    case = take(raise_cse(frontline, kinds=["sexual", "criminal"]), lead, "refer_to_mash")
    case = take(case, lead, "refer_into_nrm", art6_basis="uk_gdpr_6_1_c",
                legal_obligation="msa_2015_s52")  # fmt: skip
    assert case.state == State.REFERRED_TO_MASH
    assert case.details["nrm_referred"] is True
    assert [d["step"] for d in case.details["disclosures"]] == ["refer_to_mash", "refer_into_nrm"]
    with pytest.raises(TransitionNotAllowed):
        take(case, lead, "refer_into_nrm")
