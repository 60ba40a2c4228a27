import pytest

from casework.roles import Role


@pytest.fixture
def frontline(make_user):
    return make_user("frontline.north", Role.FRONTLINE, ["north"])


@pytest.fixture
def lead(make_user):
    return make_user("lead.north", Role.LEAD, ["north"])


@pytest.fixture
def other_lead(make_user):
    return make_user("lead.south", Role.LEAD, ["south"])


@pytest.fixture
def prevent_lead(make_user):
    return make_user("prevent.lead", Role.PREVENT_LEAD, ["north", "south"])


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", Role.AUDITOR, [])
