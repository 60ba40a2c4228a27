"""The audit trail (issue 7): what each service and page records, that a rolled-back call
records nothing, that the database refuses to change or remove audit and history rows,
row history by trigger, and ``verify_audit_chain`` finding a tampered chain."""

from __future__ import annotations

import io

import pgtrigger
import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from casework.audit import GENESIS_HASH, AuditVerb, audit_record, event_hash
from casework.models import (
    AuditChainVerification,
    AuditEvent,
    Case,
    CasePerson,
    Person,
    Premises,
    Team,
)
from casework.roles import Role
from casework.services import (
    case_access_grant,
    case_access_revoke,
    case_allocate,
    case_person_link,
    case_summary_update,
    case_view_record,
    person_update,
    premises_update,
)
from casework.tasks import verify_audit_chain
from config.celery import app as celery_app
from tests.conftest import DEMO_PASSWORD
from tests.two_factor import complete_sign_in
from tests.workflows.walker import default_raise
from workflows import community_trigger, modern_slavery
from workflows.errors import TransitionNotAllowed
from workflows.services import case_transition, deadline_pause, deadline_resume

ADULT = {"subject_date_of_birth": "1990-01-01", "subject_estimated_age": None}


@pytest.fixture
def staff(make_user):
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "worker": make_user("worker.north", Role.FRONTLINE, ["north"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "lead_south": make_user("lead.south", Role.LEAD, ["south"]),
        "worker_south": make_user("worker.south", Role.FRONTLINE, ["south"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
    }


@pytest.fixture
def slavery_case(staff):
    return default_raise(modern_slavery.WORKFLOW, staff["frontline"])(ADULT)


def make_case(staff, reference="SC-A-1", case_type="cse", team="north", premises=None):
    return Case.objects.create(
        reference=reference, case_type=case_type, state="concern_raised", summary="First.",
        team=Team.objects.get(slug=team), raised_by=staff["frontline"], raised_at=timezone.now(),
        premises=premises,
    )  # fmt: skip


def new_events(since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=since).order_by("pk"))


def last_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def only(events: list[AuditEvent]) -> AuditEvent:
    assert len(events) == 1, [e.verb for e in events]
    return events[0]


class Boom(Exception):
    pass


# Services: exactly the events they should -------------------------------------------------


@pytest.mark.django_db
def test_raising_a_case_records_one_event_with_its_inputs(staff):
    case = default_raise(modern_slavery.WORKFLOW, staff["frontline"])(ADULT)
    event = only(list(AuditEvent.objects.all()))
    assert (event.verb, event.actor, event.case_id) == ("case.raised", staff["frontline"], case.pk)
    assert (event.object_type, event.object_id) == ("casework.case", str(case.pk))
    assert event.data["case_type"] == "modern_slavery"
    assert event.data["state"] == case.state
    assert event.data["inputs"]["subject_date_of_birth"] == "1990-01-01"
    assert event.prev_hash == GENESIS_HASH


@pytest.mark.django_db
def test_a_transition_records_from_to_and_inputs(staff, slavery_case):
    since = last_id()
    case = case_transition(
        case=slavery_case, actor=staff["lead"], name="start_triage",
        data={"immediate_risk": True, "police_informed": False},
    )  # fmt: skip
    event = only(new_events(since))
    assert (event.verb, event.actor, event.case_id) == (
        "case.transitioned",
        staff["lead"],
        case.pk,
    )
    assert event.data == {
        "transition": "start_triage",
        "from": "concern_raised",
        "to": "triage",
        "inputs": {"immediate_risk": True, "police_informed": False},
    }


@pytest.mark.django_db
def test_a_refused_or_invalid_transition_records_nothing(staff, slavery_case):
    since = last_id()
    with pytest.raises(TransitionNotAllowed):
        case_transition(case=slavery_case, actor=staff["lead"], name="close_no_grounds")
    with pytest.raises(PermissionDenied):
        case_transition(case=slavery_case, actor=staff["auditor"], name="start_triage")
    case = case_transition(
        case=slavery_case, actor=staff["lead"], name="start_triage",
        data={"immediate_risk": False, "police_informed": True},
    )  # fmt: skip
    since = last_id()
    with pytest.raises(ValidationError):
        case_transition(case=case, actor=staff["lead"], name="close_no_grounds", data={})
    assert new_events(since) == []
    assert Case.objects.get(pk=case.pk).state == "triage"


@pytest.mark.django_db
def test_allocation_grant_revoke_and_person_link_each_record_one_event(staff):
    case = make_case(staff)
    other = make_case(staff, "SC-A-2")
    person = Person.objects.create(given_names="Ana")
    CasePerson.objects.create(case=other, person=person, role="subject")
    lead = staff["lead"]
    recorded = []
    for call in (
        lambda: case_allocate(case=case, actor=lead, assignee=staff["worker"]),
        lambda: case_access_grant(case=case, actor=lead, user=staff["worker_south"]),
        lambda: case_access_revoke(case=case, actor=lead, user=staff["worker_south"]),
        lambda: case_person_link(case=case, actor=lead, person=person, role="subject"),
    ):
        since = last_id()
        call()
        recorded.append(only(new_events(since)))
    assert [(e.verb, e.actor, e.case_id) for e in recorded] == [
        ("case.allocated", lead, case.pk),
        ("access.granted", lead, case.pk),
        ("access.revoked", lead, case.pk),
        ("person.linked", lead, case.pk),
    ]
    assert recorded[0].data == {"from_owner": None, "to_owner": staff["worker"].pk}
    grant = {"user": staff["worker_south"].pk, "permission": "view_case"}
    assert recorded[1].data == recorded[2].data == grant
    assert recorded[3].data == {"person": person.pk, "role": "subject"}


@pytest.mark.django_db
def test_pausing_and_resuming_a_clock_record_one_event_each(staff):
    case = default_raise(community_trigger.WORKFLOW, staff["frontline"])({})
    deadline = case.deadlines.first()
    since = last_id()
    deadline_pause(deadline=deadline, actor=staff["lead"], reason="Court case.")
    paused = only(new_events(since))
    since = last_id()
    deadline_resume(deadline=deadline, actor=staff["lead"])
    resumed = only(new_events(since))
    assert (paused.verb, paused.actor, paused.case_id) == (
        "deadline.paused",
        staff["lead"],
        case.pk,
    )
    assert paused.data["reason"] == "Court case."
    assert paused.data["rule"] == deadline.rule
    assert (resumed.verb, resumed.case_id) == ("deadline.resumed", case.pk)
    assert set(resumed.data) == {"rule", "previous_due_at", "due_at"}


@pytest.mark.django_db
def test_a_rolled_back_service_records_nothing(staff):
    case = make_case(staff)
    since = last_id()

    def allocate_and_edit_then_fail() -> None:
        with transaction.atomic():
            case_allocate(case=case, actor=staff["lead"], assignee=staff["worker"])
            case_summary_update(case=case, actor=staff["lead"], summary="Changed.")
            raise Boom

    with pytest.raises(Boom):
        allocate_and_edit_then_fail()
    assert new_events(since) == []
    stored = Case.objects.get(pk=case.pk)
    assert (stored.owner_id, stored.summary, stored.version) == (None, "First.", 1)


# Edits: before and after of the changed fields only ---------------------------------------


@pytest.mark.django_db
def test_a_summary_edit_records_before_and_after(staff):
    case = make_case(staff)
    since = last_id()
    updated = case_summary_update(case=case, actor=staff["lead"], summary="  Second.  ")
    event = only(new_events(since))
    assert (updated.summary, updated.version) == ("Second.", 2)
    assert (event.verb, event.actor, event.case_id) == ("case.updated", staff["lead"], case.pk)
    assert event.data == {"before": {"summary": "First."}, "after": {"summary": "Second."}}


@pytest.mark.django_db
def test_an_unchanged_edit_writes_nothing(staff):
    premises = Premises.objects.create(address="1 High Street", postcode="N1 1AA")
    case = make_case(staff, premises=premises)
    person = Person.objects.create(given_names="Ana", family_name="Lee")
    CasePerson.objects.create(case=case, person=person, role="subject")
    since = last_id()
    case_summary_update(case=case, actor=staff["lead"], summary="First.")
    person_update(person=person, actor=staff["lead"], given_names="Ana", family_name=" Lee ")
    premises_update(premises=premises, actor=staff["lead"], postcode="n1  1aa")
    assert new_events(since) == []
    assert Case.objects.get(pk=case.pk).version == 1
    assert person.events.count() == 1  # the insert only
    assert premises.events.count() == 1


@pytest.mark.django_db
def test_a_person_edit_records_only_the_changed_fields(staff):
    case = make_case(staff)
    person = Person.objects.create(given_names="Ana", family_name="Lee", phone="0100")
    CasePerson.objects.create(case=case, person=person, role="subject")
    since = last_id()
    person_update(
        person=person, actor=staff["lead"], given_names="Ana", family_name="Leigh",
        date_of_birth="1990-02-03", phone="0100", gender="female",
    )  # fmt: skip
    event = only(new_events(since))
    assert (event.verb, event.actor, event.case_id) == ("person.updated", staff["lead"], None)
    assert (event.object_type, event.object_id) == ("casework.person", str(person.pk))
    assert event.data == {
        "before": {"family_name": "Lee", "date_of_birth": None, "gender": ""},
        "after": {"family_name": "Leigh", "date_of_birth": "1990-02-03", "gender": "female"},
        "cases": [case.reference],
    }
    person.refresh_from_db()
    assert (person.family_name, str(person.date_of_birth)) == ("Leigh", "1990-02-03")


@pytest.mark.django_db
def test_a_premises_edit_records_before_and_after(staff):
    premises = Premises.objects.create(address="1 High Street")
    case = make_case(staff, premises=premises)
    since = last_id()
    premises_update(premises=premises, actor=staff["lead"], postcode="n1 1aa", tenure="Council")
    event = only(new_events(since))
    assert (event.verb, event.object_type) == ("premises.updated", "casework.premises")
    assert event.data == {
        "before": {"postcode": "", "tenure": ""},
        "after": {"postcode": "N1 1AA", "tenure": "Council"},
        "cases": [case.reference],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"estimated_age": 300}, "estimated_age"),
        ({"gender": "dragon"}, "gender"),
        ({"given_names": "x" * 201}, "given_names"),
        ({"created_at": "2020-01-01"}, "created_at"),
    ],
)
def test_invalid_person_edits_are_refused_and_write_nothing(staff, fields, field):
    case = make_case(staff)
    person = Person.objects.create(given_names="Ana")
    CasePerson.objects.create(case=case, person=person, role="subject")
    since = last_id()
    with pytest.raises(ValidationError) as exc:
        person_update(person=person, actor=staff["lead"], **fields)
    assert field in exc.value.message_dict
    assert new_events(since) == []
    assert person.events.count() == 1


@pytest.mark.django_db
def test_edits_need_a_lead_of_a_case_they_belong_to(staff):
    premises = Premises.objects.create(address="1 High Street")
    case = make_case(staff, premises=premises)
    person = Person.objects.create(given_names="Ana")
    CasePerson.objects.create(case=case, person=person, role="subject")
    since = last_id()
    for who in ("frontline", "lead_south", "auditor"):
        actor = staff[who]
        with pytest.raises(PermissionDenied):
            case_summary_update(case=case, actor=actor, summary="No.")
        with pytest.raises(PermissionDenied):
            person_update(person=person, actor=actor, given_names="No")
        with pytest.raises(PermissionDenied):
            premises_update(premises=premises, actor=actor, address="No")
    with pytest.raises(ValidationError):
        case_summary_update(case=case, actor=staff["lead"], summary="   ")
    with pytest.raises(ValidationError):
        premises_update(premises=premises, actor=staff["lead"], address="")
    assert new_events(since) == []


# Reads: one event per page, none for a 404 -----------------------------------------------


@pytest.mark.django_db
def test_opening_a_case_page_records_exactly_one_view(client, staff, slavery_case):
    client.force_login(staff["lead"])
    since = last_id()
    assert client.get(f"/cases/{slavery_case.reference}/").status_code == 200
    event = only(new_events(since))
    assert (event.verb, event.actor, event.case_id) == (
        "case.viewed",
        staff["lead"],
        slavery_case.pk,
    )
    assert event.data == {"via": "page", "limited": False}


@pytest.mark.django_db
def test_the_limited_page_of_a_prevent_case_records_one_view(client, staff):
    case = make_case(staff, case_type="prevent")
    client.force_login(staff["frontline"])
    since = last_id()
    response = client.get(f"/cases/{case.reference}/")
    assert response.status_code == 200
    assert "casework/case_limited.html" in [t.name for t in response.templates]
    event = only(new_events(since))
    assert (event.verb, event.case_id, event.data["limited"]) == ("case.viewed", case.pk, True)


@pytest.mark.django_db
def test_a_hidden_or_missing_case_records_no_view_only_the_refusal(client, staff, slavery_case):
    client.force_login(staff["lead_south"])
    since = last_id()
    assert client.get(f"/cases/{slavery_case.reference}/").status_code == 404
    assert client.get("/cases/SC-0000-000000/").status_code == 404
    assert client.get("/people/999999/").status_code == 404
    # No view, only the refused requests for a case (issue 20: recorded for auditors).
    assert [(e.verb, e.data["reference"]) for e in new_events(since)] == [
        ("access.denied", slavery_case.reference),
        ("access.denied", "SC-0000-000000"),
    ]


@pytest.mark.django_db
def test_views_are_not_listed_in_the_case_pages_history(client, staff, slavery_case):
    client.force_login(staff["lead"])
    client.get(f"/cases/{slavery_case.reference}/")
    html = client.get(f"/cases/{slavery_case.reference}/").content.decode()
    assert "Concern raised" in html
    assert "Case viewed" not in html


@pytest.mark.django_db
def test_a_list_page_records_one_event_not_one_per_row(client, staff):
    for n in range(30):
        make_case(staff, f"SC-L-{n:02d}")
    client.force_login(staff["lead"])
    since = last_id()
    assert client.get("/cases/", {"case_type": "cse", "page": 2}).status_code == 200
    event = only(new_events(since))
    assert (event.verb, event.actor, event.case_id) == ("cases.listed", staff["lead"], None)
    assert event.data == {"filters": {"case_type": "cse"}, "count": 30, "page": 2}


@pytest.mark.django_db
def test_a_person_page_records_one_view(client, staff):
    case = make_case(staff)
    person = Person.objects.create(given_names="Ana")
    CasePerson.objects.create(case=case, person=person, role="subject")
    client.force_login(staff["lead"])
    since = last_id()
    assert client.get(f"/people/{person.pk}/").status_code == 200
    event = only(new_events(since))
    assert (event.verb, event.actor, event.object_id) == (
        "person.viewed",
        staff["lead"],
        str(person.pk),
    )


@pytest.mark.django_db
def test_case_view_record_knows_its_channels(staff):
    case = make_case(staff)
    event = case_view_record(user=staff["auditor"], case=case, via="api")
    assert event.data == {"via": "api", "limited": False}
    with pytest.raises(ValueError, match="unknown channel"):
        case_view_record(user=staff["auditor"], case=case, via="fax")


# Signing in and out ----------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_and_sign_out_are_recorded(client, staff):
    lead = staff["lead"]
    since = last_id()
    response = client.post("/sign-in/", {"username": "lead.north", "password": DEMO_PASSWORD})
    # The password, then the second factor (casework.two_factor): one sign-in, once in.
    response = complete_sign_in(client, response, "lead.north")
    assert response.status_code == 302
    signed_in = only(new_events(since))
    assert (signed_in.verb, signed_in.actor, signed_in.case_id) == ("user.signed_in", lead, None)
    since = last_id()
    client.post("/sign-out/")
    signed_out = only(new_events(since))
    assert (signed_out.verb, signed_out.actor, signed_out.case_id) == (
        "user.signed_out",
        lead,
        None,
    )


@pytest.mark.django_db
def test_a_failed_sign_in_records_the_username_tried_never_the_password(client, staff):
    since = last_id()
    client.post("/sign-in/", {"username": "lead.north", "password": "wrong-secret"})
    client.post("/sign-in/", {"username": "nobody.here", "password": "wrong-secret"})
    events = new_events(since)
    assert [(e.verb, e.actor, e.case_id) for e in events] == [
        ("user.sign_in_failed", None, None),
        ("user.sign_in_failed", None, None),
    ]
    assert [e.data for e in events] == [{"username": "lead.north"}, {"username": "nobody.here"}]
    assert "wrong-secret" not in str([e.data for e in events])


@pytest.mark.django_db
def test_a_sign_out_with_no_one_signed_in_records_nothing(client, db):
    since = last_id()
    client.post("/sign-out/")
    assert new_events(since) == []


# The database refuses to change or remove audit and history rows --------------------------


def execute(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(sql: str, params: list) -> bool:
    """True when the database refuses the statement with the append-only trigger."""
    with pytest.raises(DatabaseError, match="Cannot update or delete rows"):
        execute(sql, params)
    return True


@pytest.mark.django_db
def test_the_database_refuses_update_and_delete_of_audit_events(staff):
    with transaction.atomic():
        event = audit_record(actor=staff["lead"], verb=AuditVerb.CASE_VIEWED)
    assert refused("UPDATE casework_auditevent SET verb = 'x' WHERE id = %s", [event.pk])
    assert refused("DELETE FROM casework_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(data={"forged": True})
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).verb == "case.viewed"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "table", ["casework_caseevent", "casework_personevent", "casework_premisesevent"]
)
def test_the_database_refuses_update_and_delete_of_row_history(staff, table):
    premises = Premises.objects.create(address="1 High Street")
    case = make_case(staff, premises=premises)
    CasePerson.objects.create(case=case, person=Person.objects.create(), role="subject")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (a fixed table name)
        assert cursor.fetchone()[0] >= 1
    assert refused(f"UPDATE {table} SET pgh_label = 'forged'", [])  # noqa: S608
    assert refused(f"DELETE FROM {table}", [])  # noqa: S608


@pytest.mark.django_db
def test_verification_results_cannot_be_rewritten(db):
    run = AuditChainVerification.objects.create(
        ran_at=timezone.now(), ok=False, events_checked=3, first_broken_id=2, message="BROKEN"
    )
    assert refused("UPDATE casework_auditchainverification SET ok = true WHERE id = %s", [run.pk])
    assert refused("DELETE FROM casework_auditchainverification WHERE id = %s", [run.pk])


# Row history (pghistory): every write leaves a trace -------------------------------------


@pytest.mark.django_db
def test_a_bulk_update_of_cases_leaves_a_history_row(staff):
    case = make_case(staff)
    other = make_case(staff, "SC-A-2")
    Case.objects.filter(pk__in=[case.pk, other.pk]).update(summary="Changed in bulk.")
    history = list(case.events.order_by("pgh_id").values_list("pgh_label", "summary"))
    assert history == [("insert", "First."), ("update", "Changed in bulk.")]
    assert other.events.filter(pgh_label="update", summary="Changed in bulk.").exists()


@pytest.mark.django_db
def test_people_and_premises_keep_row_history_with_the_editor(staff):
    premises = Premises.objects.create(address="1 High Street")
    case = make_case(staff, premises=premises)
    person = Person.objects.create(given_names="Ana")
    CasePerson.objects.create(case=case, person=person, role="subject")
    person_update(person=person, actor=staff["lead"], given_names="Anna")
    Premises.objects.filter(pk=premises.pk).update(landlord="Raw SQL Ltd")
    update = person.events.get(pgh_label="update")
    assert update.given_names == "Anna"
    assert update.pgh_context.metadata == {"user": staff["lead"].pk, "service": "person_update"}
    assert list(premises.events.values_list("pgh_label", "landlord")) == [
        ("insert", ""),
        ("update", "Raw SQL Ltd"),
    ]


@pytest.mark.django_db
def test_deleting_a_tracked_row_leaves_its_last_state(staff):
    person = Person.objects.create(given_names="Gone")
    person_id = person.pk
    person.delete()
    event_model = apps.get_model("casework", "PersonEvent")
    deleted = event_model.objects.get(pgh_obj_id=person_id, pgh_label="delete")
    assert deleted.given_names == "Gone"


# verify_audit_chain ----------------------------------------------------------------------


def chain_of(staff, count: int = 5) -> list[AuditEvent]:
    case = make_case(staff)
    with transaction.atomic():
        return [
            audit_record(actor=staff["lead"], verb=AuditVerb.CASE_VIEWED, case=case, data={"n": n})
            for n in range(count)
        ]


def verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit_chain", "--chunk-size", "2", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue().strip(), err.getvalue().strip()


@pytest.mark.django_db
def test_an_intact_chain_is_ok_with_its_count(staff):
    events = chain_of(staff)
    assert events[1].prev_hash == events[0].hash
    assert verify() == (0, "OK: 5 events", "")
    run = AuditChainVerification.objects.get()
    assert (run.ok, run.events_checked, run.first_broken_id) == (True, 5, None)
    assert run.message == "OK: 5 events"


@pytest.mark.django_db
def test_an_empty_chain_is_ok(db):
    assert verify() == (0, "OK: 0 events", "")


@pytest.mark.django_db
def test_an_event_altered_with_the_trigger_ignored_is_found(staff):
    events = chain_of(staff)
    target = events[2]
    with pgtrigger.ignore("casework.AuditEvent:append_only"):
        AuditEvent.objects.filter(pk=target.pk).update(data={"n": 99})
    altered = AuditEvent.objects.get(pk=target.pk)
    code, out, err = verify()
    assert (code, out) == (1, "")
    assert err == (
        f"BROKEN at event {target.pk}: expected {event_hash(altered)}, found {target.hash}"
    )
    run = AuditChainVerification.objects.get()
    assert (run.ok, run.events_checked, run.first_broken_id) == (False, 2, target.pk)


@pytest.mark.django_db
def test_an_event_altered_with_the_trigger_disabled_and_its_hash_recomputed_is_found(staff):
    events = chain_of(staff)
    target, following = events[1], events[2]
    target.data = {"n": "forged"}
    forged_hash = event_hash(target)
    trigger = AuditEvent._meta.triggers[0].get_pgid(AuditEvent)
    with connection.cursor() as cursor:
        # Django's foreign keys are deferred: fire them now so the table can be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE casework_auditevent DISABLE TRIGGER {trigger}")
        cursor.execute(
            "UPDATE casework_auditevent SET data = %s, hash = %s WHERE id = %s",
            ['{"n": "forged"}', forged_hash, target.pk],
        )
        cursor.execute(f"ALTER TABLE casework_auditevent ENABLE TRIGGER {trigger}")
    code, _, err = verify()
    assert code == 1
    assert err == (
        f"BROKEN at event {following.pk}: expected {forged_hash}, found {following.prev_hash}"
    )


@pytest.mark.django_db
def test_a_deleted_middle_event_is_found(staff):
    events = chain_of(staff)
    with pgtrigger.ignore("casework.AuditEvent:append_only"):
        AuditEvent.objects.filter(pk=events[2].pk).delete()
    code, _, err = verify()
    assert code == 1
    assert err == (
        f"BROKEN at event {events[3].pk}: expected {events[1].hash}, found {events[2].hash}"
    )


@pytest.mark.django_db
def test_the_nightly_task_runs_the_same_verification(staff):
    events = chain_of(staff, 3)
    assert verify_audit_chain() == "OK: 3 events"
    with pgtrigger.ignore("casework.AuditEvent:append_only"):
        AuditEvent.objects.filter(pk=events[0].pk).update(verb="case.raised")
    assert verify_audit_chain().startswith(f"BROKEN at event {events[0].pk}: expected ")
    latest = AuditChainVerification.objects.order_by("-id").first()
    assert (latest.ok, latest.first_broken_id) == (False, events[0].pk)


def test_beat_runs_the_verification_nightly():
    entry = celery_app.conf.beat_schedule["verify-audit-chain"]
    assert entry["task"] == verify_audit_chain.name == "casework.tasks.verify_audit_chain"
    assert entry["schedule"].hour == {2}
    assert entry["schedule"].minute == {30}
