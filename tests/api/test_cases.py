"""Cases through the API: raising, the list with its filters, and a case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from casework.audit import AuditVerb
from casework.models import AuditEvent, Case, Team
from casework.services import case_allocate
from tests.api.conftest import cse_intake, prevent_intake, snapshot
from workflows.case_search import case_search_for_user
from workflows.models import Deadline
from workflows.selectors import available_transitions
from workflows.serializers import (
    CaseFilterSerializer,
    CaseSummarySerializer,
    DeadlineFilterSerializer,
)

pytestmark = pytest.mark.django_db
LIMITED_KEYS = {"reference", "case_type", "raised_at", "limited"}


def overdue_deadline(case, *, days=2, status="open"):
    now = timezone.now()
    return Deadline.objects.create(
        case=case, rule="test", label="Test clock", unit="working_days", duration=1,
        started_at=now - timedelta(days=days + 1), due_at=now - timedelta(days=days),
        status=status,
    )  # fmt: skip


# --- Raising -------------------------------------------------------------------------------


def test_raising_a_concern_is_201_with_the_case_as_the_raiser_sees_it(api, users):
    response = api(users["lead"]).post(
        "/api/v1/cases/", {"case_type": "cse", **cse_intake()}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    case = Case.objects.get(reference=body["reference"])
    assert (case.case_type, case.state, case.raised_by) == ("cse", "concern_raised", users["lead"])
    assert body["state"] == "concern_raised"
    assert body["state_label"] == "Concern raised"
    assert (body["team"], body["raised_by"], body["owner"]) == ("north", "lead.north", None)
    assert body["version"] == 1
    assert body["limited"] is False
    # Type-specific fields sit alongside, people are listed, the subject is no detail.
    assert body["what_has_happened"] == cse_intake()["what_has_happened"]
    assert "subject_given_names" not in body
    assert [(p["role"], p["given_names"], p["estimated_age"]) for p in body["people"]] == [
        ("subject", "Amy", 15)
    ]
    assert {t["name"] for t in body["available_transitions"]} == {
        t.name for t in available_transitions(case, users["lead"])
    }
    assert AuditEvent.objects.filter(case=case, verb=AuditVerb.CASE_RAISED).count() == 1


def test_a_frontline_raise_answers_the_raiser_view_without_reading_it_under_the_audit_lock(
    api, users
):
    """The raiser's answer (the status in plain words, the summary as they gave it) is
    what GET shows them, but what the raise itself decided is not read back while the
    audit chain's lock is held (every writer waits for it, docs/performance.md): no
    audit event and no referral read after the lock, and no savepoint of the figures."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(users["frontline"])
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(
            "/api/v1/cases/", {"case_type": "cse", **cse_intake()}, format="json"
        )
    statements = [q["sql"] for q in ctx.captured_queries]

    assert response.status_code == 201
    body = response.json()
    assert body == client.get(f"/api/v1/cases/{body['reference']}/").json()
    assert body["raiser_view"] is True
    assert body["status"] == "With the safeguarding lead for triage"
    assert body["summary"] == cse_intake()["summary"]
    locked = next(i for i, sql in enumerate(statements) if "pg_advisory_xact_lock" in sql)
    after = statements[locked:]
    assert not [sql for sql in after if 'FROM "casework_auditevent"' in sql]
    assert not [sql for sql in after if "referrals_referral" in sql]
    assert not [sql for sql in after if "SAVEPOINT" in sql and "RELEASE SAVEPOINT" not in sql]


def test_the_frontline_raiser_of_a_prevent_concern_is_shown_only_that_it_was_received(api, users):
    response = api(users["frontline"]).post(
        "/api/v1/cases/", {"case_type": "prevent", **prevent_intake()}, format="json"
    )

    assert response.status_code == 201
    assert set(response.json()) == LIMITED_KEYS
    assert response.json()["limited"] is True


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        pytest.param({"case_type": "cse", **cse_intake(what_has_happened="")},
                     {"what_has_happened"}, id="required-field-missing"),
        pytest.param({"case_type": "cse", **cse_intake(parental_consent="maybe")},
                     {"parental_consent"}, id="not-a-choice"),
        pytest.param({"case_type": "cse", **cse_intake(subject_estimated_age="fifteen",
                                                       subject_date_of_birth=20100101)},
                     {"subject_estimated_age", "subject_date_of_birth"}, id="wrong-json-types"),
        pytest.param({"case_type": "burglary", "summary": "x"}, {"case_type"}, id="unknown-type"),
        pytest.param({"summary": "x"}, {"case_type"}, id="no-type"),
        pytest.param({"case_type": "cse", **cse_intake(summary="a\x00b")}, {"summary"},
                     id="nul-in-text"),
        pytest.param({"case_type": "cse", "team": "atlantis", **cse_intake()}, {"team"},
                     id="unknown-team"),
        pytest.param({"case_type": "cse", "team": "south", **cse_intake()}, {"team"},
                     id="someone-elses-team"),
    ],
)  # fmt: skip
def test_an_invalid_concern_is_400_with_errors_by_field_and_writes_nothing(
    api, users, body, fields
):
    before = snapshot()

    response = api(users["frontline"]).post("/api/v1/cases/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"errors"}
    assert fields <= set(response.json()["errors"])
    assert snapshot() == before


@pytest.mark.parametrize("body", [[1, 2], "text", 5], ids=["list", "string", "number"])
def test_a_body_that_is_not_an_object_is_400_with_non_field_errors(api, users, body):
    response = api(users["lead"]).post("/api/v1/cases/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["non_field_errors"]


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_roles_that_raise_nothing_are_403_and_nothing_is_written(api, users, role):
    before = snapshot()

    response = api(users[role]).post(
        "/api/v1/cases/", {"case_type": "cse", **cse_intake()}, format="json"
    )

    assert response.status_code == 403
    assert set(response.json()) == {"detail"}
    assert snapshot() == before


def test_a_member_of_two_teams_says_which_team_the_concern_is_for(api, make_user):
    user = make_user("lead.both", "lead", ["north", "south"])
    client = api(user)

    unsaid = client.post("/api/v1/cases/", {"case_type": "cse", **cse_intake()}, format="json")
    said = client.post(
        "/api/v1/cases/", {"case_type": "cse", "team": "south", **cse_intake()}, format="json"
    )

    assert unsaid.status_code == 400
    assert "team" in unsaid.json()["errors"]
    assert said.status_code == 201
    assert said.json()["team"] == "south"
    assert Case.objects.get().team == Team.objects.get(slug="south")


# --- The list ------------------------------------------------------------------------------


def references(response):
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


@pytest.fixture
def cases(users, raise_case):
    """A CSE case raised by frontline.north, one raised by someone else in north, one in
    south, and a Prevent case raised by frontline.north (which they know only as received)."""
    return {
        "mine": raise_case(users["frontline"]),
        "colleague": raise_case(users["other_frontline"], subject_given_names="Zoe"),
        "south": raise_case(users["south_lead"], subject_given_names="Sam"),
        "prevent": raise_case(users["frontline"], "prevent"),
    }


def test_the_list_has_only_the_cases_the_user_may_see_newest_first(api, users, cases):
    def listed(role):
        return references(api(users[role]).get("/api/v1/cases/"))

    assert listed("frontline") == [cases["prevent"].reference, cases["mine"].reference]
    assert listed("lead") == [cases["colleague"].reference, cases["mine"].reference]
    assert listed("south_lead") == [cases["south"].reference]
    assert listed("prevent_lead") == [cases[k].reference for k in ("prevent", "colleague", "mine")]
    # An auditor without Prevent clearance sees every case but the Prevent one (issue 15).
    assert len(listed("auditor")) == 3
    assert cases["prevent"].reference not in listed("auditor")
    assert listed("admin") == []


def test_a_case_known_only_as_received_is_listed_with_only_that(api, users, cases):
    rows = api(users["frontline"]).get("/api/v1/cases/").json()["results"]

    assert rows[0] == {
        "reference": cases["prevent"].reference,
        "case_type": "prevent",
        "raised_at": rows[0]["raised_at"],
        "limited": True,
    }
    assert rows[1]["limited"] is False
    assert rows[1]["summary"]


def test_filters_by_type_state_allocation_and_overdue(api, users, cases):
    lead = api(users["lead"])
    case_allocate(case=cases["colleague"], actor=users["lead"], assignee=users["lead"])
    overdue_deadline(cases["mine"])
    overdue_deadline(cases["colleague"], status="met")

    assert references(lead.get("/api/v1/cases/?case_type=prevent")) == []
    assert references(lead.get("/api/v1/cases/?assigned_to=me")) == [cases["colleague"].reference]
    assert references(lead.get("/api/v1/cases/?overdue=true")) == [cases["mine"].reference]
    assert references(lead.get("/api/v1/cases/?overdue=false")) == [cases["colleague"].reference]
    assert len(references(lead.get("/api/v1/cases/?case_type=cse&state=concern_raised"))) == 2
    rows = lead.get("/api/v1/cases/").json()["results"]
    assert {r["reference"]: r["overdue"] for r in rows} == {
        cases["colleague"].reference: False,
        cases["mine"].reference: True,
    }


def test_a_listed_case_is_the_summary_drf_would_give(users, cases):
    """``CaseSummarySerializer.summary_row`` builds the list's rows without DRF's walk
    over the fields: it must give exactly what DRF does, key for key and in order, for a
    case allocated or not, closed or open, overdue or not, as the list annotates it and
    as a case read on its own."""
    case_allocate(case=cases["colleague"], actor=users["lead"], assignee=users["lead"])
    overdue_deadline(cases["mine"])
    Case.objects.filter(pk=cases["south"].pk).update(closed_at=timezone.now())
    serializer = CaseSummarySerializer(context={"now": timezone.now()})
    listed = list(case_search_for_user(users["auditor"], {}))
    for case in [*listed, *Case.objects.filter(pk__in=[c.pk for c in listed])]:
        expected = serializers.Serializer.to_representation(serializer, case)
        assert list(serializer.summary_row(case).items()) == list(expected.items())
    overdue = {c.reference: serializer.summary_row(c)["overdue"] for c in listed}
    assert overdue[cases["mine"].reference] is True
    assert overdue[cases["colleague"].reference] is False
    owners = {c.reference: serializer.summary_row(c)["owner"] for c in listed}
    assert owners[cases["colleague"].reference] == "lead.north"
    assert owners[cases["mine"].reference] is None
    closed = {c.reference: serializer.summary_row(c)["closed_at"] for c in listed}
    assert closed[cases["south"].reference].endswith("Z")
    assert closed[cases["mine"].reference] is None


QUERIES = [
    {},
    {"q": "SC-2021-000033"},
    {"q": "x" * 201},
    {"case_type": "cse", "state": "concern_raised"},
    {"case_type": "cse", "state": "nrm_referred"},
    {"case_type": "nonsense"},
    {"state": ""},
    {"overdue": "true", "assigned_to": "me", "page": "2"},
    {"overdue": "yes", "assigned_to": "them", "page": "0"},
    {"page": "abc"},
    {"status": "open"},
    {"status": "lost", "page": str(2**31)},
]


@pytest.mark.parametrize("serializer_class", [CaseFilterSerializer, DeadlineFilterSerializer])
def test_query_parameters_are_checked_as_drf_checks_them(serializer_class):
    """The lists' query parameters copy their fields shallowly (``QueryParameters``): the
    same verdicts, errors and values as DRF's deep copies, and each serializer still has
    fields of its own, bound to it."""

    class DeepCopied(serializer_class):
        def get_fields(self):
            return serializers.Serializer.get_fields(self)

    for data in QUERIES:
        ours, drf = serializer_class(data=data), DeepCopied(data=data)
        assert ours.is_valid() == drf.is_valid(), data
        assert ours.errors == drf.errors, data
        if not ours.errors:
            assert dict(ours.validated_data) == dict(drf.validated_data), data
    first, second = serializer_class(data={}), serializer_class(data={})
    for name, field in first.fields.items():
        assert field is not second.fields[name]
        assert field is not serializer_class._declared_fields[name]
        assert (field.parent, second.fields[name].parent) == (first, second)
        assert field.field_name == name


def test_state_and_overdue_filters_never_reveal_a_case_known_only_as_received(api, users, cases):
    overdue_deadline(cases["prevent"])
    overdue_deadline(cases["mine"])
    client = api(users["frontline"])

    # Nor the state or clocks of a case seen only as its raiser (issue 17) ...
    assert references(client.get("/api/v1/cases/?state=concern_raised")) == []
    assert references(client.get("/api/v1/cases/?overdue=true")) == []
    row = next(
        r
        for r in client.get("/api/v1/cases/").json()["results"]
        if r["reference"] == cases["mine"].reference
    )
    assert row["raiser_view"] is True
    assert "overdue" not in row
    assert "state" not in row
    # ... which match once it is allocated to them.
    case_allocate(case=cases["mine"], actor=users["lead"], assignee=users["frontline"])
    assert references(client.get("/api/v1/cases/?state=concern_raised")) == [
        cases["mine"].reference
    ]
    assert references(client.get("/api/v1/cases/?overdue=true")) == [cases["mine"].reference]


def test_search_covers_reference_summary_and_people_names(api, users, cases):
    lead = api(users["lead"])

    def found(q):
        return references(lead.get("/api/v1/cases/", {"q": q}))

    assert found(cases["colleague"].reference) == [cases["colleague"].reference]
    assert found("zoe") == [cases["colleague"].reference]
    assert found("Amy Walsh") == [cases["mine"].reference]
    assert len(found("unknown adult")) == 2
    assert found("Sam") == []  # the south case is not theirs to find


def test_a_case_known_only_as_received_is_found_by_reference_only(api, users, cases):
    client = api(users["frontline"])

    def found(q):
        return references(client.get("/api/v1/cases/", {"q": q}))

    assert found(cases["prevent"].reference) == [cases["prevent"].reference]
    assert found("Hughes") == []
    assert found("extremist") == []


@pytest.mark.parametrize(
    ("query", "name"),
    [("case_type=burglary", "case_type"), ("state=nowhere", "state"),
     ("case_type=cse&state=channel_panel", "state"), ("overdue=yes", "overdue"),
     ("assigned_to=someone", "assigned_to"), ("page=0", "page"), ("page=x", "page"),
     ("q=a%00b", "q")],
)  # fmt: skip
def test_invalid_filters_are_400_with_errors_by_parameter(api, users, query, name):
    response = api(users["lead"]).get(f"/api/v1/cases/?{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [name]


def test_the_list_is_paginated_25_a_page_and_counted_the_same_way(api, users, raise_case):
    for _ in range(27):
        raise_case(users["lead"])
    raise_case(users["south_lead"])
    client = api(users["lead"])

    first = client.get("/api/v1/cases/").json()
    second = client.get(first["next"]).json()

    assert (first["count"], len(first["results"]), first["previous"]) == (27, 25, None)
    assert (second["count"], len(second["results"]), second["next"]) == (27, 2, None)
    assert second["previous"] is not None
    past = client.get("/api/v1/cases/?page=3")
    assert (past.status_code, past.json()) == (404, {"detail": "Not found."})


@pytest.mark.parametrize("count", [5, 30])
def test_the_list_runs_a_fixed_number_of_queries(
    api, users, raise_case, count, django_assert_max_num_queries
):
    for n in range(count):
        case = raise_case(users["frontline"] if n % 2 else users["lead"])
        overdue_deadline(case)
        if n % 3 == 0:
            case_allocate(case=case, actor=users["lead"], assignee=users["frontline"])
    raise_case(users["frontline"], "prevent")
    client = api(users["frontline"])

    # 11: the token, the user, their roles, teams and per-case grants, the count, the
    # page, and the list's audit record (lock, chain's tail, insert, release).
    with django_assert_max_num_queries(11) as captured:
        response = client.get("/api/v1/cases/")

    assert response.status_code == 200
    # Nor does it read the concerns' intake answers, which no summary shows.
    assert not [q for q in captured.captured_queries if '"casework_case"."details"' in q["sql"]]


def test_looking_at_the_list_is_recorded_once(api, users, cases):
    before = AuditEvent.objects.filter(verb=AuditVerb.CASES_LISTED).count()

    api(users["lead"]).get("/api/v1/cases/?case_type=cse")

    event = AuditEvent.objects.filter(verb=AuditVerb.CASES_LISTED).latest("pk")
    assert AuditEvent.objects.filter(verb=AuditVerb.CASES_LISTED).count() == before + 1
    assert (event.actor, event.data["count"], event.data["filters"]) == (
        users["lead"],
        2,
        {"case_type": "cse"},
    )


# --- A case --------------------------------------------------------------------------------


def test_a_case_has_the_contract_fields_deadlines_and_what_the_user_may_do(api, users, cases):
    case = cases["colleague"]
    overdue_deadline(case)

    body = api(users["lead"]).get(f"/api/v1/cases/{case.reference}/").json()

    assert {"reference", "case_type", "state", "state_label", "summary", "team", "owner",
            "raised_by", "raised_at", "closed_at", "version", "available_transitions",
            "deadlines", "people"} <= set(body)  # fmt: skip
    assert body["deadlines"][0]["overdue"] is True
    assert set(body["deadlines"][0]) >= {"id", "name", "label", "due_at", "status", "statutory",
                                         "source"}  # fmt: skip
    transitions = body["available_transitions"]
    assert [t["name"] for t in transitions] == [
        t.name for t in available_transitions(case, users["lead"])
    ]
    refer = next(t for t in transitions if t["name"] == "refer_to_mash")
    assert refer["target"] == "referred_to_mash"
    assert {f["name"] for f in refer["fields"]} >= {"referral_method", "police_informed"}


@pytest.mark.parametrize(
    ("role", "may_act"),
    # (its raiser gets no steps at all: test_its_raiser_gets_the_raiser_view_...)
    [("auditor", False), ("lead", True), ("prevent_lead", True)],
)
def test_available_transitions_are_only_what_this_user_may_do(api, users, cases, role, may_act):
    body = api(users[role]).get(f"/api/v1/cases/{cases['mine'].reference}/").json()

    assert bool(body["available_transitions"]) is may_act


def test_its_raiser_gets_the_raiser_view_without_steps_or_clocks(api, users, cases):
    """A raiser not allocated to the case sees its status in plain words (issue 17)."""
    overdue_deadline(cases["mine"])
    body = api(users["frontline"]).get(f"/api/v1/cases/{cases['mine'].reference}/").json()

    assert body["raiser_view"] is True
    assert body["status"] == "With the safeguarding lead for triage"
    assert not {"state", "available_transitions", "deadlines", "owner", "people"} & set(body)
    assert body["summary"] == "Picked up from school by an unknown adult."
    row = api(users["frontline"]).get("/api/v1/cases/").json()["results"][-1]
    assert (row["reference"], row["summary"]) == (cases["mine"].reference, body["summary"])


def test_a_hidden_case_is_the_same_404_as_a_missing_one(api, users, cases):
    client = api(users["lead"])
    before = snapshot()

    hidden = client.get(f"/api/v1/cases/{cases['south'].reference}/")
    missing = client.get("/api/v1/cases/SC-1999-999999/")
    nul = client.get("/api/v1/cases/SC%00X/")

    for response in (hidden, missing):
        assert (response.status_code, response.json()) == (404, {"detail": "Not found."})
    # A control character in the address is refused before any case is looked up (issue 17).
    assert nul.status_code == 400
    assert "errors" in nul.json()
    assert snapshot() == before  # not even a view is recorded


def test_a_case_known_only_as_received_shows_only_that(api, users, cases):
    body = api(users["frontline"]).get(f"/api/v1/cases/{cases['prevent'].reference}/").json()

    assert set(body) == LIMITED_KEYS
    assert body["limited"] is True


def test_each_look_at_a_case_is_recorded_once(api, users, cases):
    case = cases["mine"]
    before = AuditEvent.objects.filter(verb=AuditVerb.CASE_VIEWED).count()

    api(users["auditor"]).get(f"/api/v1/cases/{case.reference}/")

    views = AuditEvent.objects.filter(verb=AuditVerb.CASE_VIEWED)
    assert views.count() == before + 1
    event = views.latest("pk")
    assert (event.actor, event.case_id, event.data["via"]) == (users["auditor"], case.pk, "api")
