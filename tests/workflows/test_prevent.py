"""Prevent and Channel workflow (RULES.md §4): routes, consent, clocks and need-to-know."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework.models import AuditEvent, Case, CasePerson, Person
from tests.workflows.walker import default_raise, sample_values, walk_all
from workflows import prevent
from workflows.errors import TransitionNotAllowed
from workflows.models import Deadline, DeadlineStatus
from workflows.prevent import State
from workflows.services import case_transition

WORKFLOW = prevent.WORKFLOW
LONDON = ZoneInfo("Europe/London")
ADULT = {
    "subject_given_names": "Daniel",
    "subject_family_name": "Hughes",
    "subject_date_of_birth": "1999-03-02",
    "subject_estimated_age": None,
    "subject_address": "7 Canal Street, Northtown NT2 9QP",
    "nationality": "British",
    "concerns": "Shares extremist videos with classmates and talks of travelling abroad.",
    "aware_of_referral": "no",
    "immediate_risk": False,
}
CHILD = {**ADULT, "subject_date_of_birth": None, "subject_estimated_age": 15}

TO_CONSENT = ("submit_referral", "start_gateway_assessment", "refer_to_channel",
              "list_for_panel", "adopt", "request_consent")  # fmt: skip
TO_EXIT = (*TO_CONSENT, "record_consent", "exit_support")


def raise_prevent(actor, variant):
    return default_raise(WORKFLOW, actor)(variant)


def step(case, actor, name, **data):
    fields = WORKFLOW.transition_meta(name)["fields"]
    return case_transition(
        case=case, actor=actor, name=name, data=sample_values(fields, data),
        expected_version=case.version,
    )  # fmt: skip


def drive(case, actor, names):
    for name in names:
        case = step(case, actor, name)
    return case


def trace(case):
    """Everything a refused call must leave as it was."""
    stored = Case.objects.get(pk=case.pk)
    return (
        AuditEvent.objects.count(),
        Deadline.objects.count(),
        stored.state,
        stored.version,
        stored.details,
    )


def local_date(moment):
    return moment.astimezone(LONDON).date()


@pytest.fixture
def now_is(monkeypatch):
    """Pin the services' clock to a London wall-clock time."""

    def _set(*args):
        moment = datetime(*args, tzinfo=LONDON)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return _set


# --- The whole process ----------------------------------------------------------------


@pytest.mark.django_db
def test_every_transition_and_terminal_state_is_reachable(frontline, prevent_lead):
    result = walk_all(
        WORKFLOW,
        raise_case=lambda v: raise_prevent(frontline, v),
        actor=prevent_lead,
        variants=[ADULT, CHILD],
    )
    declared = {(t.source, t.name) for t in WORKFLOW.transitions()}
    assert result["taken"] == declared
    assert set(WORKFLOW.terminal_states) <= result["reached"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "outcome"),
    [
        (("close_not_referred",), "NOT_REFERRED"),
        (("submit_referral", "close_nfa_at_gateway"), "NFA_AT_GATEWAY"),
        (("submit_referral", "start_gateway_assessment", "close_signposted"), "SIGNPOSTED"),
        (("submit_referral", "start_gateway_assessment", "close_police_led"), "POLICE_LED"),
        (("submit_referral", "refer_to_channel", "list_for_panel", "not_adopt"), "NOT_ADOPTED"),
        ((*TO_CONSENT, "refuse_consent", "close_consent_refused"), "CONSENT_REFUSED"),
        ((*TO_CONSENT, "refuse_consent", "close_returned_to_police"), "POLICE_LED"),
        ((*TO_CONSENT, "record_consent", "withdraw_consent", "close_consent_withdrawn"),
         "CONSENT_WITHDRAWN"),
        ((*TO_EXIT, "record_6m_review", "record_12m_review", "close_no_further_concerns"),
         "EXIT_NO_FURTHER_CONCERNS"),
        ((*TO_EXIT, "record_6m_review", "close_exit_concerns_remain"),
         "EXIT_CONCERNS_REMAIN_RETURNED_TO_POLICE"),
    ],
)  # fmt: skip
def test_each_closing_route_records_its_outcome(frontline, prevent_lead, path, outcome):
    case = drive(raise_prevent(frontline, ADULT), prevent_lead, path)
    assert (case.state, case.outcome_code) == (State.CLOSED, outcome)
    assert case.closed_at is not None


@pytest.mark.django_db
def test_not_adopted_records_the_onward_referral(frontline, prevent_lead):
    case = drive(raise_prevent(frontline, ADULT), prevent_lead,
                 ("submit_referral", "refer_to_channel", "list_for_panel"))  # fmt: skip
    case = step(case, prevent_lead, "not_adopt", onward_referral="adult_social_care",
                onward_referral_detail="Northtown adult mental health team")  # fmt: skip
    assert case.details["panel_decision"] == "not_adopted"
    assert case.details["onward_referral"] == "adult_social_care"
    assert case.details["onward_referral_detail"] == "Northtown adult mental health team"


@pytest.mark.django_db
def test_not_adopted_needs_the_onward_referral_decision(frontline, prevent_lead):
    case = drive(raise_prevent(frontline, ADULT), prevent_lead,
                 ("submit_referral", "refer_to_channel", "list_for_panel"))  # fmt: skip
    before = trace(case)
    with pytest.raises(ValidationError) as exc:
        case_transition(case=case, actor=prevent_lead, name="not_adopt",
                        data={"panel_date": "2026-05-01", "rationale": "Low risk."},
                        expected_version=case.version)  # fmt: skip
    assert "onward_referral" in exc.value.message_dict
    assert trace(case) == before


@pytest.mark.django_db
def test_support_plan_and_consent_are_recorded(frontline, prevent_lead):
    case = drive(raise_prevent(frontline, ADULT), prevent_lead, TO_CONSENT[:-2])
    case = step(case, prevent_lead, "adopt", consent_request_plan="Coordinator, in person")
    assert (case.state, case.details["consent_status"]) == (State.ADOPTED, "not_asked")
    case = step(case, prevent_lead, "request_consent")
    case = step(case, prevent_lead, "record_consent", support_provider="Intervention provider",
                support_nature="Theological and ideological mentoring",
                support_start_on="2026-06-01")  # fmt: skip
    assert case.state == State.SUPPORT_ACTIVE
    details = case.details
    assert (details["consent_status"], details["consent_given_by"]) == ("given", "the_person")
    assert details["support_provider"] == "Intervention provider"
    assert details["support_nature"] == "Theological and ideological mentoring"
    assert details["support_start_on"] == "2026-06-01"


@pytest.mark.django_db
def test_support_plan_reviews_keep_the_state_and_accumulate(frontline, prevent_lead):
    case = drive(raise_prevent(frontline, ADULT), prevent_lead, (*TO_CONSENT, "record_consent"))
    version = case.version
    today = timezone.localdate().isoformat()  # support started today (sample values)
    case = step(case, prevent_lead, "review_support_plan", reviewed_on=today,
                progress="Engaging well.")  # fmt: skip
    case = step(case, prevent_lead, "review_support_plan", reviewed_on=today,
                progress="Mentor changed.", plan_changes="New mentor from September.")  # fmt: skip
    assert case.state == State.SUPPORT_ACTIVE
    assert case.version == version + 2
    reviews = case.details["support_plan_reviews"]
    assert [r["reviewed_on"] for r in reviews] == [today, today]
    assert reviews[1]["plan_changes"] == "New mentor from September."


@pytest.mark.django_db
def test_withdrawn_consent_can_be_reassessed_by_the_panel(frontline, prevent_lead):
    case = drive(raise_prevent(frontline, ADULT), prevent_lead, (*TO_CONSENT, "record_consent"))
    case = step(case, prevent_lead, "withdraw_consent", consent_withdrawn_by="the_person",
                reassess_on="2026-12-01")  # fmt: skip
    assert (case.state, case.details["consent_status"]) == (State.CONSENT_WITHDRAWN, "withdrawn")
    assert case.details["reassess_on"] == "2026-12-01"
    case = step(case, prevent_lead, "reassess")
    assert case.state == State.CHANNEL_INFO_GATHERING


# --- Guards: whose consent (RULES.md §4.1) -------------------------------------------------


@pytest.mark.django_db
def test_a_child_cannot_consent_for_themselves(frontline, prevent_lead):
    case = drive(raise_prevent(frontline, CHILD), prevent_lead, TO_CONSENT)
    before = trace(case)
    with pytest.raises(TransitionNotAllowed, match="parent or guardian"):
        step(case, prevent_lead, "record_consent")
    assert trace(case) == before


@pytest.mark.django_db
def test_a_parent_or_guardian_consents_for_a_child(frontline, prevent_lead):
    case = drive(raise_prevent(frontline, CHILD), prevent_lead, TO_CONSENT)
    case = step(case, prevent_lead, "record_parental_consent", consent_given_by_name="Sarah Hughes",
                consent_given_by_relationship="parent")  # fmt: skip
    assert case.state == State.SUPPORT_ACTIVE
    details = case.details
    assert (details["consent_given_by"], details["consent_given_by_name"]) == (
        "parent_guardian",
        "Sarah Hughes",
    )
    assert details["consent_given_by_relationship"] == "parent"


@pytest.mark.django_db
def test_an_adults_consent_is_not_a_parents(frontline, prevent_lead):
    case = drive(raise_prevent(frontline, ADULT), prevent_lead, TO_CONSENT)
    before = trace(case)
    with pytest.raises(TransitionNotAllowed, match="18 or over"):
        step(case, prevent_lead, "record_parental_consent")
    assert trace(case) == before
    case = step(case, prevent_lead, "record_consent")
    assert case.state == State.SUPPORT_ACTIVE


@pytest.mark.django_db
def test_age_for_consent_is_taken_on_the_day_from_the_date_of_birth(frontline, prevent_lead):
    today = timezone.localdate()
    if (today.month, today.day) == (2, 29):  # no 29 February eighteen years ago
        eighteen_today = date(today.year - 18, 3, 1) - timedelta(days=1)
    else:
        eighteen_today = today.replace(year=today.year - 18)
    turns_18_tomorrow = eighteen_today + timedelta(days=1)
    adult = drive(raise_prevent(frontline, {**ADULT, "subject_date_of_birth":
                  eighteen_today.isoformat()}), prevent_lead, TO_CONSENT)  # fmt: skip
    minor = drive(raise_prevent(frontline, {**ADULT, "subject_date_of_birth":
                  turns_18_tomorrow.isoformat()}), prevent_lead, TO_CONSENT)  # fmt: skip
    assert step(adult, prevent_lead, "record_consent").state == State.SUPPORT_ACTIVE
    with pytest.raises(TransitionNotAllowed):
        step(minor, prevent_lead, "record_consent")
    assert step(minor, prevent_lead, "record_parental_consent").state == State.SUPPORT_ACTIVE


@pytest.mark.django_db
def test_an_estimated_age_grows_with_the_time_since_the_concern(frontline, prevent_lead, now_is):
    now_is(2026, 3, 2, 10)
    case = raise_prevent(frontline, {**ADULT, "subject_date_of_birth": None,
                                     "subject_estimated_age": 17})  # fmt: skip
    case = drive(case, prevent_lead, TO_CONSENT)
    with pytest.raises(TransitionNotAllowed):
        step(case, prevent_lead, "record_consent")
    now_is(2027, 3, 3, 10)  # a year on, the estimate makes the person 18
    assert prevent.subject_age(case) == 18
    assert step(case, prevent_lead, "record_consent").state == State.SUPPORT_ACTIVE


# --- Clocks (RULES.md §4.3): all local defaults ---------------------------------------------


def test_every_clock_is_a_local_default():
    assert [r.statutory for r in WORKFLOW.deadline_rules] == [False] * len(WORKFLOW.deadline_rules)
    assert "descriptive" in WORKFLOW.rule("gateway_assessment").source
    assert "[S102]" in WORKFLOW.rule("gateway_assessment").source


@pytest.mark.django_db
def test_gateway_clock_counts_working_days_over_christmas(frontline, prevent_lead, now_is):
    now_is(2026, 12, 21, 10)  # Monday; 25 and 28 December 2026 are bank holidays
    case = step(raise_prevent(frontline, ADULT), prevent_lead, "submit_referral")
    clock = Deadline.objects.get(case=case, rule="gateway_assessment")
    assert (clock.status, clock.unit, clock.duration, clock.statutory) == (
        DeadlineStatus.OPEN, "working_days", 5, False,
    )  # fmt: skip
    assert local_date(clock.due_at) == date(2026, 12, 30)


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", prevent.GATEWAY_MET_BY)
@pytest.mark.parametrize("started", [False, True], ids=["from_submitted", "from_assessment"])
def test_each_gateway_outcome_meets_the_gateway_clock(frontline, prevent_lead, outcome, started):
    case = step(raise_prevent(frontline, ADULT), prevent_lead, "submit_referral")
    if started:
        case = step(case, prevent_lead, "start_gateway_assessment")
    step(case, prevent_lead, outcome)
    clock = Deadline.objects.get(case=case, rule="gateway_assessment")
    assert (clock.status, clock.met_at is not None) == (DeadlineStatus.MET, True)


@pytest.mark.django_db
@pytest.mark.parametrize("decision", ["adopt", "not_adopt"])
def test_panel_clock_runs_a_month_from_listing_and_the_decision_meets_it(
    frontline, prevent_lead, now_is, decision
):
    case = drive(raise_prevent(frontline, ADULT), prevent_lead,
                 ("submit_referral", "refer_to_channel"))  # fmt: skip
    now_is(2027, 1, 31, 10)
    case = step(case, prevent_lead, "list_for_panel")
    clock = Deadline.objects.get(case=case, rule="channel_panel")
    assert (clock.unit, clock.duration, clock.statutory) == ("months", 1, False)
    assert local_date(clock.due_at) == date(2027, 2, 28)
    step(case, prevent_lead, decision)
    clock.refresh_from_db()
    assert clock.status == DeadlineStatus.MET


@pytest.mark.django_db
def test_reassessment_lists_the_case_again_with_a_new_panel_clock(frontline, prevent_lead):
    case = drive(raise_prevent(frontline, ADULT), prevent_lead, (*TO_CONSENT, "refuse_consent"))
    case = drive(case, prevent_lead, ("reassess", "list_for_panel"))
    clocks = list(Deadline.objects.filter(case=case, rule="channel_panel").order_by("id"))
    assert [c.status for c in clocks] == [DeadlineStatus.MET, DeadlineStatus.OPEN]
    step(case, prevent_lead, "not_adopt")
    clocks[1].refresh_from_db()
    assert clocks[1].status == DeadlineStatus.MET


@pytest.mark.django_db
def test_post_exit_reviews_fall_due_6_and_12_months_after_exit(frontline, prevent_lead, now_is):
    case = drive(raise_prevent(frontline, ADULT), prevent_lead, TO_EXIT[:-1])
    now_is(2026, 8, 31, 10)
    case = step(case, prevent_lead, "exit_support")
    six = Deadline.objects.get(case=case, rule="post_exit_review_6m")
    twelve = Deadline.objects.get(case=case, rule="post_exit_review_12m")
    assert (six.unit, six.duration, six.statutory) == ("months", 6, False)
    assert (twelve.unit, twelve.duration, twelve.statutory) == ("months", 12, False)
    assert local_date(six.due_at) == date(2027, 2, 28)  # 31 August + 6 months, clamped
    assert local_date(twelve.due_at) == date(2027, 8, 31)
    case = step(case, prevent_lead, "record_6m_review")
    six.refresh_from_db()
    twelve.refresh_from_db()
    assert (six.status, twelve.status) == (DeadlineStatus.MET, DeadlineStatus.OPEN)
    case = step(case, prevent_lead, "record_12m_review")
    twelve.refresh_from_db()
    assert twelve.status == DeadlineStatus.MET
    case = step(case, prevent_lead, "close_no_further_concerns")
    statuses = dict(Deadline.objects.filter(case=case).values_list("rule", "status"))
    assert statuses.pop("support_plan_review_first") == "cancelled"  # support ended at exit
    assert set(statuses.values()) == {"met"}


@pytest.mark.django_db
def test_closing_after_exit_cancels_the_review_clocks(frontline, prevent_lead):
    case = drive(raise_prevent(frontline, ADULT), prevent_lead, TO_EXIT)
    case = step(case, prevent_lead, "close_exit_concerns_remain")
    statuses = dict(
        Deadline.objects.filter(case=case, rule__startswith="post_exit").values_list(
            "rule", "status"
        )
    )
    assert statuses == {
        "post_exit_review_6m": DeadlineStatus.CANCELLED,
        "post_exit_review_12m": DeadlineStatus.CANCELLED,
    }


@pytest.mark.django_db
def test_closing_after_the_6_month_review_cancels_only_the_12_month_clock(frontline, prevent_lead):
    case = drive(raise_prevent(frontline, ADULT), prevent_lead, (*TO_EXIT, "record_6m_review"))
    step(case, prevent_lead, "close_exit_concerns_remain")
    assert Deadline.objects.get(case=case, rule="post_exit_review_6m").status == "met"
    assert Deadline.objects.get(case=case, rule="post_exit_review_12m").status == "cancelled"


# --- Intake (RULES.md §4.4) -----------------------------------------------------------------


@pytest.mark.django_db
def test_intake_links_the_person_and_stores_the_minimum(frontline):
    case = raise_prevent(frontline, {**ADULT, "complex_needs": "Autism; isolated at home."})
    assert case.state == State.CONCERN_RAISED
    links = list(case.case_people.values_list("role", flat=True))
    assert links == ["subject"]
    person = case.case_people.get(role="subject").person
    assert (person.given_names, person.family_name, person.date_of_birth) == (
        "Daniel", "Hughes", date(1999, 3, 2),
    )  # fmt: skip
    assert person.address == "7 Canal Street, Northtown NT2 9QP"
    details = case.details
    assert details["nationality"] == "British"
    assert details["concerns"].startswith("Shares extremist videos")
    assert details["complex_needs"] == "Autism; isolated at home."
    assert (details["aware_of_referral"], details["immediate_risk"]) == ("no", False)
    assert not [k for k in details if k.startswith("subject_")]
    event = AuditEvent.objects.get(case=case)
    assert (event.verb, event.actor) == ("case.raised", frontline)


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["concerns", "nationality", "aware_of_referral"])
def test_intake_requires_its_fields_and_writes_nothing(frontline, missing):
    before = (Case.objects.count(), Person.objects.count(), CasePerson.objects.count(),
              AuditEvent.objects.count())  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        raise_prevent(frontline, {**ADULT, missing: None})
    assert missing in exc.value.message_dict
    assert (Case.objects.count(), Person.objects.count(), CasePerson.objects.count(),
            AuditEvent.objects.count()) == before  # fmt: skip


@pytest.mark.django_db
def test_intake_without_an_age_is_refused(frontline):
    before = (Case.objects.count(), Person.objects.count())
    with pytest.raises(ValidationError) as exc:
        raise_prevent(frontline, {**ADULT, "subject_date_of_birth": None})
    assert "subject_date_of_birth" in exc.value.message_dict
    assert (Case.objects.count(), Person.objects.count()) == before


@pytest.mark.django_db
def test_awareness_of_the_referral_must_be_a_listed_answer(frontline):
    with pytest.raises(ValidationError) as exc:
        raise_prevent(frontline, {**ADULT, "aware_of_referral": "maybe"})
    assert "aware_of_referral" in exc.value.message_dict


def test_optional_intake_fields_are_optional():
    required = {f.name: f.required for f in WORKFLOW.intake_fields}
    assert (required["complex_needs"], required["other_agencies"]) == (False, False)
    assert (required["concerns"], required["aware_of_referral"]) == (True, True)


# --- Need-to-know (RULES.md §4.5) --------------------------------------------------------------


def test_every_transition_is_for_leads_and_the_description_says_need_to_know():
    assert {t.custom["permission_name"] for t in WORKFLOW.transitions()} == {"casework.manage_case"}
    assert "need-to-know" in WORKFLOW.description.lower()
    # Staff read it: plain English, never a section sign (issue 19 point 5).
    assert "§" not in WORKFLOW.description
    assert "only leads cleared for prevent" in WORKFLOW.description.lower()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["frontline", "lead", "other_lead", "auditor"])
def test_only_a_prevent_cleared_lead_may_act(request, frontline, who):
    case = raise_prevent(frontline, ADULT)
    actor = request.getfixturevalue(who)
    before = trace(case)
    with pytest.raises(PermissionDenied):
        step(case, actor, "submit_referral")
    assert trace(case) == before


@pytest.mark.django_db
def test_an_ordinary_lead_of_the_team_is_refused_later_in_the_process_too(
    frontline, lead, prevent_lead
):
    case = drive(raise_prevent(frontline, ADULT), prevent_lead, TO_CONSENT)
    before = trace(case)
    with pytest.raises(PermissionDenied):
        step(case, lead, "record_consent")
    assert trace(case) == before


@pytest.mark.django_db
def test_a_prevent_cleared_lead_may_act(frontline, prevent_lead):
    case = step(raise_prevent(frontline, ADULT), prevent_lead, "submit_referral")
    assert case.state == State.REFERRAL_SUBMITTED
    event = AuditEvent.objects.filter(case=case).latest("id")
    assert (event.verb, event.actor) == ("case.transitioned", prevent_lead)
