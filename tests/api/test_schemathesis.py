"""Schema-driven fuzzing of the live API: no 5xx, and every response fits the schema.

A real server (pytest-django's ``live_server``, the app in a thread on a free port, on
the test database) serves the API. A lead signs in through the API for a token, the
schema is loaded from the server itself, and schemathesis generates requests for every
operation, valid and invalid, from the schema alone, plus requests aimed at seeded cases
and a seeded referral, so that those endpoints answer with more than 404s. Each response
must not be a server error and must match the schema for its status (body, status code,
content type).

Bounded for CI: a fixed number of examples per operation, no deadline, no shrinking,
and a fixed seed so that a run is reproducible.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import load_all_checks

import notifications.services
from casework.roles import Role
from referrals.models import PartnerAgency, PartnerKind
from referrals.services import referral_create
from tests.api.conftest import cse_intake, prevent_intake
from tests.conftest import DEMO_PASSWORD
from tests.samples import LAWFUL_BASIS_STEP
from tests.two_factor import totp_code
from workflows.services import case_raise, case_transition

load_all_checks()
from schemathesis.checks import (  # noqa: E402  (registered by load_all_checks)
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 5}
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def seed(make_user: Any) -> dict[str, Any]:
    """A lead with a token, and cases of theirs (and one they may not see)."""
    lead = make_user("lead.north", Role.LEAD, ["north"])
    frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
    south = make_user("lead.south", Role.LEAD, ["south"])
    make_user("prevent.lead", Role.PREVENT_LEAD, ["north"])
    # Seen in full by the lead, and one they may not see at all.
    cases = [
        case_raise(actor=frontline, case_type="cse", data=cse_intake()),
        case_raise(actor=south, case_type="cse", data=cse_intake()),
    ]
    case_raise(actor=frontline, case_type="prevent", data=prevent_intake())
    # A referral of the lead's case, drafted to a partner that takes it.
    referred = case_transition(
        case=cases[0], actor=lead, name="refer_to_mash",
        data={"referral_method": "marf", "police_informed": True, **LAWFUL_BASIS_STEP},
    )  # fmt: skip
    partner = PartnerAgency.objects.create(
        name="Northtown MASH", kind=PartnerKind.CHILDRENS_SOCIAL_CARE_MASH
    )
    referral = referral_create(
        case=referred, actor=lead, referral_type="mash_referral", partner=partner, content={}
    )
    return {"lead": lead, "references": [c.reference for c in cases], "referral": referral.pk}


def run_operation(operation: Any, mode: GenerationMode, headers: dict, **fixed: Any) -> list:
    """Run the checks over generated cases of one operation; return what failed."""
    failures: list[str] = []
    strategy = operation.as_strategy(generation_mode=mode, **fixed)

    @settings(SETTINGS, max_examples=EXAMPLES[mode])
    @given(case=strategy)
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)
        except (AssertionError, BaseExceptionGroup) as exc:  # what failed checks raise
            failures.append(f"{operation.label} [{mode.value}]: {exc}")

    try:
        run()
    except Unsatisfiable:
        # Nothing of the operation can be made invalid (it takes no input at all).
        if mode is not GenerationMode.NEGATIVE:
            raise
    return failures


@pytest.mark.django_db(transaction=True)
def test_the_live_api_has_no_server_errors_and_keeps_to_its_schema(
    live_server, make_user, monkeypatch
):
    # Delivery is not under test: the outbox rows stay pending, as with the broker down,
    # and no task is left on a shared queue for later tests' workers.
    monkeypatch.setattr(notifications.services, "_send_after_commit", lambda ids: 0)
    seeded = seed(make_user)
    response = requests.post(
        f"{live_server.url}/api/v1/auth/token/",
        json={
            "username": "lead.north",
            "password": DEMO_PASSWORD,
            "otp": totp_code(get_user_model().objects.get(username="lead.north")),
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Token {response.json()['token']}"}
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/schema/?format=json", headers=headers, timeout=30
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    # 14, and the footage requests' list, ask, read and act (footage/api.py), and
    # signing out (DELETE of the token endpoint).
    assert len(operations) == 19, [op.label for op in operations]
    # Signing out revokes the token the rest of the run sends (tests/api/test_auth.py).
    operations = [
        op
        for op in operations
        if not (op.method.upper() == "DELETE" and op.path == "/api/v1/auth/token/")
    ]
    assert len(operations) == 18

    failures: list[str] = []
    for operation in operations:
        for mode in EXAMPLES:
            failures += run_operation(operation, mode, headers)
        if "{reference}" in operation.path:
            for reference in seeded["references"]:
                fixed = {"reference": reference}
                if "{name}" in operation.path:
                    fixed["name"] = "record_exploitation_risk"
                failures += run_operation(
                    operation, GenerationMode.POSITIVE, headers, path_parameters=fixed
                )
        if operation.path.startswith("/api/v1/referrals/{id}/"):
            fixed = {"id": seeded["referral"]}
            if "{name}" in operation.path:
                fixed["name"] = "send"
            failures += run_operation(
                operation, GenerationMode.POSITIVE, headers, path_parameters=fixed
            )
    assert not failures, "\n\n".join(failures)
