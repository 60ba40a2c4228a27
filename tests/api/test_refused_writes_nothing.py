"""A refused request changes nothing (shared/API.md "Errors"), whatever refuses it.

Two halves. First, every date, datetime and whole number a client can send (each
declared field of every step and of every intake, records' sub-fields included, for
every case type) is posted at the extremes: years 1, 1899, 2101 and 9999, and numbers
just outside their bounds. Each is a 400 naming the field, with nothing written:
the case's state and version, audit events, people, clocks and outbox rows are as
before. Year 1 was once stored and then made the case unreadable (issue 16).

Second, the rule is structural: an /api/ write whose answer fails after the service
committed its work (a value the serializer cannot show, a bug) is rolled back too
(config/api_middleware.py ``ApiAtomicWritesMiddleware``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from casework.models import Case
from casework.roles import Role
from casework.validators import INTEGER_MAX, INTEGER_MIN
from notifications.models import OutboxMessage
from tests.api.conftest import snapshot
from tests.samples import LAWFUL_BASIS_STEP
from tests.workflows.walker import sample_values
from workflows import api as workflows_api
from workflows.definitions import Field, FieldType, Workflow
from workflows.forms import validate_fields
from workflows.registry import WORKFLOWS
from workflows.services import SUMMARY_FIELD, case_transition

pytestmark = pytest.mark.django_db

EXTREME_DATES = ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"]
EXTREME_DATETIMES = [
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00",
    "1899-12-31T23:59:59+00:00",
    "2101-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-14:00",
]
# Intake values that the field types cannot give (as in tests/api/test_walk.py).
INTAKE = {
    "cuckooing": {"premises_postcode": "NT1 4AB"},
    # On behalf of the person affected, so that their questions (date of birth, age)
    # apply: a question that does not apply is neither checked nor kept (issue 19).
    "community_trigger": {"application_basis": "for_affected_person"},
    # A review is of the death of a person aged 16 or over (DVCVA 2004 s9).
    "dhr": {"subject_date_of_birth": "1980-01-01"},
}


def extremes(spec: Field) -> list[Any]:
    match spec.type:
        case FieldType.DATE:
            return EXTREME_DATES
        case FieldType.DATETIME:
            return EXTREME_DATETIMES
        case FieldType.INTEGER:
            low = INTEGER_MIN if spec.min_value is None else spec.min_value
            high = INTEGER_MAX if spec.max_value is None else spec.max_value
            return [low - 1, high + 1, -(2**31) + 1, 2**31 - 1]
    return []


def extreme_bodies(fields: tuple[Field, ...] | list[Field]) -> Iterator[tuple[str, Any, dict]]:
    """(field name, extreme value, a body valid but for that one value) for each field and
    each extreme, a records field's sub-fields inside one record."""
    valid = sample_values(fields)
    for spec in fields:
        for value in extremes(spec):
            yield spec.name, value, {**valid, spec.name: value}
        if spec.type is FieldType.RECORDS:
            record = sample_values(spec.fields)
            for sub in spec.fields:
                for value in extremes(sub):
                    yield f"{spec.name}.{sub.name}", value, {
                        **valid, spec.name: [{**record, sub.name: value}],
                    }  # fmt: skip


def ranged_fields(fields: Any) -> bool:
    return any(
        extremes(f) or (f.type is FieldType.RECORDS and any(extremes(s) for s in f.fields))
        for f in fields
    )


def step_cases() -> list[Any]:
    params = []
    for case_type, workflow in sorted(WORKFLOWS.items()):
        for name in workflow.transition_names():
            if ranged_fields(workflow.transition_meta(name)["fields"]):
                params.append(pytest.param(case_type, name, id=f"{case_type}-{name}"))
    return params


def actor_for(make_user: Any, case_type: str) -> Any:
    if case_type == "prevent":
        return make_user("prevent.lead", Role.PREVENT_LEAD, ["north"])
    return make_user("lead.north", Role.LEAD, ["north"])


def intake_body(workflow: Workflow) -> dict[str, Any]:
    body = sample_values([SUMMARY_FIELD, *workflow.intake_fields])
    return {"case_type": workflow.case_type, **body, **INTAKE.get(workflow.case_type, {})}


def sources(workflow: Workflow, name: str) -> list[str]:
    return sorted({t.source for t in workflow.transitions() if t.name == name})


def assert_refused(response: Any, field: str, value: Any) -> None:
    assert response.status_code == 400, (field, value, response.status_code, response.content)
    errors = response.json()["errors"]
    top = field.split(".")[0]
    assert top in errors, (field, value, errors)


@pytest.mark.parametrize(("case_type", "name"), step_cases())
def test_every_step_refuses_out_of_range_dates_and_numbers_writing_nothing(
    api, make_user, case_type, name
):
    workflow = WORKFLOWS[case_type]
    actor = actor_for(make_user, case_type)
    client = api(actor)
    created = client.post("/api/v1/cases/", intake_body(workflow), format="json")
    assert created.status_code == 201, created.json()
    case = Case.objects.get(reference=created.json()["reference"])
    fields = workflow.transition_meta(name)["fields"]
    tried = 0
    for source in sources(workflow, name):
        # Put the case in the step's source state: the state is checked before the input,
        # and a 409 would hide whether the input is checked.
        Case.objects.filter(pk=case.pk).update(state=source)
        before = snapshot(case)  # each refusal must leave it so, for the next one too
        for field, value, body in extreme_bodies(fields):
            response = client.post(
                f"/api/v1/cases/{case.reference}/transitions/{name}/",
                {"version": 1, **body},
                format="json",
            )
            assert_refused(response, field, value)
            assert snapshot(case) == before, f"{name} {field}={value!r} changed something"
            tried += 1
    assert tried
    # The refused case still reads back, as every other.
    assert client.get(f"/api/v1/cases/{case.reference}/").status_code == 200
    assert client.get("/api/v1/deadlines/").status_code == 200


@pytest.mark.parametrize("case_type", sorted(WORKFLOWS))
def test_every_intake_refuses_out_of_range_dates_and_numbers_writing_nothing(
    api, make_user, case_type
):
    workflow = WORKFLOWS[case_type]
    raiser = make_user("frontline.north", Role.FRONTLINE, ["north"])
    client = api(actor_for(make_user, case_type) if case_type == "dhr" else raiser)
    valid = intake_body(workflow)
    fields = [f for f in workflow.intake_fields if ranged_fields([f])]
    assert fields, f"{case_type} has no date or number in its intake"
    before = snapshot()  # each refusal must leave it so, for the next one too
    for field, value, body in extreme_bodies(fields):
        kept = {k: v for k, v in INTAKE.get(case_type, {}).items() if k != field.split(".")[0]}
        body = {**body, **kept}
        response = client.post("/api/v1/cases/", {**valid, **body}, format="json")
        assert_refused(response, field, value)
        assert snapshot() == before, f"intake {field}={value!r} changed something"
    # The body it varied is a good one: unchanged, it raises the concern.
    assert client.post("/api/v1/cases/", valid, format="json").status_code == 201


def test_dates_in_range_are_accepted_at_both_ends():
    """1900 and 2100 themselves are allowed: the range is not narrower than it says."""
    fields = [Field("on", FieldType.DATE, "On"), Field("at", FieldType.DATETIME, "At")]
    values = {"on": "2100-12-31", "at": "1900-01-01T00:00:00+00:00"}
    assert validate_fields(fields, values) == values
    values = {"on": "1900-01-01", "at": "2100-12-31T23:59:59+00:00"}
    assert validate_fields(fields, values) == values


def test_a_step_at_the_start_of_the_range_is_accepted(api, make_user):
    """(When the child returned starts a clock, so it is also checked not to be in the
    future, by the transition service.)"""
    lead = make_user("lead.north", Role.LEAD, ["north"])
    client = api(lead)
    created = client.post("/api/v1/cases/", intake_body(WORKFLOWS["cse"]), format="json").json()
    case = Case.objects.get(reference=created["reference"])
    case = case_transition(case=case, actor=lead, name="refer_to_mash",
                           data={k: v for k, v in REFER.items() if k != "version"})  # fmt: skip
    url = f"/api/v1/cases/{case.reference}/transitions/record_return_from_missing/"
    body = {"missing_from": "1900-01-01T00:00:00+00:00", "returned_at": "1900-01-02T12:00:00Z"}

    response = client.post(url, {"version": case.version, **body}, format="json")

    assert response.status_code == 200, response.json()
    assert client.get(f"/api/v1/cases/{case.reference}/deadlines/").status_code == 200


# --- The structural rule: the answer is part of the transaction -------------------------


@pytest.fixture
def lead_and_case(api, make_user):
    lead = make_user("lead.north", Role.LEAD, ["north"])
    make_user("frontline.north", Role.FRONTLINE, ["north"])
    created = api(lead).post("/api/v1/cases/", intake_body(WORKFLOWS["cse"]), format="json")
    return lead, Case.objects.get(reference=created.json()["reference"])


REFER = {"version": 1, "referral_method": "marf", "police_informed": True, **LAWFUL_BASIS_STEP}


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        pytest.param(ValidationError("Datetime value out of range."), 400, id="400"),
        pytest.param(RuntimeError("a bug while answering"), 500, id="500"),
    ],
)
def test_a_step_whose_answer_fails_is_rolled_back(api, lead_and_case, monkeypatch, failure, status):
    lead, case = lead_and_case
    before = snapshot(case)

    def failing_body(request: Any, case: Case) -> Any:
        assert Case.objects.get(pk=case.pk).version == 2  # the service did its work
        raise failure

    monkeypatch.setattr(workflows_api, "case_body", failing_body)
    client = api(lead)
    client.raise_request_exception = False

    response = client.post(
        f"/api/v1/cases/{case.reference}/transitions/refer_to_mash/", REFER, format="json"
    )

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert snapshot(case) == before
    assert not OutboxMessage.objects.filter(template="case.transitioned").exists()


def test_a_raise_whose_answer_fails_is_rolled_back(api, make_user, monkeypatch):
    client = api(make_user("frontline.north", Role.FRONTLINE, ["north"]))
    make_user("lead.north", Role.LEAD, ["north"])
    client.raise_request_exception = False
    before = snapshot()
    monkeypatch.setattr(workflows_api, "case_body", lambda request, case: 1 / 0)

    response = client.post("/api/v1/cases/", intake_body(WORKFLOWS["cse"]), format="json")

    assert response.status_code == 500
    assert snapshot() == before
    # Not even the reference was used up in a way that shows: the sequence may advance,
    # but no case, person, audit event, clock or message exists.
    assert not Case.objects.exists()


def test_a_successful_step_is_committed(api, lead_and_case):
    """The transaction is kept for a success: the write path still writes."""
    lead, case = lead_and_case

    response = api(lead).post(
        f"/api/v1/cases/{case.reference}/transitions/refer_to_mash/", REFER, format="json"
    )

    assert response.status_code == 200
    assert Case.objects.get(pk=case.pk).version == 2
