"""Casework reads."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from casework.models import Case
from casework.permissions import restricted_case_types
from casework.roles import Role

User = get_user_model()


def case_leads(case: Case) -> QuerySet[Any]:
    """The leads who act on ``case``: its team's leads, Prevent-cleared ones only for a
    restricted case type (DESIGN.md "Access")."""
    roles = (
        [Role.PREVENT_LEAD]
        if case.case_type in restricted_case_types()
        else [Role.LEAD, Role.PREVENT_LEAD]
    )
    return (
        User.objects.filter(
            is_active=True,
            team_memberships__team_id=case.team_id,
            groups__name__in=[r.group_name for r in roles],
        )
        .distinct()
        .order_by("pk")
    )
