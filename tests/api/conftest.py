"""Fixtures for the API tests: users of each role with tokens, clients that send them,
and a snapshot of everything a refused request must leave as it was."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from casework.api_tokens import api_token_issue
from casework.models import AuditEvent, Case, CasePerson, Person
from casework.roles import Role
from notifications.models import OutboxMessage
from workflows.models import Deadline
from workflows.services import case_raise


@pytest.fixture
def users(make_user):
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "other_frontline": make_user("frontline.other", Role.FRONTLINE, ["north"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "south_lead": make_user("lead.south", Role.LEAD, ["south"]),
        "prevent_lead": make_user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
        "admin": make_user("admin", Role.ADMINISTRATOR, []),
    }


@pytest.fixture
def api():
    """api(user) -> a client that sends the user's token; api() -> no credentials."""

    def _client(user: Any = None) -> APIClient:
        client = APIClient()
        if user is not None:
            _, raw = api_token_issue(user=user, name="Test client")
            client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client

    return _client


def cse_intake(**changes: Any) -> dict[str, Any]:
    """A valid CSE concern about a 15-year-old."""
    return {
        "summary": "Picked up from school by an unknown adult.",
        "subject_given_names": "Amy",
        "subject_family_name": "Walsh",
        "subject_estimated_age": 15,
        "what_has_happened": "Picked up from school by an unknown adult in a car; new phone.",
        "parental_consent": "given",
        "immediate_danger": False,
        **changes,
    }


def prevent_intake(**changes: Any) -> dict[str, Any]:
    return {
        "summary": "Shares extremist videos with classmates.",
        "subject_given_names": "Daniel",
        "subject_family_name": "Hughes",
        "subject_date_of_birth": "1999-03-02",
        "nationality": "British",
        "concerns": "Shares extremist videos with classmates and talks of travelling abroad.",
        "aware_of_referral": "no",
        "immediate_risk": False,
        **changes,
    }


@pytest.fixture
def raise_case():
    """raise_case(actor, "cse", **changes): a case raised through the service."""

    def _raise(actor: Any, case_type: str = "cse", **changes: Any) -> Case:
        intake = {"cse": cse_intake, "prevent": prevent_intake}[case_type](**changes)
        return case_raise(actor=actor, case_type=case_type, data=intake)

    return _raise


def snapshot(case: Case | None = None) -> tuple[Any, ...]:
    """What a refused request must not change: the case and every table it writes to.

    The counts in one query (the refused-writes tests take a snapshot per request, some
    1,500 of them)."""
    # Table names only, from the models: nothing from outside goes into the SQL.
    tables = [m._meta.db_table for m in (Case, Person, CasePerson, Deadline, OutboxMessage)]
    counted = [f"(SELECT COUNT(*) FROM {table})" for table in tables]  # noqa: S608
    # A request for a hidden case is recorded for auditors (issue 20) and changes nothing.
    audit = AuditEvent._meta.db_table
    counted.append(
        f"(SELECT COUNT(*) FROM {audit} WHERE verb NOT IN ('access.denied', 'api_token.created'))"  # noqa: S608
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(counted)}")
        counts = (
            *cursor.fetchone(),
            list(Deadline.objects.order_by("pk").values_list("pk", "status", "due_at")),
        )
    if case is None:
        return counts
    stored = Case.objects.get(pk=case.pk)
    return (*counts, stored.state, stored.version, stored.details, stored.owner_id)
