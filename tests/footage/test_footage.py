"""CCTV footage requests (issue 22): the overwrite clock at the 28- and 31-day edges, the
export's SHA-256, the chain of custody, the sweep, the figures and who may do what."""

from __future__ import annotations

import hashlib
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from casework.models import AuditEvent
from casework.roles import Role
from footage import services
from footage.models import (
    Camera,
    CustodyTransfer,
    FootageReminder,
    FootageRequest,
    RequestStatus,
)
from footage.selectors import footage_figures, footage_request_list_for_user
from notifications.models import OutboxMessage
from workflows.reminders import sweep

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
INCIDENT = datetime(2026, 3, 2, 22, 15, tzinfo=LONDON)
MARGIN = timedelta(hours=48)


@pytest.fixture
def staff(make_user):
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "other_lead": make_user("lead.south", Role.LEAD, ["south"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
        "admin": make_user("admin", Role.ADMINISTRATOR, []),
    }


@pytest.fixture
def cameras(db):
    return {
        28: Camera.objects.create(camera_id="CAM-028", location="High Street", retention_days=28),
        31: Camera.objects.create(camera_id="CAM-031", location="Bus station", retention_days=31),
    }


@pytest.fixture
def now_is(monkeypatch):
    def _set(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return _set


def ask(actor, camera_ids, **changes):
    values = {
        "requester_type": "police",
        "requester_name": "PC 1234 Shah",
        "incident_reference": "NP/2026/001234",
        "camera_ids": camera_ids,
        "window_start": INCIDENT,
        "window_end": INCIDENT + timedelta(minutes=30),
        "reason": "Assault outside the kebab shop; identify the suspect.",
        **changes,
    }
    return services.footage_request_create(actor=actor, **values)


def approved(staff, camera_ids=("CAM-031",)):
    request = ask(staff["frontline"], list(camera_ids))
    return services.footage_request_decide(
        request=request, actor=staff["lead"], approve=True, lawful_basis="crime",
        reason="Police request for a crime under investigation.",
    )  # fmt: skip


def exported(staff, content=b"exported footage bytes"):
    return services.footage_request_export(
        request=approved(staff), actor=staff["lead"], media_reference="DVD-0042",
        file=io.BytesIO(content),
    )  # fmt: skip


# The overwrite clock --------------------------------------------------------------------


@pytest.mark.parametrize("days", [28, 31])
def test_the_deadline_is_the_incident_plus_retention_less_the_margin(staff, cameras, now_is, days):
    overwrite = INCIDENT + timedelta(days=days)
    now_is(overwrite - MARGIN - timedelta(minutes=1))
    request = ask(staff["frontline"], [cameras[days].camera_id])
    assert request.status == RequestStatus.REQUESTED
    assert (request.overwrite_at, request.preserve_by) == (overwrite, overwrite - MARGIN)


@pytest.mark.parametrize("days", [28, 31])
def test_a_request_at_the_edge_of_the_margin_is_refused_at_once_with_the_reason(
    staff, cameras, now_is, days
):
    now_is(INCIDENT + timedelta(days=days) - MARGIN)
    request = ask(staff["frontline"], [cameras[days].camera_id])
    assert request.status == RequestStatus.REFUSED
    assert "cannot be preserved in time" in request.decision_reason
    assert f"CAM-0{days}" in request.decision_reason
    assert "48-hour safety margin" in request.decision_reason
    event = AuditEvent.objects.get(verb="footage.requested")
    assert event.data["refused_at_once"] == request.decision_reason


@pytest.mark.parametrize("days", [28, 31])
def test_a_request_made_after_the_footage_is_gone_is_refused_as_lost(staff, cameras, now_is, days):
    now_is(INCIDENT + timedelta(days=days, seconds=1))
    request = ask(staff["frontline"], [cameras[days].camera_id])
    assert request.status == RequestStatus.REFUSED
    assert request.decision_reason.startswith("The footage is gone")
    assert f"keeps recordings for {days} days" in request.decision_reason


def test_day_29_is_too_late_for_a_28_day_camera_but_not_for_a_31_day_one(staff, cameras, now_is):
    now_is(INCIDENT + timedelta(days=28, hours=12))
    assert ask(staff["frontline"], ["CAM-028"]).status == RequestStatus.REFUSED
    assert ask(staff["frontline"], ["CAM-031"]).status == RequestStatus.REQUESTED
    # Several cameras: the shortest retention sets the clock.
    mixed = ask(staff["frontline"], ["CAM-031", "CAM-028"])
    assert mixed.status == RequestStatus.REFUSED
    assert "CAM-028" in mixed.decision_reason


def test_the_margin_is_a_local_setting(staff, cameras, now_is, settings):
    settings.SAFECASE_FOOTAGE_SAFETY_MARGIN_HOURS = 6
    now_is(INCIDENT + timedelta(days=28) - timedelta(hours=7))
    request = ask(staff["frontline"], ["CAM-028"])
    assert request.preserve_by == INCIDENT + timedelta(days=28, hours=-6)


def test_a_request_needs_its_inputs_and_writes_nothing_when_refused(staff, cameras):
    with pytest.raises(ValidationError) as exc:
        ask(staff["frontline"], ["CAM-999"], incident_reference="", reason=" ",
            window_end=INCIDENT - timedelta(hours=1))  # fmt: skip
    errors = exc.value.message_dict
    assert errors["cameras"] == ["There is no camera in the register with ID CAM-999."]
    assert errors["incident_reference"] == ["Enter the police incident or crime number."]
    assert errors["reason"] == ["Enter why the footage is needed."]
    assert errors["window_end"] == ["The end of the footage needed must be after its start."]
    with pytest.raises(ValidationError) as exc:
        ask(staff["frontline"], ["CAM-031"], requester_type="council_case")
    assert "case_reference" in exc.value.message_dict
    assert not FootageRequest.objects.exists()
    assert not AuditEvent.objects.filter(verb__startswith="footage.").exists()


# The sweep ------------------------------------------------------------------------------


def test_the_sweep_reminds_once_escalates_then_marks_the_footage_lost(staff, cameras, now_is):
    now_is(INCIDENT + timedelta(days=20))
    request = ask(staff["frontline"], ["CAM-028"])
    sweep(at=request.preserve_by - timedelta(hours=12))
    sweep(at=request.preserve_by - timedelta(hours=11))
    assert list(FootageReminder.objects.values_list("stage", "recipients")) == [
        ("preserve_soon", 1)
    ]
    sweep(at=request.preserve_by + timedelta(minutes=1))
    assert FootageReminder.objects.count() == 2
    subjects = list(OutboxMessage.objects.filter(template__startswith="footage.")
                    .values_list("recipient__username", "subject"))  # fmt: skip
    assert subjects == [
        ("lead.north", f"{request.reference}: preserve the footage before it is overwritten"),
        ("lead.north", f"{request.reference}: footage not preserved, overwritten soon"),
    ]
    report = sweep(at=request.overwrite_at)
    request.refresh_from_db()
    assert request.status == RequestStatus.LOST
    assert report.other_clocks["footage_lost"] == 1
    assert AuditEvent.objects.filter(verb="footage.lost").count() == 1


# Decision, export, custody, destruction --------------------------------------------------


def test_a_lead_decides_with_a_lawful_basis_or_reasons(staff, cameras, now_is):
    now_is(INCIDENT + timedelta(days=1))
    request = ask(staff["frontline"], ["CAM-031"])
    with pytest.raises(ValidationError) as exc:
        services.footage_request_decide(
            request=request, actor=staff["lead"], approve=True, lawful_basis="", reason=""
        )
    assert set(exc.value.message_dict) == {"lawful_basis", "reason"}
    refused = services.footage_request_decide(
        request=request, actor=staff["lead"], approve=False, lawful_basis="",
        reason="No lawful basis: the insurer has no claim number.",
    )  # fmt: skip
    assert (refused.status, refused.decided_by) == (RequestStatus.REFUSED, staff["lead"])
    assert AuditEvent.objects.filter(verb="footage.refused").count() == 1


def test_export_records_the_files_sha256_and_who_exported_it(staff, cameras, now_is):
    now_is(INCIDENT + timedelta(days=1))
    content = b"\x00\x01 exported CCTV clip " * 1000
    request = exported(staff, content)
    assert request.sha256 == hashlib.sha256(content).hexdigest()
    assert (request.status, request.exported_by) == (RequestStatus.EXPORTED, staff["lead"])
    assert request.retain_until == timezone.localdate() + timedelta(days=90)
    event = AuditEvent.objects.get(verb="footage.exported")
    assert event.data["sha256"] == request.sha256
    assert event.data["in_time"] is True


def test_export_checks_the_hash(staff, cameras, now_is):
    now_is(INCIDENT + timedelta(days=1))
    request = approved(staff)
    cases = [
        ({"sha256": "not-a-hash"}, "Enter the SHA-256 as 64 characters, 0 to 9 and a to f."),
        ({"sha256": "a" * 64, "file": io.BytesIO(b"x")},
         "The SHA-256 entered does not match the file uploaded."),
        ({}, "Upload the exported file or enter its SHA-256."),
    ]  # fmt: skip
    for inputs, message in cases:
        with pytest.raises(ValidationError) as exc:
            services.footage_request_export(
                request=request, actor=staff["lead"], media_reference="DVD-1", **inputs
            )
        assert exc.value.message_dict["sha256"] == [message]
    given = services.footage_request_export(
        request=request, actor=staff["lead"], media_reference="DVD-1", sha256="AB" * 32
    )
    assert given.sha256 == "ab" * 32


def test_the_chain_of_custody_records_each_handover_of_the_matching_copy(staff, cameras, now_is):
    now_is(INCIDENT + timedelta(days=1))
    request = exported(staff)
    handover = {
        "received_by": "DC Jones", "received_for": "Northshire Police",
        "received_at": timezone.now(), "receipt_reference": "Signed exhibit label EX/77",
    }  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        services.footage_request_hand_over(
            request=request, actor=staff["lead"], sha256_confirmed="0" * 64, **handover
        )
    assert "does not match the one recorded at export" in exc.value.message_dict[
        "sha256_confirmed"][0]  # fmt: skip
    early = {**handover, "received_at": request.exported_at - timedelta(minutes=1)}
    with pytest.raises(ValidationError) as exc:
        services.footage_request_hand_over(
            request=request, actor=staff["lead"], sha256_confirmed=request.sha256, **early
        )
    assert "received_at" in exc.value.message_dict
    assert not CustodyTransfer.objects.exists()
    services.footage_request_hand_over(
        request=request, actor=staff["lead"], sha256_confirmed=request.sha256.upper(), **handover
    )
    onward = {**handover, "received_by": "CPS case worker", "received_for": "CPS"}
    services.footage_request_hand_over(
        request=request, actor=staff["lead"], sha256_confirmed=request.sha256, **onward
    )
    chain = list(CustodyTransfer.objects.values_list("received_by", "sha256_confirmed"))
    assert chain == [("DC Jones", request.sha256), ("CPS case worker", request.sha256)]
    request.refresh_from_db()
    assert request.status == RequestStatus.HANDED_OVER
    assert AuditEvent.objects.filter(verb="footage.handed_over").count() == 2


def test_the_exported_copy_is_destroyed_with_a_record(staff, cameras, now_is):
    now_is(INCIDENT + timedelta(days=1))
    request = exported(staff)
    with pytest.raises(ValidationError):
        services.footage_request_destroy(request=request, actor=staff["lead"], method="")
    done = services.footage_request_destroy(
        request=request, actor=staff["lead"], method="Shredded, witnessed by J. Patel"
    )
    assert (done.status, done.destroyed_by) == (RequestStatus.DESTROYED, staff["lead"])
    assert AuditEvent.objects.filter(verb="footage.destroyed").count() == 1


def test_a_stale_form_is_a_conflict(staff, cameras, now_is):
    now_is(INCIDENT + timedelta(days=1))
    request = ask(staff["frontline"], ["CAM-031"])
    with pytest.raises(services.StaleRequest):
        services.footage_request_decide(
            request=request, actor=staff["lead"], approve=False, lawful_basis="",
            reason="Too late.", version=request.version + 1,
        )  # fmt: skip


# Figures --------------------------------------------------------------------------------


def test_committee_pack_figures(staff, cameras, now_is):
    now_is(INCIDENT + timedelta(days=1))
    exported(staff)  # approved and preserved in time
    ask(staff["frontline"], ["CAM-031"], requester_type="insurer", incident_reference="")
    now_is(INCIDENT + timedelta(days=40))
    ask(staff["frontline"], ["CAM-028"], requester_type="subject_access")  # gone
    figures = footage_figures(year=2026)
    assert figures["by_requester_type"] == {
        "police": 1, "council_case": 0, "insurer": 1, "subject_access": 1
    }  # fmt: skip
    assert (figures["requests"], figures["approved"], figures["refused"]) == (3, 1, 1)
    assert (figures["refused_too_late"], figures["preserved_in_time"]) == (1, 1)
    assert figures["lost_to_overwrite"] == 0
    assert footage_figures(year=2025)["requests"] == 0
    # The pack's reporting years run April to March: the two requests of 3 March 2026 fall
    # in 2025-26, the one of 11 April 2026 in 2026-27; none before 3 March.
    assert footage_figures(start=date(2025, 4, 1), end=date(2026, 3, 31))["requests"] == 2
    assert footage_figures(start=date(2026, 4, 1), end=date(2027, 3, 31))["requests"] == 1
    assert footage_figures(start=date(2025, 4, 1), end=date(2026, 3, 2))["requests"] == 0


# Access ---------------------------------------------------------------------------------


def test_frontline_asks_a_lead_approves_an_auditor_reads(staff, cameras, client):
    client.force_login(staff["frontline"])
    response = client.post("/footage/new/", {
        "requester_type": "police", "requester_name": "PC 1234 Shah",
        "incident_reference": "NP/1", "cameras": "CAM-031",
        "window_start": (timezone.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "window_end": (timezone.now() - timedelta(days=2, hours=-1)).strftime("%Y-%m-%dT%H:%M"),
        "reason": "Robbery.",
    })  # fmt: skip
    request = FootageRequest.objects.get()
    assert response.status_code == 302
    assert response.url == f"/footage/{request.pk}/"
    assert client.get(f"/footage/{request.pk}/decide/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.footage_request_decide(
            request=request, actor=staff["frontline"], approve=True, lawful_basis="crime",
            reason="Self-approval",
        )  # fmt: skip

    client.force_login(staff["lead"])
    response = client.post(f"/footage/{request.pk}/decide/", {
        "version": request.version, "decision": "approve", "lawful_basis": "crime",
        "reason": "Crime under investigation.",
    })  # fmt: skip
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    upload = SimpleUploadedFile("clip.mp4", b"clip", content_type="video/mp4")
    response = client.post(f"/footage/{request.pk}/export/", {
        "version": request.version, "media_reference": "USB-7", "exported_file": upload,
    })  # fmt: skip
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.sha256 == hashlib.sha256(b"clip").hexdigest()

    client.force_login(staff["auditor"])
    page = client.get(f"/footage/{request.pk}/")
    assert page.status_code == 200
    assert request.sha256 in page.content.decode()
    assert client.get(f"/footage/{request.pk}/destroy/").status_code == 403
    assert client.get("/footage/new/").status_code == 403

    for name, status in (("admin", 404), ("other_lead", 404)):
        client.force_login(staff[name])
        assert client.get(f"/footage/{request.pk}/").status_code == status, name
        assert client.get(f"/api/v1/footage/requests/{request.pk}/").status_code == status
    client.force_login(staff["admin"])
    assert client.get("/footage/").status_code == 403


def test_a_request_about_a_case_is_hidden_from_those_who_cannot_open_the_case(staff, cameras):
    from workflows.services import case_raise

    case = case_raise(actor=staff["lead"], case_type="dhr", data={
        "summary": "Death notified.", "subject_given_names": "A", "subject_family_name": "B",
        "date_of_death": "2026-03-01", "notified_on": "2026-03-02", "notifying_force": "NP",
        "relationship": "intimate_partner", "review_type": "homicide", "circumstances": "x",
    })  # fmt: skip
    request = ask(staff["lead"], ["CAM-031"], requester_type="council_case",
                  case_reference=case.reference)  # fmt: skip
    assert request.case == case
    other = staff["frontline"]
    with pytest.raises(ValidationError):
        ask(other, ["CAM-031"], requester_type="council_case", case_reference=case.reference)
    assert footage_request_list_for_user(staff["lead"]).filter(pk=request.pk).exists()
    assert not footage_request_list_for_user(staff["auditor"]).filter(pk=request.pk).exists()


def test_the_api_asks_and_shows_the_clock(staff, cameras, client):
    client.force_login(staff["frontline"])
    start = timezone.now() - timedelta(days=3)
    response = client.post("/api/v1/footage/requests/", {
        "requester_type": "insurer", "requester_name": "Acme Insurance",
        "cameras": "CAM-028", "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=1)).isoformat(), "reason": "Car damage claim.",
    }, content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "requested"
    assert body["cameras"] == ["CAM-028"]
    expected = start + timedelta(days=28) - MARGIN
    assert datetime.fromisoformat(body["preserve_by"]) == expected.replace(microsecond=0) or (
        abs(datetime.fromisoformat(body["preserve_by"]) - expected) < timedelta(seconds=1)
    )
    bad = client.post("/api/v1/footage/requests/", {}, content_type="application/json")
    assert bad.status_code == 400
    assert "requester_type" in bad.json()["errors"]


def test_the_demo_camera_register_has_120_cameras_of_28_or_31_days(db):
    from django.core.management import call_command

    call_command("seed_cameras", stdout=io.StringIO())
    call_command("seed_cameras", stdout=io.StringIO())
    assert Camera.objects.count() == 120
    assert set(Camera.objects.values_list("retention_days", flat=True)) == {28, 31}


def test_the_sweep_reminds_once_to_destroy_a_copy_kept_past_its_date(staff, cameras, now_is):
    now_is(INCIDENT + timedelta(days=1))
    request = exported(staff)
    kept_until = datetime.combine(request.retain_until, datetime.min.time(), tzinfo=LONDON)
    sweep(at=kept_until - timedelta(hours=1))
    assert not FootageReminder.objects.filter(stage="destroy_due").exists()
    sweep(at=kept_until + timedelta(hours=10))
    sweep(at=kept_until + timedelta(days=1, hours=10))
    assert FootageReminder.objects.get(stage="destroy_due").recipients == 1
    assert (
        OutboxMessage.objects.filter(
            subject=f"{request.reference}: destroy the council's exported copy"
        ).count()
        == 1
    )
