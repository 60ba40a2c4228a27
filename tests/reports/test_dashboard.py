"""The home page's dashboards (reports/dashboards.py): each role's panels, what each
panel may count and list (visibility selectors), empty states, and a fixed number of
queries whatever the number of cases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from casework.dates import date_words
from casework.models import AuditEvent, Case, TeamMembership
from casework.roles import Role
from referrals.services import referral_send
from reports import dashboards
from reports.dashboards import PANEL_ROWS, Panel
from tests.workflows.walker import default_raise
from workflows import community_trigger, modern_slavery, prevent
from workflows.models import Deadline, DeadlineKind, DeadlineStatus, Reminder
from workflows.reminders import sweep

SLAVERY = {
    "summary": "Works at the car wash, is not paid.",
    "subject_given_names": "Maria",
    "subject_family_name": "Kowalska",
    "subject_date_of_birth": "1990-01-01",
    "subject_estimated_age": None,
}
PREVENT = {
    "summary": "Shares extremist videos with classmates.",
    "subject_given_names": "Daniel",
    "subject_family_name": "Hughes",
    "subject_date_of_birth": "1999-03-02",
    "subject_estimated_age": None,
    "concerns": "Talks of travelling abroad to fight.",
}


def html_of(client, user) -> str:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def panel(html: str, name: str) -> str:
    """The markup of one dashboard panel."""
    match = re.search(rf'<section[^>]*data-panel="{name}".*?</section>', html, re.S)
    assert match, f"no {name} panel"
    return match.group(0)


def references(html: str) -> list[str]:
    return re.findall(r'data-reference="([^"]+)"', html)


def raise_slavery(actor, count: int = 1, **values) -> list[Case]:
    raise_case = default_raise(modern_slavery.WORKFLOW, actor)
    return [raise_case({**SLAVERY, **values}) for _ in range(count)]


def raise_prevent(actor) -> Case:
    return default_raise(prevent.WORKFLOW, actor)(PREVENT)


def raise_trigger(actor) -> Case:
    """A Community Trigger application: its acknowledgement clock starts at intake."""
    return default_raise(community_trigger.WORKFLOW, actor)({})


def queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured)


# Frontline staff ----------------------------------------------------------------------------


# The service's own administration pages (issue 20).
ADMIN_PAGES = (
    "/staff/people/", "/staff/teams/", "/staff/partners/", "/staff/bank-holidays/",
    "/staff/timescales/",
)  # fmt: skip


@pytest.mark.django_db
def test_frontline_see_their_concerns_newest_first_and_a_prevent_one_only_as_received(
    client, frontline, lead
):
    older = raise_slavery(frontline)[0]
    prevent_case = raise_prevent(frontline)
    html = html_of(client, frontline)
    mine = panel(html, "raised")
    assert references(mine) == [prevent_case.reference, older.reference]
    row = mine.split(f'data-reference="{prevent_case.reference}"')[1].split("</tr>")[0]
    assert "Received" in row
    assert "Concern raised" not in row
    # A case they see only as its raiser shows its status in plain words (issue 17) ...
    older_row = mine.split(f'data-reference="{older.reference}"')[1].split("</tr>")[0]
    assert "With the safeguarding lead for triage" in older_row
    assert "Concern raised" not in older_row
    # ... and its step once it is allocated to them.
    Case.objects.filter(pk=older.pk).update(owner=frontline)
    mine = panel(html_of(client, frontline), "raised")
    older_row = mine.split(f'data-reference="{older.reference}"')[1].split("</tr>")[0]
    assert "Concern raised" in older_row
    assert "Raise a concern" in html
    assert "No open case is allocated to you" in panel(html, "allocated")


@pytest.mark.django_db
def test_frontline_see_the_open_cases_allocated_to_them(client, frontline, lead, make_user):
    other = make_user("frontline.north.2", Role.FRONTLINE, ["north"])
    theirs = raise_slavery(other, 2)
    Case.objects.filter(pk=theirs[0].pk).update(owner=frontline)
    html = html_of(client, frontline)
    assert references(panel(html, "allocated")) == [theirs[0].reference]
    assert theirs[1].reference not in html
    assert "You have not raised a concern yet" in panel(html, "raised")


@pytest.mark.django_db
def test_a_long_list_is_cut_short_with_a_link_to_all_of_them(client, frontline):
    raise_slavery(frontline, PANEL_ROWS + 2)
    mine = panel(html_of(client, frontline), "raised")
    assert len(references(mine)) == PANEL_ROWS
    assert f"({PANEL_ROWS + 2} concerns raised by you)" in mine
    assert 'href="/cases/"' in mine


# Leads ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_triage_queue_holds_the_teams_new_and_unallocated_cases_oldest_first(
    client, frontline, lead, make_user
):
    new, allocated_new, moved_on = raise_slavery(frontline, 3)
    Case.objects.filter(pk=allocated_new.pk).update(owner=lead)
    # Past the lead's triage and allocated: no longer waiting for a lead.
    Case.objects.filter(pk=moved_on.pk).update(owner=lead, state="adult_consent_sought")
    south = make_user("frontline.south", Role.FRONTLINE, ["south"])
    south_case = raise_slavery(south)[0]
    html = html_of(client, lead)
    queue = panel(html, "triage")
    assert references(queue) == [new.reference, allocated_new.reference]
    assert south_case.reference not in html
    assert "owner=unallocated" in queue


@pytest.mark.django_db
def test_full_panels_show_the_first_cases_in_their_order(client, frontline, lead):
    """A panel picks its first ids, then reads those cases (``_case_panel``): the rows
    are the first PANEL_ROWS of all the panel's cases in the panel's order, whatever
    order they were raised, allocated or flagged in."""
    cases = raise_slavery(frontline, PANEL_ROWS + 5)
    start = timezone.now() - timedelta(days=40)
    for n, case in enumerate(cases):
        # Raised out of order, a few at immediate risk, two at the same moment.
        raised = start + timedelta(days=(n * 7) % len(cases))
        Case.objects.filter(pk=case.pk).update(
            raised_at=raised if n != 3 else start, immediate_risk=n % 4 == 1,
            owner=lead if n % 5 == 0 else None,
        )  # fmt: skip
    everything = list(Case.objects.filter(pk__in=[c.pk for c in cases]))
    waiting = sorted(everything, key=lambda c: (not c.immediate_risk, c.raised_at, c.pk))
    newest = sorted(everything, key=lambda c: (c.raised_at, c.pk), reverse=True)
    mine = [c for c in newest if c.owner_id == lead.pk]

    html = html_of(client, lead)
    assert references(panel(html, "triage")) == [c.reference for c in waiting][:PANEL_ROWS]
    assert references(panel(html, "mine")) == [c.reference for c in mine][:PANEL_ROWS]
    raised = references(panel(html_of(client, frontline), "raised"))
    assert raised == [c.reference for c in newest][:PANEL_ROWS]


@pytest.mark.django_db
def test_prevent_cases_count_only_for_a_cleared_lead(client, frontline, lead, prevent_lead):
    prevent_case = raise_prevent(frontline)
    raise_slavery(frontline, 2)
    html = html_of(client, lead)
    assert prevent_case.reference not in html
    counts = panel(html, "counts")
    assert "Modern slavery" in counts
    assert "Prevent" not in counts
    assert "Concern raised: 2" in counts

    html = html_of(client, prevent_lead)
    assert prevent_case.reference in panel(html, "triage")
    counts = panel(html, "counts")
    assert "Prevent</a>: <span" in counts
    assert "/cases/?case_type=prevent&amp;state=concern_raised&amp;team=north" in counts


@pytest.mark.django_db
def test_a_lead_never_counts_another_teams_cases(client, lead, other_lead, make_user):
    south = make_user("frontline.south", Role.FRONTLINE, ["south"])
    raise_slavery(south, 3)
    html = html_of(client, lead)
    assert "Your teams have no open cases." in panel(html, "counts")
    assert "Nothing is waiting" in panel(html, "triage")
    counts = panel(html_of(client, other_lead), "counts")
    assert "Concern raised: 3" in counts
    assert "team=south" in counts


@pytest.mark.django_db
def test_deadlines_overdue_and_due_in_the_next_five_working_days(client, frontline, lead):
    now = timezone.now()
    late, soon, later = (raise_trigger(frontline) for _ in range(3))
    clock = Deadline.objects.filter(status=DeadlineStatus.OPEN)
    clock.filter(case=late).update(due_at=now - timedelta(days=10))
    clock.filter(case=soon).update(due_at=now + timedelta(hours=1))
    clock.filter(case=later).update(due_at=now + timedelta(days=30))
    deadlines = panel(html_of(client, lead), "deadlines")
    overdue, due = deadlines.split("Due by the end of")
    assert late.reference in overdue
    assert soon.reference not in overdue
    assert "working day" in overdue
    assert "/cases/?overdue=true&amp;team=north" in overdue
    assert soon.reference in due
    assert later.reference not in deadlines


@pytest.mark.django_db
def test_a_task_swept_missed_stays_overdue_until_it_is_met(client, frontline, lead):
    """Issue 14: the sweep marking a task missed does not take it out of sight; meeting
    it does."""
    case = raise_trigger(frontline)
    clock = Deadline.objects.get(case=case, status=DeadlineStatus.OPEN)
    Deadline.objects.filter(pk=clock.pk).update(due_at=timezone.now() - timedelta(days=3))
    sweep(at=timezone.now())
    clock.refresh_from_db()
    assert clock.status == DeadlineStatus.MISSED

    overdue = panel(html_of(client, lead), "deadlines").split("Due by the end of")[0]
    assert f'data-deadline-case="{case.reference}"' in overdue
    assert "1 overdue deadline:" in overdue

    now = timezone.now()
    Deadline.objects.filter(pk=clock.pk).update(met_at=now, closed_at=now)
    overdue = panel(html_of(client, lead), "deadlines").split("Due by the end of")[0]
    assert case.reference not in overdue
    assert "No deadline of your teams’ cases is overdue." in overdue


@pytest.mark.django_db
def test_a_period_is_never_overdue_nor_due_soon(client, frontline, lead):
    case = raise_trigger(frontline)
    now = timezone.now()
    for due_at in (now - timedelta(days=3), now + timedelta(hours=2)):
        Deadline.objects.create(
            case=case, rule="appeal_window", label="Appeal window", kind=DeadlineKind.PERIOD,
            unit="calendar_days", duration=21, started_at=now - timedelta(days=21), due_at=due_at,
        )  # fmt: skip
    Deadline.objects.filter(case=case, kind=DeadlineKind.TASK).delete()
    deadlines = panel(html_of(client, lead), "deadlines")
    assert case.reference not in deadlines
    assert "Appeal window" not in deadlines


def nobody_told(case, stage="escalate_manager"):
    """A stage of one of the case's clocks that the sweep recorded as reaching nobody."""
    deadline = Deadline.objects.filter(case=case).first()
    now = timezone.now()
    return Reminder.objects.create(
        deadline=deadline, stage=stage, due_at=deadline.due_at, scheduled_for=now,
        acted_at=now, recipients=0, skipped=False,
    )  # fmt: skip


@pytest.mark.django_db
def test_reminders_that_reached_nobody_show_on_the_teams_leads_dashboard(
    client, frontline, lead, other_lead
):
    case = raise_trigger(frontline)
    assert 'data-panel="unheard"' not in html_of(client, lead)
    nobody_told(case)
    skipped = nobody_told(case, stage="remind_before")
    Reminder.objects.filter(pk=skipped.pk).update(skipped=True)

    unheard = panel(html_of(client, lead), "unheard")
    assert references_unheard(unheard) == [case.reference]
    assert "Escalation to service managers" in unheard
    assert "1 reminder about your teams’ running deadlines reached nobody" in unheard
    assert 'data-panel="unheard"' not in html_of(client, other_lead)
    # Once the clock is done, it is no longer the lead's to worry about.
    Deadline.objects.filter(case=case).update(closed_at=timezone.now())
    assert 'data-panel="unheard"' not in html_of(client, lead)


def references_unheard(html: str) -> list[str]:
    return re.findall(r'data-unheard-case="([^"]+)"', html)


@pytest.mark.django_db
def test_an_administrator_is_told_how_many_reached_nobody_and_sees_only_references(
    client, frontline, administrator, lead
):
    case = raise_trigger(frontline)
    html = html_of(client, administrator)
    assert "data-unheard-count" not in html
    assert 'href="/reminders/nobody-told/"' in panel(html, "administration")
    nobody_told(case)

    html = html_of(client, administrator)
    assert 'data-unheard-count="1"' in html
    assert case.reference not in html  # the dashboard counts; the page names
    page = client.get("/reminders/nobody-told/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f'data-reference="{case.reference}"' in text
    assert "Escalation to service managers" in text
    assert "“Service managers”" in text
    assert escape(case.summary or "no summary") not in text
    client.force_login(lead)
    assert client.get("/reminders/nobody-told/").status_code == 403


@pytest.mark.django_db
def test_a_restricted_cases_reminder_shows_its_reference_but_not_its_clock(
    client, frontline, administrator
):
    case = raise_prevent(frontline)
    now = timezone.now()
    Deadline.objects.create(
        case=case, rule="channel_panel", label="Channel panel discussion", unit="working_days",
        duration=5, started_at=now - timedelta(days=9), due_at=now - timedelta(days=2),
    )  # fmt: skip
    label = "Channel panel discussion"
    nobody_told(case)
    client.force_login(administrator)
    text = client.get("/reminders/nobody-told/").content.decode()
    row = text.split(f'data-reference="{case.reference}"')[1].split("</tr>")[0]
    assert "Not shown: a restricted case" in row
    assert escape(label) not in row


@pytest.mark.django_db
def test_no_deadlines_says_so(client, lead):
    deadlines = panel(html_of(client, lead), "deadlines")
    assert "No deadline of your teams’ cases is overdue." in deadlines
    assert "Nothing is due in the next 5 working days." in deadlines


@pytest.mark.django_db
def test_partner_responses_awaited_list_sent_referrals_with_their_clock(
    client, draft_for, lead, other_lead
):
    draft = draft_for("mash_referral")
    assert "No referral of your teams’ cases" in panel(html_of(client, lead), "responses")
    sent = referral_send(referral=draft, actor=lead)
    responses = panel(html_of(client, lead), "responses")
    assert f'data-referral="{sent.pk}"' in responses
    assert sent.case.reference in responses
    assert escape(sent.partner.name) in responses
    assert date_words(sent.response_deadline.due_at) in responses  # 10 December 2026
    assert sent.case.reference not in html_of(client, other_lead)


@pytest.mark.django_db
def test_a_prevent_referral_is_awaited_only_on_a_cleared_leads_dashboard(
    client, draft_for, lead, prevent_lead
):
    sent = referral_send(referral=draft_for("prevent_referral"), actor=prevent_lead)
    assert f'data-referral="{sent.pk}"' in panel(html_of(client, prevent_lead), "responses")
    assert sent.case.reference not in html_of(client, lead)


# Auditors, administrators, no role ----------------------------------------------------------


@pytest.mark.django_db
def test_an_auditor_sees_recent_activity_linked_to_case_timelines_and_search(
    client, frontline, auditor
):
    case = raise_slavery(frontline)[0]
    html = html_of(client, auditor)
    activity = panel(html, "activity")
    assert "Concern raised" in activity
    assert "Signed in" not in activity  # in the audit log, not about a case
    assert AuditEvent.objects.filter(case__isnull=True).exists()
    assert f'href="/audit/cases/{case.reference}/"' in activity
    search = panel(html, "search")
    assert 'action="/audit/"' in search
    assert 'name="reference"' in search
    assert 'action="/cases/"' in search
    assert "Raise a concern" not in html


@pytest.mark.django_db
def test_an_administrator_gets_the_admin_pages_and_no_case_content(
    client, frontline, administrator
):
    case = raise_slavery(frontline)[0]
    html = html_of(client, administrator)
    links = panel(html, "administration")
    for url in ADMIN_PAGES:
        assert f'href="{url}"' in links
    assert "/django-admin/" not in html  # the Django admin is for superusers only
    assert case.reference not in html
    assert "Kowalska" not in html
    assert 'data-panel="triage"' not in html


@pytest.mark.django_db
def test_a_user_without_a_role_is_told_how_to_get_one(client, django_user_model, frontline):
    raise_slavery(frontline)
    nobody = django_user_model.objects.create_user("nobody", password="x")  # noqa: S106
    html = html_of(client, nobody)
    assert "You do not have a role yet." in html
    assert "data-panel" not in html


def test_anonymous_users_are_sent_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/sign-in/")


# Queries ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["frontline", "lead", "prevent_lead", "auditor", "administrator"])
def test_each_dashboard_runs_the_same_queries_for_few_and_many_cases(
    client, request, who, frontline, lead, draft_for, monkeypatch
):
    user = request.getfixturevalue(who)
    # One row fills a panel, so every panel with a case is counted from the first round
    # (a panel with fewer rows than it holds is not counted: the next test).
    monkeypatch.setattr(dashboards, "PANEL_ROWS", 1)

    def more_of_everything() -> None:
        cases = raise_slavery(frontline, 3) + [raise_trigger(frontline), raise_prevent(frontline)]
        Case.objects.filter(pk=cases[0].pk).update(owner=frontline)
        Deadline.objects.filter(case=cases[3]).update(due_at=timezone.now() - timedelta(days=9))
        nobody_told(cases[3])
        referral_send(referral=draft_for("mash_referral"), actor=lead)

    more_of_everything()
    few = queries(client, user)
    for _ in range(4):
        more_of_everything()
    assert queries(client, user) == few


def panels_of_one_and_four(client, user, monkeypatch) -> tuple[int, int, dict]:
    """The user's dashboard's queries with panels of one line, then of four, and the
    second's panels."""
    monkeypatch.setattr(dashboards, "PANEL_ROWS", 1)
    one = queries(client, user)
    monkeypatch.setattr(dashboards, "PANEL_ROWS", 4)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    return one, len(captured), response.context["dashboard"]


@pytest.mark.django_db
def test_a_leads_panels_read_their_lines_with_no_query_a_line(
    client, frontline, lead, draft_for, monkeypatch
):
    """Each panel reads only the columns its lines show (reports.dashboards): one left
    out would be read again for every line. Full panels of one line and of four cost the
    same queries, with lines in every panel (triage, clocks overdue and due soon,
    responses awaited, reminders that reached nobody)."""
    for _ in range(4):
        cases = raise_slavery(frontline, 2) + [raise_trigger(frontline)]
        Deadline.objects.filter(case=cases[2]).update(due_at=timezone.now() - timedelta(days=9))
        nobody_told(cases[2])
        referral_send(referral=draft_for("mash_referral"), actor=lead)
    one, four, dashboard = panels_of_one_and_four(client, lead, monkeypatch)
    panels = [dashboard["triage"], dashboard["responses"], dashboard["unheard"]]
    panels += [dashboard["overdue"], dashboard["due_soon"]]
    assert all(len(panel.rows) == 4 for panel in panels), [len(p.rows) for p in panels]
    assert four == one


@pytest.mark.django_db
def test_the_auditors_activity_reads_its_lines_with_no_query_a_line(
    client, frontline, auditor, monkeypatch
):
    raise_slavery(frontline, 4)
    one, four, dashboard = panels_of_one_and_four(client, auditor, monkeypatch)
    lines = dashboard["activity"]
    assert len(lines) == 4
    assert all(line.reference and line.actor for line in lines)
    assert four == one


@pytest.mark.django_db
def test_a_panel_is_counted_only_when_it_is_full(frontline, django_assert_num_queries):
    raise_slavery(frontline, 3)
    cases = Case.objects.order_by("pk")
    rows = list(cases[:PANEL_ROWS])
    with django_assert_num_queries(0):  # three rows of ten: they are all there are
        few = Panel.of(rows, cases)
    assert (few.total, few.capped, few.more) == (3, False, 0)
    raise_slavery(frontline, PANEL_ROWS - 1)
    rows = list(cases[:PANEL_ROWS])
    with django_assert_num_queries(1):
        full = Panel.of(rows, cases)
    assert (full.total, full.capped, full.more) == (PANEL_ROWS + 2, False, 2)


# Statements kept (casework.statements) ----------------------------------------------------


def every_panel(frontline, lead, draft_for) -> None:
    """Lines in every panel of every dashboard, some of them Prevent's, some a
    raiser's, overdue and due soon, referrals awaited, reminders unheard."""
    for _ in range(3):
        cases = raise_slavery(frontline, 2) + [raise_trigger(frontline), raise_prevent(frontline)]
        Case.objects.filter(pk=cases[0].pk).update(owner=frontline)
        Case.objects.filter(pk=cases[1].pk).update(owner=lead, state="adult_consent_sought")
        Deadline.objects.filter(case=cases[2]).update(due_at=timezone.now() - timedelta(days=9))
        nobody_told(cases[2])
        referral_send(referral=draft_for("mash_referral"), actor=lead)


FULL = ("triage", "responses", "overdue", "unheard")


@pytest.mark.django_db
def test_every_dashboard_is_the_same_from_kept_statements_as_built_by_django(
    request, frontline, lead, prevent_lead, other_lead, draft_for, monkeypatch
):
    """The dashboards' statements are built and compiled once per user's access key
    (``casework.statements``): for every kind of user, with full panels counted and
    panels not full, what they show is what the same queries built by Django show."""
    from casework import conditions, statements

    every_panel(frontline, lead, draft_for)
    users = [frontline, lead, prevent_lead, other_lead]
    users += [request.getfixturevalue(name) for name in ("auditor", "administrator")]
    for rows in (2, PANEL_ROWS):
        monkeypatch.setattr(dashboards, "PANEL_ROWS", rows)
        for user in users:
            with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
                built = dashboards.home_dashboard(type(user).objects.get(pk=user.pk))
            statements.clear()
            conditions.clear()
            first = dashboards.home_dashboard(type(user).objects.get(pk=user.pk))
            kept = dashboards.home_dashboard(type(user).objects.get(pk=user.pk))
            assert first == built, user.username
            assert kept == built, user.username
            if user == lead and rows == 2:  # full panels, counted
                shown = kept["dashboard"]
                assert [len(shown[name].rows) for name in FULL] == [2] * len(FULL)
                assert [shown[name].total for name in FULL[1:]] == [3, 3, 3]
                assert shown["triage"].total > 2


@pytest.mark.django_db
def test_a_lead_given_another_team_sees_its_cases_on_the_next_page(client, lead, make_user, teams):
    """A statement is kept for the user's access key: joining a team makes another key,
    so the next dashboard counts and lists the team's cases, never the kept statement
    of the lead's teams before."""
    south = make_user("frontline.south", Role.FRONTLINE, ["south"])
    waiting = raise_slavery(south, 2)
    html = html_of(client, lead)
    assert "Nothing is waiting" in panel(html, "triage")
    TeamMembership.objects.create(user=lead, team=teams["south"])
    html = html_of(client, lead)
    assert references(panel(html, "triage")) == [case.reference for case in waiting]
    assert "Concern raised: 2" in panel(html, "counts")
    TeamMembership.objects.filter(user=lead, team=teams["south"]).delete()
    assert "Nothing is waiting" in panel(html_of(client, lead), "triage")
