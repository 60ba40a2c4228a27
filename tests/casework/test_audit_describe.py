"""Every audit event in words (issue 20): each verb rendered with realistic data must read
as a reviewer would write it, with no bare id, no snake_case code and no ISO timestamp,
on the timeline, the search page and in the CSV's described columns."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.audit import AuditVerb, audit_record
from casework.audit_describe import describe_events, words
from casework.dates import datetime_words, day_words
from casework.models import AuditEvent, CaseNote, Person, Team
from casework.roles import Role
from casework.services import roles_ensure
from referrals.models import PartnerAgency
from tests.workflows.walker import default_raise
from workflows import modern_slavery
from workflows.models import Deadline

User = get_user_model()
# Ids far from anything a count or a date could contain, so a bare one is easy to spot.
LEAD_ID, WORKER_ID, AUDITOR_ID, PARTNER_ID, TEAM_ID, PERSON_ID, CLOCK_ID = (
    7301, 7302, 7303, 7401, 7501, 7601, 7701,
)  # fmt: skip
BARE_IDS = re.compile(r"\b(7301|7302|7303|7401|7501|7601|7701)\b")
SNAKE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}")


def _user(pk: int, username: str, first: str, last: str, role: Role):
    groups = roles_ensure()
    user = User.objects.create(pk=pk, username=username, first_name=first, last_name=last)
    user.groups.set([groups[role]])
    return user


@pytest.fixture
def world(db, teams):
    lead = _user(LEAD_ID, "lead.north", "Sam", "Okafor", Role.LEAD)
    worker = _user(WORKER_ID, "worker.north", "Ali", "Khan", Role.FRONTLINE)
    auditor = _user(AUDITOR_ID, "auditor", "Ruth", "Mensah", Role.AUDITOR)
    team = Team.objects.create(pk=TEAM_ID, slug="east", name="East locality team")
    for user in (lead, worker):
        user.team_memberships.create(team=teams["north"])
    partner = PartnerAgency.objects.create(
        pk=PARTNER_ID, name="Home Office SCA", kind="home_office_sca"
    )
    case = default_raise(modern_slavery.WORKFLOW, worker)(
        {"subject_date_of_birth": "1990-01-01", "subject_estimated_age": None}
    )
    person = Person.objects.create(pk=PERSON_ID, given_names="Ana", family_name="Pop")
    now = timezone.now()
    clock = Deadline.objects.create(
        pk=CLOCK_ID, case=case, rule="partner_response", label="Partner response",
        unit="working_days", duration=5, started_at=now, due_at=now + timedelta(days=7),
    )  # fmt: skip
    note = CaseNote.objects.create(case=case, author=lead, text="Spoke to her.", created_at=now)
    return {
        "lead": lead, "worker": worker, "auditor": auditor, "team": team, "partner": partner,
        "case": case, "person": person, "clock": clock, "note": note, "now": now,
    }  # fmt: skip


def _realistic(world) -> dict[str, tuple[object, dict]]:
    """For each verb, (target, data) shaped as the service that records it shapes it."""
    now, due = world["now"], world["now"] + timedelta(days=7)
    basis = {"consent_given": False, "gateway": "dpa_2018_sch1_para18", "authorised_by": LEAD_ID}
    referral = {"referral_type": "nrm_referral", "state": "sent"}
    filters = {"filters": {"reference": "SC-2026-000001", "action": "case.viewed"}, "count": 37}
    token = {"user": WORKER_ID, "token": 3, "name": "Reporting laptop", "prefix": "Ab3dE9xQ"}
    staff = {"user": WORKER_ID, "reason": "Moved to the east team."}
    return {
        AuditVerb.CASE_RAISED: {
            "case_type": "modern_slavery", "state": "concern_raised",
            "inputs": {"summary": "Found at a car wash.", "subject_date_of_birth": "1990-01-01",
                       "subject_gender": "female", "subject_estimated_age": None},
        },
        AuditVerb.CASE_TRANSITIONED: {
            "transition": "submit_nrm_referral", "from": "consent_given", "to": "awaiting_rg",
            "inputs": {"nrm_submitted_on": "2026-12-01", "nrm_reference": "NRM-778",
                       "police_informed": False},
        },
        AuditVerb.CASE_VIEWED: {"via": "page", "limited": False},
        AuditVerb.CASE_ALLOCATED: {"from_owner": None, "to_owner": WORKER_ID},
        AuditVerb.PERSON_LINKED: {"person": PERSON_ID, "role": "parent_carer"},
        AuditVerb.ACCESS_GRANTED: {"user": WORKER_ID, "permission": "view_case"},
        AuditVerb.ACCESS_REVOKED: {"user": WORKER_ID, "permission": "view_case"},
        AuditVerb.DEADLINE_PAUSED: {"rule": "recovery_period", "reason": "Criminal trial.",
                                    "remaining": 3.0},
        AuditVerb.DEADLINE_RESUMED: {"rule": "recovery_period", "previous_due_at": now,
                                     "due_at": due},
        AuditVerb.DEADLINE_REMINDED: {"rule": "rg_decision", "stage": "remind_before",
                                      "due_at": due, "scheduled_for": now,
                                      "recipients": [LEAD_ID, WORKER_ID]},
        AuditVerb.DEADLINE_ESCALATED: {"rule": "some_new_rule", "stage": "escalate_lead",
                                       "due_at": due, "scheduled_for": now,
                                       "recipients": [LEAD_ID]},
        AuditVerb.CASE_UPDATED: {"before": {"summary": "Old."}, "after": {"summary": "New."}},
        AuditVerb.CASES_LISTED: {**filters, "page": 2},
        AuditVerb.PERSON_VIEWED: {},
        AuditVerb.PERSON_UPDATED: {
            "before": {"gender": "unknown", "date_of_birth": None},
            "after": {"gender": "female", "date_of_birth": "1990-01-01"},
            "cases": ["SC-2026-000001"],
        },
        AuditVerb.PREMISES_UPDATED: {"before": {"landlord": ""}, "after": {"landlord": "Wash Ltd"},
                                     "cases": ["SC-2026-000001"]},
        AuditVerb.USER_SIGNED_IN: {},
        AuditVerb.USER_SIGNED_OUT: {},
        AuditVerb.USER_SIGN_IN_FAILED: {"username": "lead.north"},
        AuditVerb.AUDIT_SEARCHED: {**filters, "page": 1},
        AuditVerb.AUDIT_EXPORTED: filters,
        AuditVerb.REFERRAL_CREATED: {**referral, "state": "draft", "partner": PARTNER_ID,
                                     "fields": ["nrm_referral_reason"], **basis},
        AuditVerb.REFERRAL_UPDATED: {**referral, "state": "draft", "partner": PARTNER_ID,
                                     "fields": [], "lawful_basis_changed": True, **basis},
        AuditVerb.REFERRAL_SENT: {**referral, "partner": PARTNER_ID, "deadline": CLOCK_ID,
                                  "due_at": due, **basis},
        AuditVerb.REFERRAL_ACKNOWLEDGED: {
            **referral, "state": "acknowledged",
            "inputs": {"acknowledged_on": "2026-12-02", "partner_reference": "HO-1"},
        },
        AuditVerb.REFERRAL_DECIDED: {
            **referral, "state": "accepted", "decision": "rg_positive", "accepted": True,
            "case_transition": "record_rg_positive", "case_from": "awaiting_rg",
            "case_to": "recovery_period",
            "inputs": {"decided_on": "2026-12-03", "decision_details": "Positive."},
        },
        AuditVerb.REFERRAL_NO_RESPONSE: {
            **referral, "state": "no_response",
            "inputs": {"chased_on": "2026-12-04", "no_response_note": "Phoned twice."},
        },
        AuditVerb.REFERRAL_OUTCOME_RECORDED: {**referral, "state": "outcome_recorded",
                                              "outcome_on": "2026-12-05"},
        AuditVerb.REFERRAL_CLOSED: {**referral, "state": "closed",
                                    "inputs": {"closing_note": "Done."}},
        AuditVerb.REFERRAL_WITHDRAWN: {
            **referral, "state": "withdrawn",
            "inputs": {"reason": "Sent in error.", "partner_told": True},
        },
        AuditVerb.REFERRAL_EXPORTED: {"format": "pdf", "referral_type": "nrm_referral"},
        AuditVerb.NOTE_ADDED: {"note": world["note"].pk, "length": 13, "sha256": "ab" * 32},
        AuditVerb.ATTACHMENT_ADDED: {"attachment": 5, "name": "letter.pdf",
                                     "content_type": "application/pdf", "size": 20480,
                                     "sha256": "cd" * 32},
        AuditVerb.ATTACHMENT_DOWNLOADED: {"attachment": 5, "name": "letter.pdf",
                                          "sha256": "cd" * 32},
        AuditVerb.ACCESS_DENIED: {"reference": "SC-2026-000009", "route": "attachment",
                                  "path": "/cases/SC-2026-000009/", "exists": True},
        AuditVerb.CHRONOLOGY_PRODUCED: {"subject": "SC-2026-000001", "format": "pdf",
                                        "cases": ["SC-2026-000001"], "count": 12},
        AuditVerb.STAFF_ADDED: {**staff, "role": "lead", "clearance": False,
                                "teams": [TEAM_ID], "email": "ali@example.org"},
        AuditVerb.STAFF_CHANGED: {**staff, "role": {"before": "frontline", "after": "lead"},
                                  "teams": {"before": [], "after": [TEAM_ID]}},
        AuditVerb.STAFF_DEACTIVATED: staff,
        AuditVerb.STAFF_REACTIVATED: staff,
        AuditVerb.STAFF_RESET_LINK_SENT: staff,
        AuditVerb.STAFF_RESET_LINK_USED: {"user": WORKER_ID},
        AuditVerb.STAFF_UNLOCKED: staff,
        AuditVerb.STAFF_APPROVAL_REQUESTED: {**staff, "role": "auditor", "clearance": False},
        AuditVerb.STAFF_APPROVAL_DECIDED: {**staff, "role": "lead", "clearance": True,
                                           "approved": True, "requested_by": LEAD_ID},
        AuditVerb.TEAM_SAVED: {"team": TEAM_ID, "name": {"before": "East", "after": "East team"},
                               "area": "Eastfield", "reason": "Renamed."},
        AuditVerb.PARTNER_SAVED: {"partner": PARTNER_ID, "kind": "home_office_sca",
                                  "secure_email": {"before": "", "after": "nrm@example.gov"},
                                  "active": True, "reason": "New mailbox."},
        AuditVerb.BANK_HOLIDAY_ADDED: {"date": "2026-12-28", "title": "Boxing Day (substitute)",
                                       "reason": "Proclaimed."},
        AuditVerb.BANK_HOLIDAY_REMOVED: {"date": "2026-12-28", "title": "Boxing Day",
                                         "reason": "Entered twice."},
        AuditVerb.USER_CLEARANCE_CHANGED: {"user": WORKER_ID, "prevent_clearance": True},
        AuditVerb.USER_GROUPS_CHANGED: {"user": WORKER_ID, "added": ["Auditor"],
                                        "via": "command line or task"},
        AuditVerb.USER_PERMISSIONS_CHANGED: {"user": WORKER_ID,
                                             "removed": ["Can change user (auth)"],
                                             "via": "command line or task"},
        AuditVerb.GROUP_PERMISSIONS_CHANGED: {"group": "Administrator",
                                              "added": ["Can view team (casework)"],
                                              "via": "command line or task"},
        AuditVerb.USER_FLAGS_CHANGED: {"user": WORKER_ID,
                                       "superuser": {"before": False, "after": True},
                                       "via": "command line or task"},
        AuditVerb.USER_PASSWORD_CHANGED: {"user": WORKER_ID, "usable": True,
                                          "via": "command line or task"},
        AuditVerb.CASE_LINKED: {"reason": "The same flat as the cuckooing case."},
        AuditVerb.TIMESCALE_SET: {"case_type": "cse", "rule": "strategy_discussion",
                                  "unit": "working_days",
                                  "duration": {"before": 3, "after": 2}, "reason": "Policy."},
        AuditVerb.API_TOKEN_CREATED: token,
        AuditVerb.API_TOKEN_REVOKED: {**token, "reason": "signed out of the web"},
        AuditVerb.TWO_FACTOR_ENROLLED: {"user": WORKER_ID},
        AuditVerb.TWO_FACTOR_RESET: {"user": WORKER_ID, "reason": "Phone lost."},
        AuditVerb.TWO_FACTOR_FAILED: {"username": "lead.north"},
        AuditVerb.TWO_FACTOR_RECOVERY_USED: {"user": WORKER_ID, "recovery_codes_left": 9},
    }  # fmt: skip


def _record_all(world) -> list[AuditEvent]:
    realistic = _realistic(world)
    assert set(realistic) == set(AuditVerb), "every verb needs realistic data here"
    with transaction.atomic():
        return [
            audit_record(
                actor=world["lead"],
                verb=verb,
                case=world["case"],
                data=data,
                target=world["clock"] if verb.startswith("deadline.") else None,
            )  # fmt: skip
            for verb, data in realistic.items()
        ]


def _problems(text: str) -> list[str]:
    return [
        *(f"bare id {m}" for m in BARE_IDS.findall(text)),
        *(f"code {m}" for m in SNAKE.findall(text)),
        *(f"ISO time {m}" for m in ISO.findall(text)),
    ]


@pytest.mark.django_db
def test_every_verb_reads_in_words(world):
    events = _record_all(world)
    described = describe_events(AuditEvent.objects.filter(pk__in=[e.pk for e in events]))
    assert len(described) == len(AuditVerb)
    for row in described:
        text = "\n".join([row.label, row.actor, row.when, *(str(line) for line in row.lines)])
        assert _problems(text) == [], f"{row.event.verb}: {text}"
        assert row.lines or row.event.verb in {
            AuditVerb.USER_SIGNED_IN, AuditVerb.USER_SIGNED_OUT, AuditVerb.PERSON_VIEWED,
        }, row.event.verb  # fmt: skip


@pytest.mark.django_db
def test_the_timeline_and_the_csv_read_in_words(client, world):
    _record_all(world)
    client.force_login(world["auditor"])
    html = client.get(f"/audit/cases/{world['case'].reference}/").content.decode()
    body = html.split('id="events"', 1)[1].split('id="row-history"', 1)[0]
    visible = re.sub(r"<[^>]+>", " ", body)
    assert _problems(visible) == []
    response = client.get("/audit/export.csv", {"reference": world["case"].reference})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header = rows[0]
    described = [[r[header.index(c)] for c in ("action", "when", "by", "description")]
                 for r in rows[1:]]  # fmt: skip
    assert len(described) > len(AuditVerb)
    for row in described:
        assert _problems(" ".join(row)) == [], row


@pytest.mark.django_db
def test_names_are_kept_as_they_were_when_recorded(world):
    with transaction.atomic():
        event = audit_record(
            actor=world["lead"], verb=AuditVerb.CASE_ALLOCATED, case=world["case"],
            data={"from_owner": None, "to_owner": WORKER_ID},
        )  # fmt: skip
    assert event.names["users"] == {str(LEAD_ID): "Sam Okafor", str(WORKER_ID): "Ali Khan"}
    User.objects.filter(pk=WORKER_ID).update(first_name="Alina")
    User.objects.filter(pk=LEAD_ID).update(last_name="Okafor-Reid")
    row = describe_events([AuditEvent.objects.get(pk=event.pk)])[0]
    assert row.actor == "Sam Okafor"
    assert [str(line) for line in row.lines] == ["From no one to Ali Khan"]


@pytest.mark.django_db
def test_only_the_names_an_event_did_not_keep_are_looked_up(world):
    """A page of events that kept their names reads none of them again (the auditor's
    search read its users' rows for every page that referred to one); an event from
    before names were kept is named from the users' rows, in one query."""
    with transaction.atomic():
        kept = audit_record(
            actor=world["lead"], verb=AuditVerb.CASE_ALLOCATED, case=world["case"],
            data={"from_owner": None, "to_owner": WORKER_ID},
        )  # fmt: skip
        older = audit_record(
            actor=world["lead"], verb=AuditVerb.CASE_ALLOCATED, case=world["case"],
            data={"from_owner": WORKER_ID, "to_owner": LEAD_ID},
        )  # fmt: skip
    events = list(AuditEvent.objects.filter(pk__in=[kept.pk, older.pk]).order_by("pk"))
    events[1].names = {}  # as recorded before events kept names (the table is append-only)

    with CaptureQueriesContext(connection) as named:
        rows = describe_events(events[:1])
    assert [str(line) for line in rows[0].lines] == ["From no one to Ali Khan"]
    assert not [q for q in named.captured_queries if "auth_user" in q["sql"]]

    with CaptureQueriesContext(connection) as unnamed:
        rows = describe_events(events)
    assert [str(line) for line in rows[1].lines] == ["From Ali Khan to Sam Okafor"]
    looked_up = [
        q for q in unnamed.captured_queries if '"auth_user"."id" = ANY(' in q["sql"]
    ]  # the names of the users it refers to, all at once
    assert len(looked_up) == 1
    # Without a full name, the username (as ``user_display_name`` names them).
    User.objects.filter(pk=LEAD_ID).update(first_name="", last_name="")
    rows = describe_events(events)
    lead = User.objects.get(pk=LEAD_ID)
    assert [str(line) for line in rows[1].lines] == [f"From Ali Khan to {lead.username}"]


@pytest.mark.django_db
def test_the_steps_inputs_are_a_labelled_list(world):
    with transaction.atomic():
        event = audit_record(
            actor=world["lead"], verb=AuditVerb.CASE_TRANSITIONED, case=world["case"],
            data={"transition": "submit_nrm_referral", "from": "consent_given",
                  "to": "awaiting_rg", "inputs": {"nrm_submitted_on": "2026-12-01",
                                                  "nrm_reference": "NRM-778"}},
        )  # fmt: skip
    lines = [str(line) for line in describe_events([event])[0].lines]
    assert lines[0] == "Step: Submit the NRM referral"
    assert "Date submitted: 1 December 2026" in lines
    assert "NRM reference: NRM-778" in lines


@pytest.mark.django_db
def test_a_referral_reads_with_partner_gateway_and_who_authorised_it(world):
    with transaction.atomic():
        event = audit_record(
            actor=world["lead"], verb=AuditVerb.REFERRAL_SENT, case=world["case"],
            data={"referral_type": "nrm_referral", "state": "sent", "partner": PARTNER_ID,
                  "due_at": "2026-12-03T23:59:59.999Z", "consent_given": False,
                  "gateway": "dpa_2018_sch1_para18", "authorised_by": LEAD_ID},
        )  # fmt: skip
    lines = [str(line) for line in describe_events([event])[0].lines]
    assert "Partner: Home Office SCA" in lines
    assert "Authorised by: Sam Okafor" in lines
    assert "Due: 3 December 2026 at 11:59pm" in lines
    assert any(line.startswith("Lawful gateway: DPA 2018 Sch. 1 para 18") for line in lines)


def test_values_in_words():
    assert words(True) == "Yes"
    assert words(None) == "Not given"
    assert words("2026-12-03") == "3 December 2026"
    assert words("a_status_added_later") == "A status added later"
    local = timezone.make_aware(timezone.datetime(2026, 6, 1, 12, 0))
    assert datetime_words(local) == "1 June 2026 at midday"
    assert day_words(local.date()) == "1 June 2026"


@pytest.mark.django_db
def test_an_input_named_like_a_person_but_typed_in_is_shown_as_typed(world):
    with transaction.atomic():
        event = audit_record(
            actor=world["lead"], verb=AuditVerb.CASE_TRANSITIONED, case=world["case"],
            data={"transition": "start_triage", "from": "concern_raised", "to": "triage",
                  "inputs": {"team": "Northtown police", "partner": "Barnardo's"}},
        )  # fmt: skip
    lines = [str(line) for line in describe_events([event])[0].lines]
    assert "Team: Northtown police" in lines
    assert "Partner: Barnardo's" in lines


def test_an_inputs_field_is_found_again_when_the_registry_holds_another_workflow(monkeypatch):
    """The fields found for the audit's lines are kept, but only with the workflow they
    were found in: a workflow registered again under the same name is asked afresh."""
    import dataclasses

    from workflows.audit_labels import workflow_field
    from workflows.definitions import Field, FieldType
    from workflows.registry import WORKFLOWS

    base = WORKFLOWS["modern_slavery"]
    name = base.intake_fields[0].name
    first = workflow_field("modern_slavery", "raise", name)
    assert first is base.intake_fields[0]
    assert workflow_field("modern_slavery", "raise", name) is first
    relabelled = Field(name, FieldType.STRING, "Relabelled")
    other = dataclasses.replace(base, intake_fields=[relabelled, *base.intake_fields[1:]])
    monkeypatch.setitem(WORKFLOWS, "modern_slavery", other)
    assert workflow_field("modern_slavery", "raise", name) is relabelled
    assert workflow_field("modern_slavery", "raise", "no_such_input") is None
