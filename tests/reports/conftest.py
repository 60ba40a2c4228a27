"""The dashboards are built on cases, clocks and referrals: the referral tests' people and
partners serve them too."""

import pytest

from casework.roles import Role
from tests.referrals.conftest import (  # noqa: F401  (pytest fixtures, found by name)
    acting_lead,
    administrator,
    auditor,
    case_for,
    draft_for,
    frontline,
    lead,
    other_lead,
    partners,
    prevent_lead,
)


@pytest.fixture
def analyst(make_user):
    return make_user("analyst", Role.ANALYST, [])


@pytest.fixture
def south_frontline(make_user):
    return make_user("frontline.south", Role.FRONTLINE, ["south"])
