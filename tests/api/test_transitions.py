"""Steps, history and deadlines through the API; every refusal leaves nothing behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.audit import AuditVerb
from casework.models import AuditEvent, Case
from casework.services import case_allocate
from tests.api.conftest import snapshot
from tests.samples import LAWFUL_BASIS_STEP
from workflows.models import Deadline
from workflows.services import case_transition

pytestmark = pytest.mark.django_db
REFER = {"referral_method": "marf", "police_informed": True, **LAWFUL_BASIS_STEP}


def step_url(case, name="refer_to_mash"):
    return f"/api/v1/cases/{case.reference}/transitions/{name}/"


@pytest.fixture
def case(users, raise_case):
    return raise_case(users["frontline"])


def test_a_step_is_200_with_the_updated_case(api, users, case):
    response = api(users["lead"]).post(step_url(case), {"version": 1, **REFER}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["version"]) == ("referred_to_mash", 2)
    assert body["referral_method"] == "marf"
    assert "refer_to_mash" not in {t["name"] for t in body["available_transitions"]}
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.version) == ("referred_to_mash", 2)
    event = AuditEvent.objects.filter(case=case, verb=AuditVerb.CASE_TRANSITIONED).get()
    assert (event.actor, event.data["from"], event.data["to"]) == (
        users["lead"],
        "concern_raised",
        "referred_to_mash",
    )
    assert {d["name"] for d in body["deadlines"]} == set(
        Deadline.objects.filter(case=case).values_list("rule", flat=True)
    )
    assert body["deadlines"]


def test_answers_from_kept_statements_are_each_cases_own(api, users, raise_case):
    """The answer's people, clocks and overdue flag come from statements kept after
    the first step (the case's id and the time given each time): a second case, with
    no clock overdue, is answered with its own, as GET reads it."""
    from casework import statements

    statements.clear()
    late, on_time = raise_case(users["frontline"]), raise_case(users["frontline"])
    Deadline.objects.filter(case=late, kind="task").update(
        due_at=timezone.now() - timedelta(days=2)
    )
    client = api(users["lead"])
    for case, overdue in ((late, True), (on_time, False)):
        version = client.get(f"/api/v1/cases/{case.reference}/").json()["version"]
        response = client.post(step_url(case), {"version": version, **REFER}, format="json")
        assert response.status_code == 200
        answer = response.json()
        assert answer == client.get(f"/api/v1/cases/{case.reference}/").json()
        assert answer["overdue"] is overdue
        assert {d["name"] for d in answer["deadlines"]} == set(
            Deadline.objects.filter(case=case).values_list("rule", flat=True)
        )


def test_the_answer_is_the_case_as_read_afterwards_read_before_the_audit_lock(api, users, case):
    """The answer to a step shows the case as it stands after it (its people, its clocks,
    whether one is overdue: what GET shows), but reads them before the audit chain's lock
    is taken, which every writer waits for (docs/performance.md): after the lock, only the
    figures and the event."""
    case_allocate(case=case, assignee=users["other_frontline"], actor=users["lead"])
    # A clock already past due that the step does not stop: the answer must say so.
    Deadline.objects.filter(case=case, kind="task").update(
        due_at=timezone.now() - timedelta(days=2)
    )
    client = api(users["lead"])
    version = client.get(f"/api/v1/cases/{case.reference}/").json()["version"]
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(step_url(case), {"version": version, **REFER}, format="json")
    # Copied now: the next request empties the log the captured queries are read from.
    statements = [q["sql"] for q in ctx.captured_queries]

    assert response.status_code == 200
    body = response.json()
    assert body == client.get(f"/api/v1/cases/{case.reference}/").json()
    assert body["overdue"] is True
    assert body["owner"] == users["other_frontline"].username
    assert [p["family_name"] for p in body["people"]] == ["Walsh"]
    assert len(body["deadlines"]) >= 2
    locked = next(i for i, sql in enumerate(statements) if "pg_advisory_xact_lock" in sql)
    after = " ".join(statements[locked:])

    for table in ("casework_caseperson", '"workflows_deadline"', "casework_team", "auth_user"):
        assert table not in after, f"{table} read while the audit chain's lock was held"


def refused(client, case, body, name="refer_to_mash"):
    before = snapshot(case)
    response = client.post(step_url(case, name), body, format="json")
    assert snapshot(case) == before, "a refused request changed something"
    return response


def test_a_stale_version_is_409_with_the_current_state(api, users, case):
    case_transition(case=case, actor=users["lead"], name="record_exploitation_risk", data={
        "risk_level": "low", "risk_assessed_on": "2026-01-05", "mace_discussed": False,
    })  # fmt: skip

    response = refused(api(users["lead"]), case, {"version": 1, **REFER})

    assert response.status_code == 409
    assert set(response.json()) == {"detail", "state"}
    assert response.json()["state"] == "concern_raised"


def test_a_step_not_possible_from_the_current_state_is_409(api, users, case):
    response = refused(
        api(users["lead"]), case, {"version": 1, "mash_decision_on": "2026-01-05",
                                   "early_help_provider": "Family hub"},
        name="decide_early_help",
    )  # fmt: skip

    assert response.status_code == 409
    assert response.json()["state"] == "concern_raised"


def test_a_step_whose_guard_refuses_is_409(api, users, case):
    response = refused(
        api(users["lead"]), case, {"version": 1, "adult_services_referred": True},
        name="close_turned_18",
    )  # fmt: skip

    assert response.status_code == 409
    assert response.json()["state"] == "concern_raised"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        pytest.param(REFER, {"version"}, id="no-version"),
        pytest.param({"version": "one", **REFER}, {"version"}, id="version-not-a-number"),
        pytest.param({"version": 1, **REFER, "referral_method": "pigeon"},
                     {"referral_method"}, id="not-a-choice"),
        pytest.param({"version": 1, **LAWFUL_BASIS_STEP, "police_informed": True},
                     {"referral_method"}, id="required-field-missing"),
        pytest.param({"version": 1, **REFER, "police_informed": "yes"},
                     {"police_informed"}, id="wrong-json-type"),
        # The special-category condition is needed only with a yes (issue 15).
        pytest.param({"version": 1, "referral_method": "marf", "police_informed": True},
                     set(LAWFUL_BASIS_STEP) - {"special_category_condition"},
                     id="no-lawful-basis"),
    ],
)  # fmt: skip
def test_invalid_input_is_400_with_errors_by_field(api, users, case, body, fields):
    response = refused(api(users["lead"]), case, body)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields


@pytest.mark.parametrize("role", ["frontline", "auditor"])
def test_a_user_who_may_see_but_not_act_is_403(api, users, case, role):
    response = refused(api(users[role]), case, {"version": 1, **REFER})

    assert response.status_code == 403
    assert set(response.json()) == {"detail"}


def test_the_allocated_worker_may_take_a_workers_step_but_not_a_leads(api, users, case):
    case = case_allocate(case=case, actor=users["lead"], assignee=users["other_frontline"])
    client = api(users["other_frontline"])

    lead_step = refused(client, case, {"version": case.version, **REFER})
    worker_step = client.post(
        step_url(case, "record_exploitation_risk"),
        {"version": case.version, "risk_level": "high", "risk_assessed_on": "2026-01-05",
         "mace_discussed": True},
        format="json",
    )  # fmt: skip

    assert lead_step.status_code == 403
    assert worker_step.status_code == 200


@pytest.mark.parametrize("role", ["south_lead", "admin"])
def test_a_hidden_case_is_404(api, users, case, role):
    response = refused(api(users[role]), case, {"version": 1, **REFER})

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


def test_an_unknown_step_is_404(api, users, case):
    response = refused(api(users["lead"]), case, {"version": 1}, name="teleport")

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


def test_no_step_on_a_case_known_only_as_received(api, users, raise_case):
    prevent = raise_case(users["frontline"], "prevent")

    response = refused(api(users["frontline"]), prevent, {"version": 1}, name="submit_referral")

    assert response.status_code == 403


def test_anonymous_is_401_and_changes_nothing(api, case):
    response = refused(api(), case, {"version": 1, **REFER})

    assert response.status_code == 401


# --- History -------------------------------------------------------------------------------


def test_history_lists_the_cases_events_oldest_first(api, users, case):
    client = api(users["lead"])
    client.post(step_url(case), {"version": 1, **REFER}, format="json")
    client.get(f"/api/v1/cases/{case.reference}/")  # a look is not a change

    history = client.get(f"/api/v1/cases/{case.reference}/history/").json()

    assert [(e["action"], e["actor"], e["from_state"], e["to_state"]) for e in history] == [
        ("case.raised", "frontline.north", None, "concern_raised"),
        ("case.transitioned", "lead.north", "concern_raised", "referred_to_mash"),
    ]
    assert history[1]["details"]["inputs"]["referral_method"] == "marf"
    assert all(set(e) == {"at", "actor", "action", "from_state", "to_state", "details"}
               for e in history)  # fmt: skip
    assert history[0]["at"] <= history[1]["at"]


def test_history_and_deadlines_of_a_case_known_only_as_received_are_403(api, users, raise_case):
    prevent = raise_case(users["frontline"], "prevent")
    client = api(users["frontline"])

    for part in ("history", "deadlines"):
        response = client.get(f"/api/v1/cases/{prevent.reference}/{part}/")
        assert response.status_code == 403
        assert set(response.json()) == {"detail"}


@pytest.mark.parametrize("part", ["history", "deadlines"])
def test_history_and_deadlines_of_a_hidden_case_are_404(api, users, case, part):
    response = api(users["south_lead"]).get(f"/api/v1/cases/{case.reference}/{part}/")

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


# --- Deadlines -----------------------------------------------------------------------------


def test_a_cases_deadlines_soonest_first(api, users, case):
    case_transition(case=case, actor=users["lead"], name="refer_to_mash", data=REFER)

    url = f"/api/v1/cases/{case.reference}/deadlines/"
    # Its raiser, not allocated, sees no clocks (issue 17, the raiser's view); its lead does.
    assert api(users["frontline"]).get(url).status_code == 403
    body = api(users["lead"]).get(url).json()

    stored = list(Deadline.objects.filter(case=case).order_by("due_at", "pk"))
    assert [d["id"] for d in body] == [d.pk for d in stored]
    first = body[0]
    assert (first["name"], first["label"], first["status"], first["statutory"]) == (
        stored[0].rule,
        stored[0].label,
        stored[0].status,
        stored[0].statutory,
    )
    assert {"due_at", "source", "kind", "started_at", "met_at", "overdue"} <= set(first)


def add_deadline(case, *, due_in_days, status="open"):
    now = timezone.now()
    return Deadline.objects.create(
        case=case, rule="test", label="Test clock", unit="calendar_days", duration=1,
        started_at=now - timedelta(days=5), due_at=now + timedelta(days=due_in_days),
        status=status,
    )  # fmt: skip


def test_the_deadline_list_spans_the_cases_the_user_may_see(api, users, raise_case):
    mine = raise_case(users["lead"])
    colleague = raise_case(users["other_frontline"])
    south = raise_case(users["south_lead"])
    prevent = raise_case(users["frontline"], "prevent")
    Deadline.objects.all().delete()  # only this test's clocks, not those intake starts
    overdue = add_deadline(mine, due_in_days=-1)
    later = add_deadline(colleague, due_in_days=3)
    met = add_deadline(colleague, due_in_days=-2, status="met")
    add_deadline(south, due_in_days=1)
    add_deadline(prevent, due_in_days=1)
    case_allocate(case=colleague, actor=users["lead"], assignee=users["lead"])
    client = api(users["lead"])

    def ids(query=""):
        response = client.get(f"/api/v1/deadlines/{query}")
        assert response.status_code == 200
        return [d["id"] for d in response.json()["results"]]

    assert ids() == [met.pk, overdue.pk, later.pk]
    assert ids("?status=open") == [overdue.pk, later.pk]
    assert ids("?overdue=true") == [overdue.pk]
    assert ids("?overdue=false") == [met.pk, later.pk]
    assert ids("?assigned_to=me") == [met.pk, later.pk]
    row = client.get("/api/v1/deadlines/?overdue=true").json()["results"][0]
    assert (row["case_reference"], row["overdue"]) == (mine.reference, True)
    # The frontline raiser of the Prevent case does not see its clocks.
    assert api(users["frontline"]).get("/api/v1/deadlines/").json()["count"] == 0


@pytest.mark.parametrize("query", ["status=late", "overdue=maybe", "assigned_to=you", "page=-1"])
def test_invalid_deadline_filters_are_400(api, users, query):
    response = api(users["lead"]).get(f"/api/v1/deadlines/?{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [query.split("=")[0]]


def test_the_deadline_list_is_paginated(api, users, case):
    Deadline.objects.all().delete()  # only this test's clocks, not those intake starts
    for n in range(26):
        add_deadline(case, due_in_days=n)
    client = api(users["lead"])

    first = client.get("/api/v1/deadlines/").json()

    assert (first["count"], len(first["results"])) == (26, 25)
    assert len(client.get(first["next"]).json()["results"]) == 1
    assert client.get("/api/v1/deadlines/?page=9").status_code == 404
