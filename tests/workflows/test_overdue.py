"""Overdue stays overdue until it is done (issue 14): one definition (``overdue_q``,
``Deadline.is_overdue``) behind every overdue view. A task the sweep has marked missed is
still listed by the lead's dashboard, the case list's filter, both API filters and the
case page until it is met; met late, it says how late. A period is never overdue."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from casework.api_tokens import api_token_issue
from referrals.presenters import clock as response_clock
from tests.workflows.walker import default_raise, sample_values
from workflows import community_trigger
from workflows.models import Deadline, DeadlineKind, DeadlineStatus
from workflows.reminders import sweep
from workflows.services import bank_holidays_load, case_transition

WORKFLOW = community_trigger.WORKFLOW


@pytest.fixture(autouse=True)
def _calendar(db):
    bank_holidays_load(first_year=2025, last_year=2028)


def api_get(user, url: str) -> dict:
    _, token = api_token_issue(user=user, name="Test client")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def rows_of(body) -> list[dict]:
    return body["results"] if isinstance(body, dict) else body


def overdue_everywhere(client, lead, case, deadline) -> dict[str, bool]:
    """Whether each overdue view lists the case (or its clock)."""
    client.force_login(lead)
    home = client.get("/").content.decode()
    panel = re.search(r'<section[^>]*data-panel="deadlines".*?</section>', home, re.S).group(0)
    overdue_panel = panel.split("Due by the end of")[0]
    case_list = client.get("/cases/?overdue=true").content.decode()
    api_cases = rows_of(api_get(lead, "/api/v1/cases/?overdue=true"))
    api_deadlines = rows_of(api_get(lead, "/api/v1/deadlines/?overdue=true"))
    return {
        "dashboard": f'data-deadline-case="{case.reference}"' in overdue_panel,
        "case list": f'data-reference="{case.reference}"' in case_list,
        "api cases": case.reference in [c["reference"] for c in api_cases],
        "api deadlines": deadline.pk in [d["id"] for d in api_deadlines],
    }


def deadline_row(html: str, deadline: Deadline) -> str:
    row = html.split(f'data-deadline="{deadline.pk}"')[1].split("</tr>")[0]
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


@pytest.mark.django_db
def test_a_task_swept_missed_stays_in_every_overdue_view_until_it_is_met(client, frontline, lead):
    """Acceptance (issue 14): an application received three weeks ago is recorded
    today; its acknowledgement (5 working days) is overdue at once, the sweep marks it
    missed, and it stays in every overdue view until acknowledged; then the case page
    says it was met late and by how much."""
    today = timezone.localdate()
    received = today - timedelta(days=21)
    case = default_raise(WORKFLOW, frontline)({"application_received_on": received.isoformat()})
    on_time = default_raise(WORKFLOW, frontline)({})
    deadline = Deadline.objects.get(case=case, rule="acknowledgement")
    assert deadline.is_overdue(timezone.now())

    report = sweep(at=timezone.localtime(timezone.now()))

    deadline.refresh_from_db()
    assert report.missed == 1
    assert deadline.status == DeadlineStatus.MISSED
    assert overdue_everywhere(client, lead, case, deadline) == dict.fromkeys(
        ("dashboard", "case list", "api cases", "api deadlines"), True
    )
    not_late = Deadline.objects.get(case=on_time, rule="acknowledgement")
    assert not any(overdue_everywhere(client, lead, on_time, not_late).values())
    row = deadline_row(client.get(f"/cases/{case.reference}/").content.decode(), deadline)
    assert "Overdue Overdue by" in row
    [api_deadline] = api_get(lead, f"/api/v1/cases/{case.reference}/deadlines/")
    assert (api_deadline["overdue"], api_deadline["kind"]) == (True, "task")

    fields = WORKFLOW.transition_meta("acknowledge")["fields"]
    data = sample_values(fields, {"acknowledged_on": today.isoformat()})
    case_transition(case=case, actor=lead, name="acknowledge", data=data)

    deadline.refresh_from_db()
    assert (deadline.status, deadline.met_at is not None) == (DeadlineStatus.MISSED, True)
    assert not any(overdue_everywhere(client, lead, case, deadline).values())
    row = deadline_row(client.get(f"/cases/{case.reference}/").content.decode(), deadline)
    assert re.search(r"Met late Met late by \d+ working days, on \d+ \w+ \d{4}", row), row
    assert "Overdue" not in row
    [api_deadline] = [
        d
        for d in api_get(lead, f"/api/v1/cases/{case.reference}/deadlines/")
        if d["id"] == deadline.pk
    ]
    assert api_deadline["overdue"] is False
    assert api_deadline["met_at"] is not None


@pytest.mark.django_db
def test_a_period_past_its_end_is_in_no_overdue_view(client, frontline, lead):
    case = default_raise(WORKFLOW, frontline)({})
    Deadline.objects.filter(case=case).delete()
    now = timezone.now()
    period = Deadline.objects.create(
        case=case, rule="appeal_window_after_outcome", label="Escalation window",
        kind=DeadlineKind.PERIOD, unit="calendar_days", duration=21,
        started_at=now - timedelta(days=30), due_at=now - timedelta(days=9),
    )  # fmt: skip
    assert not period.is_overdue(now)
    assert not any(overdue_everywhere(client, lead, case, period).values())


@pytest.mark.django_db
def test_a_partner_response_clock_is_overdue_until_answered_whatever_the_sweep_marked(
    frontline,
):
    case = default_raise(WORKFLOW, frontline)({})
    now = timezone.now()
    deadline = Deadline.objects.create(
        case=case, rule="partner_response", label="Partner response", unit="working_days",
        duration=5, started_at=now - timedelta(days=14), due_at=now - timedelta(days=2),
        status=DeadlineStatus.MISSED,
    )  # fmt: skip

    shown = response_clock(deadline, now)
    assert (shown.overdue, shown.status) == (True, "Overdue")
    assert shown.left == "Overdue: the partner has not answered"

    deadline.met_at = deadline.closed_at = now - timedelta(days=1)
    shown = response_clock(deadline, now)
    assert (shown.overdue, shown.status) == (False, "Answered late")
    assert shown.left.endswith("after it was due")
