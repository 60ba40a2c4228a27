"""The dashboards are built on cases, clocks and referrals: the referral tests' people and
partners serve them too."""

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
