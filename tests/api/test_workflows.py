"""GET /api/v1/workflows/ and /{case_type}/: the definitions, as declared and in force."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from workflows.registry import WORKFLOWS
from workflows.services import timescale_set

pytestmark = pytest.mark.django_db
FIELD_TYPES = {"string", "text", "boolean", "date", "datetime", "integer", "choice",
               "multichoice", "records"}  # fmt: skip


def check_field(field):
    assert {"name", "label", "type", "required"} <= set(field)
    assert field["type"] in FIELD_TYPES
    if field["type"] in ("choice", "multichoice"):
        assert field["choices"]
        assert all(set(c) == {"value", "label"} for c in field["choices"])
    else:
        assert "choices" not in field
    if field["type"] == "records":
        for sub in field["fields"]:
            check_field(sub)


def test_the_list_has_every_case_type_in_full(api, users):
    response = api(users["frontline"]).get("/api/v1/workflows/")

    assert response.status_code == 200
    body = response.json()
    assert [w["case_type"] for w in body] == sorted(WORKFLOWS)
    assert (
        body[0] == api(users["frontline"]).get(f"/api/v1/workflows/{body[0]['case_type']}/").json()
    )


@pytest.mark.parametrize("case_type", sorted(WORKFLOWS))
def test_a_definition_matches_the_declared_workflow(api, users, case_type):
    workflow = WORKFLOWS[case_type]

    body = api(users["auditor"]).get(f"/api/v1/workflows/{case_type}/").json()

    assert body["case_type"] == case_type
    assert body["label"] == workflow.label
    assert body["initial_state"] == workflow.initial_state
    assert body["states"] == [
        {"name": v, "label": lbl, "terminal": v in workflow.terminal_states}
        for v, lbl in workflow.states.choices
    ]
    # Intake: the summary first, then the type's own fields in their declared order.
    names = [f["name"] for f in body["intake_fields"]]
    assert names == ["summary", *[f.name for f in workflow.intake_fields]]
    for field in body["intake_fields"]:
        check_field(field)
    # Transitions: one per name, with every source state and its fields.
    declared = {}
    for t in workflow.transitions():
        declared.setdefault(t.name, {"sources": set(), "target": t.target})
        declared[t.name]["sources"].add(t.source)
    assert {t["name"] for t in body["transitions"]} == set(declared)
    for t in body["transitions"]:
        assert set(t["sources"]) == declared[t["name"]]["sources"]
        assert t["target"] == declared[t["name"]]["target"]
        assert t["permission"] in ("casework.manage_case", "casework.work_on_case")
        meta = workflow.transition_meta(t["name"])
        assert t["label"] == meta["label"]
        assert [f["name"] for f in t["fields"]] == [f.name for f in meta["fields"]]
        for field in t["fields"]:
            check_field(field)
    assert [r["name"] for r in body["deadline_rules"]] == [r.name for r in workflow.deadline_rules]
    for rule in body["deadline_rules"]:
        assert rule["unit"] in ("working_days", "calendar_days", "hours", "months")
        assert {"starts_on", "duration", "met_by", "statutory", "source", "label"} <= set(rule)
        declared_rule = workflow.rule(rule["name"])
        assert rule["kind"] == str(declared_rule.kind)  # task or period (issue 14)
        assert rule["starts_at_field"] == (workflow.start_field(declared_rule) or None)


def test_deadline_rules_show_the_duration_in_force(api, users):
    workflow = WORKFLOWS["cse"]
    local = next(r for r in workflow.deadline_rules if not r.statutory)
    timescale_set(case_type="cse", rule=local.name, duration=local.duration + 7)

    rules = api(users["lead"]).get("/api/v1/workflows/cse/").json()["deadline_rules"]

    by_name = {r["name"]: r for r in rules}
    assert by_name[local.name]["duration"] == local.duration + 7
    statutory = [r for r in workflow.deadline_rules if r.statutory]
    for rule in statutory:
        assert by_name[rule.name]["duration"] == rule.duration


def test_the_list_shows_every_override_and_reads_them_once(api, users):
    """The list shows the duration in force of each type's local rules, reading the
    deployment's overrides in one query, not one a rule (24 of them)."""
    changed = {}
    for case_type in ("cse", "cuckooing"):
        local = next(r for r in WORKFLOWS[case_type].deadline_rules if not r.statutory)
        timescale_set(case_type=case_type, rule=local.name, duration=local.duration + 3)
        changed[case_type, local.name] = local.duration + 3
    client = api(users["lead"])
    with CaptureQueriesContext(connection) as captured:
        listed = client.get("/api/v1/workflows/").json()
    shown = {
        (w["case_type"], r["name"]): r["duration"] for w in listed for r in w["deadline_rules"]
    }
    for key, duration in changed.items():
        assert shown[key] == duration
    for case_type, workflow in WORKFLOWS.items():
        for rule in workflow.deadline_rules:
            if (case_type, rule.name) not in changed:
                assert shown[case_type, rule.name] == rule.duration
    reads = [q for q in captured.captured_queries if "workflows_timescaleoverride" in q["sql"]]
    assert len(reads) == 1


def test_records_fields_list_their_sub_fields(api, users):
    body = api(users["lead"]).get("/api/v1/workflows/community_trigger/").json()

    incidents = next(f for f in body["intake_fields"] if f["name"] == "incidents")
    assert incidents["type"] == "records"
    assert {"incident_date", "description"} <= {f["name"] for f in incidents["fields"]}


def test_an_unknown_case_type_is_404(api, users):
    response = api(users["lead"]).get("/api/v1/workflows/burglary/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_definitions_need_credentials(api, db):
    for url in ("/api/v1/workflows/", "/api/v1/workflows/cse/"):
        response = api().get(url)
        assert response.status_code == 401
        assert set(response.json()) == {"detail"}
