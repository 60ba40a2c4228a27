"""The "Not sure which" route (issue 19, point 5): a raiser not sure of the type raises a
short general concern; a lead of the team chooses its type, which turns it into a case
of that type (same reference, people, answers and history), audited, with Prevent
need-to-know from then on."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from casework.models import AuditEvent, Case, CasePerson
from casework.roles import Role
from notifications.models import OutboxMessage
from workflows.models import CaseStateChange, Deadline, IntakeDraft
from workflows.registry import WORKFLOWS
from workflows.services import case_transition

GENERAL = {
    "summary": "Worried about a young man at the car wash.",
    "subject_given_names": "A young man in a red coat",
    "subject_estimated_age": "19",
    "location": "The car wash on Mill Lane, Northtown",
    "what_happened": "He sleeps there and says he is not paid. A van collects him at 6am.",
    "immediate_risk": "false",
}


def raise_general(client, user, data=None) -> Case:
    client.force_login(user)
    response = client.post("/concerns/new/", {"case_type": "unclassified"})
    assert response.status_code == 302
    assert response.url == "/concerns/new/unclassified/"
    response = client.post("/concerns/new/unclassified/", {**GENERAL, **(data or {})})
    assert response.status_code == 302, response.content.decode()
    # One short page, then "Check your answers" for the draft it started.
    draft = IntakeDraft.objects.get(author=user, case_type="unclassified")
    assert response.url == f"/concerns/new/unclassified/check/?draft={draft.pk}"
    response = client.post(response.url)
    assert response.status_code == 302, response.content.decode()
    return Case.objects.get(raised_by=user, case_type="unclassified")


def classify(client, lead, case: Case, concern_type: str):
    client.force_login(lead)
    url = f"/cases/{case.reference}/actions/classify/"
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, {"concern_type": concern_type, "version": str(case.version)})


@pytest.mark.django_db
def test_the_type_page_says_when_to_choose_each_type_and_offers_not_sure(client, frontline):
    client.force_login(frontline)
    page = client.get("/concerns/new/").content.decode()
    for case_type in ("modern_slavery", "cuckooing", "cse", "prevent", "community_trigger"):
        assert escape(WORKFLOWS[case_type].choose_when) in page, case_type
    assert "Not sure which" in page
    assert 'value="unclassified"' in page
    # "Not sure" comes last, after an "or".
    assert page.index('value="unclassified"') > page.index('value="community_trigger"')
    assert '<div class="govuk-radios__divider">or</div>' in page


@pytest.mark.django_db
def test_the_general_concern_asks_who_where_what_and_risk_only(client, frontline):
    client.force_login(frontline)
    page = client.get("/concerns/new/unclassified/").content.decode()
    assert "Who is the concern about?" in page
    assert "Where did it happen" in page
    assert "What happened, or what have you seen or been told?" in page
    assert "Is anyone at immediate risk?" in page
    assert page.count('class="govuk-form-group') <= 8


@pytest.mark.django_db
def test_raising_a_general_concern_makes_a_case_and_tells_the_teams_leads(client, frontline, lead):
    case = raise_general(client, frontline)
    assert case.state == "awaiting_type"
    assert case.team.slug == "north"
    assert case.details["what_happened"].startswith("He sleeps there")
    subject = CasePerson.objects.get(case=case, role="subject").person
    assert subject.given_names == "A young man in a red coat"
    assert subject.estimated_age == 19
    told = OutboxMessage.objects.filter(recipient=lead, template="case.raised")
    assert told.filter(subject__contains=case.reference).exists()
    client.force_login(lead)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "Waiting for a lead to choose the type" in page
    assert "Choose the type of concern" in page


@pytest.mark.django_db
def test_a_lead_chooses_the_type_and_the_case_keeps_its_reference_people_and_history(
    client, frontline, lead
):
    case = raise_general(client, frontline)
    reference, raised_at = case.reference, case.raised_at
    response = classify(client, lead, case, "modern_slavery")
    assert response.status_code == 302
    assert response.url == f"/cases/{reference}/"
    case = Case.objects.get(pk=case.pk)
    assert case.reference == reference
    assert case.case_type == "modern_slavery"
    assert case.state == WORKFLOWS["modern_slavery"].initial_state
    assert case.raised_at == raised_at
    assert case.details["what_happened"].startswith("He sleeps there")
    assert CasePerson.objects.filter(case=case, role="subject").exists()
    changes = list(CaseStateChange.objects.filter(case_id=case.pk).order_by("id"))
    assert [(c.case_type, c.to_state) for c in changes] == [
        ("unclassified", "awaiting_type"),
        ("modern_slavery", "concern_raised"),
    ]
    verbs = list(AuditEvent.objects.filter(case=case).values_list("verb", flat=True))
    assert "case.raised" in verbs
    assert "case.transitioned" in verbs
    changed = AuditEvent.objects.get(case=case, verb="case.updated")
    assert changed.actor_id == lead.pk
    assert changed.data["before"]["type"] == "General concern"
    assert changed.data["after"]["type"] == "Modern slavery"
    assert changed.data["case_type"] == "modern_slavery"
    page = client.get(f"/cases/{reference}/").content.decode()
    assert "Modern slavery" in page
    assert "What happened, or what have you seen or been told?" in page  # its answers
    history = client.get(f"/cases/{reference}/history/").content.decode()
    assert "Choose the type of concern" in history
    assert "General concern" in history


@pytest.mark.django_db
def test_the_new_types_intake_clocks_start_from_when_the_concern_was_raised(
    client, frontline, lead
):
    case = raise_general(client, frontline)
    classify(client, lead, case, "cuckooing")
    rules = {r.name for r in WORKFLOWS["cuckooing"].rules_starting_on("raise")}
    clocks = Deadline.objects.filter(case=case)
    assert {d.rule for d in clocks} == rules
    assert all(d.started_at >= case.raised_at for d in clocks)


@pytest.mark.django_db
def test_only_a_lead_of_the_team_chooses_the_type(client, frontline, make_user):
    case = raise_general(client, frontline)
    client.force_login(frontline)
    assert client.get(f"/cases/{case.reference}/actions/classify/").status_code == 403
    south = make_user("lead.south", Role.LEAD, ["south"])
    client.force_login(south)
    assert client.get(f"/cases/{case.reference}/actions/classify/").status_code == 404
    assert Case.objects.get(pk=case.pk).case_type == "unclassified"


@pytest.mark.django_db
def test_a_bad_choice_is_refused_and_changes_nothing(client, frontline, lead):
    case = raise_general(client, frontline)
    for choice in ("", "burglary", "unclassified", "dhr"):
        response = classify(client, lead, case, choice)
        assert response.status_code == 400, choice
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.case_type, fresh.state) == ("unclassified", "awaiting_type")
    assert not AuditEvent.objects.filter(case=case, verb="case.updated").exists()


@pytest.mark.django_db
def test_classified_as_prevent_it_is_need_to_know(client, frontline, lead, prevent_lead):
    case = raise_general(client, frontline)
    response = classify(client, lead, case, "prevent")
    # The uncleared lead who chose the type can no longer open it.
    assert response.status_code == 302
    assert response.url == "/cases/"
    assert client.get(f"/cases/{case.reference}/").status_code == 404
    # Prevent-cleared leads are told and can open it.
    told = OutboxMessage.objects.filter(recipient=prevent_lead, subject__contains=case.reference)
    assert told.filter(subject__startswith="New prevent concern").exists()
    client.force_login(prevent_lead)
    assert client.get(f"/cases/{case.reference}/").status_code == 200
    # Its raiser now sees only that it was received.
    client.force_login(frontline)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "He sleeps there" not in page
    assert "car wash" not in page


@pytest.mark.django_db
def test_a_lead_may_close_it_as_not_a_safeguarding_concern(client, frontline, lead):
    case = raise_general(client, frontline)
    client.force_login(lead)
    url = f"/cases/{case.reference}/actions/close_not_safeguarding/"
    response = client.post(
        url, {"rationale": "A tenancy dispute, passed to housing.", "version": str(case.version)}
    )
    assert response.status_code == 302
    case = Case.objects.get(pk=case.pk)
    assert (case.case_type, case.state) == ("unclassified", "closed")
    assert case.closed_at is not None


@pytest.mark.django_db
def test_the_service_returns_the_case_as_its_new_type(client, frontline, lead):
    """What the API answers after the step: the case as it now is."""
    case = raise_general(client, frontline)
    returned = case_transition(case=case, actor=lead, name="classify", data={"concern_type": "cse"})
    assert (returned.case_type, returned.state) == ("cse", "concern_raised")
    assert type(returned) is WORKFLOWS["cse"].model
