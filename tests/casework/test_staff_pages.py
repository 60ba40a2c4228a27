"""Staff administration in the service's own pages (issue 20): add, change role and teams,
deactivate (never delete), reset a password by a one-time link, unlock a locked account,
last sign-in shown; every change audited with who and why; never one's own role."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from casework.audit import AuditVerb
from casework.models import AuditEvent, StaffApproval, Team
from casework.roles import Role, roles_of
from notifications.models import OutboxMessage
from tests.conftest import DEMO_PASSWORD

User = get_user_model()
PEOPLE = "/staff/people/"


@pytest.fixture
def admin(make_user):
    user = make_user("admin", Role.ADMINISTRATOR, [])
    user.first_name, user.last_name = "Ada", "Admin"
    user.save()
    return user


@pytest.fixture
def lead(make_user):
    return make_user("lead.north", Role.LEAD, ["north"])


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def html(response) -> str:
    return response.content.decode()


def last_event(verb: str) -> AuditEvent:
    return AuditEvent.objects.filter(verb=verb).latest("pk")


ADD = {
    "first_name": "Priya",
    "last_name": "Shah",
    "email": "Priya.Shah@Council.example",
    "role": "lead",
    "clearance": "yes",
    "reason": "Joined the north team.",
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.FRONTLINE, Role.LEAD, Role.PREVENT_LEAD, Role.AUDITOR])
def test_only_administrators_use_the_pages(client, make_user, lead, role):
    client.force_login(make_user("someone", role, ["north"]))
    for url in (PEOPLE, f"{PEOPLE}new/", f"{PEOPLE}{lead.pk}/", f"{PEOPLE}{lead.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Only administrators can manage staff." in html(response)
    assert client.post(f"{PEOPLE}new/", ADD).status_code == 403
    assert not User.objects.filter(username="priya.shah@council.example").exists()


@pytest.mark.django_db
def test_the_people_page_lists_role_teams_status_and_last_sign_in(admin_client, lead):
    User.objects.get_or_create(username="AnonymousUser")
    lead.last_login = timezone.make_aware(timezone.datetime(2026, 11, 30, 9, 15))
    lead.save()
    page = html(admin_client.get(PEOPLE))
    row = page.split('data-person="lead.north"')[1].split("</tr>")[0]
    assert "Safeguarding lead" in row
    assert "North locality team" in row
    assert "Active" in row
    assert "30 November 2026 at 9:15am" in row
    assert "Staff and Superuser" not in page
    assert "AnonymousUser" not in page  # django-guardian's stand-in is not staff


@pytest.mark.django_db
def test_adding_someone_gives_role_teams_clearance_and_a_one_time_link(admin_client, admin):
    north = Team.objects.get(slug="north")
    response = admin_client.post(f"{PEOPLE}new/", {**ADD, "teams": [north.pk]})
    assert response.status_code == 302
    user = User.objects.get(username="priya.shah@council.example")
    assert (user.first_name, user.email, user.is_active) == (
        "Priya",
        "priya.shah@council.example",
        True,
    )
    # Prevent clearance waits for a second administrator; the teams do not.
    assert roles_of(user) == set()
    assert [m.team for m in user.team_memberships.all()] == [north]
    approval = StaffApproval.objects.get(user=user, decided_at__isnull=True)
    assert (approval.role, approval.cleared, approval.requested_by) == ("lead", True, admin)
    assert not user.has_usable_password()
    event = last_event(AuditVerb.STAFF_ADDED)
    assert event.actor == admin
    assert event.data["reason"] == "Joined the north team."
    assert event.names["users"][str(user.pk)] == "Priya Shah"
    message = OutboxMessage.objects.get(recipient=user)
    assert (message.channel, message.subject) == ("email", "Set your Safecase password")
    assert message.link.startswith("/staff/set-password/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "Enter their first name"),
        ({"email": "not-an-email"}, "email", "Enter an email address in the correct format"),
        ({"email": "lead.north"}, "email", "Enter an email address in the correct format"),
        ({"role": ""}, "role", "Select a role"),
        ({"role": "auditor"}, "clearance", "Only a safeguarding lead can be given Prevent"),
        ({"reason": ""}, "reason", "Enter why you are making this change"),
    ],
)
def test_adding_is_validated_with_govuk_errors(admin_client, change, field, message):
    before = User.objects.count()
    response = admin_client.post(f"{PEOPLE}new/", {**ADD, **change})
    assert response.status_code == 400
    page = html(response)
    assert "There is a problem" in page
    assert f'href="#{field}"' in page
    assert message in page
    assert User.objects.count() == before


@pytest.mark.django_db
def test_an_email_already_used_is_refused(admin_client):
    admin_client.post(f"{PEOPLE}new/", ADD)
    response = admin_client.post(f"{PEOPLE}new/", ADD)
    assert response.status_code == 400
    assert "A member of staff with this email address already exists" in html(response)


@pytest.mark.django_db
def test_the_link_sets_a_password_once(client, admin_client):
    admin_client.post(f"{PEOPLE}new/", ADD)
    link = OutboxMessage.objects.latest("pk").link
    client.logout()
    assert client.get(link).status_code == 200
    password = "a-long-new-passphrase-2026"
    done = client.post(link, {"new_password1": password, "new_password2": password})
    assert "Your password is set" in html(done)
    user = User.objects.get(username="priya.shah@council.example")
    assert user.check_password(password)
    assert last_event(AuditVerb.STAFF_RESET_LINK_USED).actor == user
    assert client.get(link).status_code == 400  # used: it works once


@pytest.mark.django_db
def test_changing_role_and_teams_is_audited_with_before_and_after(admin_client, admin, lead):
    south = Team.objects.get(slug="south")
    response = admin_client.post(
        f"{PEOPLE}{lead.pk}/change/",
        {"role": "frontline", "teams": [south.pk], "clearance": "no", "reason": "Moved."},
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    lead._safecase_roles = lead._safecase_groups = None
    assert roles_of(lead) == {Role.FRONTLINE}
    event = last_event(AuditVerb.STAFF_CHANGED)
    assert event.data["role"] == {"before": "lead", "after": "frontline"}
    assert event.data["teams"]["after"] == [south.pk]
    assert (event.actor, event.data["reason"]) == (admin, "Moved.")


@pytest.mark.django_db
def test_an_administrator_cannot_change_their_own_role_or_clearance(admin_client, admin):
    north = Team.objects.get(slug="north")
    refused = admin_client.post(
        f"{PEOPLE}{admin.pk}/change/",
        {"role": "auditor", "clearance": "no", "reason": "Promote myself."},
    )
    assert refused.status_code == 400
    assert "You cannot change your own role or clearance" in html(refused)
    admin._safecase_roles = None
    assert roles_of(admin) == {Role.ADMINISTRATOR}
    teams = admin_client.post(
        f"{PEOPLE}{admin.pk}/change/",
        {"role": "administrator", "teams": [north.pk], "clearance": "no", "reason": "Cover."},
    )
    assert teams.status_code == 302


@pytest.mark.django_db
def test_deactivating_keeps_the_person_and_stops_sign_in(admin_client, admin, lead):
    response = admin_client.post(f"{PEOPLE}{lead.pk}/deactivate/", {"reason": "Left."})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.is_active is False
    assert last_event(AuditVerb.STAFF_DEACTIVATED).data == {"user": lead.pk, "reason": "Left."}
    detail = admin_client.get(f"{PEOPLE}{lead.pk}/")
    assert "Deactivated" in html(detail)
    (row,) = detail.context["history"]  # who did it and why, on the person's page
    assert (row.label, row.actor) == ("Member of staff deactivated", "Ada Admin")
    assert "Reason: Left." in [str(line) for line in row.lines]
    visitor = Client()
    signed_in = visitor.post("/sign-in/", {"username": "lead.north", "password": DEMO_PASSWORD})
    assert signed_in.status_code == 200  # the sign-in page again, not home
    assert "_auth_user_id" not in visitor.session
    own = admin_client.post(f"{PEOPLE}{admin.pk}/deactivate/", {"reason": "Oops."})
    assert own.status_code == 400
    assert admin_client.post(f"{PEOPLE}{lead.pk}/reactivate/", {"reason": "Back."}).status_code
    lead.refresh_from_db()
    assert lead.is_active is True


@pytest.mark.django_db
def test_resetting_a_password_stops_the_old_one_and_sends_a_link(admin_client, lead):
    lead.email = "lead@council.example"
    lead.save()
    response = admin_client.post(f"{PEOPLE}{lead.pk}/reset-password/", {"reason": "Forgot."})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert not lead.check_password(DEMO_PASSWORD)
    message = OutboxMessage.objects.get(recipient=lead)
    assert message.subject == "Reset your Safecase password"
    assert re.match(r"^/staff/set-password/[^/]+/[^/]+/$", message.link)
    assert last_event(AuditVerb.STAFF_RESET_LINK_SENT).data["reason"] == "Forgot."


@pytest.mark.django_db
def test_a_locked_account_is_shown_and_can_be_unlocked(admin_client, lead):
    AccessAttempt.objects.create(
        username="lead.north", ip_address="10.0.0.1", user_agent="test",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        get_data="", post_data="", path_info="/sign-in/",
    )  # fmt: skip
    detail = html(admin_client.get(f"{PEOPLE}{lead.pk}/"))
    assert "Locked" in detail
    assert "Unlock their account" in detail
    response = admin_client.post(f"{PEOPLE}{lead.pk}/unlock/", {"reason": "Rang the desk."})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="lead.north").exists()
    assert last_event(AuditVerb.STAFF_UNLOCKED).data["reason"] == "Rang the desk."
    again = admin_client.post(f"{PEOPLE}{lead.pk}/unlock/", {"reason": "Again."})
    assert "Their account is not locked" in html(again)


@pytest.mark.django_db
def test_an_old_lockout_has_expired(admin_client, lead):
    AccessAttempt.objects.create(
        username="lead.north", ip_address="10.0.0.1", user_agent="test",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        get_data="", post_data="", path_info="/sign-in/",
    )  # fmt: skip
    long_ago = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=long_ago)
    assert "Unlock their account" not in html(admin_client.get(f"{PEOPLE}{lead.pk}/"))


@pytest.fixture
def second_admin(make_user):
    return make_user("admin.two", Role.ADMINISTRATOR, [])


@pytest.mark.django_db
def test_a_second_administrator_approves_a_clearance(
    client, admin_client, admin, lead, second_admin
):
    response = admin_client.post(
        f"{PEOPLE}{lead.pk}/change/",
        {"role": "lead", "teams": [t.pk for t in Team.objects.filter(slug="north")],
         "clearance": "yes", "reason": "Joining the Prevent rota."},
    )  # fmt: skip
    assert response.status_code == 302
    lead._safecase_roles = lead._safecase_groups = None
    assert roles_of(lead) == {Role.LEAD}  # not yet
    approval = StaffApproval.objects.get(user=lead)
    assert "Waiting for a second administrator" in html(admin_client.get(PEOPLE))
    own = admin_client.post(
        f"/staff/approvals/{approval.pk}/", {"decision": "approve", "reason": "Mine."}
    )
    assert own.status_code == 400
    assert "another administrator must decide it" in html(own)
    client.force_login(second_admin)
    done = client.post(
        f"/staff/approvals/{approval.pk}/", {"decision": "approve", "reason": "Checked vetting."}
    )
    assert done.status_code == 302
    lead._safecase_roles = lead._safecase_groups = None
    assert roles_of(lead) == {Role.PREVENT_LEAD}
    event = last_event(AuditVerb.STAFF_APPROVAL_DECIDED)
    assert (event.actor, event.data["approved"], event.data["requested_by"]) == (
        second_admin,
        True,
        admin.pk,
    )
    assert client.get(f"/staff/approvals/{approval.pk}/").status_code == 404  # decided


@pytest.mark.django_db
def test_a_declined_auditor_role_changes_nothing(client, admin_client, lead, second_admin):
    admin_client.post(
        f"{PEOPLE}{lead.pk}/change/",
        {"role": "auditor", "teams": [t.pk for t in Team.objects.filter(slug="north")],
         "clearance": "no", "reason": "Audit secondment."},
    )  # fmt: skip
    again = admin_client.post(
        f"{PEOPLE}{lead.pk}/change/",
        {"role": "auditor", "clearance": "no", "reason": "Twice."},
    )
    assert "already waiting for a second administrator" in html(again)
    approval = StaffApproval.objects.get(user=lead)
    client.force_login(second_admin)
    client.post(f"/staff/approvals/{approval.pk}/", {"decision": "decline", "reason": "No."})
    lead._safecase_roles = lead._safecase_groups = None
    assert roles_of(lead) == {Role.LEAD}
    approval.refresh_from_db()
    assert approval.approved is False


@pytest.mark.django_db
def test_taking_clearance_away_needs_no_second_approval(admin_client, make_user):
    cleared = make_user("prevent.lead", Role.PREVENT_LEAD, ["north"])
    admin_client.post(
        f"{PEOPLE}{cleared.pk}/change/",
        {"role": "lead", "teams": [t.pk for t in Team.objects.filter(slug="north")],
         "clearance": "no", "reason": "Left the Prevent rota."},
    )  # fmt: skip
    cleared._safecase_roles = None
    assert roles_of(cleared) == {Role.LEAD}
    assert not StaffApproval.objects.exists()
