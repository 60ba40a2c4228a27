"""Urgency first (issue 19): a concern raised with someone at immediate risk (each type's
own question) is flagged on the case, tells the team's leads at once in the app and by
email with a link to the case, shows the raiser what to do now (999, then the team's duty
lead by name and number) and puts a warning banner at the top of the case page."""

from __future__ import annotations

import importlib
import re

import pytest
from django.core import mail
from django.db import connection

from casework.models import AuditEvent, Case, Team
from casework.roles import Role
from notifications.models import Channel, Notification, OutboxMessage
from notifications.services import outbox_deliver
from tests.workflows.walker import default_raise, sample_values
from workflows import cse, cuckooing, modern_slavery, prevent
from workflows.services import case_raise

ADULT = {"subject_date_of_birth": "1990-01-01", "subject_estimated_age": None}
CHILD = {"subject_estimated_age": 15, "subject_date_of_birth": None}
# Each type's own question, and data its intake accepts.
TYPES = [
    (modern_slavery.WORKFLOW, "immediate_risk", ADULT),
    (cse.WORKFLOW, "immediate_danger", CHILD),
    (prevent.WORKFLOW, "immediate_risk", ADULT),
    (cuckooing.WORKFLOW, "immediate_risk", {"premises_postcode": "NT1 4AB"}),
]


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def north(db, teams):
    team = teams["north"]
    team.duty_lead_name, team.duty_phone = "Priya Shah", "01632 960 001"
    team.save()
    return team


@pytest.fixture
def people(make_user, north):
    lead = make_user("lead.north", Role.LEAD, ["north"])
    lead.email = "lead.north@example.org"
    lead.save()
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "lead": lead,
        "prevent_lead": make_user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
        "lead_south": make_user("lead.south", Role.LEAD, ["south"]),
    }


def raise_one(workflow, actor, urgent: bool, **extra):
    field = workflow.urgency_field
    data = {**dict(next(t[2] for t in TYPES if t[0] is workflow)), field: urgent, **extra}
    return default_raise(workflow, actor)(data)


@pytest.mark.django_db
@pytest.mark.parametrize(("workflow", "field", "data"), TYPES, ids=[t[0].case_type for t in TYPES])
def test_each_types_own_question_sets_the_flag(people, workflow, field, data):
    assert workflow.urgency_field == field
    raiser = people["prevent_lead"] if workflow is prevent.WORKFLOW else people["frontline"]
    yes = default_raise(workflow, raiser)({**data, field: True})
    no = default_raise(workflow, raiser)({**data, field: False})
    assert Case.objects.get(pk=yes.pk).immediate_risk is True
    assert Case.objects.get(pk=no.pk).immediate_risk is False


@pytest.mark.django_db
def test_a_cuckooing_concern_need_not_answer_the_question(people):
    fields = [f for f in cuckooing.WORKFLOW.intake_fields if f.name == "immediate_risk"]
    assert fields
    assert not fields[0].required
    data = sample_values(cuckooing.WORKFLOW.intake_fields, {"premises_postcode": "NT1 4AB"})
    del data["immediate_risk"]
    data["summary"] = "Raised by a client that does not know the question."
    case = case_raise(actor=people["frontline"], case_type="cuckooing", data=data)
    assert case.immediate_risk is False


@pytest.mark.django_db
def test_the_teams_leads_are_told_at_once_in_the_app_and_by_email(people, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = raise_one(modern_slavery.WORKFLOW, people["frontline"], True)

    urgent = OutboxMessage.objects.filter(template="case.raised_urgent")
    in_app = urgent.filter(channel=Channel.IN_APP)
    assert {m.recipient for m in in_app} == {people["lead"], people["prevent_lead"]}
    assert all(m.link == f"/cases/{case.reference}/" for m in urgent)
    assert all("Immediate risk" in m.subject and case.reference in m.subject for m in urgent)
    # Email goes to each lead with an address; the other team's lead hears nothing.
    (email,) = urgent.filter(channel=Channel.EMAIL)
    assert email.recipient == people["lead"]
    assert not OutboxMessage.objects.filter(recipient=people["lead_south"]).exists()
    # Nothing in the email names the person or the type: only the reference and a link.
    assert "Kowalska" not in email.body
    assert "slavery" not in (email.subject + email.body).lower()

    for message in urgent:
        assert outbox_deliver(message_id=message.pk)
    (sent,) = mail.outbox
    assert sent.to == ["lead.north@example.org"]
    assert f"{settings.SAFECASE_BASE_URL.rstrip('/')}/cases/{case.reference}/" in sent.body
    notification = Notification.objects.get(recipient=people["lead"])
    assert notification.link == f"/cases/{case.reference}/"


@pytest.mark.django_db
def test_a_concern_with_no_immediate_risk_sends_the_usual_message_and_no_email(people):
    raise_one(modern_slavery.WORKFLOW, people["frontline"], False)
    assert not OutboxMessage.objects.filter(template="case.raised_urgent").exists()
    assert not OutboxMessage.objects.filter(channel=Channel.EMAIL).exists()
    assert OutboxMessage.objects.filter(template="case.raised").count() == 2


@pytest.mark.django_db
def test_an_urgent_prevent_concern_tells_only_cleared_leads(people):
    raise_one(prevent.WORKFLOW, people["prevent_lead"], True)
    told = {m.recipient for m in OutboxMessage.objects.filter(template="case.raised_urgent")}
    assert told == {people["prevent_lead"]}


@pytest.mark.django_db
def test_the_raiser_is_told_what_to_do_now(client, people):
    case = raise_one(modern_slavery.WORKFLOW, people["frontline"], True)
    client.force_login(people["frontline"])
    page = text(client.get(f"/concerns/raised/{case.reference}/"))
    assert "govuk-panel--interruption" in page
    assert "Someone is at immediate risk: act now" in page
    assert page.index("call 999") < page.index("Priya Shah")
    assert "Priya Shah" in page
    assert 'href="tel:01632960001"' in page
    assert "01632 960 001" in page
    assert case.reference in page
    assert "sent an alert about this concern" in page


@pytest.mark.django_db
def test_without_a_duty_lead_the_page_still_says_whom_to_call(client, people, north):
    north.duty_lead_name = north.duty_phone = ""
    north.duty_lead_contact = "Duty desk, 01632 960 999"
    north.save()
    case = raise_one(cse.WORKFLOW, people["frontline"], True)
    client.force_login(people["frontline"])
    page = text(client.get(f"/concerns/raised/{case.reference}/"))
    assert "call 999" in page
    assert "Duty desk, 01632 960 999" in page


@pytest.mark.django_db
def test_a_concern_with_no_immediate_risk_gets_the_usual_confirmation(client, people):
    case = raise_one(modern_slavery.WORKFLOW, people["frontline"], False)
    client.force_login(people["frontline"])
    page = text(client.get(f"/concerns/raised/{case.reference}/"))
    assert "govuk-panel--interruption" not in page
    assert "Priya Shah" not in page


@pytest.mark.django_db
def test_the_case_page_warns_everyone_who_may_see_it(client, people):
    urgent = raise_one(modern_slavery.WORKFLOW, people["frontline"], True)
    calm = raise_one(modern_slavery.WORKFLOW, people["frontline"], False)
    for who in ("lead", "prevent_lead", "frontline"):  # the raiser sees the raiser's page
        client.force_login(people[who])
        page = text(client.get(f"/cases/{urgent.reference}/"))
        assert 'data-section="urgent-banner"' in page, who
        assert page.index("urgent-banner") < page.index("<h1"), who
        assert "urgent-banner" not in text(client.get(f"/cases/{calm.reference}/")), who
    client.force_login(people["lead_south"])
    assert client.get(f"/cases/{urgent.reference}/").status_code == 404


@pytest.mark.django_db
def test_the_flag_is_back_filled_from_stored_intake_answers(people):
    """The migration reads each type's own answer from the details intake stored."""
    older = raise_one(cse.WORKFLOW, people["frontline"], True)
    calm = raise_one(modern_slavery.WORKFLOW, people["frontline"], False)
    Case.objects.filter(pk=older.pk).update(immediate_risk=False)  # as before the migration
    migration = importlib.import_module(
        "casework.migrations.0022_case_immediate_risk_team_duty_lead"
    )
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)
    assert Case.objects.get(pk=older.pk).immediate_risk is True
    assert Case.objects.get(pk=calm.pk).immediate_risk is False


# Team settings: the duty lead's name and phone ---------------------------------------------


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("admin", Role.ADMINISTRATOR, []))
    return client


@pytest.mark.django_db
def test_an_administrator_sets_the_duty_lead(admin_client, north):
    response = admin_client.post(
        f"/staff/teams/{north.pk}/",
        {"name": north.name, "duty_lead_name": "Sam Okafor", "duty_phone": "+44 1632 960 123",
         "reason": "New duty rota."},
    )  # fmt: skip
    assert response.status_code == 302
    north.refresh_from_db()
    assert (north.duty_lead_name, north.duty_phone) == ("Sam Okafor", "+44 1632 960 123")
    assert "Sam Okafor, +44 1632 960 123" in text(admin_client.get("/staff/teams/"))
    event = AuditEvent.objects.filter(verb="team.saved").latest("pk")
    assert event.data["duty_lead_name"] == {"before": "Priya Shah", "after": "Sam Okafor"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "phone", "message"),
    [
        ("Sam Okafor", "", "Enter the duty lead&#x27;s phone number"),
        ("", "01632 960 123", "Enter the duty lead&#x27;s name"),
        ("Sam Okafor", "call the desk", "Enter a phone number, like 01632 960 001"),
        ("Sam Okafor", "123", "Enter a phone number, like 01632 960 001"),
    ],
)
def test_a_bad_duty_lead_is_refused_and_nothing_is_saved(admin_client, north, name, phone, message):
    response = admin_client.post(
        f"/staff/teams/{north.pk}/",
        {"name": north.name, "duty_lead_name": name, "duty_phone": phone, "reason": "Rota."},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "govuk-error-summary" in response.content.decode()
    fresh = Team.objects.get(pk=north.pk)
    assert (fresh.duty_lead_name, fresh.duty_phone) == ("Priya Shah", "01632 960 001")
