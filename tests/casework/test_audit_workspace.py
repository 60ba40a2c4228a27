"""The auditor's workspace: search, a case's timeline, CSV export, the chain status; only
for auditors, and read-only."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pgtrigger
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.audit import AuditVerb, audit_record
from casework.models import (
    AuditEvent,
    Case,
    CasePerson,
    CaseViewRepeat,
    Person,
    Premises,
    Team,
)
from casework.roles import Role
from casework.services import (
    case_access_grant,
    case_allocate,
    case_summary_update,
    person_update,
    premises_update,
)
from tests.workflows.walker import default_raise
from workflows import modern_slavery
from workflows.services import case_transition

ADULT = {"subject_date_of_birth": "1990-01-01", "subject_estimated_age": None}
SEARCH, EXPORT = "/audit/", "/audit/export.csv"


def timeline(case: Case) -> str:
    return f"/audit/cases/{case.reference}/"


@pytest.fixture
def staff(make_user):
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "worker": make_user("worker.north", Role.FRONTLINE, ["north"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "prevent_lead": make_user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
        "worker_south": make_user("worker.south", Role.FRONTLINE, ["south"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
        "administrator": make_user("admin", Role.ADMINISTRATOR, []),
    }


@pytest.fixture
def auditor_client(client, staff):
    client.force_login(staff["auditor"])
    return client


@pytest.fixture
def story(staff):
    """A case with a raise, a transition, an allocation, a grant and edits to the case,
    its subject and its premises; and an unrelated case."""
    lead = staff["lead"]
    case = default_raise(modern_slavery.WORKFLOW, staff["frontline"])(ADULT)
    case = case_transition(
        case=case, actor=lead, name="start_triage",
        data={"immediate_risk": True, "police_informed": True},
    )  # fmt: skip
    case_allocate(case=case, actor=lead, assignee=staff["worker"])
    case_access_grant(case=case, actor=lead, user=staff["worker_south"])
    case_summary_update(case=case, actor=lead, summary="Works nights at the car wash.")
    subject = case.case_people.get(role="subject").person
    person_update(person=subject, actor=lead, family_name="Kowalska-Nowak")
    premises = Premises.objects.create(address="1 Wash Lane")
    Case.objects.filter(pk=case.pk).update(premises=premises)
    premises_update(premises=premises, actor=lead, landlord="Wash Ltd")
    other = Case.objects.create(
        reference="SC-OTHER-1", case_type="cse", state="concern_raised", summary="Other.",
        team=Team.objects.get(slug="south"), raised_by=staff["worker_south"],
        raised_at=timezone.now(),
    )  # fmt: skip
    return Case.objects.get(pk=case.pk), other, subject


def page(response) -> str:
    return response.content.decode()


def verbs_shown(response) -> list[str]:
    return [row.event.verb for row in response.context["rows"]]


def last_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# Who may use it ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [SEARCH, EXPORT, "/audit/cases/SC-OTHER-1/"])
def test_anonymous_users_are_sent_to_sign_in(client, story, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/sign-in/")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["frontline", "lead", "prevent_lead", "administrator"])
@pytest.mark.parametrize("url", [SEARCH, EXPORT, "/audit/cases/SC-OTHER-1/"])
def test_other_roles_get_a_plain_403(client, staff, story, role, url):
    client.force_login(staff[role])
    since = last_id()
    response = client.get(url)
    assert response.status_code == 403
    html = page(response)
    assert "Only auditors can use the audit log." in html
    assert "SC-OTHER-1" not in html
    assert not AuditEvent.objects.filter(pk__gt=since).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("url", [SEARCH, EXPORT, "/audit/cases/SC-OTHER-1/"])
def test_every_write_attempt_is_refused_and_changes_nothing(client, staff, story, method, url):
    before = AuditEvent.objects.count()
    client.force_login(staff["auditor"])
    assert getattr(client, method)(url).status_code == 405
    client.force_login(staff["lead"])
    assert getattr(client, method)(url).status_code == 403
    # Only the two sign-ins are new: the refused requests recorded and changed nothing.
    assert AuditEvent.objects.count() == before + 2


@pytest.mark.django_db
def test_the_navigation_shows_audit_only_to_auditors(client, staff):
    client.force_login(staff["auditor"])
    assert 'href="/audit/"' in page(client.get("/"))
    client.force_login(staff["lead"])
    assert 'href="/audit/"' not in page(client.get("/"))


# Search -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_with_no_filters_every_event_is_listed_newest_first(auditor_client, story):
    response = auditor_client.get(SEARCH)
    assert response.status_code == 200
    shown = [row.event.pk for row in response.context["rows"]]
    assert shown == sorted(shown, reverse=True)
    assert len(shown) == AuditEvent.objects.count() - 1  # all but this search's own record
    html = page(response)
    assert '<h1 class="govuk-heading-l">Audit log</h1>' in html
    assert 'class="govuk-table"' in html


@pytest.mark.django_db
def test_searching_by_case_reference_finds_its_people_and_premises_too(auditor_client, story):
    case, other, subject = story
    response = auditor_client.get(SEARCH, {"reference": case.reference.lower()})
    verbs = verbs_shown(response)
    assert set(verbs) == {
        "case.raised",
        "case.transitioned",
        "case.allocated",
        "access.granted",
        "case.updated",
        "person.updated",
        "premises.updated",
    }
    html = page(response)
    assert f'href="/audit/cases/{case.reference}/"' in html
    assert "Family name: Example → Kowalska-Nowak" in html
    assert "Landlord: Not given → Wash Ltd" in html
    assert "State: Concern raised → Safeguarding triage" in html  # the workflow's own labels
    assert "SC-OTHER-1" not in html


@pytest.mark.django_db
def test_searching_by_user_action_and_dates(auditor_client, staff, story):
    Client().post("/sign-in/", {"username": "lead.north", "password": "wrong"})
    by_user = verbs_shown(auditor_client.get(SEARCH, {"user": "LEAD.NORTH"}))
    assert "case.transitioned" in by_user
    assert "user.sign_in_failed" in by_user  # failed sign-ins as them
    assert "case.raised" not in by_user
    by_action = verbs_shown(auditor_client.get(SEARCH, {"action": "case.allocated"}))
    assert by_action == ["case.allocated"]
    today = timezone.localdate()
    in_range = {"date_from": today.isoformat(), "date_to": today.isoformat()}
    assert len(verbs_shown(auditor_client.get(SEARCH, in_range))) > 5
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert verbs_shown(auditor_client.get(SEARCH, {"date_from": tomorrow})) == []


@pytest.mark.django_db
def test_searching_by_user_finds_their_events_and_only_theirs_with_or_without_failures(
    auditor_client, staff, story
):
    """Two ways to one answer: with no failed sign-in naming them, the search reads their
    events alone (by the (actor, id) index); with one, their events or the failures."""

    def shown_ids(name: str) -> list[int]:
        rows = auditor_client.get(SEARCH, {"user": name}).context["rows"]
        return [row.event.pk for row in rows]

    lead = staff["lead"]
    before = last_id()
    theirs = list(
        AuditEvent.objects.filter(actor=lead, pk__lte=before)
        .order_by("-pk")
        .values_list("pk", flat=True)[:50]
    )
    assert theirs  # the story gave them events
    assert not AuditEvent.objects.filter(verb=AuditVerb.USER_SIGN_IN_FAILED).exists()
    assert [pk for pk in shown_ids("lead.north") if pk <= before] == theirs
    Client().post("/sign-in/", {"username": "Lead.North", "password": "wrong"})
    failed = AuditEvent.objects.get(verb=AuditVerb.USER_SIGN_IN_FAILED).pk
    shown = shown_ids("lead.north")
    assert failed in shown
    assert [pk for pk in shown if pk <= before] == theirs
    # Someone else's failed sign-in is not theirs.
    Client().post("/sign-in/", {"username": "worker.north", "password": "wrong"})
    others = AuditEvent.objects.filter(verb=AuditVerb.USER_SIGN_IN_FAILED).exclude(pk=failed)
    assert others.get().pk not in shown_ids("lead.north")


@pytest.mark.django_db
def test_a_search_is_itself_recorded_once(auditor_client, staff, story):
    case = story[0]
    since = last_id()
    auditor_client.get(SEARCH, {"reference": case.reference, "action": "case.updated"})
    event = AuditEvent.objects.get(pk__gt=since)
    assert (event.verb, event.actor) == ("audit.searched", staff["auditor"])
    assert event.data == {
        "filters": {"reference": case.reference, "action": "case.updated"},
        "count": 1,
        "page": 1,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "The end date must be the same"),
        ({"date_from": "yesterday"}, "Enter a real date for the start of the range"),
        ({"action": "case.deleted"}, "Select an action from the list"),
    ],
)
def test_a_bad_search_is_400_with_the_error_summary(auditor_client, story, query, message):
    since = last_id()
    response = auditor_client.get(SEARCH, query)
    assert response.status_code == 400
    html = page(response)
    assert "govuk-error-summary" in html
    assert message in html
    assert not AuditEvent.objects.filter(pk__gt=since).exists()
    assert auditor_client.get(EXPORT, query).status_code == 400


@pytest.mark.django_db
def test_results_are_paginated_and_keep_the_filters(auditor_client, staff):
    with transaction.atomic():
        for n in range(60):
            audit_record(actor=staff["lead"], verb=AuditVerb.CASES_LISTED, data={"n": n})
    first = auditor_client.get(SEARCH, {"action": "cases.listed"})
    assert len(first.context["rows"]) == 50
    assert "?action=cases.listed&amp;page=2" in page(first)
    second = auditor_client.get(SEARCH, {"action": "cases.listed", "page": 2})
    assert len(second.context["rows"]) == 10


@pytest.mark.django_db
def test_the_search_runs_a_fixed_number_of_queries(
    auditor_client, staff, story, django_assert_max_num_queries
):
    auditor_client.get(SEARCH)  # warm the session and the user's roles
    with django_assert_max_num_queries(100) as few:
        auditor_client.get(SEARCH, {"page": 1})
    with transaction.atomic():
        for n in range(60):
            audit_record(
                actor=staff["lead"], verb=AuditVerb.CASE_ALLOCATED, case=story[0],
                data={"from_owner": staff["worker"].pk, "to_owner": staff["lead"].pk, "n": n},
            )  # fmt: skip
    # One more, the count: a first page that is not full is not counted (casework.counting).
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        response = auditor_client.get(SEARCH)
    assert len(response.context["rows"]) == 50
    assert "From worker.north to lead.north" in page(response)


# The chain status ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_workspace_shows_when_the_chain_was_last_verified(auditor_client, staff):
    assert "The audit chain has not been verified yet." in page(auditor_client.get(SEARCH))
    count = AuditEvent.objects.count()
    call_command("verify_audit_chain", stdout=io.StringIO())
    html = page(auditor_client.get(SEARCH))
    assert "Intact" in html
    assert f"OK: {count} events" in html
    first = AuditEvent.objects.order_by("pk").first()
    with pgtrigger.ignore("casework.AuditEvent:append_only"):
        AuditEvent.objects.filter(pk=first.pk).update(data={"forged": True})
    with pytest.raises(SystemExit):
        call_command("verify_audit_chain", stdout=io.StringIO(), stderr=io.StringIO())
    html = page(auditor_client.get(SEARCH))
    assert "Broken" in html
    assert f"BROKEN at event {first.pk}: expected " in html


# A case's timeline ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_cases_timeline_shows_every_event_and_the_row_history(auditor_client, staff, story):
    case, other, subject = story
    Case.objects.filter(pk=case.pk).update(outcome_code="BULK")  # no service, no audit event
    response = auditor_client.get(timeline(case))
    assert response.status_code == 200
    html = page(response)
    assert 'class="moj-timeline"' in html
    assert [row.event.verb for row in response.context["rows"]] == [
        "case.raised",
        "case.transitioned",
        "case.allocated",
        "access.granted",
        "case.updated",
        "person.updated",
        "premises.updated",
    ]
    assert "Concern raised" in html
    lines = {str(line) for row in response.context["rows"] for line in row.lines}
    assert "Summary: A concern raised in a test. → Works nights at the car wash." in lines
    assert "From no one to worker.north" in lines
    assert {"Member of staff: worker.south", "Permission: read the case"} <= lines
    history = response.context["row_history"]
    assert any("Outcome code: Not given → BULK" in c.changes for c in history)
    assert any("Owner: Not given → worker.north" in c.changes for c in history)
    assert any(c.subject.startswith("Person: ") and c.label == "update" for c in history)
    assert any(c.subject == "Premises" and c.by == "lead.north" for c in history)
    assert "SC-OTHER-1" not in html


@pytest.mark.django_db
def test_opening_a_timeline_records_one_view_of_the_case(auditor_client, staff, story):
    case = story[0]
    since = last_id()
    auditor_client.get(timeline(case))
    event = AuditEvent.objects.get(pk__gt=since)
    assert (event.verb, event.actor, event.case_id) == ("case.viewed", staff["auditor"], case.pk)
    assert event.data == {"via": "audit", "limited": False}
    assert "Seen in full, on the audit timeline" in page(auditor_client.get(timeline(case)))


@pytest.mark.django_db
def test_a_missing_case_has_no_timeline_and_records_only_the_request(auditor_client, story):
    since = last_id()
    assert auditor_client.get("/audit/cases/SC-NOPE-1/").status_code == 404
    (event,) = AuditEvent.objects.filter(pk__gt=since)
    assert (event.verb, event.data["route"], event.data["exists"]) == (
        "access.denied",
        "audit",
        False,
    )


# Export -----------------------------------------------------------------------------------


def rows_of(response) -> list[list[str]]:
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.django_db
def test_the_export_is_the_search_as_csv_and_is_recorded(auditor_client, staff, story):
    case = story[0]
    since = last_id()
    response = auditor_client.get(EXPORT, {"reference": case.reference})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    rows = rows_of(response)
    header, body = rows[0], rows[1:]
    assert header == [
        "id", "at", "actor", "action", "verb", "case", "object_type", "object_id", "data",
        "prev_hash", "hash", "when", "by", "description",
    ]  # fmt: skip
    expected = AuditEvent.objects.filter(pk__lte=since, case=case).count() + 2  # person, premises
    assert len(body) == expected
    assert [r[4] for r in body][:2] == ["case.raised", "case.transitioned"]
    ids = [int(r[0]) for r in body]
    assert ids == sorted(ids)
    edit = next(r for r in body if r[4] == "person.updated")
    assert edit[2] == "lead.north"
    assert json.loads(edit[8])["after"] == {"family_name": "Kowalska-Nowak"}
    assert edit[12] == "lead.north"
    assert "Family name: Example → Kowalska-Nowak" in edit[13]
    stored = AuditEvent.objects.get(pk=edit[0])
    assert (edit[9], edit[10]) == (stored.prev_hash, stored.hash)
    exported = AuditEvent.objects.get(pk__gt=since)
    assert (exported.verb, exported.actor) == ("audit.exported", staff["auditor"])
    assert exported.data == {"filters": {"reference": case.reference}, "count": len(body)}


@pytest.mark.django_db
def test_the_export_leaves_out_its_own_record_and_later_events(auditor_client, staff):
    response = auditor_client.get(EXPORT, {"action": "audit.exported"})
    assert rows_of(response)[1:] == []
    second = rows_of(auditor_client.get(EXPORT, {"action": "audit.exported"}))
    assert [r[4] for r in second[1:]] == ["audit.exported"]


@pytest.mark.django_db
def test_a_verb_this_release_does_not_know_is_shown_and_exported(auditor_client, staff):
    with transaction.atomic():
        person = Person.objects.create(given_names="x")
        audit_record(actor=staff["lead"], verb="note.added", target=person, data={"n": 1})
    assert "Note added" in page(auditor_client.get(SEARCH, {"user": "lead.north"}))
    rows = rows_of(auditor_client.get(EXPORT, {"user": "lead.north"}))
    assert [(r[3], r[4], r[8]) for r in rows[1:]] == [("Note added", "note.added", '{"n": 1}')]


@pytest.mark.django_db
def test_export_cells_cannot_become_spreadsheet_formulas(auditor_client, make_user):
    user = make_user("-cmd", Role.LEAD, ["north"])
    with transaction.atomic():
        audit_record(actor=user, verb=AuditVerb.CASES_LISTED, data={})
    rows = rows_of(auditor_client.get(EXPORT, {"action": "cases.listed"}))
    assert rows[1][2] == "'-cmd"
    Client().post("/sign-in/", {"username": "=HYPERLINK(1)", "password": "x"})
    rows = rows_of(auditor_client.get(EXPORT, {"action": "user.sign_in_failed"}))
    assert json.loads(rows[1][8]) == {"username": "=HYPERLINK(1)"}  # inside JSON: inert


@pytest.mark.django_db
def test_a_person_linked_to_a_case_shows_in_that_cases_search(auditor_client, staff, story):
    case, other, subject = story
    CasePerson.objects.create(case=other, person=subject, role="subject")
    verbs = verbs_shown(auditor_client.get(SEARCH, {"reference": "SC-OTHER-1"}))
    assert verbs == ["person.updated"]


# The search's statements, compiled once ----------------------------------------------------


def _search_pages(user, filters) -> list:
    """The first two pages (three events each) and the capped count (at four) of a
    search, as the search page reads them: each event with its actor, case and repeat."""
    from casework.audit import audit_event_search_for_user
    from casework.counting import CappedPaginator

    def repeats(event) -> int | None:
        try:
            return event.view_repeat.repeats
        except CaseViewRepeat.DoesNotExist:
            return None

    def read(page) -> list[tuple]:
        events = list(page)
        with CaptureQueriesContext(connection) as lazy:
            rows = [
                (e.pk, e.verb, e.actor and e.actor.username, e.case and e.case.reference,
                 repeats(e), e.data, e.at)
                for e in events
            ]  # fmt: skip
        assert not lazy.captured_queries  # actor, case and repeat read with the page
        return rows

    listed = audit_event_search_for_user(user, filters)
    first = CappedPaginator(listed, 3, page=1, cap=4)
    got = [read(first.page(1)), (first.count, first.more)]
    second = CappedPaginator(listed.all(), 3, page=2, cap=4)
    if second.num_pages >= 2:
        got.append(read(second.page(2)))
    return got


@pytest.mark.django_db
def test_every_kind_of_search_kept_reads_what_the_orm_reads(
    auditor_client, staff, story, make_user
):
    """The search page's events and capped count, read through statements compiled once
    per kind of search (the values given at each use), are the ORM's: for an auditor and
    one cleared for Prevent, by a case's reference (typed in lower case), a Prevent
    case's, one no case has; by a user (with and without failed sign-ins naming them),
    by nobody; by action, by days; two filters; and five values, read by the ORM."""
    from django.test import override_settings

    from casework.audit import audit_event_list_for_user
    from casework.services import prevent_clearance_set
    from tests.workflows.test_case_list import prevent_case

    case = story[0]
    hidden = prevent_case(staff["prevent_lead"])
    cleared = make_user("auditor.cleared", Role.AUDITOR, [])
    prevent_clearance_set(user=cleared, actor=staff["administrator"], cleared=True)
    auditor_client.get("/audit/cases/SC-NOPE-1/")  # a request for a reference no case has
    viewer = Client()
    viewer.force_login(staff["worker"])
    for _ in range(2):  # a view, and its repeat
        assert viewer.get(f"/cases/{case.reference}/").status_code == 200
    Client().post("/sign-in/", {"username": "Lead.North", "password": "wrong"})
    today = timezone.localdate()
    day = {"date_from": today.isoformat(), "date_to": today.isoformat()}
    tomorrow = (today + timedelta(days=1)).isoformat()
    choices = [
        {}, {"reference": case.reference.lower()}, {"reference": story[1].reference},
        {"reference": hidden.reference}, {"reference": "sc-nope-1"}, {"reference": "SC-NONE-2"},
        {"user": "LEAD.NORTH"}, {"user": "frontline.north"}, {"user": "prevent.lead"},
        {"user": "nobody"}, {"action": "case.transitioned"}, {"action": "access.denied"},
        {"action": "case.raised", **day}, {"action": "case.raised", "date_from": tomorrow},
        {"date_to": today.isoformat()}, {"user": "lead.north", "action": "case.allocated"},
        {"reference": case.reference, "date_from": today.isoformat()},  # five values
    ]  # fmt: skip
    seen = 0
    for user in (staff["auditor"], cleared):
        for filters in choices:
            kept = _search_pages(user, filters)
            with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
                assert _search_pages(user, filters) == kept, (user, filters)
            newest = audit_event_list_for_user(user, filters).order_by("-id")
            assert [row[0] for row in kept[0]] == [e.pk for e in newest[:3]], filters
            seen += len(kept[0])
    assert seen > 40
    assert _search_pages(cleared, {"reference": hidden.reference})[0]  # its events
    assert any(
        row[4] for row in _search_pages(staff["auditor"], {"reference": case.reference})[0]
    )  # a view's repeats read with it
    assert _search_pages(staff["auditor"], {"reference": hidden.reference}) == [[], (0, False)]


@pytest.mark.django_db
def test_a_later_search_of_the_same_kind_compiles_nothing(staff, story, make_user):
    """Once a search by user, by case and by action and day has been made, another of
    the same kind with other values builds and compiles no query: its lookups of the
    user's ids and the case's, its page and its count all read statements kept."""
    from django.db.models.sql.compiler import SQLCompiler

    from casework import statements

    auditor, today = staff["auditor"], timezone.localdate()
    other_lead = make_user("lead2.north", Role.LEAD, ["north"])
    fresh = default_raise(modern_slavery.WORKFLOW, staff["frontline"])(ADULT)
    for n in range(7):  # more than the two pages of three and the count at four show
        case_summary_update(case=fresh, actor=other_lead, summary=f"Seen again ({n}).")
    yesterday = str(today - timedelta(days=1))
    # Each search of the first three reads a full page, a count and a second page, as
    # the second three do.
    firsts = [
        {"user": "lead2.north"}, {"reference": fresh.reference},
        {"action": "case.updated", "date_from": str(today), "date_to": str(today)},
    ]  # fmt: skip
    seconds = [
        {"user": "lead.north"}, {"reference": story[0].reference.lower()},
        {"action": "case.updated", "date_from": yesterday, "date_to": str(today)},
    ]  # fmt: skip
    expected = [_search_pages(auditor, filters) for filters in seconds]
    statements.clear()
    for filters in firsts:
        _search_pages(auditor, filters)
    compiled = []
    original = SQLCompiler.as_sql
    try:
        SQLCompiler.as_sql = lambda *a, **k: compiled.append(a) or original(*a, **k)
        got = [_search_pages(auditor, filters) for filters in seconds]
    finally:
        SQLCompiler.as_sql = original
    assert compiled == []
    assert got == expected
    assert all(len(pages) == 3 for pages in got)  # two pages each
    assert got != [_search_pages(auditor, filters) for filters in firsts]
