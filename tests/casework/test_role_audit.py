"""Separation of duties (issue 17, finding 1): no role holds a permission on users or
groups, nobody grants themselves anything, the auditor role and clearances need a second
administrator, superuser comes only from the command line, and every change of role,
group, permission, flag or password, by any path, is audited."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import transaction

from casework.audit import AuditVerb
from casework.models import AuditEvent, StaffApproval, Team
from casework.permissions import clearance_group
from casework.role_audit import OUTSIDE_A_REQUEST, RoleAuditMiddleware
from casework.roles import PREVENT_CLEARANCE_GROUP, Role, roles_of

User = get_user_model()


@pytest.fixture
def admin(make_user):
    return make_user("admin", Role.ADMINISTRATOR, [])


@pytest.fixture
def second_admin(make_user):
    return make_user("admin.two", Role.ADMINISTRATOR, [])


@pytest.fixture
def lead(make_user):
    return make_user("lead.north", Role.LEAD, ["north"])


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("operator", "op@example.org", "x" * 20)


def events(verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb).order_by("pk"))


def fresh(user):
    return User.objects.get(pk=user.pk)


def _admin_form(user, **overrides) -> dict:
    """The Django admin's user change form as the browser would post it."""
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
        "email": user.email, "is_active": "on",
        "groups": [g.pk for g in user.groups.all()],
        "user_permissions": [],
        "last_login_0": "", "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }  # fmt: skip
    data.update(overrides)
    return data


# No role holds a permission on users, groups or permissions --------------------------------


@pytest.mark.django_db
def test_the_administrator_group_holds_no_permission_on_users_or_groups(admin):
    group = Group.objects.get(name=Role.ADMINISTRATOR.group_name)
    assert not group.permissions.filter(content_type__app_label="auth").exists()
    assert not fresh(admin).has_perm("auth.change_user")
    assert not fresh(admin).has_perm("auth.add_user")


@pytest.mark.django_db
def test_the_migration_takes_the_permissions_away_from_an_existing_group(admin):
    group = Group.objects.get(name=Role.ADMINISTRATOR.group_name)
    change_user = Permission.objects.get(codename="change_user")
    group.permissions.add(change_user, Permission.objects.get(codename="view_group"))
    migration = importlib.import_module(
        "casework.migrations.0019_administrator_loses_user_permissions"
    )
    migration.remove(apps, None)
    assert not group.permissions.filter(content_type__app_label="auth").exists()
    # The administrator's other permissions (teams, bank holidays) stay.
    assert group.permissions.filter(codename="change_team").exists()


@pytest.mark.django_db
def test_an_administrator_cannot_change_a_user_in_the_django_admin(client, admin, lead):
    client.force_login(admin)
    auditor = Group.objects.get(name=Role.AUDITOR.group_name)
    for target in (admin, lead):
        response = client.post(
            f"/django-admin/auth/user/{target.pk}/change/",
            _admin_form(target, is_superuser="on", is_staff="on", groups=[auditor.pk]),
        )
        assert response.status_code == 302
        assert "/django-admin/login/" in response.url
        after = fresh(target)
        assert not after.is_superuser
        assert not after.is_staff
        assert Role.AUDITOR not in roles_of(after)
        password = client.post(
            f"/django-admin/auth/user/{target.pk}/password/",
            {"password1": "a-new-long-password-1", "password2": "a-new-long-password-1"},
        )
        assert password.status_code == 302
        assert "/django-admin/login/" in password.url
        assert fresh(target).password == target.password


# Nobody grants themselves anything; no page makes a superuser --------------------------------


@pytest.mark.django_db
def test_a_superuser_cannot_give_themselves_a_group_in_the_django_admin(client, superuser):
    client.force_login(superuser)
    auditor = Group.objects.get_or_create(name=Role.AUDITOR.group_name)[0]
    response = client.post(
        f"/django-admin/auth/user/{superuser.pk}/change/",
        _admin_form(superuser, is_superuser="on", is_staff="on", groups=[auditor.pk]),
    )
    assert response.status_code == 403
    assert not fresh(superuser).groups.exists()
    assert events(AuditVerb.USER_GROUPS_CHANGED) == []


@pytest.mark.django_db
def test_no_page_makes_anyone_a_superuser(client, superuser, lead):
    client.force_login(superuser)
    response = client.post(
        f"/django-admin/auth/user/{lead.pk}/change/",
        _admin_form(lead, is_superuser="on", is_staff="on"),
    )
    assert response.status_code == 403
    assert not fresh(lead).is_superuser
    assert [e.object_id for e in events(AuditVerb.USER_FLAGS_CHANGED)] == [str(superuser.pk)]


@pytest.mark.django_db
def test_a_superusers_change_in_the_django_admin_is_audited_as_theirs(client, superuser, lead):
    client.force_login(superuser)
    frontline = Group.objects.get(name=Role.FRONTLINE.group_name)
    response = client.post(
        f"/django-admin/auth/user/{lead.pk}/change/", _admin_form(lead, groups=[frontline.pk])
    )
    assert response.status_code == 302
    changes = events(AuditVerb.USER_GROUPS_CHANGED)
    assert [(e.actor, e.data.get("added"), e.data.get("removed")) for e in changes] == [
        (superuser, None, [Role.LEAD.group_name]),
        (superuser, [Role.FRONTLINE.group_name], None),
    ]
    assert changes[0].data["via"] == f"/django-admin/auth/user/{lead.pk}/change/"


def _in_a_request(rf, actor, change):
    """Run ``change`` as a view answering ``actor``'s request (in its own savepoint, as a
    request's transaction would be)."""
    request = rf.post("/somewhere/")
    request.user = actor

    def view(request):
        with transaction.atomic():
            change()

    return RoleAuditMiddleware(view)(request)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "group_name",
    [Role.AUDITOR.group_name, PREVENT_CLEARANCE_GROUP, Role.PREVENT_LEAD.group_name,
     clearance_group("dhr")],
)  # fmt: skip
def test_a_request_cannot_give_the_auditor_role_or_a_clearance_without_approval(
    rf, admin, lead, group_name
):
    group = Group.objects.get_or_create(name=group_name)[0]
    with pytest.raises(PermissionDenied):
        _in_a_request(rf, admin, lambda: lead.groups.add(group))
    with pytest.raises(PermissionDenied):
        _in_a_request(rf, admin, lambda: group.user_set.add(lead))
    assert not fresh(lead).groups.filter(name=group_name).exists()


@pytest.mark.django_db
def test_nobody_gives_themselves_a_group_or_permission(rf, admin):
    frontline = Group.objects.get(name=Role.FRONTLINE.group_name)
    admin_group = Group.objects.get(name=Role.ADMINISTRATOR.group_name)
    change_user = Permission.objects.get(codename="change_user")
    for change in (
        lambda: admin.groups.add(frontline),
        lambda: frontline.user_set.add(admin),
        lambda: admin.user_permissions.add(change_user),
        lambda: admin_group.permissions.add(change_user),
        lambda: change_user.group_set.add(admin_group),
    ):
        with pytest.raises(PermissionDenied):
            _in_a_request(rf, admin, change)
    assert list(fresh(admin).groups.all()) == [admin_group]
    assert not fresh(admin).user_permissions.exists()
    assert not admin_group.permissions.filter(pk=change_user.pk).exists()


@pytest.mark.django_db
def test_a_clearance_given_in_the_service_needs_a_second_administrator(
    client, admin, second_admin, lead
):
    client.force_login(admin)
    north = Team.objects.filter(slug="north")
    client.post(
        f"/staff/people/{lead.pk}/change/",
        {"role": "auditor", "teams": [t.pk for t in north], "clearance": "no",
         "reason": "Audit secondment."},
    )  # fmt: skip
    assert Role.AUDITOR not in roles_of(fresh(lead))
    approval = StaffApproval.objects.get(user=lead)
    client.force_login(second_admin)
    client.post(
        f"/staff/approvals/{approval.pk}/", {"decision": "approve", "reason": "Vetting done."}
    )
    assert roles_of(fresh(lead)) == {Role.AUDITOR}
    given = events(AuditVerb.USER_GROUPS_CHANGED)[-1]
    assert (given.actor, given.data["added"]) == (second_admin, [Role.AUDITOR.group_name])
    decided = events(AuditVerb.STAFF_APPROVAL_DECIDED)[-1]
    assert decided.names["users"] == {
        str(second_admin.pk): "admin.two",
        str(admin.pk): "admin",
        str(lead.pk): "lead.north",
    }
    assert decided.data["reason"] == "Vetting done."


@pytest.mark.django_db
def test_an_administrator_cannot_clear_themselves_through_the_service(admin):
    from casework.services import prevent_clearance_set

    with pytest.raises(PermissionDenied):
        prevent_clearance_set(user=admin, actor=admin, cleared=True)


# Every change is audited, by any path --------------------------------------------------------


@pytest.mark.django_db
def test_group_changes_from_a_shell_are_audited(lead):
    auditor = Group.objects.get(name=Role.AUDITOR.group_name)
    lead.groups.add(auditor)
    lead.groups.remove(auditor)
    auditor.user_set.add(lead)
    lead.groups.clear()
    recorded = [
        (e.data.get("added"), e.data.get("removed"), e.data["via"], e.actor)
        for e in events(AuditVerb.USER_GROUPS_CHANGED)
    ]
    assert recorded == [
        (["Auditor"], None, OUTSIDE_A_REQUEST, None),
        (None, ["Auditor"], OUTSIDE_A_REQUEST, None),
        (["Auditor"], None, OUTSIDE_A_REQUEST, None),
        (None, ["Auditor", Role.LEAD.group_name], OUTSIDE_A_REQUEST, None),
    ]
    assert all(e.object_id == str(lead.pk) for e in events(AuditVerb.USER_GROUPS_CHANGED))


@pytest.mark.django_db
def test_permission_changes_are_audited(lead):
    change_user = Permission.objects.get(codename="change_user")
    lead.user_permissions.add(change_user)
    group = Group.objects.get(name=Role.LEAD.group_name)
    group.permissions.add(change_user)
    group.permissions.remove(change_user)
    (user_event,) = events(AuditVerb.USER_PERMISSIONS_CHANGED)
    assert user_event.data["added"] == ["Can change user (auth)"]
    group_events = events(AuditVerb.GROUP_PERMISSIONS_CHANGED)
    recorded = [(e.data["group"], e.data.get("added"), e.data.get("removed")) for e in group_events]
    assert recorded == [
        (group.name, ["Can change user (auth)"], None),
        (group.name, None, ["Can change user (auth)"]),
    ]


@pytest.mark.django_db
def test_flags_and_passwords_are_audited(lead):
    lead.is_superuser = True
    lead.is_staff = True
    lead.save()
    lead.is_active = False
    lead.save(update_fields=["is_active"])
    lead.set_password("another-long-password")
    lead.save()
    flags = events(AuditVerb.USER_FLAGS_CHANGED)
    assert [{k: v for k, v in e.data.items() if k not in {"user", "via"}} for e in flags] == [
        {"superuser": {"before": False, "after": True}, "staff": {"before": False, "after": True}},
        {"active": {"before": True, "after": False}},
    ]
    (password,) = events(AuditVerb.USER_PASSWORD_CHANGED)
    assert (password.object_id, password.data["usable"]) == (str(lead.pk), True)
    # A save that touches none of them (the last sign-in time) records nothing.
    lead.save(update_fields=["last_login"])
    assert len(events(AuditVerb.USER_FLAGS_CHANGED)) == 2


@pytest.mark.django_db
def test_a_superuser_made_by_the_management_command_is_audited(db):
    call_command("createsuperuser", interactive=False, username="op2", email="op2@example.org")
    (event,) = events(AuditVerb.USER_FLAGS_CHANGED)
    assert event.data["superuser"] == {"before": False, "after": True}
    assert event.data["via"] == OUTSIDE_A_REQUEST


@pytest.mark.django_db
def test_a_password_reset_on_the_staff_pages_is_audited_as_the_administrator(client, admin, lead):
    lead.email = "lead@example.org"
    lead.save()
    client.force_login(admin)
    response = client.post(f"/staff/people/{lead.pk}/reset-password/", {"reason": "Forgotten."})
    assert response.status_code == 302, response.content
    (event,) = events(AuditVerb.USER_PASSWORD_CHANGED)
    assert (event.actor, event.data["usable"]) == (admin, False)


# The auditor's dashboard shows them ------------------------------------------------------------


@pytest.mark.django_db
def test_the_auditors_dashboard_shows_recent_role_changes(client, make_user, lead):
    auditor = make_user("auditor", Role.AUDITOR, [])
    lead.groups.add(Group.objects.get_or_create(name=PREVENT_CLEARANCE_GROUP)[0])
    client.force_login(auditor)
    html = client.get("/").content.decode()
    panel = html.split('data-panel="role-changes"', 1)[1].split("</section>", 1)[0]
    assert "Role, clearance or group changed" in panel
    assert "Given: Prevent clearance" in panel
    assert "Member of staff: lead.north" in panel
    client.force_login(lead)
    assert 'data-panel="role-changes"' not in client.get("/").content.decode()
