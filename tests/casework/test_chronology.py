"""A chronology for a review (issue 20): a case's, or a person's across cases, in date
order, with steps and their inputs, notes, referrals and clock outcomes; on screen, as a
PDF and as CSV; producing one is audited; auditors only."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import reportlab
from django.utils import timezone

from casework.audit import AuditVerb
from casework.models import AuditEvent
from casework.notes import case_note_add
from casework.roles import Role
from casework.services import case_view_record
from tests.workflows.walker import default_raise
from workflows import modern_slavery
from workflows.models import Deadline
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
    case = default_raise(modern_slavery.WORKFLOW, staff["frontline"])(ADULT)
    case = case_transition(
        case=case, actor=staff["lead"], name="start_triage",
        data={"immediate_risk": True, "police_informed": False},
    )  # fmt: skip
    case_note_add(case=case, actor=staff["lead"], text="Spoke to her at the car wash.")
    case_view_record(user=staff["lead"], case=case)
    now = timezone.now()
    Deadline.objects.create(
        case=case, rule="rg_decision", label="Reasonable grounds decision",
        unit="working_days", duration=5, started_at=now - timedelta(days=9),
        due_at=now - timedelta(days=2), status="missed", closed_at=now - timedelta(days=2),
    )  # fmt: skip
    return case


@pytest.fixture
def auditor_client(client, staff):
    client.force_login(staff["auditor"])
    return client


def url(case) -> str:
    return f"/audit/cases/{case.reference}/chronology/"


@pytest.mark.django_db
def test_the_case_chronology_is_in_date_order_with_steps_notes_and_clocks(auditor_client, case):
    response = auditor_client.get(url(case))
    assert response.status_code == 200
    entries = response.context["entries"]
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    kinds = [e.kind for e in entries]
    assert {"Concern", "Step", "Note", "Clock"} <= set(kinds)
    step = next(e for e in entries if e.kind == "Step")
    assert "Step: Start triage" in [str(line) for line in step.lines]
    assert "Is anyone at immediate risk?: Yes" in [str(line) for line in step.lines]
    note = next(e for e in entries if e.kind == "Note")
    assert note.details == "Spoke to her at the car wash."
    clock = next(e for e in entries if e.kind == "Clock" and e.title == "Clock missed")
    assert "Clock: Reasonable grounds decision" in clock.details
    assert all(e.title != "Case viewed" for e in entries)  # reads are in the audit log
    today = timezone.localdate()
    assert response.context["intro"].startswith(f"Produced on {today.day} {today:%B} {today.year} ")


@pytest.mark.django_db
def test_producing_a_chronology_is_audited_in_each_format(auditor_client, staff, case):
    for chosen in ("html", "csv", "pdf"):
        auditor_client.get(url(case), {"format": chosen})
    events = AuditEvent.objects.filter(verb=AuditVerb.CHRONOLOGY_PRODUCED).order_by("id")
    assert [(e.actor, e.case, e.data["format"]) for e in events] == [
        (staff["auditor"], case, "html"),
        (staff["auditor"], case, "csv"),
        (staff["auditor"], case, "pdf"),
    ]
    assert events[0].data["cases"] == [case.reference]


@pytest.mark.django_db
def test_the_csv_and_pdf_hold_the_same_entries(auditor_client, case, monkeypatch):
    shown = auditor_client.get(url(case)).context["entries"]
    response = auditor_client.get(url(case), {"format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["at", "when", "case", "kind", "what", "by", "details"]
    assert [r[4] for r in rows[1:]] == [e.title for e in shown]
    monkeypatch.setattr(reportlab.rl_config, "pageCompression", 0)
    pdf = auditor_client.get(url(case), {"format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    body = pdf.content
    assert body.startswith(b"%PDF")
    assert f"/Title (Chronology of {case.reference})".encode() in body
    assert b"/Lang (en-GB)" in body  # screen readers read it in English
    strings = re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", body)
    text = " ".join(s.decode("latin-1") for s in strings)
    assert "Spoke to her at the car wash." in text


@pytest.mark.django_db
def test_a_persons_chronology_covers_their_cases(auditor_client, staff, case):
    subject = case.case_people.get(role="subject").person
    other = default_raise(modern_slavery.WORKFLOW, staff["frontline"])(ADULT)
    other.case_people.create(person=subject, role="other")
    response = auditor_client.get(f"/audit/people/{subject.pk}/chronology/")
    assert response.status_code == 200
    covered = {e.case for e in response.context["entries"]}
    assert {case.reference, other.reference} <= covered
    event = AuditEvent.objects.filter(verb=AuditVerb.CHRONOLOGY_PRODUCED).latest("pk")
    assert sorted(event.data["cases"]) == sorted([case.reference, other.reference])


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["frontline", "lead"])
def test_only_auditors_produce_chronologies(client, staff, case, role):
    client.force_login(staff[role])
    assert client.get(url(case)).status_code == 403
    assert not AuditEvent.objects.filter(verb=AuditVerb.CHRONOLOGY_PRODUCED).exists()


@pytest.mark.django_db
def test_the_timeline_links_to_the_chronologies(auditor_client, case):
    html = auditor_client.get(f"/audit/cases/{case.reference}/").content.decode()
    assert f'href="{url(case)}"' in html
    subject = case.case_people.get(role="subject").person
    assert f'href="/audit/people/{subject.pk}/chronology/"' in html
