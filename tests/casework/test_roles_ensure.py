"""The role groups and their model permissions (casework.services.roles_ensure): made
once, repaired when changed, cheap when there (every made user ensures them)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from casework import services
from casework.roles import Role
from casework.services import ROLE_MODEL_PERMISSIONS, roles_ensure

pytestmark = pytest.mark.django_db


def held(group: Group) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_each_role_group_holds_exactly_its_permissions():
    groups = roles_ensure()
    assert set(groups) == set(Role)
    for role, group in groups.items():
        assert group.name == role.group_name
        assert held(group) == set(ROLE_MODEL_PERMISSIONS.get(role, []))


def test_a_second_time_changes_nothing_and_takes_a_few_queries(django_assert_max_num_queries):
    first = roles_ensure()
    before = {role: held(group) for role, group in first.items()}
    with django_assert_max_num_queries(5):  # permissions, groups, their links, a savepoint
        again = roles_ensure()
    assert {role: g.pk for role, g in again.items()} == {role: g.pk for role, g in first.items()}
    assert {role: held(group) for role, group in again.items()} == before


def test_a_permission_taken_from_a_group_or_a_missing_group_is_put_back():
    groups = roles_ensure()
    admin = groups[Role.ADMINISTRATOR]
    admin.permissions.remove(Permission.objects.get(codename="add_bankholiday"))
    Group.objects.filter(name=Role.AUDITOR.group_name).delete()
    groups = roles_ensure()
    assert "workflows.add_bankholiday" in held(groups[Role.ADMINISTRATOR])
    assert held(groups[Role.AUDITOR]) == set(ROLE_MODEL_PERMISSIONS.get(Role.AUDITOR, []))


def test_an_unknown_permission_is_named_and_nothing_is_made(monkeypatch):
    Group.objects.filter(name__in=[role.group_name for role in Role]).delete()
    wanted = {**ROLE_MODEL_PERMISSIONS, Role.LEAD: ["casework.fly_case"]}
    monkeypatch.setattr(services, "ROLE_MODEL_PERMISSIONS", wanted)
    with pytest.raises(Permission.DoesNotExist, match="casework.fly_case"):
        roles_ensure()
    assert not Group.objects.filter(name__in=[role.group_name for role in Role]).exists()
