"""Person and premises matching at intake (casework/matching.py): the raiser is offered
known people and addresses from cases they may see and can link them instead of making
duplicates; matches they may not see are never shown to them, and are flagged to leads
without leaking another team's case or anything of a restricted compartment. The person
and premises pages list the cases the viewer may see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from casework import statements
from casework.matching import (
    TELL_LEADS_GRACE,
    TELL_LEADS_TASK,
    intake_matches_for_user,
    person_reasons,
    possible_match_leads_tell,
    possible_matches_for_user,
    premises_cases_for_user,
)
from casework.models import Case, CaseSearchEntry, Person, PossibleMatch, Premises
from casework.roles import Role
from casework.search_index import search_index_update
from casework.services import team_ensure
from casework.tasks import tell_possible_match_leads
from config.celery import app as celery_app
from notifications.models import OutboxMessage
from tests.workflows.walker import default_raise, sample_values
from workflows import cuckooing, modern_slavery, prevent
from workflows.drafts import draft_save
from workflows.services import case_raise

CHECK = "/concerns/new/modern_slavery/check/"
CUCKOOING_CHECK = "/concerns/new/cuckooing/check/"


@pytest.fixture
def staff(make_user):
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "frontline_south": make_user("frontline.south", Role.FRONTLINE, ["south"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "lead_south": make_user("lead.south", Role.LEAD, ["south"]),
        "cleared": make_user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
    }


def slavery_data(given="John", family="Smith", born="1985-03-12", **more) -> dict:
    return sample_values(
        modern_slavery.WORKFLOW.intake_fields,
        {
            "summary": "Works at the car wash.",
            "subject_given_names": given,
            "subject_family_name": family,
            "subject_aliases": "",
            "subject_date_of_birth": born,
            "subject_estimated_age": None,
            "subject_phone": "",
            **more,
        },
    )


def slavery(actor, **data):
    return default_raise(modern_slavery.WORKFLOW, actor)(slavery_data(**data))


def cuckooing_data(address="Flat 4, 12 Acacia Avenue\nLeeds", postcode="LS6 1AA") -> dict:
    return sample_values(
        cuckooing.WORKFLOW.intake_fields,
        {
            "summary": "Young men coming and going at all hours.",
            "premises_address": address,
            "premises_postcode": postcode,
            "occupier_given_names": "Agnes",
            "occupier_family_name": "Field",
            "occupier_aliases": "",
            "occupier_phone": "",
        },
    )


def check_page(client, user, data, url=CHECK, case_type="modern_slavery") -> str:
    draft_save(author=user, case_type=case_type, data=data)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_person_is_matched_on_name_and_birth_or_phone_not_on_a_name_alone():
    known = Person(given_names="John", family_name="Smith", date_of_birth=None, phone="")
    assert person_reasons({"given_names": "Jon", "family_name": "Smyth"}, known) == [
        "family name sounds the same",
        "given name sounds the same",
    ]
    assert person_reasons({"family_name": "Smith"}, known) == []
    assert person_reasons({"given_names": "Mary", "family_name": "Smith"}, known) == []
    known.phone = "07700 900123"
    assert person_reasons({"phone": "+44 7700 900123"}, known) == ["same phone number"]


@pytest.mark.django_db
def test_the_raiser_is_offered_a_known_person_and_links_them_instead_of_a_duplicate(client, staff):
    frontline = staff["frontline"]
    earlier = slavery(frontline)
    person = earlier.case_people.get().person
    page = check_page(client, frontline, slavery_data(given="Jon", family="Smyth"))
    assert "Is the subject someone already known?" in page
    assert f'value="{person.pk}"' in page
    assert earlier.reference in page
    people_before = Person.objects.count()
    response = client.post(CHECK, {"link_subject": str(person.pk)})
    assert response.status_code == 302
    case = Case.objects.order_by("-pk").first()
    assert case.case_people.get().person == person
    assert Person.objects.count() == people_before
    assert case.audit_events.get(verb="case.raised").data["linked"] == {"subject": person.pk}


@pytest.mark.django_db
def test_a_match_in_another_teams_case_is_never_shown_to_the_raiser_but_flagged(client, staff):
    theirs = slavery(staff["frontline_south"], subject_phone="07700 900123")
    their_person = theirs.case_people.get().person
    page = check_page(client, staff["frontline"], slavery_data(subject_phone="07700900123"))
    assert theirs.reference not in page
    assert "already known" not in page
    # Posting the other team's person anyway links nothing: only offered matches count.
    client.post(CHECK, {"link_subject": str(their_person.pk)})
    case = Case.objects.order_by("-pk").first()
    assert case.case_people.get().person != their_person
    assert PossibleMatch.objects.get(case=case).matched_case == theirs
    # The raiser's case page says nothing of it; the triaging lead learns only that
    # another team has a case, not which.
    own = client.get(f"/cases/{case.reference}/").content.decode()
    assert theirs.reference not in own
    assert "another team" not in own
    client.force_login(staff["lead"])
    lead_page = client.get(f"/cases/{case.reference}/").content.decode()
    assert theirs.reference not in lead_page
    assert "1 case of another team may be about the same person or address" in lead_page
    # The other team's leads are told once the raise has committed (a task), naming
    # both references and nothing else.
    assert not OutboxMessage.objects.filter(template="case.possible_match").exists()
    assert possible_match_leads_tell(case_id=case.pk) == 1
    told = OutboxMessage.objects.get(template="case.possible_match")
    assert told.recipient == staff["lead_south"]
    assert case.reference in told.body
    assert theirs.reference in told.body
    assert "Smith" not in told.body


@pytest.fixture
def sent_tasks(monkeypatch):
    """The tasks sent to the broker, by name and arguments, none of them run."""
    sent = []
    monkeypatch.setattr(
        celery_app, "send_task", lambda name, args=None, **kw: sent.append((name, args))
    )
    return sent


@pytest.mark.django_db
def test_the_leads_are_told_after_the_raise_commits_and_a_lost_task_is_caught_up(
    staff, sent_tasks, django_capture_on_commit_callbacks
):
    """The raiser does not wait for the leads' messages: the raise records the match as
    owing them and sends the telling task once it commits. If that task never reaches
    the broker, beat's catch-up tells them once the grace has passed, and only once."""
    theirs = slavery(staff["frontline_south"])
    with django_capture_on_commit_callbacks(execute=True):
        case = slavery(staff["frontline"])
    assert (TELL_LEADS_TASK, [case.pk]) in sent_tasks
    match = PossibleMatch.objects.get(case=case)
    assert (match.matched_case, match.tell_leads, match.leads_told_at) == (theirs, True, None)
    assert not OutboxMessage.objects.filter(template="case.possible_match").exists()

    # The task was lost: the catch-up leaves it to its own task for the grace period.
    assert possible_match_leads_tell(now=match.found_at + timedelta(seconds=30)) == 0
    later = match.found_at + TELL_LEADS_GRACE + timedelta(seconds=1)
    assert tell_possible_match_leads.apply(kwargs={}).get() == 0  # real time: not yet due
    assert possible_match_leads_tell(now=later) == 1
    match.refresh_from_db()
    assert match.leads_told_at == later
    told = OutboxMessage.objects.get(template="case.possible_match")
    assert (told.recipient, told.case) == (staff["lead_south"], theirs)
    # Told once: neither the raise's task arriving late nor the next catch-up tells again.
    assert tell_possible_match_leads.apply(args=[case.pk]).get() == 0
    assert possible_match_leads_tell(now=later + timedelta(minutes=5)) == 0
    assert OutboxMessage.objects.filter(template="case.possible_match").count() == 1
    assert celery_app.conf.beat_schedule["tell-possible-match-leads"]["task"] == TELL_LEADS_TASK


@pytest.mark.django_db
def test_a_match_in_the_raisers_own_team_owes_no_message_and_sends_no_task(
    staff, sent_tasks, django_capture_on_commit_callbacks
):
    ours = slavery(staff["frontline"])
    with django_capture_on_commit_callbacks(execute=True):
        case = slavery(staff["frontline"])
    match = PossibleMatch.objects.get(case=case)
    assert (match.matched_case, match.tell_leads) == (ours, False)
    assert not [name for name, _ in sent_tasks if name == TELL_LEADS_TASK]
    assert possible_match_leads_tell(case_id=case.pk) == 0


@pytest.mark.django_db
def test_a_broker_that_refuses_the_telling_task_loses_no_raise(
    staff, monkeypatch, django_capture_on_commit_callbacks
):
    slavery(staff["frontline_south"])

    def down(name, args=None, **kw):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(celery_app, "send_task", down)
    with django_capture_on_commit_callbacks(execute=True):
        case = slavery(staff["frontline"])
    match = PossibleMatch.objects.get(case=case)
    assert match.tell_leads
    assert match.leads_told_at is None
    assert possible_match_leads_tell(now=match.found_at + timedelta(minutes=2)) == 1


@pytest.mark.django_db
def test_the_catch_up_tells_every_match_left_owed_a_batch_at_a_time(staff, monkeypatch):
    """After a long outage of the broker the owed matches may be many: one catch-up tells
    them all, a batch to a transaction."""
    monkeypatch.setattr(celery_app, "send_task", lambda *a, **kw: None)  # tasks lost
    slavery(staff["frontline_south"])
    raised = [slavery(staff["frontline"]) for _ in range(3)]
    owed = PossibleMatch.objects.filter(case__in=raised, tell_leads=True)
    assert owed.count() == 3
    monkeypatch.setattr("casework.matching.TELL_LEADS_BATCH", 2)
    later = max(m.found_at for m in owed) + TELL_LEADS_GRACE + timedelta(seconds=1)
    assert possible_match_leads_tell(now=later) == 3  # one lead.south each
    assert not owed.filter(leads_told_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_prevent_match_leaks_to_no_one_who_is_not_cleared(client, staff):
    prevent_case = default_raise(prevent.WORKFLOW, staff["lead"])(
        {
            "summary": "Shares extremist videos.",
            "concerns": "Talks of travelling abroad.",
            "subject_given_names": "Daniel",
            "subject_family_name": "Hughes",
            "subject_date_of_birth": "2009-05-01",
        }
    )
    data = slavery_data(given="Daniel", family="Hughes", born="2009-05-01")
    page = check_page(client, staff["frontline"], data)
    assert prevent_case.reference not in page
    assert "already known" not in page
    client.post(CHECK, {})
    case = Case.objects.order_by("-pk").first()
    assert PossibleMatch.objects.filter(case=case, matched_case=prevent_case).exists()
    for who in ("frontline", "lead"):
        client.force_login(staff[who])
        html = client.get(f"/cases/{case.reference}/").content.decode()
        assert prevent_case.reference not in html, who
        assert "Possible matches" not in html, who
    # Only the Prevent-cleared lead who acts on the Prevent case is told, and sees it.
    possible_match_leads_tell(case_id=case.pk)
    assert {m.recipient for m in OutboxMessage.objects.filter(template="case.possible_match")} == {
        staff["cleared"]
    }
    client.force_login(staff["cleared"])
    html = client.get(f"/cases/{case.reference}/").content.decode()
    assert prevent_case.reference in html
    # The matches' statement is kept (casework.statements): built by Django each time,
    # every one of them sees the same matches, reasons and count of other teams'.
    for who in ("frontline", "lead", "cleared", "lead_south"):
        kept = _seen(possible_matches_for_user(staff[who], case))
        with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
            assert _seen(possible_matches_for_user(staff[who], case)) == kept, who
    assert _seen(possible_matches_for_user(staff["cleared"], case))[0] == [
        (
            prevent_case.reference,
            prevent_case.case_type,
            ["same family name", "same given name", "same date of birth"],
        )
    ]


def _seen(matches) -> tuple[list, int]:
    shown = [
        (m.matched_case.reference, m.matched_case.case_type, m.reasons) for m in matches.visible
    ]
    return shown, matches.other_teams


@pytest.mark.django_db
def test_a_person_the_raiser_may_not_see_cannot_be_linked_by_the_service(staff):
    theirs = slavery(staff["frontline_south"])
    with pytest.raises(ValidationError) as raised:
        case_raise(
            actor=staff["frontline"],
            case_type="modern_slavery",
            data=slavery_data(),
            existing_people={"subject": theirs.case_people.get().person},
        )
    assert "link_subject" in raised.value.message_dict


@pytest.mark.django_db
def test_known_premises_are_offered_linked_and_listed_with_repeat_addresses(client, staff):
    frontline = staff["frontline"]
    first = default_raise(cuckooing.WORKFLOW, frontline)(cuckooing_data())
    again = default_raise(cuckooing.WORKFLOW, frontline)(
        cuckooing_data(address="12 Acacia Ave\nLeeds", postcode="ls61aa")
    )
    assert again.premises != first.premises  # recorded twice before matching existed
    elsewhere = default_raise(cuckooing.WORKFLOW, staff["frontline_south"])(cuckooing_data())
    page = check_page(
        client, frontline, cuckooing_data(address="12 Acacia Avenue"), CUCKOOING_CHECK, "cuckooing"
    )
    assert "Is this address already known?" in page
    assert f'value="{first.premises_id}"' in page
    assert elsewhere.reference not in page
    premises_before = Premises.objects.count()
    client.post(CUCKOOING_CHECK, {"link_premises": str(first.premises_id)})
    linked = Case.objects.order_by("-pk").first()
    assert linked.premises == first.premises
    assert Premises.objects.count() == premises_before
    # The premises page lists every case at the address the viewer may see.
    client.force_login(staff["lead"])
    html = client.get(f"/premises/{first.premises_id}/").content.decode()
    for case in (first, again, linked):
        assert case.reference in html
    assert elsewhere.reference not in html
    client.force_login(staff["lead_south"])
    assert client.get(f"/premises/{first.premises_id}/").status_code == 404
    html = client.get(f"/premises/{elsewhere.premises_id}/").content.decode()
    assert elsewhere.reference in html
    assert first.reference not in html


@pytest.mark.django_db
def test_the_premises_cases_kept_are_the_orms_and_another_premises_compiles_nothing(staff):
    """A premises page's cases, read through statements compiled once per access key,
    are those the ORM reads for every viewer (the raiser, their lead, another team's, a
    Prevent lead; the address recorded twice, and another team's case at it); the
    page of other premises then builds and compiles no query of its own."""
    from django.db.models.sql.compiler import SQLCompiler

    frontline = staff["frontline"]
    first = default_raise(cuckooing.WORKFLOW, frontline)(cuckooing_data())
    again = default_raise(cuckooing.WORKFLOW, frontline)(
        cuckooing_data(address="12 Acacia Ave\nLeeds", postcode="ls61aa")
    )
    default_raise(cuckooing.WORKFLOW, staff["frontline_south"])(cuckooing_data())
    other = default_raise(cuckooing.WORKFLOW, frontline)(
        cuckooing_data(address="3 Elm Row\nLeeds", postcode="LS2 9ZZ")
    )

    def cases(user, premises) -> list[tuple]:
        return [(c.pk, c.reference, c.team.name) for c in premises_cases_for_user(user, premises)]

    seen = 0
    for user in staff.values():
        for premises in {first.premises, again.premises, other.premises}:
            statements.clear()
            kept = cases(user, premises)
            with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
                assert cases(user, premises) == kept, (user, premises)
            seen += len(kept)
    assert seen >= 8
    assert {c[0] for c in cases(staff["lead"], first.premises)} == {first.pk, again.pk}
    compiled = []
    real = SQLCompiler.as_sql
    try:
        SQLCompiler.as_sql = lambda *a, **k: compiled.append(a) or real(*a, **k)
        assert [c[0] for c in cases(staff["lead"], other.premises)] == [other.pk]
    finally:
        SQLCompiler.as_sql = real
    assert [c[0].query.model for c in compiled if c[0].query.model is Case] == []


@pytest.mark.django_db
def test_intake_matching_costs_the_same_queries_with_more_known_cases(staff):
    frontline = staff["frontline"]
    people = {"subject": {"given_names": "John", "family_name": "Smith", "phone": "07700900123"}}
    slavery(frontline, subject_phone="07700 900123")

    def count() -> int:
        user = type(frontline).objects.get(pk=frontline.pk)  # as a request reads it
        with CaptureQueriesContext(connection) as captured:
            matches = intake_matches_for_user(user, people=people, premises={})
        assert matches.people
        return len(captured)

    few = count()
    for _ in range(5):
        slavery(frontline, subject_phone="07700 900123")
    assert count() == few


@pytest.mark.django_db
def test_person_and_premises_pages_cost_the_same_queries_with_more_allocated_cases(client, staff):
    """A row of these pages reads nothing more per case (its owner included): the same
    queries for one allocated case as for four."""
    lead = staff["lead"]
    first = default_raise(cuckooing.WORKFLOW, staff["frontline"])(cuckooing_data())
    person = first.case_people.first().person
    client.force_login(lead)

    def count(path: str) -> int:
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    pages = [f"/people/{person.pk}/", f"/premises/{first.premises_id}/"]
    Case.objects.filter(pk=first.pk).update(owner=lead)
    few = [count(path) for path in pages]
    for _ in range(3):
        again = default_raise(cuckooing.WORKFLOW, staff["frontline"])(cuckooing_data())
        again.case_people.update(person=person)
        Case.objects.filter(pk=again.pk).update(owner=lead, premises=first.premises)
    html = client.get(pages[0]).content.decode()
    assert html.count("data-reference=") == 4
    assert [count(path) for path in pages] == few


@pytest.mark.django_db
def test_matches_in_several_teams_tell_each_cases_leads_in_queries_that_do_not_grow(
    staff, teams, make_user
):
    """Each matched case of another team, or in the Prevent compartment, is told to the
    leads who act on it (case_leads: the Prevent-cleared only for a Prevent case; no one
    inactive, no frontline worker), whichever teams the matches are in; the leads of
    all the matched teams are read at once, so a raise matching cases in three teams
    makes no more queries than one matching a single team's case."""
    east = team_ensure(slug="east", name="East locality team")
    teams["east"] = east
    lead_east = make_user("lead.east", Role.LEAD, ["east"])
    gone = make_user("lead.east.gone", Role.LEAD, ["east"])
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    cleared_south = make_user("prevent.lead.south", Role.PREVENT_LEAD, ["south"])
    make_user("frontline.east", Role.FRONTLINE, ["east"])
    person = {"given": "Daniel", "family": "Hughes", "born": "2009-05-01"}

    def raise_counted() -> tuple[Case, int]:
        raiser = type(staff["frontline"]).objects.get(pk=staff["frontline"].pk)  # as read
        with CaptureQueriesContext(connection) as captured:
            case = slavery(raiser, **person)
            possible_match_leads_tell(case_id=case.pk)
        return case, len(captured)

    south = slavery(staff["frontline_south"], **person)
    _, one_team = raise_counted()
    east_case = slavery(make_user("frontline.east2", Role.FRONTLINE, ["east"]), **person)
    prevent_south = default_raise(prevent.WORKFLOW, staff["lead_south"])(
        {
            "summary": "Shares extremist videos.",
            "concerns": "Talks of travelling abroad.",
            "subject_given_names": "Daniel",
            "subject_family_name": "Hughes",
            "subject_date_of_birth": "2009-05-01",
        }
    )
    OutboxMessage.objects.filter(template="case.possible_match").delete()
    new, three_teams = raise_counted()
    told = {
        (m.recipient.username, m.case.reference)
        for m in OutboxMessage.objects.filter(template="case.possible_match").select_related(
            "recipient", "case"
        )
        if new.reference in m.body
    }
    assert told == {
        ("lead.south", south.reference),
        ("prevent.lead.south", south.reference),
        ("lead.east", east_case.reference),
        ("prevent.lead.south", prevent_south.reference),
    }
    assert {cleared_south.username, lead_east.username} <= {who for who, _ in told}
    assert three_teams == one_team


@pytest.mark.django_db
def test_kept_statements_compare_each_intake_with_its_own_candidates(staff):
    """The candidates' cases and people, and the index entries the raises wrote, are read
    by statements compiled once with the ids given each time (casework.statements): each
    intake is compared with its own candidates, and the entries are those Django's own
    queries write."""
    statements.clear()
    frontline = staff["frontline"]
    user = type(frontline).objects.get(pk=frontline.pk)
    smiths = [slavery(frontline) for _ in range(2)]
    khans = [slavery(frontline, given="Amir", family="Khan", born="1990-01-02")]

    def matched(given, family, born) -> set[int]:
        people = {"subject": {"given_names": given, "family_name": family, "date_of_birth": born}}
        found = intake_matches_for_user(user, people=people, premises={})
        return {c.pk for m in found.people for c in m.cases}

    asked = [("John", "Smith", "1985-03-12", smiths), ("Amir", "Khan", "1990-01-02", khans)]
    for given, family, born, expected in asked * 2:
        assert matched(given, family, born) == {c.pk for c in expected}
    assert matched("Mary", "Jones", "1970-07-07") == set()
    written = dict(CaseSearchEntry.objects.values_list("case_id", "document"))
    with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
        for given, family, born, expected in asked:
            assert matched(given, family, born) == {c.pk for c in expected}
        search_index_update(written)
    assert dict(CaseSearchEntry.objects.values_list("case_id", "document")) == written
