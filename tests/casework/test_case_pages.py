"""The case pages: the list, a case, its action forms, pausing clocks and a person's page."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.models import AuditEvent, Case, CasePerson, CasePersonRole
from casework.roles import Role
from tests.samples import ADULT, PREVENT_SUBJECT
from tests.workflows.walker import default_raise, sample_values
from workflows import community_trigger, modern_slavery, prevent
from workflows.models import BankHoliday, Deadline, DeadlineKind, DeadlineStatus
from workflows.services import case_transition

# What differs between two renders of the same page: the CSRF token, and the seconds left
# of the idle timeout (casework/sessions.py), which the second render may find one fewer.
CSRF = re.compile(r'(csrfmiddlewaretoken" value=|X-CSRFToken": |data-session-timeout=)"[^"]*"')


@pytest.fixture
def frontline(make_user):
    return make_user("frontline.north", Role.FRONTLINE, ["north"])


@pytest.fixture
def colleague(make_user):
    """Frontline in the same team, unrelated to the cases raised here."""
    return make_user("frontline.north.2", Role.FRONTLINE, ["north"])


@pytest.fixture
def frontline_south(make_user):
    return make_user("frontline.south", Role.FRONTLINE, ["south"])


@pytest.fixture
def lead(make_user):
    return make_user("lead.north", Role.LEAD, ["north"])


@pytest.fixture
def other_lead(make_user):
    return make_user("lead.south", Role.LEAD, ["south"])


@pytest.fixture
def prevent_lead(make_user):
    return make_user("prevent.lead", Role.PREVENT_LEAD, ["north"])


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", Role.AUDITOR, [])


@pytest.fixture
def slavery_case(frontline):
    """An adult modern slavery concern raised by frontline staff in the north team."""
    return default_raise(modern_slavery.WORKFLOW, frontline)(ADULT)


@pytest.fixture
def prevent_case(frontline):
    return default_raise(prevent.WORKFLOW, frontline)(PREVENT_SUBJECT)


@pytest.fixture
def trigger_case(frontline):
    """A Community Trigger application: its acknowledgement clock starts at intake."""
    return default_raise(community_trigger.WORKFLOW, frontline)({})


def case_url(case: Case) -> str:
    return f"/cases/{case.reference}/"


def action_url(case: Case, name: str) -> str:
    return f"/cases/{case.reference}/actions/{name}/"


def page(response) -> str:
    return response.content.decode()


def without_csrf(response) -> str:
    return CSRF.sub("", page(response))


def trace(case: Case) -> tuple:
    """Everything a refused request must leave as it was (a refused request for a hidden
    case is recorded for auditors, issue 20, and changes nothing)."""
    stored = Case.objects.get(pk=case.pk)
    events = AuditEvent.objects.filter(case=case).exclude(verb="access.denied")
    return stored.state, stored.version, events.count()


def take(case: Case, actor, name: str, **data) -> Case:
    fields = modern_slavery.WORKFLOW.transition_meta(name)["fields"]
    return case_transition(
        case=case,
        actor=actor,
        name=name,
        data=sample_values(fields, data),
        expected_version=case.version,
    )


# The case page ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["allocated", "lead", "auditor"])
def test_case_page_shows_the_case_to_its_worker_lead_and_auditor(
    client, request, slavery_case, colleague, who
):
    if who == "allocated":
        Case.objects.filter(pk=slavery_case.pk).update(owner=colleague)
        who = "colleague"
    client.force_login(request.getfixturevalue(who))
    response = client.get(case_url(slavery_case))
    assert response.status_code == 200
    html = page(response)
    assert slavery_case.reference in html
    assert "Seen sleeping at the car wash" in html
    assert "Maria Kowalska" in html
    assert "1 January 1990" in html
    assert "Subject" in html
    assert "Concern raised" in html  # the state, and the first event of the history
    assert "North locality team" in html
    assert "Polish" in html
    assert 'class="moj-timeline"' in html
    person = CasePerson.objects.get(case=slavery_case, role=CasePersonRole.SUBJECT).person
    assert f'href="/people/{person.pk}/"' in html


@pytest.mark.django_db
def test_its_raiser_sees_the_status_in_words_and_what_they_raised(client, frontline, slavery_case):
    """A raiser not allocated to the case sees its status and their own contributions
    (issue 17): not the step it has reached, its history or its people's pages."""
    client.force_login(frontline)
    response = client.get(case_url(slavery_case))
    assert response.status_code == 200
    html = page(response)
    assert slavery_case.reference in html
    assert "Seen sleeping at the car wash" in html  # what they raised
    assert "With the safeguarding lead for triage" in html
    assert "Concern raised" not in html  # the state's name
    assert 'class="moj-timeline"' not in html
    assert "/people/" not in html


def detail(html: str, label: str) -> str:
    """The value of the details row ``label``, its whitespace collapsed."""
    details = html.split('data-section="details"')[1].split("</dl>")[0]
    found = re.search(rf">{re.escape(label)}</dt>\s*<dd[^>]*>(.*?)</dd>", details, re.S)
    assert found, label
    return " ".join(found[1].split())


@pytest.mark.django_db
def test_case_details_are_in_words(client, lead, slavery_case):
    client.force_login(lead)
    html = page(client.get(case_url(slavery_case)))
    # A key declared once takes its label; choices show their labels, booleans Yes/No.
    assert detail(html, "Is anyone at immediate risk?") == "Yes"
    assert detail(html, "Consent status") == "Not yet asked"
    # Declared with two labels (intake and the Duty to Notify): intake's question, with
    # the choices both share shown by label.
    assert detail(html, "Types of exploitation suspected") == "Sexual exploitation"
    assert detail(html, "Nationality") == "Polish"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["other_lead", "colleague", "frontline_south"])
def test_a_hidden_case_is_the_same_404_as_a_missing_one(client, request, slavery_case, who):
    client.force_login(request.getfixturevalue(who))
    hidden = client.get(case_url(slavery_case))
    missing = client.get("/cases/SC-2000-999999/")
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf(hidden) == without_csrf(missing)
    assert slavery_case.reference not in page(hidden)


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(client, slavery_case):
    for url in (
        "/cases/",
        case_url(slavery_case),
        action_url(slavery_case, "start_triage"),
        "/people/1/",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/sign-in/?next=")


@pytest.mark.django_db
def test_only_a_lead_sees_the_actions(client, frontline, lead, auditor, slavery_case):
    client.force_login(lead)
    html = page(client.get(case_url(slavery_case)))
    assert 'data-action="start_triage"' in html
    assert f'href="{action_url(slavery_case, "start_triage")}"' in html
    # Only what is possible now: closing needs triage first.
    assert 'data-action="close_no_grounds"' not in html
    client.force_login(auditor)
    html = page(client.get(case_url(slavery_case)))
    assert "data-action=" not in html
    assert "There is nothing you can do on this case now." in html
    # Its raiser gets the raiser's page: no steps, only adding their own notes and files.
    client.force_login(frontline)
    html = page(client.get(case_url(slavery_case)))
    assert "data-action=" not in html
    assert action_url(slavery_case, "start_triage") not in html
    assert f'href="/cases/{slavery_case.reference}/notes/new/"' in html


@pytest.mark.django_db
def test_actions_follow_the_state_and_the_guards(client, lead, slavery_case):
    take(slavery_case, lead, "start_triage")
    client.force_login(lead)
    html = page(client.get(case_url(slavery_case)))
    assert 'data-action="close_no_grounds"' in html
    assert 'data-action="seek_consent"' in html  # an adult
    assert 'data-action="notify_child_welfare"' not in html  # the child route's guard


# The transition form ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_lead_takes_a_step_through_its_form(client, lead, slavery_case):
    client.force_login(lead)
    form = client.get(action_url(slavery_case, "start_triage"))
    assert form.status_code == 200
    html = page(form)
    assert f'name="version" value="{slavery_case.version}"' in html
    assert 'name="immediate_risk" type="radio" value="true"' in html  # shared GOV.UK controls
    response = client.post(
        action_url(slavery_case, "start_triage"),
        {"immediate_risk": "true", "police_informed": "false", "version": slavery_case.version},
    )
    assert response.status_code == 302
    assert response.url == case_url(slavery_case)
    stored = Case.objects.get(pk=slavery_case.pk)
    assert stored.state == modern_slavery.State.TRIAGE
    assert stored.version == slavery_case.version + 1
    assert stored.details["police_informed"] is False
    after = page(client.get(response.url))
    assert "Start triage: done" in after
    assert "govuk-notification-banner--success" in after
    assert "Concern raised → Safeguarding triage" in after


@pytest.mark.django_db
def test_a_missing_required_field_is_400_with_errors_and_changes_nothing(
    client, lead, slavery_case
):
    case = take(slavery_case, lead, "start_triage")
    before = trace(case)
    client.force_login(lead)
    response = client.post(action_url(case, "close_no_grounds"), {"version": case.version})
    assert response.status_code == 400
    html = page(response)
    assert "govuk-error-summary" in html
    assert 'href="#rationale"' in html
    assert "Enter why there are no reasonable grounds" in html
    assert 'id="rationale-error"' in html
    assert trace(case) == before


@pytest.mark.django_db
def test_an_unanswered_yes_no_question_is_not_read_as_no(client, lead, slavery_case):
    before = trace(slavery_case)
    client.force_login(lead)
    response = client.post(
        action_url(slavery_case, "start_triage"),
        {"immediate_risk": "true", "version": slavery_case.version},
    )
    assert response.status_code == 400
    html = page(response)
    assert "Select yes if the police have been told" in html
    # The answer given is kept.
    assert 'id="immediate_risk" name="immediate_risk" type="radio" value="true" checked' in html
    assert f'name="version" value="{slavery_case.version}"' in html
    assert trace(slavery_case) == before


@pytest.mark.django_db
def test_a_stale_form_is_409_and_changes_nothing(client, lead, slavery_case):
    client.force_login(lead)
    shown_at = slavery_case.version
    case = take(slavery_case, lead, "start_triage")  # someone else moved it on meanwhile
    before = trace(case)
    response = client.post(
        action_url(case, "close_no_grounds"), {"rationale": "No indicators.", "version": shown_at}
    )
    assert response.status_code == 409
    html = page(response)
    assert "govuk-error-summary" in html
    assert "This case has changed since you opened it" in html
    assert trace(case) == before


@pytest.mark.django_db
def test_a_step_not_possible_now_is_409(client, lead, slavery_case):
    before = trace(slavery_case)
    client.force_login(lead)
    shown = client.get(action_url(slavery_case, "close_no_grounds"))
    assert shown.status_code == 409
    assert "is not possible while the case is concern raised" in page(shown)
    posted = client.post(
        action_url(slavery_case, "close_no_grounds"),
        {"rationale": "No indicators.", "version": slavery_case.version},
    )
    assert posted.status_code == 409
    assert trace(slavery_case) == before


@pytest.mark.django_db
def test_a_step_whose_guard_refuses_is_409_with_its_reason(client, lead, slavery_case):
    case = take(slavery_case, lead, "start_triage")
    client.force_login(lead)
    response = client.get(action_url(case, "notify_child_welfare"))
    assert response.status_code == 409
    assert "The child route is only for a subject under 18." in page(response)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["frontline", "auditor"])
def test_a_user_who_sees_the_case_but_may_not_act_gets_403(client, request, slavery_case, who):
    before = trace(slavery_case)
    client.force_login(request.getfixturevalue(who))
    url = action_url(slavery_case, "start_triage")
    assert client.get(url).status_code == 403
    response = client.post(
        url, {"immediate_risk": "true", "police_informed": "true", "version": slavery_case.version}
    )
    assert response.status_code == 403
    assert "You cannot do this on this case." in page(response)
    assert trace(slavery_case) == before


@pytest.mark.django_db
def test_another_teams_lead_gets_404_for_an_action(client, other_lead, slavery_case):
    before = trace(slavery_case)
    client.force_login(other_lead)
    url = action_url(slavery_case, "start_triage")
    assert client.get(url).status_code == 404
    data = {"immediate_risk": "true", "police_informed": "true", "version": slavery_case.version}
    assert client.post(url, data).status_code == 404
    assert trace(slavery_case) == before
    refused = AuditEvent.objects.filter(case=slavery_case, verb="access.denied")
    assert [e.actor for e in refused] == [other_lead, other_lead]


@pytest.mark.django_db
def test_an_unknown_action_is_404(client, lead, slavery_case):
    client.force_login(lead)
    assert client.get(action_url(slavery_case, "teleport")).status_code == 404
    assert client.post(action_url(slavery_case, "teleport"), {"version": 1}).status_code == 404


# Pausing and resuming clocks --------------------------------------------------------------


def clock(case: Case) -> Deadline:
    return Deadline.objects.get(case=case, rule="acknowledgement")


def clock_url(case: Case, deadline: Deadline, verb: str) -> str:
    return f"/cases/{case.reference}/deadlines/{deadline.pk}/{verb}/"


@pytest.mark.django_db
def test_a_lead_pauses_and_resumes_a_clock(client, lead, trigger_case):
    deadline = clock(trigger_case)
    client.force_login(lead)
    html = page(client.get(case_url(trigger_case)))
    assert f'href="{clock_url(trigger_case, deadline, "pause")}"' in html
    form = client.get(clock_url(trigger_case, deadline, "pause"))
    assert form.status_code == 200
    assert 'name="reason"' in page(form)

    missing = client.post(clock_url(trigger_case, deadline, "pause"), {"reason": "  "})
    assert missing.status_code == 400
    assert "Say why the clock is paused." in page(missing)
    assert clock(trigger_case).status == DeadlineStatus.OPEN

    paused = client.post(
        clock_url(trigger_case, deadline, "pause"), {"reason": "Criminal proceedings."}
    )
    assert paused.status_code == 302
    assert clock(trigger_case).status == DeadlineStatus.PAUSED
    html = page(client.get(case_url(trigger_case)))
    assert f'action="{clock_url(trigger_case, deadline, "resume")}"' in html
    assert "Criminal proceedings." in html  # the reason, in the history

    resumed = client.post(clock_url(trigger_case, deadline, "resume"))
    assert resumed.status_code == 302
    assert clock(trigger_case).status == DeadlineStatus.OPEN
    again = client.post(clock_url(trigger_case, deadline, "resume"))
    assert again.status_code == 400
    assert "Only a paused deadline can be resumed." in page(again)


def deadline_row(html: str, deadline: Deadline) -> str:
    row = html.split(f'data-deadline="{deadline.pk}"')[1].split("</tr>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


def working_days(start, step: int, count: int):
    """The ``count``-th weekday (Monday to Friday, not a bank holiday) after or before
    ``start`` (a date), stepping one day at a time."""
    holidays = set(BankHoliday.objects.values_list("date", flat=True))
    day, found = start, 0
    while found < count:
        day += timedelta(days=step)
        if day.weekday() < 5 and day not in holidays:
            found += 1
    return day


def end_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


@pytest.mark.django_db
def test_a_clock_says_when_it_is_due_and_how_long_is_left(client, lead, trigger_case):
    """A working-day clock (the Community Trigger acknowledgement) counts working days,
    leaving out weekends and bank holidays, both before and after it is due."""
    deadline = clock(trigger_case)
    client.force_login(lead)
    today = timezone.localdate()
    due = working_days(today, +1, 3)
    Deadline.objects.filter(pk=deadline.pk).update(due_at=end_of(due))
    row = deadline_row(page(client.get(case_url(trigger_case))), deadline)
    started = timezone.localtime(deadline.started_at)
    assert (
        f"Acknowledge the application {started.day} {started:%B %Y} {due.day} {due:%B %Y} "
        "Open 3 working days left"
    ) in row
    assert "Local practice" in row

    was_due = working_days(today, -1, 2)
    Deadline.objects.filter(pk=deadline.pk).update(due_at=end_of(was_due))
    html = page(client.get(case_url(trigger_case)))
    late = sum(
        1
        for n in range(1, (today - was_due).days + 1)
        if (day := was_due + timedelta(days=n)).weekday() < 5
        and not BankHoliday.objects.filter(date=day).exists()
    )
    assert f"Overdue Overdue by {late} working day" in deadline_row(html, deadline)
    assert 'class="govuk-tag govuk-tag--red">Overdue<' in html


def words(day) -> str:
    return f"{day.day} {day:%B %Y}"


def late_working_days(due_day, today) -> int:
    return sum(
        1
        for n in range(1, (today - due_day).days + 1)
        if (day := due_day + timedelta(days=n)).weekday() < 5
        and not BankHoliday.objects.filter(date=day).exists()
    )


@pytest.mark.django_db
def test_a_missed_task_shows_overdue_until_it_is_met_and_then_how_late(client, lead, trigger_case):
    """Issue 14: the sweep marking a task missed does not make it stop looking overdue;
    once met, the page says it was met late, by how much and when."""
    deadline = clock(trigger_case)
    client.force_login(lead)
    today = timezone.localdate()
    was_due = working_days(today, -1, 4)
    Deadline.objects.filter(pk=deadline.pk).update(
        due_at=end_of(was_due), status=DeadlineStatus.MISSED
    )
    html = page(client.get(case_url(trigger_case)))
    late = late_working_days(was_due, today)
    assert f"Overdue Overdue by {late} working days" in deadline_row(html, deadline)

    met_on = working_days(was_due, +1, 2)
    met_at = timezone.make_aware(datetime.combine(met_on, time(11)))
    Deadline.objects.filter(pk=deadline.pk).update(met_at=met_at, closed_at=met_at)
    row = deadline_row(page(client.get(case_url(trigger_case))), deadline)
    assert f"Met late Met late by 2 working days, on {words(met_on)}" in row
    assert "Overdue" not in row


@pytest.mark.django_db
def test_a_task_met_on_time_says_when(client, lead, trigger_case):
    deadline = clock(trigger_case)
    client.force_login(lead)
    met_at = deadline.due_at - timedelta(days=1)
    Deadline.objects.filter(pk=deadline.pk).update(
        status=DeadlineStatus.MET, met_at=met_at, closed_at=met_at
    )
    row = deadline_row(page(client.get(case_url(trigger_case))), deadline)
    assert f"Met Met on {words(timezone.localtime(met_at))}" in row
    assert "late" not in row


@pytest.mark.django_db
def test_a_clock_started_from_a_past_date_is_overdue_at_once(client, frontline, lead):
    """An application received four weeks ago and recorded today: its acknowledgement
    (5 working days from receipt) is overdue as soon as the case exists."""
    received = timezone.localdate() - timedelta(days=28)
    case = default_raise(community_trigger.WORKFLOW, frontline)(
        {"application_received_on": received.isoformat()}
    )
    deadline = clock(case)
    assert timezone.localtime(deadline.started_at).date() == received
    client.force_login(lead)
    row = deadline_row(page(client.get(case_url(case))), deadline)
    assert f"Acknowledge the application {words(received)}" in row
    assert "Overdue Overdue by" in row


def period(case: Case, *, rule: str, due_at, status=DeadlineStatus.OPEN, label="A period"):
    return Deadline.objects.create(
        case=case, rule=rule, label=label, kind=DeadlineKind.PERIOD, unit="calendar_days",
        duration=30, statutory=True, started_at=due_at - timedelta(days=30), due_at=due_at,
        status=status, closed_at=due_at if status == DeadlineStatus.ENDED else None,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_period_shows_its_start_end_and_effect_and_is_never_overdue(client, lead, slavery_case):
    rule = modern_slavery.WORKFLOW.rule("recovery_period")
    now = timezone.now()
    running = period(slavery_case, rule=rule.name, due_at=now + timedelta(days=12),
                     label=rule.label)  # fmt: skip
    past = period(slavery_case, rule=rule.name, due_at=now - timedelta(days=3), label=rule.label)
    client.force_login(lead)
    html = page(client.get(case_url(slavery_case)))

    row = deadline_row(html, running)
    start, end = (timezone.localtime(running.started_at), timezone.localtime(running.due_at))
    assert f"Minimum recovery period Period {rule.period_effect}" in row
    assert f"{words(start)} Ends {words(end)} Running" in row
    assert "days left" in row
    # Past its end and not yet swept: it has ended, quietly; never overdue.
    row = deadline_row(html, past)
    assert f"Ended Ended on {words(timezone.localtime(past.due_at))}" in row
    assert "Overdue" not in row


@pytest.mark.django_db
def test_a_period_of_a_rule_the_workflow_does_not_declare_shows_no_effect(
    client, lead, slavery_case
):
    ended = period(slavery_case, rule="partner_response", due_at=timezone.now() - timedelta(days=1),
                   status=DeadlineStatus.ENDED)  # fmt: skip
    client.force_login(lead)
    row = deadline_row(page(client.get(case_url(slavery_case))), ended)
    assert "A period Period" in row
    assert "Ended Ended on" in row


@pytest.mark.django_db
def test_a_calendar_day_or_hours_clock_counts_days_or_hours(client, lead, trigger_case):
    deadline = clock(trigger_case)
    client.force_login(lead)
    Deadline.objects.filter(pk=deadline.pk).update(
        unit="calendar_days", due_at=timezone.now() + timedelta(days=3)
    )
    assert "Open 3 days left" in deadline_row(page(client.get(case_url(trigger_case))), deadline)
    Deadline.objects.filter(pk=deadline.pk).update(
        unit="hours", due_at=timezone.now() + timedelta(hours=5, minutes=30)
    )
    assert "Open 6 hours left" in deadline_row(page(client.get(case_url(trigger_case))), deadline)


@pytest.mark.django_db
def test_a_paused_clock_says_so_in_words(client, lead, trigger_case):
    deadline = clock(trigger_case)
    client.force_login(lead)
    Deadline.objects.filter(pk=deadline.pk).update(
        status=DeadlineStatus.PAUSED, paused_at=timezone.now(), remaining=4
    )
    row = deadline_row(page(client.get(case_url(trigger_case))), deadline)
    assert "Paused, 4 working days left" in row  # in place of its old due date (issue 19)
    assert f'<time datetime="{timezone.localtime(deadline.due_at).isoformat()}' not in row


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"), [("frontline", 403), ("auditor", 403), ("other_lead", 404)]
)
def test_others_cannot_pause_or_resume_a_clock(client, request, trigger_case, who, status):
    deadline = clock(trigger_case)
    client.force_login(request.getfixturevalue(who))
    html = page(client.get(case_url(trigger_case)))
    assert "/pause/" not in html
    for verb in ("pause", "resume"):
        url = clock_url(trigger_case, deadline, verb)
        assert client.get(url).status_code == status
        assert client.post(url, {"reason": "Because."}).status_code == status
    assert clock(trigger_case).status == DeadlineStatus.OPEN


@pytest.mark.django_db
def test_a_clock_of_another_case_is_404(client, lead, frontline, trigger_case):
    other = default_raise(community_trigger.WORKFLOW, frontline)({})
    client.force_login(lead)
    url = clock_url(trigger_case, clock(other), "pause")
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "Because."}).status_code == 404
    assert clock(other).status == DeadlineStatus.OPEN


# Prevent: need to know --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_raiser_of_a_prevent_case_sees_only_that_it_was_received(
    client, frontline, prevent_case
):
    client.force_login(frontline)
    response = client.get(case_url(prevent_case))
    assert response.status_code == 200
    html = page(response)
    assert prevent_case.reference in html
    assert "Prevent" in html
    assert "Received" in html
    assert "handled by staff with Prevent clearance" in html
    for secret in (
        "Shares extremist videos",  # the summary
        "travelling abroad",  # the details
        "Daniel",  # the people
        "Hughes",
        "Concern raised",  # the state and the history
        prevent.WORKFLOW.state_label(prevent_case.state),
        "moj-timeline",
        "Deadlines",
        "data-action",
    ):
        assert secret not in html, secret
    assert client.get(action_url(prevent_case, "submit_referral")).status_code == 403


@pytest.mark.django_db
def test_a_cleared_lead_sees_the_prevent_case_and_an_ordinary_lead_does_not(
    client, lead, prevent_lead, prevent_case
):
    client.force_login(prevent_lead)
    html = page(client.get(case_url(prevent_case)))
    assert "Shares extremist videos" in html
    assert "Daniel Hughes" in html
    assert 'data-action="submit_referral"' in html
    client.force_login(lead)
    assert client.get(case_url(prevent_case)).status_code == 404
    assert client.get(action_url(prevent_case, "submit_referral")).status_code == 404


@pytest.mark.django_db
def test_the_list_shows_a_prevent_case_to_its_raiser_as_received_only(
    client, frontline, slavery_case, prevent_case
):
    client.force_login(frontline)
    html = page(client.get("/cases/"))
    row = html.split(f'data-reference="{prevent_case.reference}"')[1].split("</tr>")[0]
    assert "Received" in row
    assert "Prevent" in row
    assert "Concern raised" not in row
    assert "North locality team" not in row
    # Filtering by state must not tell the raiser the Prevent case's state, nor that of
    # a case they see only as its raiser (issue 17); allocated to them, it matches.
    filtered = page(client.get("/cases/", {"state": prevent_case.state}))
    assert slavery_case.reference not in filtered  # also "concern_raised"
    assert prevent_case.reference not in filtered
    Case.objects.filter(pk=slavery_case.pk).update(owner=frontline)
    filtered = page(client.get("/cases/", {"state": prevent_case.state}))
    assert slavery_case.reference in filtered
    assert prevent_case.reference not in filtered


# A person ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_raiser_does_not_open_the_person_pages_of_a_case_seen_only_as_its_raiser(
    client, frontline, lead, slavery_case
):
    """Its raiser sees the case's status and their own contributions (issue 17): the
    person's page is the same 404 as a missing one until the case is allocated to them."""
    person = CasePerson.objects.get(case=slavery_case, role=CasePersonRole.SUBJECT).person
    client.force_login(frontline)
    hidden = client.get(f"/people/{person.pk}/")
    missing = client.get("/people/999999/")
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf(hidden) == without_csrf(missing)
    Case.objects.filter(pk=slavery_case.pk).update(owner=frontline)
    html = page(client.get(f"/people/{person.pk}/"))
    assert "Maria Kowalska" in html
    assert slavery_case.reference in html


@pytest.mark.django_db
def test_a_person_page_lists_only_the_cases_the_user_may_see(
    client, lead, other_lead, auditor, colleague, frontline_south, slavery_case
):
    person = CasePerson.objects.get(case=slavery_case, role=CasePersonRole.SUBJECT).person
    south = default_raise(modern_slavery.WORKFLOW, frontline_south)(ADULT)
    CasePerson.objects.create(case=south, person=person, role=CasePersonRole.OTHER)
    url = f"/people/{person.pk}/"

    client.force_login(lead)
    html = page(client.get(url))
    assert "Maria Kowalska" in html
    assert slavery_case.reference in html
    assert "Subject" in html
    assert south.reference not in html

    client.force_login(other_lead)
    html = page(client.get(url))
    assert south.reference in html
    assert slavery_case.reference not in html

    client.force_login(auditor)
    html = page(client.get(url))
    assert slavery_case.reference in html
    assert south.reference in html

    client.force_login(colleague)
    hidden = client.get(url)
    missing = client.get("/people/999999/")
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf(hidden) == without_csrf(missing)


@pytest.mark.django_db
def test_a_person_known_only_through_a_limited_case_is_404(client, frontline, prevent_case):
    person = CasePerson.objects.get(case=prevent_case, role=CasePersonRole.SUBJECT).person
    client.force_login(frontline)
    assert client.get(f"/people/{person.pk}/").status_code == 404


# The list ---------------------------------------------------------------------------------


def raise_many(actor, count: int) -> list[Case]:
    raise_case = default_raise(modern_slavery.WORKFLOW, actor)
    return [raise_case(ADULT) for _ in range(count)]


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr class="govuk-table__row" data-reference="([^"]+)"', html)


@pytest.mark.django_db
def test_the_list_runs_the_same_queries_for_5_and_40_cases(
    client, frontline, lead, django_assert_max_num_queries
):
    cases = raise_many(frontline, 5)
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(owner=lead)
    client.force_login(lead)
    few = queries_for(client, "/cases/")
    searched = "/cases/?q=kowalska&case_type=modern_slavery&owner=me&overdue=true&sort=owner"
    few_searched = queries_for(client, searched)
    more = raise_many(frontline, 35)
    Case.objects.filter(pk__in=[c.pk for c in more]).update(owner=lead)
    assert queries_for(client, searched) == few_searched
    # One more, the count: a first page that is not full is not counted (casework.counting).
    with django_assert_max_num_queries(few + 1):
        response = client.get("/cases/")
    html = page(response)
    assert len(rows_of(html)) == 25
    row = html.split(f'data-reference="{more[-1].reference}"')[1].split("</tr>")[0]
    assert "lead.north" in row  # the owner, from the same query
    assert "North locality team" in row


@pytest.mark.django_db
def test_the_list_is_newest_first_paginated_and_filtered(client, frontline, lead, trigger_case):
    cases = raise_many(frontline, 26)  # after the trigger case, which is the oldest
    newest_first = [c.reference for c in reversed(cases)]
    client.force_login(lead)
    first = page(client.get("/cases/"))
    assert 'class="govuk-service-navigation__link" href="/cases/" aria-current="page"' in first
    assert "Showing 1 to 25 of 27 cases" in first
    assert rows_of(first) == newest_first[:25]
    assert 'class="govuk-pagination"' in first
    assert 'href="?page=2"' in first
    second = page(client.get("/cases/", {"page": 2}))
    assert rows_of(second) == [cases[0].reference, trigger_case.reference]
    assert 'href="?page=1"' in second

    only = page(client.get("/cases/", {"case_type": "community_trigger"}))
    assert rows_of(only) == [trigger_case.reference]
    assert "Application received" in only
    by_state = page(client.get("/cases/", {"state": "concern_raised", "page": 2}))
    assert rows_of(by_state) == [cases[0].reference]
    assert 'href="?state=concern_raised&amp;page=1"' in by_state  # filters kept
    none = page(client.get("/cases/", {"case_type": "cse"}))
    assert rows_of(none) == []
    assert "No cases match this search and these filters." in none
    # Unknown values, and a state the chosen type does not have, are errors, not ignored.
    unknown = page(client.get("/cases/", {"case_type": "bogus", "state": "nowhere"}))
    assert "There is a problem" in unknown
    assert '<a href="#case_type">Select a type of concern from the list</a>' in unknown
    assert '<a href="#state">Select a state from the list for this type</a>' in unknown
    assert rows_of(unknown) == []
    wrong_state = page(client.get("/cases/", {"case_type": "community_trigger", "state": "triage"}))
    assert '<a href="#state">Select a state from the list for this type</a>' in wrong_state
    assert rows_of(wrong_state) == []


@pytest.mark.django_db
def test_the_list_shows_only_visible_cases(client, other_lead, slavery_case):
    client.force_login(other_lead)
    response = client.get("/cases/")
    assert response.status_code == 200
    assert slavery_case.reference not in page(response)
    assert "There are no cases for you to see yet." in page(response)
