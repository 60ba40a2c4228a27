"""Modern slavery workflow (RULES.md §1): routes, clocks, and the anonymous notification."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from casework.models import AuditEvent, Case, Person
from tests.workflows.walker import default_raise, sample_values, walk_all
from workflows import modern_slavery
from workflows.errors import StaleCase, TransitionNotAllowed
from workflows.models import Deadline, DeadlineStatus
from workflows.modern_slavery import DutyToNotifyNotification, State
from workflows.services import case_raise, case_transition

WORKFLOW = modern_slavery.WORKFLOW
ADULT = {
    "subject_estimated_age": None,
    "subject_given_names": "Maria",
    "subject_family_name": "Kowalska",
    "subject_date_of_birth": "1990-05-17",
    "subject_address": "Flat 2, 14 Mill Lane, Northtown NT1 4AB",
    "subject_phone": "07700 900123",
    "subject_email": "maria.k@example.com",
    "subject_aliases": "Masha",
}
CHILD = {**ADULT, "subject_date_of_birth": None, "subject_estimated_age": 15}

IDENTIFYING_WORDS = (
    "name", "birth", "dob", "address", "postcode", "phone", "email", "contact", "alias",
    "passport", "nino", "insurance", "reference",
)  # fmt: skip


def raise_ms(actor, variant):
    return default_raise(WORKFLOW, actor)(variant)


def step(case, actor, name, **data):
    fields = WORKFLOW.transition_meta(name)["fields"]
    return case_transition(
        case=case, actor=actor, name=name, data=sample_values(fields, data),
        expected_version=case.version,
    )  # fmt: skip


def counts():
    return (
        AuditEvent.objects.count(),
        Deadline.objects.count(),
        DutyToNotifyNotification.objects.count(),
    )


@pytest.mark.django_db
def test_every_transition_and_terminal_state_is_reachable(frontline, lead):
    def best_interests_first(case, name):
        # An adult who has not consented enters the NRM only after a best-interests
        # decision (they lack capacity), recorded without changing state.
        if name == "submit_nrm_referral" and case.state == State.ADULT_CONSENT_SOUGHT:
            return step(case, lead, "record_best_interests_decision")
        return None

    result = walk_all(
        WORKFLOW,
        raise_case=lambda v: raise_ms(frontline, v),
        actor=lead,
        variants=[ADULT, CHILD],
        before_step=best_interests_first,
    )
    declared = {(t.source, t.name) for t in WORKFLOW.transitions()}
    assert result["taken"] == declared
    assert set(WORKFLOW.terminal_states) <= result["reached"]


@pytest.mark.django_db
def test_raise_records_subject_reference_and_audit(frontline):
    case = raise_ms(frontline, ADULT)
    assert case.reference.startswith("SC-")
    assert case.state == State.CONCERN_RAISED
    subject = case.case_people.get(role="subject").person
    assert (subject.given_names, subject.date_of_birth) == ("Maria", date(1990, 5, 17))
    assert "subject_given_names" not in case.details
    event = AuditEvent.objects.get(case=case)
    assert (event.verb, event.actor) == ("case.raised", frontline)


@pytest.mark.django_db
def test_intake_without_age_is_refused_and_writes_nothing(frontline):
    before = (Case.objects.count(), Person.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        raise_ms(frontline, {**ADULT, "subject_date_of_birth": None, "subject_estimated_age": None})
    assert "subject_date_of_birth" in exc.value.message_dict
    assert (Case.objects.count(), Person.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.django_db
def test_child_route_needs_no_consent_and_adult_route_is_refused(frontline, lead):
    case = step(raise_ms(frontline, CHILD), lead, "start_triage")
    before = counts()
    with pytest.raises(TransitionNotAllowed, match="only from an adult"):
        step(case, lead, "seek_consent")
    assert counts() == before
    case = step(case, lead, "notify_child_welfare")
    assert case.details["consent_status"] == "not_required_child"
    case = step(case, lead, "submit_nrm_referral")
    assert case.state == State.AWAITING_RG


@pytest.mark.django_db
def test_adult_cannot_take_the_child_route(frontline, lead):
    case = step(raise_ms(frontline, ADULT), lead, "start_triage")
    with pytest.raises(TransitionNotAllowed):
        step(case, lead, "notify_child_welfare")


@pytest.mark.django_db
def test_adult_nrm_referral_needs_recorded_consent(frontline, lead):
    case = step(step(raise_ms(frontline, ADULT), lead, "start_triage"), lead, "seek_consent")
    with pytest.raises(TransitionNotAllowed):
        step(case, lead, "submit_nrm_referral")
    case = step(step(case, lead, "record_consent"), lead, "submit_nrm_referral")
    assert case.state == State.AWAITING_RG


@pytest.mark.django_db
def test_rg_clock_and_recovery_period(frontline, lead):
    case = step(step(raise_ms(frontline, CHILD), lead, "start_triage"), lead,
                "notify_child_welfare")  # fmt: skip
    case = step(case, lead, "submit_nrm_referral")
    rg = Deadline.objects.get(case=case, rule="rg_decision")
    assert (rg.status, rg.unit, rg.duration, rg.statutory) == ("open", "working_days", 5, False)
    case = step(case, lead, "record_rg_positive")
    rg.refresh_from_db()
    assert rg.status == DeadlineStatus.MET
    recovery = Deadline.objects.get(case=case, rule="recovery_period")
    assert (recovery.unit, recovery.duration, recovery.statutory) == ("calendar_days", 30, True)
    assert (recovery.due_at - recovery.started_at).days >= 29
    case = step(case, lead, "record_cg_positive")
    recovery.refresh_from_db()
    assert recovery.status == DeadlineStatus.ENDED  # a period, ended by the decision
    case = step(case, lead, "close_cg_positive")
    assert (case.state, case.outcome_code) == (State.CLOSED, "NRM_CG_POSITIVE")
    assert case.closed_at is not None


@pytest.mark.django_db
def test_closing_cancels_running_clocks(frontline, lead):
    case = step(step(raise_ms(frontline, CHILD), lead, "start_triage"), lead,
                "notify_child_welfare")  # fmt: skip
    case = step(case, lead, "submit_nrm_referral")
    case = step(case, lead, "record_disqualification")
    assert Deadline.objects.get(case=case, rule="rg_decision").status == "cancelled"


# --- The anonymous Duty to Notify (MSA 2015 s52(3)) -------------------------------------


def test_dtn_notification_model_has_no_identifying_column():
    columns = [f.name for f in DutyToNotifyNotification._meta.get_fields()]
    allowed = {"id", "case", "recorded_by"}  # the council's own case and staff user
    leaking = [c for c in columns if c not in allowed and any(w in c for w in IDENTIFYING_WORDS)]
    assert leaking == []


def test_dtn_transition_asks_for_no_identifying_field():
    fields = [f.name for f in WORKFLOW.transition_meta("submit_duty_to_notify")["fields"]]
    leaking = [n for n in fields if any(w in n for w in IDENTIFYING_WORDS)]
    assert leaking == []


@pytest.mark.django_db
def test_adult_without_consent_path_stores_no_identity_in_the_notification(frontline, lead):
    case = step(step(raise_ms(frontline, ADULT), lead, "start_triage"), lead, "seek_consent")
    case = step(case, lead, "submit_duty_to_notify", nationality="polish",
                # Identifying values sent anyway must not be stored in the notification.
                subject_given_names="Maria", subject_address=ADULT["subject_address"])  # fmt: skip
    assert case.state == State.DTN_SUBMITTED
    assert case.details["consent_status"] == "refused"
    notification = DutyToNotifyNotification.objects.get(case=case)
    stored = " ".join(
        str(getattr(notification, f.attname))
        for f in DutyToNotifyNotification._meta.concrete_fields
    )
    for value in ("Maria", "Kowalska", "1990-05-17", "Mill Lane", "NT1 4AB", "07700", "Masha",
                  "maria.k@example.com"):  # fmt: skip
        assert value not in stored
    assert notification.nationality == "polish"


@pytest.mark.django_db
def test_dtn_is_not_possible_after_consent(frontline, lead):
    case = step(step(raise_ms(frontline, ADULT), lead, "start_triage"), lead, "seek_consent")
    case = step(case, lead, "record_consent")
    with pytest.raises(TransitionNotAllowed):
        step(case, lead, "submit_duty_to_notify")


# --- Permission, version and refusal ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["frontline", "other_lead", "auditor"])
def test_only_a_lead_of_the_team_may_triage(request, frontline, who):
    case = raise_ms(frontline, ADULT)
    actor = request.getfixturevalue(who)
    before = counts()
    with pytest.raises(PermissionDenied):
        step(case, actor, "start_triage")
    assert counts() == before
    assert Case.objects.get(pk=case.pk).state == State.CONCERN_RAISED


@pytest.mark.django_db
def test_stale_version_is_refused(frontline, lead):
    case = raise_ms(frontline, ADULT)
    stale_version = case.version
    step(case, lead, "start_triage")
    with pytest.raises(StaleCase) as exc:
        case_transition(case=case, actor=lead, name="close_no_grounds",
                        data={"rationale": "x"}, expected_version=stale_version)  # fmt: skip
    assert exc.value.state == State.TRIAGE


@pytest.mark.django_db
def test_invalid_input_changes_nothing(frontline, lead):
    case = step(raise_ms(frontline, ADULT), lead, "start_triage")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        case_transition(case=case, actor=lead, name="close_no_grounds", data={},
                        expected_version=case.version)  # fmt: skip
    assert "rationale" in exc.value.message_dict
    assert counts() == before
    assert Case.objects.get(pk=case.pk).version == case.version


@pytest.mark.django_db
def test_direct_state_assignment_is_refused(frontline):
    case = raise_ms(frontline, ADULT)
    with pytest.raises(AttributeError):
        case.state = State.CLOSED


@pytest.mark.django_db
def test_case_raise_requires_a_raising_role(auditor):
    with pytest.raises(PermissionDenied):
        case_raise(actor=auditor, case_type="modern_slavery", data={})


# --- Issue 15: the duty cannot be skipped, no anonymous route for a child, capacity ---


@pytest.mark.django_db
def test_once_indicators_are_found_the_case_cannot_close_without_the_notification(frontline, lead):
    case = raise_ms(frontline, ADULT)
    case = step(case, lead, "start_triage")
    case = step(case, lead, "seek_consent")
    with pytest.raises(TransitionNotAllowed):
        step(case, lead, "withdraw")
    case = step(case, lead, "record_consent")
    with pytest.raises(TransitionNotAllowed):
        step(case, lead, "withdraw")
    # The adult changes their mind before the referral: the duty remains, anonymously.
    case = step(case, lead, "withdraw_consent")
    assert case.state == State.ADULT_CONSENT_SOUGHT
    case = step(case, lead, "submit_duty_to_notify")
    case = step(case, lead, "close_dtn_only")
    assert (case.state, case.outcome_code) == (State.CLOSED, "DTN_ONLY")


@pytest.mark.django_db
def test_a_recorded_decision_that_no_notification_is_required_closes_with_its_own_outcome(
    frontline, lead
):
    case = raise_ms(frontline, ADULT)
    for name in ("start_triage", "seek_consent"):
        case = step(case, lead, name)
    case = step(
        case, lead, "close_notification_not_required",
        no_notification_reason="already_notified", other_notification_reference="NRM-123",
    )  # fmt: skip
    assert (case.state, case.outcome_code) == (State.CLOSED, "NOTIFICATION_NOT_REQUIRED")
    assert case.details["notification_route"] == "none"


@pytest.mark.django_db
def test_withdrawn_is_only_an_outcome_after_an_nrm_referral(frontline, lead):
    case = raise_ms(frontline, ADULT)
    for name in ("start_triage", "seek_consent", "record_consent", "submit_nrm_referral"):
        case = step(case, lead, name)
    case = step(case, lead, "withdraw")
    assert (case.state, case.outcome_code) == (State.WITHDRAWN, "NRM_WITHDRAWN")
    assert case.details["notification_route"] == "nrm"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("age", "band", "refused"),
    [(36, "18_24", True), (36, "35_44", False), (36, "unknown", False), (19, "18_24", False)],
)
def test_the_age_band_must_include_the_recorded_age(frontline, lead, age, band, refused):
    case = raise_ms(
        frontline, {**ADULT, "subject_date_of_birth": None, "subject_estimated_age": age}
    )
    for name in ("start_triage", "seek_consent"):
        case = step(case, lead, name)
    if refused:
        with pytest.raises(ValidationError) as info:
            step(case, lead, "submit_duty_to_notify", age_band=band)
        assert "include the person's recorded age (36)" in info.value.message_dict["age_band"][0]
        assert DutyToNotifyNotification.objects.count() == 0
        assert Case.objects.get(pk=case.pk).state == State.ADULT_CONSENT_SOUGHT
    else:
        case = step(case, lead, "submit_duty_to_notify", age_band=band)
        assert DutyToNotifyNotification.objects.get(case=case).age_band == band


@pytest.mark.django_db
def test_no_anonymous_notification_for_a_child(frontline, lead):
    case = raise_ms(frontline, CHILD)
    case = step(case, lead, "start_triage")
    with pytest.raises(TransitionNotAllowed):
        step(case, lead, "seek_consent")
    # Even if the case were at the adult's consent stage, the anonymous route is refused.
    Case.objects.filter(pk=case.pk).update(state=State.ADULT_CONSENT_SOUGHT)
    case = Case.objects.get(pk=case.pk)
    with pytest.raises(TransitionNotAllowed) as info:
        step(case, lead, "submit_duty_to_notify", age_band="unknown")
    assert "only for an adult" in str(info.value)


@pytest.mark.django_db
def test_an_adult_lacking_capacity_is_referred_on_a_recorded_best_interests_decision(
    frontline, lead
):
    case = raise_ms(frontline, {**ADULT, "consent_status": "lacks_capacity"})
    for name in ("start_triage", "seek_consent"):
        case = step(case, lead, name)
    with pytest.raises(TransitionNotAllowed) as info:
        step(case, lead, "submit_nrm_referral")
    assert "best-interests decision" in str(info.value)
    case = step(
        case, lead, "record_best_interests_decision",
        decision_maker_name="A. Social Worker", decision_maker_role="social_worker",
    )  # fmt: skip
    assert case.state == State.ADULT_CONSENT_SOUGHT
    assert case.details["consent_status"] == "best_interests"
    assert case.details["decision_maker_name"] == "A. Social Worker"
    case = step(case, lead, "submit_nrm_referral")
    assert case.state == State.AWAITING_RG
