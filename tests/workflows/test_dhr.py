"""Domestic Homicide Reviews (RULES.md §6): routes, clocks, the pause for criminal
proceedings, anonymised publication and the named compartment."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.audit import AuditVerb
from casework.models import AuditEvent, Case
from casework.permissions import clearance_group
from casework.roles import Role
from casework.selectors import (
    case_full_list_for_user,
    case_lead_contacts,
    case_lead_ids,
    case_leads,
    case_list_for_user,
    case_readers,
    person_list_for_user,
)
from casework.services import case_access_grant, case_allocate
from tests.workflows.walker import default_raise, sample_values, walk_all
from workflows import dhr, modern_slavery, prevent
from workflows.dhr import State
from workflows.errors import TransitionNotAllowed
from workflows.models import Deadline, DeadlineStatus
from workflows.selectors import available_transitions
from workflows.services import case_raise, case_transition

pytestmark = pytest.mark.django_db
WORKFLOW = dhr.WORKFLOW
LONDON = ZoneInfo("Europe/London")
DEATH = {
    "subject_given_names": "Joanne",
    "subject_family_name": "Marsh",
    "subject_date_of_birth": "1984-05-17",
    "alleged_perpetrator_given_names": "Gary",
    "alleged_perpetrator_family_name": "Pickering",
    "alleged_perpetrator_aliases": "Gaz",
    "date_of_death": "2026-01-04",
    "notified_on": "2026-01-06",
    "notifying_force": "Northshire Police",
    "relationship": "intimate_partner",
    "review_type": "homicide",
    "circumstances": "Found dead at home; her partner has been charged.",
}
ANONYMISED = {
    "victim_pseudonym": "Rose",
    "executive_summary": "Rose was killed by her partner in January 2026.",
    "overview_report": "Agencies knew of the abuse Rose suffered.",
}
TO_DECISION = ("start_scoping", "decide_to_review")
TO_QA = (*TO_DECISION, "notify_home_office", "establish_panel", "request_imrs",
         "draft_overview_report", "sign_off", "submit_for_quality_assurance")  # fmt: skip
TO_APPROVED = (*TO_QA, "approve_for_publication")


@pytest.fixture
def now_is(monkeypatch):
    def _set(*args):
        moment = datetime(*args, tzinfo=LONDON)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return _set


def raise_review(actor, **changes):
    data = {**DEATH, "summary": "Death notified by the police.", **changes}
    return case_raise(actor=actor, case_type="dhr", data=data)


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


def review_clock(case):
    return Deadline.objects.get(case=case, rule="review_completion")


# The process ---------------------------------------------------------------------------


def test_every_transition_and_terminal_state_is_reachable(lead):
    def before_step(case, name):
        # Resuming needs proceedings under way; the walk's path does not pause first.
        if name == "resume_after_criminal_proceedings":
            details = {**Case.objects.get(pk=case.pk).details, "criminal_proceedings": "ongoing"}
            Case.objects.filter(pk=case.pk).update(details=details)

    result = walk_all(
        WORKFLOW,
        raise_case=default_raise(WORKFLOW, lead),
        actor=lead,
        variants=[{"subject_date_of_birth": "1980-01-01", "subject_given_names": "Ann",
                   "subject_family_name": "Other"}],
        overrides={"publish": ANONYMISED},
        before_step=before_step,
    )  # fmt: skip
    assert len(result["taken"]) == len(WORKFLOW.transitions())
    assert State.CLOSED in result["reached"]


def test_a_decision_not_to_review_is_recorded_with_reasons_and_closes(lead):
    case = drive(raise_review(lead), lead, ["start_scoping"])
    case = step(case, lead, "decide_not_to_review", rationale="Death by natural causes.")
    assert case.state == State.NO_REVIEW_DECIDED
    assert case.details["decision"] == "no_review"
    assert case.details["rationale"] == "Death by natural causes."
    case = step(case, lead, "close_no_review")
    assert (case.state, case.outcome_code) == (State.CLOSED, "NO_REVIEW")


def test_the_quality_assurance_panel_can_ask_for_revisions_again_and_again(lead):
    case = drive(raise_review(lead), lead, TO_QA)
    for _ in range(2):
        case = step(case, lead, "request_revisions", revisions="Say more about housing.")
        assert case.state == State.REVISIONS_REQUESTED
        case = step(case, lead, "resubmit")
        assert case.state == State.HOME_OFFICE_QA
    assert len(case.details["qa_feedback"]) == 2


def test_the_review_type_follows_the_domestic_abuse_act_scope(lead):
    assert {v for v, _ in dhr.REVIEW_TYPES} == {"homicide", "suicide", "other_domestic_abuse_death"}
    case = raise_review(lead, review_type="suicide", abuse_types=["controlling_or_coercive"])
    assert case.details["review_type"] == "suicide"
    assert case.details["abuse_types"] == ["controlling_or_coercive"]


def test_a_death_of_a_child_under_16_is_not_a_review_and_nothing_is_written(lead):
    before = Case.objects.count()
    with pytest.raises(ValidationError) as exc:
        raise_review(lead, subject_date_of_birth="2012-03-01")
    assert "16 or over" in str(exc.value.message_dict["subject_date_of_birth"])
    with pytest.raises(ValidationError) as exc:
        raise_review(lead, date_of_death="2026-01-07")
    assert "date_of_death" in exc.value.message_dict
    assert Case.objects.count() == before


# Clocks --------------------------------------------------------------------------------


def test_every_clock_is_a_local_default_with_its_source():
    for rule in WORKFLOW.deadline_rules:
        assert not rule.statutory, rule.name
        assert "RULES.md §6" in rule.source, rule.name
    assert "[U]" in WORKFLOW.rule("decision_whether_to_review").source


def test_the_decision_is_due_a_month_after_the_death_came_to_attention(lead, now_is):
    now_is(2026, 1, 8, 10, 0)
    case = raise_review(lead)
    clock = Deadline.objects.get(case=case, rule="decision_whether_to_review")
    assert clock.started_at.astimezone(LONDON).date().isoformat() == "2026-01-06"
    assert clock.due_at.astimezone(LONDON).date().isoformat() == "2026-02-06"
    case = step(case, lead, "start_scoping", scoping_started_on="2026-01-07")
    case = step(case, lead, "decide_to_review", decided_on="2026-01-08")
    clock.refresh_from_db()
    assert clock.status == DeadlineStatus.MET


def test_the_review_is_due_six_months_after_the_decision_and_met_by_completion(lead, now_is):
    now_is(2026, 2, 2, 10, 0)
    case = drive(raise_review(lead), lead, ["start_scoping"])
    case = step(case, lead, "decide_to_review", decided_on="2026-02-02")
    clock = review_clock(case)
    assert clock.due_at.astimezone(LONDON).date().isoformat() == "2026-08-02"
    case = drive(case, lead, TO_QA[2:])
    clock.refresh_from_db()
    assert clock.status == DeadlineStatus.MET


def test_each_information_request_has_its_own_response_clock(lead, now_is):
    now_is(2026, 1, 12, 10, 0)
    case = drive(raise_review(lead), lead, ["start_scoping"])
    case = step(case, lead, "request_information", agency="Health", requested_on="2026-01-12")
    case = step(
        case, lead, "request_information", agency="Housing", requested_on="2026-01-12",
        response_due_on="2026-01-19",
    )  # fmt: skip
    clocks = list(Deadline.objects.filter(case=case, rule="agency_information_response"))
    dues = sorted(c.due_at.astimezone(LONDON).date().isoformat() for c in clocks)
    # 15 working days from Monday 12 January 2026, or the date the request set.
    assert dues == ["2026-01-19", "2026-02-02"]
    now_is(2026, 1, 14, 10, 0)
    case = step(case, lead, "record_agency_response", agency="Health", responded_on="2026-01-14")
    statuses = sorted(Deadline.objects.filter(case=case, rule="agency_information_response")
                      .values_list("status", flat=True))  # fmt: skip
    assert statuses == [DeadlineStatus.MET, DeadlineStatus.OPEN]


def test_criminal_proceedings_pause_the_review_clock_and_resume_it_with_what_was_left(lead, now_is):
    now_is(2026, 2, 2, 10, 0)
    case = drive(raise_review(lead), lead, ["start_scoping"])
    case = step(case, lead, "decide_to_review", decided_on="2026-02-02")
    case = step(case, lead, "notify_home_office", home_office_notified_on="2026-02-02")
    due = review_clock(case).due_at  # 2 August 2026

    now_is(2026, 3, 2, 10, 0)
    case = step(case, lead, "pause_for_criminal_proceedings", proceedings="Murder trial",
                pause_reason="The CPS asked the panel to wait for the verdict.")  # fmt: skip
    clock = review_clock(case)
    assert clock.status == DeadlineStatus.PAUSED
    left = due - timezone.now()
    assert clock.remaining == left.total_seconds()
    paused = AuditEvent.objects.get(case=case, verb=AuditVerb.DEADLINE_PAUSED)
    assert "Murder trial" in paused.data["reason"]
    assert "wait for the verdict" in paused.data["reason"]
    assert case.state == State.HOME_OFFICE_NOTIFIED  # the review stays where it was

    with pytest.raises(TransitionNotAllowed, match="already paused"):
        step(case, lead, "pause_for_criminal_proceedings")

    now_is(2026, 7, 1, 10, 0)
    case = step(case, lead, "resume_after_criminal_proceedings",
                proceedings_outcome="Convicted on 30 June 2026.")  # fmt: skip
    clock.refresh_from_db()
    assert clock.status == DeadlineStatus.OPEN
    assert clock.due_at == timezone.now() + left
    resumed = AuditEvent.objects.get(case=case, verb=AuditVerb.DEADLINE_RESUMED)
    assert "Convicted" in resumed.data["reason"]
    assert case.details["criminal_proceedings"] == "ended"


def test_a_review_is_not_published_while_proceedings_are_ongoing(lead):
    case = drive(raise_review(lead), lead, TO_DECISION)
    case = step(case, lead, "pause_for_criminal_proceedings")
    case = drive(case, lead, TO_APPROVED[2:])
    assert review_clock(case).status == DeadlineStatus.MET  # met while paused
    with pytest.raises(TransitionNotAllowed, match="Criminal proceedings are ongoing"):
        step(case, lead, "publish", **ANONYMISED)
    case = step(case, lead, "resume_after_criminal_proceedings")
    case = step(case, lead, "publish", **ANONYMISED)
    assert case.state == State.PUBLISHED


# Anonymised publication ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("executive_summary", "Joanne was killed by her partner."),
        ("executive_summary", "MARSH had told her GP."),
        ("overview_report", "Her partner, known as gaz, had convictions."),
        ("overview_report", "Mr Pickering was known to probation."),
    ],
)
def test_publication_refuses_a_name_the_case_records(lead, field, text):
    case = drive(raise_review(lead), lead, TO_APPROVED)
    before = (AuditEvent.objects.count(), Case.objects.get(pk=case.pk).version)
    with pytest.raises(ValidationError) as exc:
        step(case, lead, "publish", **{**ANONYMISED, field: text})
    assert "contains a name recorded in this review" in exc.value.message_dict[field][0]
    assert (AuditEvent.objects.count(), Case.objects.get(pk=case.pk).version) == before
    assert Case.objects.get(pk=case.pk).state == State.QA_APPROVED


def test_publication_refuses_family_members_names_and_a_real_name_as_pseudonym(lead):
    case = drive(raise_review(lead), lead, TO_DECISION + ("notify_home_office", "establish_panel"))
    family = [{"name": "Lorraine Marsh-Bell", "relationship": "Mother", "involvement": "met_panel"}]
    case = step(case, lead, "record_family_involvement", family_involvement=family)
    case = drive(case, lead, TO_APPROVED[4:])
    with pytest.raises(ValidationError) as exc:
        step(case, lead, "publish", **{**ANONYMISED, "overview_report": "Lorraine met the chair."})
    assert "“Lorraine”" in exc.value.message_dict["overview_report"][0]
    with pytest.raises(ValidationError) as exc:
        step(case, lead, "publish", **{**ANONYMISED, "victim_pseudonym": "Joanne"})
    assert "victim_pseudonym" in exc.value.message_dict


def test_anonymised_text_is_published(lead):
    case = drive(raise_review(lead), lead, TO_APPROVED)
    # Names inside other words are not names: "Garyville" is not "Gary".
    text = {**ANONYMISED, "overview_report": "Rose lived in Garyville; agencies missed signs."}
    case = step(case, lead, "publish", **text)
    assert case.state == State.PUBLISHED
    assert case.details["executive_summary"] == ANONYMISED["executive_summary"]


# The named compartment -----------------------------------------------------------------


@pytest.fixture
def people(make_user):
    return {
        "recorder": make_user("dhr.coordinator", Role.LEAD, ["north"]),
        "team_lead": make_user("lead.north", Role.LEAD, ["north"]),
        "prevent_lead": make_user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
        "cleared_auditor": make_user("auditor.cleared", Role.AUDITOR, []),
        "admin": make_user("admin", Role.ADMINISTRATOR, []),
    }


def _clear(user):
    group, _ = Group.objects.get_or_create(name=clearance_group("dhr"))
    user.groups.add(group)


def test_only_the_people_named_to_the_review_and_cleared_auditors_see_it(people):
    case = raise_review(people["recorder"])
    _clear(people["cleared_auditor"])
    visible = {n for n, u in people.items() if case_list_for_user(u).filter(pk=case.pk).exists()}
    assert visible == {"recorder", "cleared_auditor"}
    sees_victim = {n for n, u in people.items() if person_list_for_user(u).exists()}
    assert sees_victim == {"recorder", "cleared_auditor"}
    granted = AuditEvent.objects.get(case=case, verb=AuditVerb.ACCESS_GRANTED)
    assert granted.data["reason"] == "recorded the case"


def test_the_leads_of_many_cases_read_at_once_are_each_cases_leads(people, make_user):
    """``case_lead_ids`` (a possible match's messages) answers ``case_leads`` for every
    case at once: a review's leads are those named to it, a Prevent case's the
    Prevent-cleared, any other case's every lead of its team."""
    make_user("lead.south", Role.LEAD, ["south"])
    review = raise_review(people["recorder"])
    slavery = default_raise(modern_slavery.WORKFLOW, people["frontline"])({})
    south = default_raise(
        modern_slavery.WORKFLOW, make_user("worker.south", Role.FRONTLINE, ["south"])
    )({})
    concern = default_raise(prevent.WORKFLOW, people["team_lead"])({})
    cases = [review, slavery, south, concern]
    expected = {case.pk: [u.pk for u in case_leads(case)] for case in cases}
    assert case_lead_ids(cases) == expected
    assert expected[review.pk] == [people["recorder"].pk]
    assert expected[concern.pk] == [people["prevent_lead"].pk]
    assert len(expected[slavery.pk]) == 3
    assert len(expected[south.pk]) == 1


@pytest.mark.parametrize("compiled", [True, False])
def test_a_new_concerns_leads_are_each_cases_leads_with_their_email(people, make_user, compiled):
    """``case_lead_contacts`` (who is told of a concern just raised) answers
    ``case_leads`` with each lead's email: one kept statement serves every team, a
    Prevent case has only its Prevent-cleared leads, a review only those named to it,
    and a lead no longer active is not told."""
    south_lead = make_user("lead.south", Role.LEAD, ["south"])
    gone = make_user("lead.gone", Role.LEAD, ["north"])
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    people["team_lead"].email = ""
    people["team_lead"].save(update_fields=["email"])
    with override_settings(SAFECASE_COMPILED_CONDITIONS=compiled):
        review = raise_review(people["recorder"])
        slavery = default_raise(modern_slavery.WORKFLOW, people["frontline"])({})
        south = default_raise(
            modern_slavery.WORKFLOW, make_user("worker.south", Role.FRONTLINE, ["south"])
        )({})
        concern = default_raise(prevent.WORKFLOW, people["team_lead"])({})
        found = {case.pk: case_lead_contacts(case) for case in (review, slavery, south, concern)}
    expected = {
        case.pk: [{"pk": u.pk, "email": u.email} for u in case_leads(case)]
        for case in (review, slavery, south, concern)
    }
    assert found == expected
    assert [r["pk"] for r in found[review.pk]] == [people["recorder"].pk]
    assert [r["pk"] for r in found[concern.pk]] == [people["prevent_lead"].pk]
    assert [r["pk"] for r in found[south.pk]] == [south_lead.pk]
    north = {people[n].pk for n in ("recorder", "team_lead", "prevent_lead")}
    assert {r["pk"] for r in found[slavery.pk]} == north
    assert {r["email"] for r in found[slavery.pk] if r["pk"] == people["team_lead"].pk} == {""}


def test_an_owner_is_told_of_their_case_exactly_when_its_page_would_open_to_them(people):
    """``case_readers`` decides an owner from their roles alone where it can (a step on
    their case tells them of it); its answer is always ``case_full_list_for_user``'s,
    whoever owns which type, and an owner read with the case is not read again."""
    inactive = people["team_lead"].__class__.objects.create(username="gone", is_active=False)
    inactive.groups.set(people["team_lead"].groups.all())
    _clear(people["cleared_auditor"])
    owners = {**people, "inactive": inactive}
    cases = [
        raise_review(people["recorder"]),
        default_raise(modern_slavery.WORKFLOW, people["frontline"])({}),
        default_raise(prevent.WORKFLOW, people["team_lead"])({}),
    ]
    for case in cases:
        for name, owner in owners.items():
            Case.objects.filter(pk=case.pk).update(owner=owner)
            loaded = Case.objects.select_related("owner").get(pk=case.pk)
            expected = case_full_list_for_user(owner).filter(pk=case.pk).exists()
            assert case_readers(loaded, [owner.pk]) == ([owner.pk] if expected else []), (
                case.case_type,
                name,
            )
    ordinary = Case.objects.select_related("owner").get(pk=cases[1].pk)
    Case.objects.filter(pk=ordinary.pk).update(owner=people["frontline"])
    ordinary.owner = people["frontline"]
    with CaptureQueriesContext(connection) as queries:
        assert case_readers(ordinary, [people["frontline"].pk]) == [people["frontline"].pk]
    assert not [q for q in queries.captured_queries if 'FROM "auth_user"' in q["sql"]]


def test_a_named_lead_names_others_who_then_see_and_act(people):
    recorder, team_lead = people["recorder"], people["team_lead"]
    case = raise_review(recorder)
    with pytest.raises(PermissionDenied):
        step(case, team_lead, "start_scoping")
    assert [u.username for u in case_leads(case)] == ["dhr.coordinator"]
    with pytest.raises(ValidationError, match="not named"):
        case_allocate(case=case, actor=recorder, assignee=people["frontline"])
    case_access_grant(case=case, actor=recorder, user=team_lead)
    assert case_list_for_user(team_lead).filter(pk=case.pk).exists()
    case = step(case, team_lead, "start_scoping")
    assert case.state == State.SCOPING
    case_access_grant(case=case, actor=recorder, user=people["frontline"])
    case_allocate(case=case, actor=recorder, assignee=people["frontline"])


def test_prevent_clearance_and_team_leadership_do_not_open_a_review(people):
    case = raise_review(people["recorder"])
    for name in ("prevent_lead", "team_lead"):
        assert available_transitions(case, people[name]) == [], name
        with pytest.raises(PermissionDenied):
            step(case, people[name], "start_scoping")


def test_only_a_lead_records_a_death_for_review(people):
    with pytest.raises(PermissionDenied, match="Only a safeguarding lead"):
        raise_review(people["frontline"])


def test_pages_and_api_hide_a_review_from_those_not_named(people, client):
    case = raise_review(people["recorder"])
    _clear(people["cleared_auditor"])
    expected = {"recorder": 200, "team_lead": 404, "prevent_lead": 404, "frontline": 404,
                "auditor": 404, "cleared_auditor": 200, "admin": 404}  # fmt: skip
    got = {}
    for name, user in people.items():
        client.force_login(user)
        page = client.get(f"/cases/{case.reference}/").status_code
        api = client.get(f"/api/v1/cases/{case.reference}/").status_code
        got[name] = page if page == api else (page, api)
    assert got == expected
    client.force_login(people["cleared_auditor"])
    url = f"/cases/{case.reference}/actions/start_scoping/"
    assert client.get(url).status_code == 403


def test_the_case_type_is_offered_only_to_leads(people, client):
    client.force_login(people["frontline"])
    assert "Domestic Homicide Review" not in client.get("/concerns/new/").content.decode()
    assert client.get("/concerns/new/dhr/").status_code == 403
    assert client.post("/concerns/new/", {"case_type": "dhr"}).status_code == 200  # re-asked
    client.force_login(people["team_lead"])
    assert "Domestic Homicide Review" in client.get("/concerns/new/").content.decode()


def test_the_sweep_reminds_only_the_leads_named_to_each_review(people, now_is):
    from workflows.reminders import sweep

    now_is(2026, 1, 8, 10, 0)
    first = raise_review(people["recorder"])
    second = raise_review(people["team_lead"])
    now_is(2026, 2, 6, 10, 0)  # the due day of the decision
    sweep(at=timezone.now())
    for case, named in ((first, "recorder"), (second, "team_lead")):
        assert timedelta(0) < Deadline.objects.get(case=case).due_at - timezone.now()
        sent = AuditEvent.objects.filter(case=case, verb=AuditVerb.DEADLINE_REMINDED)
        assert [e.data["recipients"] for e in sent] == [[people[named].pk]]


def test_committee_pack_figures_count_reviews_by_year(lead, django_assert_num_queries):
    from workflows.selectors import dhr_figures

    drive(raise_review(lead), lead, TO_DECISION)
    declined = drive(raise_review(lead), lead, ["start_scoping"])
    step(declined, lead, "decide_not_to_review", decided_on="2026-02-01")
    published = drive(raise_review(lead, notified_on="2026-01-05"), lead, TO_APPROVED)
    step(published, lead, "publish", **ANONYMISED)
    raise_review(lead, notified_on="2025-12-30", date_of_death="2025-12-28")
    with django_assert_num_queries(1):  # the five counts in one pass over the reviews
        figures = dhr_figures(year=2026)
    assert figures == {
        "year": 2026, "start": date(2026, 1, 1), "end": date(2026, 12, 31), "notified": 3,
        "decided_to_review": 2, "decided_not_to_review": 1, "published": 1, "in_progress": 1,
    }  # fmt: skip
    assert dhr_figures(year=2025)["notified"] == 1
    # The committee pack asks for its reporting year (April to March) to date: the death
    # notified on 30 December 2025 and those of January 2026 are in the same year.
    reporting = dhr_figures(start=date(2025, 4, 1), end=date(2026, 3, 31))
    assert (reporting["notified"], reporting["decided_not_to_review"]) == (4, 1)
    assert dhr_figures(start=date(2026, 1, 6), end=date(2026, 1, 31))["notified"] < 3
    assert dhr_figures(start=date(2026, 4, 1), end=date(2027, 3, 31))["notified"] == 0


def test_the_access_page_names_people_to_the_review(people, client):
    case = raise_review(people["recorder"])
    client.force_login(people["recorder"])
    page = client.get(f"/cases/{case.reference}/access/").content.decode()
    assert "People named to this review" in page
    assert "its team cannot" in page
    response = client.post(f"/cases/{case.reference}/access/", {"username": "lead.north"})
    assert response.status_code == 302
    assert case_list_for_user(people["team_lead"]).filter(pk=case.pk).exists()


def test_the_audit_log_shows_a_reviews_events_only_to_cleared_auditors(people):
    from casework.audit import audit_event_list_for_user

    case = raise_review(people["recorder"])
    AuditEvent.objects.create(
        at=timezone.now(), verb="user.signed_in", actor=people["auditor"], prev_hash="0" * 64,
        hash="1" * 64,
    )  # fmt: skip
    uncleared = audit_event_list_for_user(people["auditor"], {})
    assert not uncleared.filter(case=case).exists()
    assert uncleared.filter(verb="user.signed_in").exists()
    by_reference = audit_event_list_for_user(people["auditor"], {"reference": case.reference})
    assert not by_reference.exists()
    _clear(people["cleared_auditor"])
    cleared = audit_event_list_for_user(people["cleared_auditor"], {})
    assert cleared.filter(case=case, verb="case.raised").exists()
