"""Referral services, for every referral type: content validation, the lawful-basis rule,
the whole lifecycle (and that refused steps write nothing), the case step a partner's
decision takes, and the partner's response clock with its chaser."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from casework.audit import AuditVerb
from casework.errors import StaleCase, TransitionNotAllowed
from casework.models import AuditEvent, Case
from casework.selectors import case_leads
from notifications.models import OutboxMessage
from referrals import services
from referrals.checks import NO_LAWFUL_BASIS
from referrals.models import (
    Gateway,
    PartnerAgency,
    PartnerResponseTime,
    Referral,
    ReferralEvent,
    ReferralState,
)
from referrals.services import (
    referral_acknowledge,
    referral_close,
    referral_create,
    referral_record_decision,
    referral_record_no_response,
    referral_record_outcome,
    referral_send,
    referral_update_draft,
    referral_withdraw,
)
from referrals.types import REFERRAL_TYPES, decision_fields
from tests.referrals.conftest import (
    ALL_TYPES,
    LAWFUL_BASIS,
    SETUPS,
    basis_for,
    complete_content,
    take,
    trace,
)
from tests.workflows.walker import sample_values
from workflows.models import Deadline, DeadlineStatus
from workflows.registry import get_workflow

LONDON = ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db

DECISIONS = [
    (spec.value, decision.value)
    for spec in REFERRAL_TYPES.values()
    for decision in spec.decisions
    if decision.transition
]


def decision_data(referral: Referral, decision: str, **overrides) -> dict:
    spec = REFERRAL_TYPES[referral.referral_type]
    return sample_values(decision_fields(spec, spec.decision(decision)), overrides)


def accepted_decision(referral_type: str) -> str:
    return next(d.value for d in REFERRAL_TYPES[referral_type].decisions if d.accepted)


def freeze(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


# --- Reference data -------------------------------------------------------------------------


def test_the_seed_migration_adds_the_standard_partners_once():
    seed = importlib.import_module("referrals.migrations.0002_seed_partners")
    PartnerAgency.objects.all().delete()
    seed.seed(apps, None)
    seed.seed(apps, None)  # idempotent
    kinds = set(PartnerAgency.objects.values_list("kind", flat=True))
    assert kinds == {
        "home_office_sca", "home_office_ieca", "police", "childrens_social_care_mash",
        "adult_social_care", "channel_panel", "victim_care_provider",
    }  # fmt: skip
    times = {
        (t.partner.kind, t.referral_type): (t.duration, t.unit)
        for t in PartnerResponseTime.objects.select_related("partner")
    }
    assert times[("home_office_sca", "nrm_referral")] == (5, "working_days")  # RG target
    assert times[("childrens_social_care_mash", "mash_referral")] == (1, "working_days")
    assert times[("police", "prevent_referral")] == (5, "working_days")
    assert all("configurable" in t.source for t in PartnerResponseTime.objects.all())


def test_administrators_manage_partners_in_the_admin(administrator):
    assert administrator.has_perm("referrals.change_partneragency")
    assert administrator.has_perm("referrals.add_partnerresponsetime")
    assert not administrator.has_perm("referrals.view_referral")


# --- Creating a draft -------------------------------------------------------------------------


@pytest.mark.parametrize("referral_type", ALL_TYPES)
def test_a_draft_may_be_incomplete_but_is_sent_only_complete(referral_type, case_for, partners,
                                                             acting_lead):  # fmt: skip
    spec = REFERRAL_TYPES[referral_type]
    lead = acting_lead(spec.case_type)
    referral = referral_create(
        case=case_for(referral_type), actor=lead, referral_type=referral_type,
        partner=partners[SETUPS[referral_type]().partner_kind], content={},
        lawful_basis=basis_for(referral_type),
    )  # fmt: skip
    assert referral.state == ReferralState.DRAFT
    assert referral.content == {}
    before = trace(referral)
    with pytest.raises(ValidationError) as info:
        referral_send(referral=referral, actor=lead)
    required = {f.name for f in spec.fields if f.required}
    assert required
    assert required <= set(info.value.message_dict)
    assert trace(referral) == before


@pytest.mark.parametrize("referral_type", ALL_TYPES)
def test_malformed_content_is_refused_naming_the_field(referral_type, case_for, partners,
                                                       acting_lead):  # fmt: skip
    spec = REFERRAL_TYPES[referral_type]
    choice = next(f for f in spec.fields if f.type in ("choice", "multichoice"))
    bad = ["not-a-choice"] if choice.type == "multichoice" else "not-a-choice"
    case = case_for(referral_type, ready=False)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as info:
        referral_create(
            case=case, actor=acting_lead(spec.case_type),
            referral_type=referral_type, partner=partners[SETUPS[referral_type]().partner_kind],
            content={choice.name: bad},
        )  # fmt: skip
    assert list(info.value.message_dict) == [choice.name]
    assert Referral.objects.count() == 0
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("referral_type", ALL_TYPES)
def test_a_wrong_type_or_partner_is_refused(referral_type, case_for, partners, acting_lead):
    spec = REFERRAL_TYPES[referral_type]
    case = case_for(referral_type, ready=False)
    other = next(t for t in ALL_TYPES if REFERRAL_TYPES[t].case_type != spec.case_type)
    with pytest.raises(ValidationError) as info:
        referral_create(case=case, actor=acting_lead(spec.case_type), referral_type=other,
                        partner=partners[SETUPS[other]().partner_kind], content={})  # fmt: skip
    assert "referral_type" in info.value.message_dict
    wrong = next(p for k, p in partners.items() if k not in spec.partner_kinds)
    with pytest.raises(ValidationError) as info:
        referral_create(case=case, actor=acting_lead(spec.case_type),
                        referral_type=referral_type, partner=wrong, content={})  # fmt: skip
    assert "partner" in info.value.message_dict
    assert Referral.objects.count() == 0


@pytest.mark.parametrize("referral_type", ALL_TYPES)
def test_only_a_lead_of_the_case_may_refer(referral_type, case_for, partners, frontline,
                                           other_lead, auditor, lead):  # fmt: skip
    case = case_for(referral_type, ready=False)
    refused = [frontline, other_lead, auditor]
    if case.case_type == "prevent":
        refused.append(lead)  # not Prevent-cleared
    for user in refused:
        with pytest.raises(PermissionDenied):
            referral_create(
                case=case, actor=user, referral_type=referral_type,
                partner=partners[SETUPS[referral_type]().partner_kind],
                content=complete_content(referral_type),
            )  # fmt: skip
    assert Referral.objects.count() == 0


def test_a_closed_case_makes_no_new_referral(case_for, partners, lead, frontline):
    case = case_for("mash_referral", ready=False)
    case = take(case, lead, "close_without_referral", rationale="Not CSE.")
    assert case.closed_at is not None
    with pytest.raises(TransitionNotAllowed):
        referral_create(case=case, actor=lead, referral_type="mash_referral",
                        partner=partners["childrens_social_care_mash"], content={})  # fmt: skip
    assert Referral.objects.count() == 0


# --- The lawful basis -------------------------------------------------------------------------


@pytest.mark.parametrize("referral_type", ALL_TYPES)
def test_a_referral_cannot_be_sent_without_a_lawful_basis(referral_type, draft_for, acting_lead,
                                                          partners):  # fmt: skip
    referral = draft_for(referral_type)
    lead = acting_lead(referral.case.case_type)
    referral = referral_update_draft(
        referral=referral, actor=lead, partner=referral.partner, content=referral.content,
        lawful_basis={"consent_given": False, "gateway": "", "lawful_basis_notes": ""},
    )  # fmt: skip
    assert referral.authorised_by is None
    before = trace(referral)
    with pytest.raises(ValidationError) as info:
        referral_send(referral=referral, actor=lead)
    assert info.value.message_dict["gateway"] == [NO_LAWFUL_BASIS]
    assert "lawful_basis_notes" in info.value.message_dict
    assert trace(referral) == before
    # A gateway without saying why sharing without consent is necessary is not enough.
    referral = referral_update_draft(
        referral=referral, actor=lead, partner=referral.partner, content=referral.content,
        lawful_basis={**LAWFUL_BASIS, "lawful_basis_notes": ""},
    )  # fmt: skip
    with pytest.raises(ValidationError) as info:
        referral_send(referral=referral, actor=lead)
    adult_nrm = ["consent_given"] if referral_type == "nrm_referral" else []
    assert sorted(info.value.message_dict) == sorted(["lawful_basis_notes", *adult_nrm])
    referral = referral_update_draft(
        referral=referral, actor=lead, partner=referral.partner, content=referral.content,
        lawful_basis=basis_for(referral_type),
    )  # fmt: skip
    assert referral.authorised_by == lead
    assert referral.authorised_at is not None
    sent = referral_send(referral=referral, actor=lead)
    assert sent.state == ReferralState.SENT


def test_an_adult_enters_the_nrm_only_with_consent(draft_for, lead):
    referral = draft_for("nrm_referral")
    referral = referral_update_draft(
        referral=referral, actor=lead, partner=referral.partner, content=referral.content,
        lawful_basis=LAWFUL_BASIS,
    )  # fmt: skip
    with pytest.raises(ValidationError) as info:
        referral_send(referral=referral, actor=lead)
    assert "consent" in info.value.message_dict["consent_given"][0]


def test_consent_as_the_gateway_needs_consent_recorded(draft_for, lead):
    referral = draft_for("mash_referral")
    referral = referral_update_draft(
        referral=referral, actor=lead, partner=referral.partner, content=referral.content,
        lawful_basis={"consent_given": False, "gateway": "consent", "lawful_basis_notes": "x"},
    )  # fmt: skip
    with pytest.raises(ValidationError) as info:
        referral_send(referral=referral, actor=lead)
    assert "consent_given" in info.value.message_dict


def test_the_database_refuses_a_sent_referral_without_a_lawful_basis(draft_for, lead):
    referral = referral_send(referral=draft_for("mash_referral"), actor=lead)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(consent_given=False, gateway="")


def test_the_database_refuses_an_unknown_state(draft_for):
    referral = draft_for("mash_referral")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE referrals_referral SET state = 'lost' WHERE id = %s", [referral.pk])


# --- The lifecycle ------------------------------------------------------------------------------


def steps_of(referral: Referral, lead) -> list:
    """Each step of the happy path with the state it leads to."""
    decision = accepted_decision(referral.referral_type)
    return [
        (lambda r: referral_send(referral=r, actor=lead), ReferralState.SENT,
         AuditVerb.REFERRAL_SENT),
        (lambda r: referral_acknowledge(referral=r, actor=lead,
                                        data={"acknowledged_on": "2026-01-05",
                                              "partner_reference": "HO-123"}),
         ReferralState.ACKNOWLEDGED, AuditVerb.REFERRAL_ACKNOWLEDGED),
        (lambda r: referral_record_decision(referral=r, actor=lead, decision=decision,
                                            data=decision_data(r, decision)),
         ReferralState.ACCEPTED, AuditVerb.REFERRAL_DECIDED),
        (lambda r: referral_record_outcome(referral=r, actor=lead,
                                           data={"outcome_on": "2026-02-01",
                                                 "outcome": "Support in place."}),
         ReferralState.OUTCOME_RECORDED, AuditVerb.REFERRAL_OUTCOME_RECORDED),
        (lambda r: referral_close(referral=r, actor=lead, data={}), ReferralState.CLOSED,
         AuditVerb.REFERRAL_CLOSED),
    ]  # fmt: skip


REFUSALS = {
    ReferralState.DRAFT: ["acknowledge", "decide", "no_response", "outcome", "close"],
    ReferralState.SENT: ["send", "outcome", "close"],
    ReferralState.ACKNOWLEDGED: ["send", "acknowledge", "outcome", "close"],
    ReferralState.ACCEPTED: ["send", "acknowledge", "decide", "no_response", "close"],
    ReferralState.OUTCOME_RECORDED: ["send", "acknowledge", "decide", "no_response", "outcome"],
    ReferralState.CLOSED: ["send", "acknowledge", "decide", "outcome", "close", "withdraw"],
}


def attempt(name: str, referral: Referral, lead) -> None:
    decision = accepted_decision(referral.referral_type)
    calls = {
        "send": lambda: referral_send(referral=referral, actor=lead),
        "acknowledge": lambda: referral_acknowledge(
            referral=referral, actor=lead, data={"acknowledged_on": "2026-01-05"}
        ),
        "decide": lambda: referral_record_decision(
            referral=referral,
            actor=lead,
            decision=decision,
            data=decision_data(referral, decision),
        ),  # fmt: skip
        "no_response": lambda: referral_record_no_response(
            referral=referral, actor=lead, data={"no_response_note": "Chased twice."}
        ),
        "outcome": lambda: referral_record_outcome(
            referral=referral, actor=lead, data={"outcome_on": "2026-02-01", "outcome": "x"}
        ),
        "close": lambda: referral_close(referral=referral, actor=lead, data={}),
        "withdraw": lambda: referral_withdraw(referral=referral, actor=lead, data={"reason": "x"}),
    }
    calls[name]()


@pytest.mark.parametrize("referral_type", ALL_TYPES)
def test_the_lifecycle_and_its_refusals(referral_type, draft_for, acting_lead):
    referral = draft_for(referral_type)
    lead = acting_lead(referral.case.case_type)
    history = [ReferralState.DRAFT]
    for step, state, verb in [(None, ReferralState.DRAFT, None), *steps_of(referral, lead)]:
        if step is not None:
            events = AuditEvent.objects.count()
            referral = step(referral)
            assert referral.state == state
            last = AuditEvent.objects.order_by("-pk").first()
            assert (last.verb, last.object_id, last.actor_id) == (verb, str(referral.pk), lead.pk)
            # The decision also records the case's own step (one event each).
            expected = 2 if verb == AuditVerb.REFERRAL_DECIDED else 1
            assert AuditEvent.objects.count() == events + expected
            history.append(state)
        for name in REFUSALS[state]:
            before = trace(referral)
            with pytest.raises(TransitionNotAllowed) as info:
                attempt(name, referral, lead)
            assert info.value.state == state
            assert trace(referral) == before, (state, name)
    assert referral.version == 6
    assert referral.closed_at is not None
    # pghistory keeps every version of the row.
    states = list(ReferralEvent.objects.filter(pgh_obj=referral).order_by("pgh_id").values_list(
        "state", flat=True))  # fmt: skip
    assert states == history


@pytest.mark.parametrize("referral_type", ALL_TYPES)
def test_a_declined_referral_records_its_outcome_and_closes(referral_type, draft_for,
                                                            acting_lead):  # fmt: skip
    referral = draft_for(referral_type)
    lead = acting_lead(referral.case.case_type)
    referral = referral_send(referral=referral, actor=lead)
    spec = REFERRAL_TYPES[referral_type]
    decision = next(d for d in spec.decisions if not d.accepted)
    referral = referral_record_decision(
        referral=referral, actor=lead, decision=decision.value,
        data=decision_data(referral, decision.value),
    )  # fmt: skip
    assert referral.state == ReferralState.DECLINED
    assert referral.decision == decision.value
    referral = referral_record_outcome(
        referral=referral, actor=lead, data={"outcome_on": "2026-02-01", "outcome": "Closed."}
    )
    assert referral_close(referral=referral, actor=lead, data={}).state == ReferralState.CLOSED


@pytest.mark.parametrize("state", ["draft", "sent", "acknowledged", "accepted"])
@pytest.mark.parametrize("referral_type", ALL_TYPES)
def test_withdrawn_from_any_open_state_stopping_the_clock(referral_type, state, draft_for,
                                                          acting_lead):  # fmt: skip
    referral = draft_for(referral_type)
    lead = acting_lead(referral.case.case_type)
    for step, reached, _ in steps_of(referral, lead):
        if referral.state == state:
            break
        referral = step(referral)
        assert referral.state == reached
    referral = referral_withdraw(
        referral=referral,
        actor=lead,
        data={"reason": "The person moved away.", "partner_told": True},
    )
    assert referral.state == ReferralState.WITHDRAWN
    assert referral.withdrawn_at
    if referral.response_deadline_id:
        deadline = Deadline.objects.get(pk=referral.response_deadline_id)
        expected = DeadlineStatus.CANCELLED if state in ("sent", "acknowledged") else "met"
        assert deadline.status == expected
    before = trace(referral)
    with pytest.raises(TransitionNotAllowed):
        referral_withdraw(referral=referral, actor=lead, data={"reason": "Again."})
    assert trace(referral) == before


@pytest.mark.parametrize("referral_type", ALL_TYPES)
def test_others_may_not_act_on_a_referral(referral_type, draft_for, frontline, other_lead,
                                          auditor):  # fmt: skip
    referral = draft_for(referral_type)
    before = trace(referral)
    for user in (frontline, other_lead, auditor):
        with pytest.raises(PermissionDenied):
            referral_send(referral=referral, actor=user)
        with pytest.raises(PermissionDenied):
            referral_withdraw(referral=referral, actor=user, data={"reason": "x"})
    assert trace(referral) == before


def test_a_stale_version_is_refused(draft_for, lead):
    referral = draft_for("mash_referral")
    before = trace(referral)
    with pytest.raises(StaleCase):
        referral_send(referral=referral, actor=lead, expected_version=referral.version - 1)
    assert trace(referral) == before


def test_a_sent_referral_cannot_be_changed(draft_for, lead):
    referral = referral_send(referral=draft_for("mash_referral"), actor=lead)
    before = trace(referral)
    with pytest.raises(TransitionNotAllowed):
        referral_update_draft(referral=referral, actor=lead, partner=referral.partner,
                              content={}, lawful_basis=LAWFUL_BASIS)  # fmt: skip
    assert trace(referral) == before


def test_changing_a_draft_is_audited_with_the_fields_changed(draft_for, lead):
    referral = draft_for("mash_referral")
    content = {**referral.content, "what_has_happened": "Seen with older men in a car."}
    referral = referral_update_draft(referral=referral, actor=lead, partner=referral.partner,
                                     content=content, lawful_basis=LAWFUL_BASIS)  # fmt: skip
    event = AuditEvent.objects.order_by("-pk").first()
    assert event.verb == AuditVerb.REFERRAL_UPDATED
    assert event.data["fields"] == ["what_has_happened"]
    assert "Seen with older men" not in str(event.data)  # content stays out of the audit log
    assert referral.version == 2


# --- Decisions drive the case -----------------------------------------------------------------


@pytest.mark.parametrize(("referral_type", "decision"), DECISIONS)
def test_a_partners_decision_takes_the_cases_step(referral_type, decision, draft_for,
                                                  acting_lead):  # fmt: skip
    referral = draft_for(referral_type)
    lead = acting_lead(referral.case.case_type)
    referral = referral_send(referral=referral, actor=lead)
    before = Case.objects.get(pk=referral.case_id).state
    spec = REFERRAL_TYPES[referral_type]
    chosen = spec.decision(decision)
    workflow = get_workflow(spec.case_type)
    step = next(t for t in workflow.transitions() if t.name == chosen.transition)
    referral = referral_record_decision(
        referral=referral, actor=lead, decision=decision,
        data=decision_data(referral, decision, decided_on=timezone.localdate().isoformat()),
    )  # fmt: skip
    case = Case.objects.get(pk=referral.case_id)
    assert case.state == (step.target or before)
    process = step.custom.get("sub_process")
    if process is not None:  # the closure powers, beside the case's route (issue 15)
        assert process.state_of(case) == step.custom["sub_target"]
    moved = AuditEvent.objects.filter(case=case, verb=AuditVerb.CASE_TRANSITIONED).last()
    assert moved.data["transition"] == chosen.transition
    for name, derive in chosen.derived.items():  # what Safecase filled in for the step
        assert moved.data["inputs"][name] == derive(referral, referral.decision_details)
    for rule in workflow.rules_starting_on(chosen.transition):  # the clocks it starts
        if case.state not in workflow.terminal_states:
            assert Deadline.objects.filter(case=case, rule=rule.name).exists(), rule.name
    deadline = Deadline.objects.get(pk=referral.response_deadline_id)
    assert deadline.status == DeadlineStatus.MET  # the partner answered


def test_a_positive_rg_decision_starts_the_recovery_period(draft_for, lead):
    referral = referral_send(referral=draft_for("nrm_referral"), actor=lead)
    today = timezone.localdate().isoformat()
    referral_record_decision(referral=referral, actor=lead, decision="rg_positive",
                             data=decision_data(referral, "rg_positive",
                                                decided_on=today))  # fmt: skip
    case = Case.objects.get(pk=referral.case_id)
    assert case.state == "recovery_period"
    assert case.details["rg_decision_on"] == today
    recovery = Deadline.objects.get(case=case, rule="recovery_period")
    assert (recovery.status, recovery.duration, recovery.unit) == ("open", 30, "calendar_days")
    assert Deadline.objects.get(case=case, rule="rg_decision").status == DeadlineStatus.MET


@pytest.mark.parametrize(("referral_type", "decision"), DECISIONS)
def test_a_decision_the_case_cannot_take_now_writes_nothing(referral_type, decision, draft_for,
                                                            acting_lead):  # fmt: skip
    referral = draft_for(referral_type, ready=False)  # the case has not got there
    lead = acting_lead(referral.case.case_type)
    referral = referral_send(referral=referral, actor=lead)
    before = trace(referral)
    with pytest.raises(TransitionNotAllowed):
        referral_record_decision(referral=referral, actor=lead, decision=decision,
                                 data=decision_data(referral, decision))  # fmt: skip
    assert trace(referral) == before
    assert services.decision_blocker(referral, REFERRAL_TYPES[referral_type].decision(decision))


def test_an_invalid_decision_names_its_fields_and_writes_nothing(draft_for, lead):
    referral = referral_send(referral=draft_for("closure_order_application"), actor=lead)
    before = trace(referral)
    with pytest.raises(ValidationError) as info:
        referral_record_decision(referral=referral, actor=lead, decision="order_made",
                                 data={"decided_on": "2026-03-02"})  # fmt: skip
    assert {"decision_details", "order_months", "hearing_at"} <= set(info.value.message_dict)
    with pytest.raises(ValidationError):
        referral_record_decision(referral=referral, actor=lead, decision="nonsense", data={})
    assert trace(referral) == before


# --- The partner's response clock and its chaser ---------------------------------------------


@pytest.mark.parametrize(
    "referral_type", [t for t in ALL_TYPES if not REFERRAL_TYPES[t].case_clock]
)
def test_sending_opens_the_partners_response_clock(referral_type, draft_for, acting_lead,
                                                   monkeypatch):  # fmt: skip
    referral = draft_for(referral_type)
    lead = acting_lead(referral.case.case_type)
    freeze(monkeypatch, datetime(2026, 12, 23, 10, tzinfo=LONDON))  # Wednesday
    messages = OutboxMessage.objects.count()
    referral = referral_send(referral=referral, actor=lead)
    deadline = referral.response_deadline
    assert (deadline.case_id, deadline.rule, deadline.status) == (
        referral.case_id,
        "partner_response",
        "open",
    )
    assert (deadline.duration, deadline.unit, deadline.statutory) == (5, "working_days", False)
    assert referral.partner.name in deadline.label
    # 5 working days, over Christmas, Boxing Day (Sat) and its substitute (Mon 28th).
    assert timezone.localtime(deadline.due_at).date().isoformat() == "2027-01-04"
    # The case's leads and worker (not the sender) hear of it in the app, with no content.
    sent = OutboxMessage.objects.filter(template="referral.sent")
    expected = {u.pk for u in case_leads(referral.case)} - {lead.pk}
    assert set(sent.values_list("recipient_id", flat=True)) == expected
    assert OutboxMessage.objects.count() == messages + len(expected)
    assert all(m.link == f"/referrals/{referral.pk}/" for m in sent)


def test_an_nrm_referral_waits_on_the_cases_one_reasonable_grounds_clock(draft_for, lead):
    """Issue 14: the NRM referral's response and the workflow's reasonable grounds target
    are one clock, whichever was recorded first, met once by the decision's date."""
    referral = draft_for("nrm_referral")
    case = referral.case
    assert Deadline.objects.filter(case=case, rule="rg_decision").count() == 1  # the step's
    referral = referral_send(referral=referral, actor=lead)
    assert referral.response_deadline.rule == "rg_decision"
    assert not Deadline.objects.filter(case=case, rule="partner_response").exists()
    assert Deadline.objects.filter(case=case, rule="rg_decision").count() == 1
    today = timezone.localdate().isoformat()
    data = decision_data(referral, "rg_positive", decided_on=today)
    referral_record_decision(referral=referral, actor=lead, decision="rg_positive", data=data)
    rg = Deadline.objects.get(case=case, rule="rg_decision")
    assert (rg.status, timezone.localdate(rg.met_at).isoformat()) == ("met", today)


def test_a_decision_dated_before_the_referral_was_sent_is_refused(draft_for, lead):
    referral = referral_send(referral=draft_for("nrm_referral"), actor=lead)
    before = trace(referral)
    with pytest.raises(ValidationError) as info:
        referral_record_decision(referral=referral, actor=lead, decision="rg_positive",
                                 data=decision_data(referral, "rg_positive",
                                                    decided_on="2020-01-01"))  # fmt: skip
    assert "when the referral was sent" in info.value.message_dict["decided_on"][0]
    assert trace(referral) == before


def test_a_decision_dated_in_the_future_is_refused_by_the_one_event_date_check(draft_for, lead):
    """Issue 15: the referral's decision date is checked by the same function as every
    step's event dates (``workflows.services.future_event_problem``), in its words."""
    referral = referral_send(referral=draft_for("nrm_referral"), actor=lead)
    before = trace(referral)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError) as info:
        referral_record_decision(referral=referral, actor=lead, decision="rg_positive",
                                 data=decision_data(referral, "rg_positive",
                                                    decided_on=tomorrow))  # fmt: skip
    assert info.value.message_dict["decided_on"] == [
        "Date of the partner's decision must be today or in the past."
    ]
    assert trace(referral) == before


def test_the_clock_is_the_partners_expected_time_or_the_local_default(draft_for, lead,
                                                                      partners):  # fmt: skip
    PartnerResponseTime.objects.filter(referral_type="mash_referral").update(
        duration=24, unit="hours"
    )
    referral = referral_send(referral=draft_for("mash_referral"), actor=lead)
    deadline = referral.response_deadline
    assert (deadline.duration, deadline.unit) == (24, "hours")
    assert deadline.due_at - deadline.started_at == timedelta(hours=24)
    PartnerResponseTime.objects.all().delete()
    referral = referral_send(referral=draft_for("mash_referral"), actor=lead)
    assert (referral.response_deadline.duration, referral.response_deadline.unit) == (
        10,
        "working_days",
    )
    assert "Local default" in referral.response_deadline.source


@pytest.mark.parametrize("referral_type", ALL_TYPES)
def test_no_response_only_once_the_clock_has_run_out(referral_type, draft_for, acting_lead,
                                                     monkeypatch):  # fmt: skip
    referral = draft_for(referral_type)
    lead = acting_lead(referral.case.case_type)
    referral = referral_send(referral=referral, actor=lead)
    before = trace(referral)
    with pytest.raises(TransitionNotAllowed) as info:
        referral_record_no_response(referral=referral, actor=lead,
                                    data={"no_response_note": "Chased by phone."})  # fmt: skip
    assert "still has time" in info.value.message
    assert trace(referral) == before
    freeze(monkeypatch, referral.response_deadline.due_at + timedelta(minutes=1))
    referral = referral_record_no_response(
        referral=referral, actor=lead, data={"no_response_note": "Chased by phone."}
    )
    assert referral.state == ReferralState.NO_RESPONSE
    assert Deadline.objects.get(pk=referral.response_deadline_id).status == DeadlineStatus.MISSED
    # A late decision is still recorded, and the clock notes when it finally came.
    decision = accepted_decision(referral_type)
    referral = referral_record_decision(referral=referral, actor=lead, decision=decision,
                                        data=decision_data(referral, decision))  # fmt: skip
    deadline = Deadline.objects.get(pk=referral.response_deadline_id)
    assert (deadline.status, deadline.met_at is not None) == (DeadlineStatus.MISSED, True)
    assert referral.state == ReferralState.ACCEPTED


@pytest.mark.parametrize("referral_type", ALL_TYPES)
def test_the_deadline_sweep_chases_the_leads_until_the_partner_answers(referral_type, draft_for,
                                                                       acting_lead):  # fmt: skip
    """The partner's clock is a deadline on the case, so the reminders sweep
    (``workflows.reminders``) escalates it to the case's leads once it runs out, and says
    nothing about a clock the partner's answer met."""
    reminders = pytest.importorskip("workflows.reminders", exc_type=ImportError)
    answered = draft_for(referral_type)
    lead = acting_lead(answered.case.case_type)
    answered = referral_send(referral=answered, actor=lead)
    decision = accepted_decision(referral_type)
    referral_record_decision(referral=answered, actor=lead, decision=decision,
                             data=decision_data(answered, decision))  # fmt: skip
    waiting = referral_send(referral=draft_for(referral_type), actor=lead)
    deadline = waiting.response_deadline
    seen = set(OutboxMessage.objects.values_list("pk", flat=True))
    reminders.sweep(at=deadline.due_at + timedelta(minutes=5))
    new = OutboxMessage.objects.exclude(pk__in=seen)
    chasers = [m for m in new if deadline.label in m.body or deadline.label in m.subject]
    leads = {u.pk for u in case_leads(waiting.case)}
    assert leads <= {m.recipient_id for m in chasers if waiting.case.reference in m.subject}
    about_answered = [m for m in chasers if answered.case.reference in m.subject]
    assert about_answered == []
    assert Deadline.objects.get(pk=deadline.pk).status == DeadlineStatus.MISSED


def test_a_legal_obligation_is_a_lawful_basis_for_a_referral(draft_for, lead):
    """UK GDPR Art 6(1)(c) (issue 15): the Duty to Notify, Channel and the Community
    Trigger are duties to share."""
    referral = draft_for("dtn_anonymous")
    referral.gateway = Gateway.LEGAL_OBLIGATION
    referral.save()
    assert referral_send(referral=referral, actor=lead).gateway == "uk_gdpr_6_1_c"
