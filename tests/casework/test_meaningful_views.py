"""Views that mean something (issue 20): the page shown after your own action is not a new
view, repeated looks soon after are one view with a count, and the auditor's timeline can
show or hide views."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from casework.audit import AuditVerb
from casework.models import AuditEvent, CaseViewRepeat
from casework.roles import Role
from casework.services import case_view_record
from tests.workflows.walker import default_raise
from workflows import modern_slavery
from workflows.services import case_transition

ADULT = {"subject_date_of_birth": "1990-01-01", "subject_estimated_age": None}


@pytest.fixture
def staff(make_user):
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
    }


@pytest.fixture
def case(staff):
    return default_raise(modern_slavery.WORKFLOW, staff["frontline"])(ADULT)


@pytest.fixture
def clock(monkeypatch):
    """Move Django's clock forward: ``clock(minutes=3)``."""
    start = timezone.now()
    moved = {"by": timedelta()}
    monkeypatch.setattr(timezone, "now", lambda: start + moved["by"])

    def advance(**delta: float) -> None:
        moved["by"] += timedelta(**delta)

    return advance


def views_of(case) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(case=case, verb=AuditVerb.CASE_VIEWED).order_by("id"))


@pytest.mark.django_db
def test_the_page_after_your_own_action_is_not_a_view(client, staff, case, clock):
    lead = staff["lead"]
    case_transition(
        case=case, actor=lead, name="start_triage",
        data={"immediate_risk": False, "police_informed": False},
    )  # fmt: skip
    client.force_login(lead)
    clock(seconds=5)
    assert client.get(f"/cases/{case.reference}/").status_code == 200  # the redirect's page
    assert views_of(case) == []
    clock(minutes=5)
    assert client.get(f"/cases/{case.reference}/").status_code == 200  # a later, real look
    assert len(views_of(case)) == 1


@pytest.mark.django_db
def test_someone_elses_action_does_not_hide_your_view(client, staff, case, clock):
    client.force_login(staff["lead"])
    clock(seconds=5)  # the frontline worker raised it a moment ago
    client.get(f"/cases/{case.reference}/")
    assert [e.actor for e in views_of(case)] == [staff["lead"]]


@pytest.mark.django_db
def test_repeated_views_within_half_an_hour_are_one_view_with_a_count(client, staff, case, clock):
    client.force_login(staff["auditor"])
    for _ in range(4):
        client.get(f"/cases/{case.reference}/")
        clock(minutes=5)
    (view,) = views_of(case)
    assert CaseViewRepeat.objects.get(event=view).repeats == 3
    clock(minutes=15)  # 35 minutes after the view it counted on
    client.get(f"/cases/{case.reference}/")
    assert len(views_of(case)) == 2


@pytest.mark.django_db
def test_a_repeat_look_is_counted_by_one_statement_with_its_time(staff, case, clock):
    """The count's row is made by the first repeat and added to by each later one, in
    one statement each (an insert that updates the row it finds)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    auditor = staff["auditor"]
    view = case_view_record(user=auditor, case=case)
    for expected in (1, 2, 3):
        clock(minutes=2)
        with CaptureQueriesContext(connection) as seen:
            assert case_view_record(user=auditor, case=case).pk == view.pk
        counted = [q for q in seen.captured_queries if "caseviewrepeat" in q["sql"]]
        assert len(counted) == 1
        repeat = CaseViewRepeat.objects.get(event=view)
        assert repeat.repeats == expected
        assert repeat.last_at == timezone.now()  # the clock's time of this look
    assert AuditEvent.objects.get(pk=view.pk).data == view.data  # the event itself unchanged


@pytest.mark.django_db
def test_a_view_through_another_channel_is_its_own_view(staff, case):
    first = case_view_record(user=staff["auditor"], case=case, via="page")
    second = case_view_record(user=staff["auditor"], case=case, via="api")
    assert first.pk != second.pk
    assert case_view_record(user=staff["auditor"], case=case, via="api").pk == second.pk


@pytest.mark.django_db
def test_the_timeline_shows_the_count_and_can_hide_views(client, staff, case, clock):
    client.force_login(staff["lead"])
    for _ in range(3):
        client.get(f"/cases/{case.reference}/")
        clock(minutes=1)
    client.force_login(staff["auditor"])
    shown = client.get(f"/audit/cases/{case.reference}/")
    lines = {str(line) for row in shown.context["rows"] for line in row.lines}
    assert any(line.startswith("Viewed: 3 times, the last on ") for line in lines)
    assert "Hide views" in shown.content.decode()
    hidden = client.get(f"/audit/cases/{case.reference}/", {"views": "hide"})
    verbs = [row.event.verb for row in hidden.context["rows"]]
    assert AuditVerb.CASE_VIEWED not in verbs
    assert AuditVerb.CASE_RAISED in verbs
    assert "Show views" in hidden.content.decode()
