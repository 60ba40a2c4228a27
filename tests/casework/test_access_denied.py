"""Denied access recorded (issue 20): asking for a case one may not see (its page, the
API, its history, a referral, an attachment) is recorded for auditors, while the user gets
exactly the 404 a case that does not exist gives; auditors search, export and count them."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from casework.audit import AuditVerb
from casework.models import AuditEvent, Case, CaseAttachment, Team
from casework.roles import PREVENT_CLEARANCE_GROUP, Role
from referrals.models import PartnerAgency, Referral
from tests.casework.test_case_pages import CSRF
from tests.conftest import DEMO_PASSWORD

MISSING = "SC-2026-999999"


@pytest.fixture
def staff(make_user):
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "lead_south": make_user("lead.south", Role.LEAD, ["south"]),
        "prevent_lead": make_user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
    }


@pytest.fixture
def prevent_case(staff):
    return Case.objects.create(
        reference="SC-2026-000101", case_type="prevent", state="concern_raised",
        summary="Hidden.", team=Team.objects.get(slug="north"),
        raised_by=staff["prevent_lead"], raised_at=timezone.now(),
    )  # fmt: skip


def denied() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=AuditVerb.ACCESS_DENIED).order_by("id"))


def _same_404(client, path_for):
    hidden, missing = client.get(path_for("SC-2026-000101")), client.get(path_for(MISSING))
    assert hidden.status_code == missing.status_code == 404
    # The CSRF token and the session's seconds left differ between any two renders.
    body = CSRF.sub("", hidden.content.decode().replace("SC-2026-000101", MISSING))
    assert body == CSRF.sub("", missing.content.decode())


@pytest.mark.django_db
def test_asking_for_a_hidden_case_page_is_recorded_and_looks_like_a_missing_one(
    client, staff, prevent_case
):
    client.force_login(staff["lead"])
    _same_404(client, lambda ref: f"/cases/{ref}/")
    hidden, missing = denied()
    assert hidden.actor == staff["lead"]
    assert hidden.case == prevent_case
    assert hidden.data == {
        "reference": "SC-2026-000101", "route": "page", "path": "/cases/SC-2026-000101/",
        "exists": True,
    }  # fmt: skip
    assert (missing.case, missing.data["exists"], missing.data["reference"]) == (
        None,
        False,
        MISSING,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/api/v1/cases/{ref}/", "api"),
        ("/api/v1/cases/{ref}/history/", "history"),
        ("/cases/{ref}/history/", "history"),
    ],
)
def test_the_api_and_history_are_recorded_with_their_route(
    client, staff, prevent_case, path, route
):
    client.force_login(staff["frontline"])
    response = client.get(path.format(ref=prevent_case.reference))
    assert response.status_code == 404
    (event,) = denied()
    assert (event.actor, event.case, event.data["route"]) == (
        staff["frontline"],
        prevent_case,
        route,
    )


@pytest.mark.django_db
def test_a_referral_and_an_attachment_of_a_hidden_case_are_recorded(client, staff, prevent_case):
    partner = PartnerAgency.objects.create(name="Counter Terrorism Policing", kind="police")
    referral = Referral.objects.create(
        case=prevent_case, partner=partner, referral_type="prevent_referral", content={},
        created_by=staff["prevent_lead"],
    )  # fmt: skip
    attachment = CaseAttachment.objects.create(
        case=prevent_case, uploaded_by=staff["prevent_lead"], original_name="a.pdf",
        content_type="application/pdf", size=10, sha256="0" * 64, stored_name="x1",
        created_at=timezone.now(),
    )  # fmt: skip
    client.force_login(staff["lead"])
    assert client.get(f"/referrals/{referral.pk}/").status_code == 404
    url = f"/cases/{prevent_case.reference}/attachments/{attachment.pk}/"
    assert client.get(url).status_code == 404
    first, second = denied()
    assert (first.data["route"], first.data["reference"], first.case) == (
        "referral",
        prevent_case.reference,
        prevent_case,
    )
    assert (second.data["route"], second.data["exists"], second.case) == (
        "attachment",
        True,
        prevent_case,
    )


@pytest.mark.django_db
def test_a_case_one_may_see_records_no_denial(client, staff, prevent_case):
    client.force_login(staff["prevent_lead"])
    assert client.get(f"/cases/{prevent_case.reference}/").status_code == 200
    client.logout()
    assert client.get(f"/cases/{prevent_case.reference}/").status_code == 302  # to sign in
    assert denied() == []


@pytest.mark.django_db
def test_auditors_search_and_export_denials(client, staff, prevent_case):
    client.force_login(staff["lead"])
    client.get(f"/cases/{prevent_case.reference}/")
    client.get(f"/cases/{MISSING}/")
    # Who tried to open a Prevent case is itself Prevent business: the auditor reading it
    # holds Prevent clearance of their own (issue 15).
    Group.objects.get_or_create(name=PREVENT_CLEARANCE_GROUP)[0].user_set.add(staff["auditor"])
    client.force_login(staff["auditor"])
    by_case = client.get("/audit/", {"reference": prevent_case.reference})
    assert AuditVerb.ACCESS_DENIED in [row.event.verb for row in by_case.context["rows"]]
    by_missing = client.get("/audit/", {"reference": MISSING.lower()})
    assert [row.event.verb for row in by_missing.context["rows"]] == [AuditVerb.ACCESS_DENIED]
    found = client.get("/audit/", {"action": "access.denied"})
    html = found.content.decode()
    assert "Access refused" in html
    assert "Reference asked for" in html
    export = client.get("/audit/export.csv", {"action": "access.denied"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [r[4] for r in rows[1:]] == ["access.denied", "access.denied"]
    assert "Reference asked for: SC-2026-000101" in rows[1][13]


@pytest.mark.django_db
def test_the_auditors_dashboard_counts_denials_per_user_over_30_days(
    client, staff, prevent_case, monkeypatch
):
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start - timedelta(days=31))
    client.force_login(staff["lead_south"])
    client.get(f"/cases/{prevent_case.reference}/")  # too long ago to count
    monkeypatch.setattr(timezone, "now", lambda: start)
    client.force_login(staff["lead_south"])
    client.get(f"/cases/{prevent_case.reference}/")
    client.force_login(staff["lead"])
    for _ in range(2):
        client.get(f"/cases/{prevent_case.reference}/")
    client.force_login(staff["auditor"])
    response = client.get("/")
    counts = [(d.name, d.count) for d in response.context["dashboard"]["denied"]]
    assert counts == [("lead.north", 2), ("lead.south", 1)]
    assert "Access refused in the last 30 days" in response.content.decode()
    client.force_login(staff["lead"])
    assert "denied" not in client.get("/").context["dashboard"]


@pytest.mark.django_db
def test_an_api_request_with_a_token_is_recorded_as_its_user(client, staff, prevent_case):
    token = client.post(
        "/api/v1/auth/token/",
        {"username": "frontline.north", "password": DEMO_PASSWORD},
        content_type="application/json",
    ).json()["token"]
    client.logout()
    response = client.get(
        f"/api/v1/cases/{prevent_case.reference}/", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})
    (event,) = denied()
    assert (event.actor, event.data["route"]) == (staff["frontline"], "api")
