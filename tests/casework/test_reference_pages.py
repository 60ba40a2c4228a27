"""Teams, partner agencies, bank holidays and timescales in the administrator's own pages
(issue 20): each change validated with GOV.UK errors and audited with who and why;
timescales listed once each, in words, the statutory ones fixed."""

from __future__ import annotations

import pytest

from casework.audit import AuditVerb
from casework.audit_describe import describe_events
from casework.models import AuditEvent, Team
from casework.roles import Role
from referrals.models import PartnerAgency, PartnerResponseTime
from workflows.models import BankHoliday, TimescaleOverride


@pytest.fixture
def admin(make_user):
    return make_user("admin", Role.ADMINISTRATOR, [])


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def html(response) -> str:
    return response.content.decode()


def last_event(verb: str) -> AuditEvent:
    return AuditEvent.objects.filter(verb=verb).latest("pk")


def lines_of(event: AuditEvent) -> list[str]:
    return [str(line) for line in describe_events([event])[0].lines]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/staff/teams/", "/staff/teams/new/", "/staff/partners/", "/staff/partners/new/",
     "/staff/bank-holidays/", "/staff/bank-holidays/new/", "/staff/timescales/",
     "/staff/timescales/modern_slavery/rg_decision/"],
)  # fmt: skip
@pytest.mark.parametrize("role", [Role.FRONTLINE, Role.LEAD, Role.AUDITOR])
def test_only_administrators(client, make_user, url, role):
    client.force_login(make_user("someone", role, ["north"]))
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_a_team_is_added_and_changed_with_area_and_duty_lead(admin_client, admin):
    response = admin_client.post(
        "/staff/teams/new/",
        {"name": "East locality team", "area": "Eastfield", "duty_lead_contact": "01632 960001",
         "reason": "New locality."},
    )  # fmt: skip
    assert response.status_code == 302
    team = Team.objects.get(name="East locality team")
    assert (team.slug, team.area, team.duty_lead_contact) == (
        "east-locality-team",
        "Eastfield",
        "01632 960001",
    )
    listed = html(admin_client.get("/staff/teams/"))
    assert "Eastfield" in listed
    assert "01632 960001" in listed
    admin_client.post(
        f"/staff/teams/{team.pk}/",
        {"name": "East team", "area": "Eastfield", "duty_lead_contact": "duty@east.example",
         "reason": "Renamed."},
    )  # fmt: skip
    event = last_event(AuditVerb.TEAM_SAVED)
    assert event.actor == admin
    assert event.data["name"] == {"before": "East locality team", "after": "East team"}
    assert "Name: East locality team → East team" in lines_of(event)
    assert "Reason: Renamed." in lines_of(event)


@pytest.mark.django_db
def test_a_team_needs_a_name_and_a_reason(admin_client):
    response = admin_client.post("/staff/teams/new/", {"name": "", "reason": ""})
    assert response.status_code == 400
    page = html(response)
    assert "Enter the team's name" in page or "Enter the team&#x27;s name" in page
    assert "Enter why you are making this change" in page
    duplicate = admin_client.post(
        "/staff/teams/new/", {"name": "north locality team", "reason": "Again."}
    )
    assert "A team with this name already exists" in html(duplicate)


@pytest.mark.django_db
def test_a_partner_with_its_secure_mailbox_and_response_time(admin_client, admin):
    response = admin_client.post(
        "/staff/partners/new/",
        {"name": "Eastfield Police", "kind": "police", "secure_email": "MASH@police.example",
         "contact_email": "", "phone": "101", "active": "yes", "reason": "New partner."},
    )  # fmt: skip
    assert response.status_code == 302
    partner = PartnerAgency.objects.get(name="Eastfield Police")
    assert (partner.secure_email, partner.active) == ("mash@police.example", True)
    timed = admin_client.post(
        f"/staff/partners/{partner.pk}/response-time/",
        {"referral_type": "prevent_referral", "duration": "3", "unit": "working_days",
         "reason": "Agreed at the board."},
    )  # fmt: skip
    assert timed.status_code == 302
    time = PartnerResponseTime.objects.get(partner=partner)
    assert (time.referral_type, time.duration, time.unit) == ("prevent_referral", 3, "working_days")
    assert "National Prevent referral: 3 working days" in html(admin_client.get("/staff/partners/"))
    lines = lines_of(last_event(AuditVerb.PARTNER_SAVED))
    assert "Partner: Eastfield Police" in lines
    assert "Referral: National Prevent referral" in lines


@pytest.mark.django_db
def test_a_partner_only_gets_response_times_for_referrals_it_takes(admin_client):
    partner = PartnerAgency.objects.create(name="Home Office SCA", kind="home_office_sca")
    refused = admin_client.post(
        f"/staff/partners/{partner.pk}/response-time/",
        {"referral_type": "prevent_referral", "duration": "3", "unit": "working_days",
         "reason": "x"},
    )  # fmt: skip
    assert refused.status_code == 400
    assert "Select a valid choice" in html(refused) or "Select a type" in html(refused)
    bad_email = admin_client.post(
        "/staff/partners/new/",
        {"name": "X", "kind": "police", "secure_email": "nope", "active": "yes", "reason": "y"},
    )
    assert "Enter an email address in the correct format" in html(bad_email)


@pytest.mark.django_db
def test_a_bank_holiday_is_added_and_removed_with_reasons(admin_client, admin):
    response = admin_client.post(
        "/staff/bank-holidays/new/",
        {"date": "2027-06-04", "title": "Proclaimed holiday", "reason": "Proclamation."},
    )
    assert response.status_code == 302
    holiday = BankHoliday.objects.get(date="2027-06-04")
    assert holiday.source == "manual"
    assert "4 June 2027" in html(admin_client.get("/staff/bank-holidays/"))
    again = admin_client.post(
        "/staff/bank-holidays/new/",
        {"date": "2027-06-04", "title": "Twice", "reason": "Oops."},
    )
    assert "4 June 2027 is already a bank holiday" in html(again)
    removed = admin_client.post(
        f"/staff/bank-holidays/{holiday.pk}/remove/", {"reason": "Entered in error."}
    )
    assert removed.status_code == 302
    assert not BankHoliday.objects.filter(date="2027-06-04").exists()
    assert "Date: 4 June 2027" in lines_of(last_event(AuditVerb.BANK_HOLIDAY_REMOVED))


@pytest.mark.django_db
def test_timescales_are_listed_once_each_in_words_with_statutory_fixed(admin_client, admin):
    page = html(admin_client.get("/staff/timescales/"))
    assert page.count('data-rule="modern_slavery.rg_decision"') == 1
    row = page.split('data-rule="modern_slavery.recovery_period"')[1].split("</tr>")[0]
    assert "Statutory: fixed" in row
    assert "Change" not in row
    assert "working_days" not in page
    assert "calendar_days" not in page
    local = page.split('data-rule="modern_slavery.rg_decision"')[1].split("</tr>")[0]
    assert "working days" in local
    assert "Change" in local
    changed = admin_client.post(
        "/staff/timescales/modern_slavery/rg_decision/", {"duration": "7", "reason": "Policy."}
    )
    assert changed.status_code == 302
    assert TimescaleOverride.objects.get(rule="rg_decision").duration == 7
    event = last_event(AuditVerb.TIMESCALE_SET)
    assert event.actor == admin
    assert any(line.startswith("Duration: ") and line.endswith("→ 7") for line in lines_of(event))
    fixed = admin_client.post(
        "/staff/timescales/modern_slavery/recovery_period/", {"duration": "7", "reason": "No."}
    )
    assert fixed.status_code == 404
    assert not TimescaleOverride.objects.filter(rule="recovery_period").exists()
