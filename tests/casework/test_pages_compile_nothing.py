"""The pages staff open most read through statements compiled once (casework/statements.py):
once a page has been seen, opening it again for another case, person, premises or search
builds and compiles no query of its own. Compiling a statement is the application's
largest cost a query at county scale (docs/performance.md), so a query left to the ORM
on one of these pages is a cost paid at every request."""

from __future__ import annotations

import pytest
from django.db.models.sql.compiler import SQLCompiler

from bench.run import RAISE_BODY as BENCH_RAISE_BODY
from bench.run import STEP_BODIES
from casework import statements
from casework.api_tokens import api_token_issue
from casework.models import CasePerson
from casework.notes import case_note_add
from casework.roles import Role
from casework.services import case_allocate
from tests.casework.test_matching import cuckooing_data, slavery
from tests.workflows.walker import default_raise, sample_values, shortest_paths
from workflows import community_trigger, cuckooing
from workflows.drafts import draft_save
from workflows.services import case_transition

STEP = "record_agency_response"
STEP_BODY = STEP_BODIES[STEP]
RAISE_BODY = {**BENCH_RAISE_BODY, "subject_family_name": "Popescu"}


def _gathering_information(frontline, lead):
    """A Community Trigger application walked to where agencies' responses are recorded."""
    workflow = community_trigger.WORKFLOW
    case = default_raise(workflow, frontline)({})
    for _, name, _ in shortest_paths(workflow)["information_gathering"]:
        fields = workflow.transition_meta(name)["fields"]
        case = case_transition(
            case=case,
            actor=lead,
            name=name,
            data=sample_values(fields),
            expected_version=case.version,
        )
    return case


@pytest.fixture
def world(make_user):
    frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
    lead = make_user("lead.north", Role.LEAD, ["north"])
    make_user("lead.south", Role.LEAD, ["south"])
    found = {}
    for n, (given, family, address) in enumerate(
        (("John", "Smith", "Flat 4, 12 Acacia Avenue"), ("Anna", "Jones", "3 Elm Row"))
    ):
        case = slavery(frontline, given=given, family=family)
        flat = default_raise(cuckooing.WORKFLOW, frontline)(
            cuckooing_data(address=f"{address}\nLeeds", postcode=f"LS{n + 2} 1AA")
        )
        case_note_add(case=case, actor=lead, text=f"Spoke to {given}.")
        case_allocate(case=case, actor=lead, assignee=frontline)
        person = CasePerson.objects.filter(case=case).values_list("person_id", flat=True)[0]
        found[family] = (case.reference, person, flat.premises_id)
        found[f"{family}'s trigger"] = _gathering_information(frontline, lead)
    draft_save(author=lead, case_type="modern_slavery", data={"summary": "Half written."})
    return lead, found


def _pages(reference: str, person: int, premises: int, name: str) -> list[str]:
    return [
        "/",
        f"/cases/{reference}/",
        f"/people/{person}/",
        f"/premises/{premises}/",
        "/cases/",
        "/cases/?state=concern_raised",
        f"/cases/?q={name}",
        f"/cases/?q={reference}",
        "/cases/?q=nobody-by-this-name",
        "/concerns/new/modern_slavery/check/",
    ]


def _api(reference: str, name: str) -> list[str]:
    return [
        f"/api/v1/cases/?q={name}",
        f"/api/v1/cases/?q={reference}",
        "/api/v1/cases/?q=nobody-by-this-name",
        "/api/v1/cases/",
        f"/api/v1/cases/{reference}/",
    ]


@pytest.mark.django_db
def test_a_page_seen_once_compiles_nothing_for_another_case_person_or_search(
    client, world, monkeypatch
):
    """The dashboard (with a draft and clocks), a case page (with a note and an
    allocation its history names), a person's and a premises' page, the list, a filter,
    searches that find a name, a reference and nothing, the check of a concern's
    answers (its draft, the raiser's teams), the API's searches and a case, a raise and a step
    that stops a clock: each seen once for John Smith's, then opened for Anna Jones's,
    reads through no query compiled for it."""
    lead, found = world
    client.force_login(lead)
    _, token = api_token_issue(user=lead)
    api = {"HTTP_AUTHORIZATION": f"Token {token}", "content_type": "application/json"}

    def writes(trigger) -> list[int]:
        step = f"/api/v1/cases/{trigger.reference}/transitions/{STEP}/"
        return [
            client.post("/api/v1/cases/", RAISE_BODY, **api).status_code,
            client.post(step, {**STEP_BODY, "version": trigger.version}, **api).status_code,
        ]

    statements.clear()
    reference, person, premises = found["Smith"]
    for path in _pages(reference, person, premises, "smith"):
        assert client.get(path).status_code == 200, path
    for path in _api(reference, "smith"):
        assert client.get(path, **api).status_code == 200, path
    assert writes(found["Smith's trigger"]) == [201, 200]
    # A raise that finds the last one as a possible match: its comparison's statements.
    assert client.post("/api/v1/cases/", RAISE_BODY, **api).status_code == 201

    compiled: list[str] = []
    real = SQLCompiler.as_sql
    asking = ""

    def counting(self, *args, **kwargs):
        compiled.append(f"{asking}: {self.query.model.__name__}")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    reference, person, premises = found["Jones"]
    for path in _pages(reference, person, premises, "jones"):
        asking = path
        response = client.get(path)
        assert response.status_code == 200, path
    for path in _api(reference, "jones"):
        asking = path
        response = client.get(path, **api)
        assert response.status_code == 200, path
    asking = "a raise and a step"
    assert writes(found["Jones's trigger"]) == [201, 200]
    assert compiled == []
