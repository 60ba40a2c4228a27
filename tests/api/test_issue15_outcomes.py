"""Issue 15 through the API alone: each real outcome the issue names is reached by a
client that knows only the workflow definitions and ``available_transitions``.

Modern slavery: the duty cannot be skipped (NOTIFICATION_NOT_REQUIRED by a recorded
decision; DTN_ONLY after consent is withdrawn; NRM_WITHDRAWN only after a referral; an
adult lacking capacity referred on a best-interests decision). Community Trigger: an
escalation after closure reopens the case. Cuckooing: an order discharged (s83) or
quashed on appeal (s84), and a review beside an order in force. Child exploitation:
criminal exploitation, and a trafficked child referred into the NRM.
"""

from __future__ import annotations

from typing import Any

import pytest

from casework.roles import Role
from tests.api.test_walk import fill

pytestmark = pytest.mark.django_db


class Client:
    def __init__(self, client: Any, case_type: str, **intake: Any) -> None:
        self.client = client
        definition = client.get(f"/api/v1/workflows/{case_type}/").json()
        self.intake = {"case_type": case_type, **fill(definition["intake_fields"]), **intake}

    def raise_case(self) -> dict[str, Any]:
        response = self.client.post("/api/v1/cases/", self.intake, format="json")
        assert response.status_code == 201, response.json()
        return response.json()

    def offered(self, case: dict[str, Any]) -> dict[str, dict]:
        return {t["name"]: t for t in case["available_transitions"]}

    def take(self, case: dict[str, Any], name: str, **data: Any) -> dict[str, Any]:
        offered = self.offered(case)
        assert name in offered, (case["state"], name, sorted(offered))
        values = {**fill(offered[name]["fields"]), **data}
        url = f"/api/v1/cases/{case['reference']}/transitions/{name}/"
        response = self.client.post(url, {"version": case["version"], **values}, format="json")
        assert response.status_code == 200, (name, response.json())
        return response.json()

    def walk(self, *names: str, **data: Any) -> dict[str, Any]:
        case = self.raise_case()
        for name in names:
            case = self.take(case, name, **data.get(name, {}))
        return case


@pytest.fixture
def lead(api, make_user):
    return api(make_user("lead.north", Role.LEAD, ["north"]))


ADULT = {"subject_date_of_birth": "1990-05-17", "subject_estimated_age": None}
MS_BAND = {"submit_duty_to_notify": {"age_band": "unknown"}}


def test_modern_slavery_outcomes_say_what_happened(lead):
    ms = Client(lead, "modern_slavery", **ADULT)
    case = ms.walk("start_triage", "seek_consent")
    assert "withdraw" not in ms.offered(case)
    case = ms.take(case, "close_notification_not_required")
    assert (case["state"], case["outcome_code"]) == ("closed", "NOTIFICATION_NOT_REQUIRED")

    case = ms.walk("start_triage", "seek_consent", "record_consent", "withdraw_consent",
                   "submit_duty_to_notify", "close_dtn_only", **MS_BAND)  # fmt: skip
    assert (case["state"], case["outcome_code"]) == ("closed", "DTN_ONLY")

    case = ms.walk("start_triage", "seek_consent", "record_consent", "submit_nrm_referral",
                   "withdraw")  # fmt: skip
    assert (case["state"], case["outcome_code"]) == ("withdrawn", "NRM_WITHDRAWN")

    case = ms.walk("start_triage", "seek_consent", "record_best_interests_decision",
                   "submit_nrm_referral")  # fmt: skip
    assert case["state"] == "awaiting_rg"


def test_a_community_trigger_escalation_reopens_a_closed_case(lead):
    ct = Client(lead, "community_trigger", incidents=[
        {"incident_date": "2026-01-05", "description": "Noise.", "reported_to": "Police",
         "reported_on": "2026-01-06"},
    ])  # fmt: skip
    case = ct.walk("acknowledge", "request_information", "start_threshold_decision",
                   "decide_threshold_not_met", "close_threshold_not_met")  # fmt: skip
    assert (case["state"], case["outcome_code"]) == ("closed", "CLOSED_THRESHOLD_NOT_MET")
    case = ct.take(case, "reopen_for_escalation", reopen_reason="Asked within the window.")
    assert (case["state"], case["outcome_code"]) == ("escalation_requested", "")
    case = ct.take(case, "decide_escalation", escalation_decision="re_review")
    case = ct.take(case, "order_re_review")
    assert case["state"] == "review_meeting_scheduled"


def test_a_closure_order_is_reviewed_beside_and_ends_by_discharge(lead):
    cuckooing = Client(lead, "cuckooing", premises_postcode="NT1 4AB")
    definition = lead.get("/api/v1/workflows/cuckooing/").json()
    (powers,) = definition["sub_processes"]
    assert (powers["name"], powers["field"]) == ("closure_powers", "closure_state")
    # Served at the first visit: the safeguarding route has not started.
    case = cuckooing.walk("issue_closure_notice")
    assert (case["state"], case["closure_state"]) == ("concern_raised", "closure_notice_issued")
    assert {d["name"] for d in case["deadlines"]} == {"closure_notice_24h", "closure_hearing"}
    to_order = ("issue_closure_notice", "submit_concern", "apply_for_closure_order",
                "start_triage", "record_order_made", "record_s42_test", "start_s42_enquiry",
                "convene_risk_meeting", "agree_safety_plan")  # fmt: skip
    case = cuckooing.walk(*to_order)
    assert (case["state"], case["closure_state"]) == (
        "safety_plan_active", "closure_order_in_force",
    )  # fmt: skip
    case = cuckooing.take(case, "start_review")
    assert "close_case" not in cuckooing.offered(case)  # the order is in force
    url = f"/api/v1/cases/{case['reference']}/transitions/close_case/"
    response = lead.post(url, {"version": case["version"], "outcome_code": "RISK_REMOVED",
                               "closing_summary": "x", "signed_off_by": "x",
                               "adult_has_capacity": True}, format="json")  # fmt: skip
    assert response.status_code == 409
    assert "in force" in response.json()["detail"]
    assert response.json()["state"] == "review"
    case = cuckooing.take(case, "continue_safety_plan")
    case = cuckooing.take(case, "review_order_in_force")
    case = cuckooing.take(case, "vary_closure_order")
    assert case["closure_state"] == "closure_order_in_force"
    case = cuckooing.take(case, "discharge_closure_order")
    assert (case["state"], case["closure_state"]) == ("safety_plan_active", "closure_ended")
    case = cuckooing.take(case, "start_review")
    assert "close_case" in cuckooing.offered(case)

    case = cuckooing.walk(*to_order, "record_appeal", "record_order_quashed")
    assert (case["state"], case["closure_state"]) == ("safety_plan_active", "closure_ended")


def test_a_child_running_drugs_is_referred_into_the_nrm(lead):
    cse = Client(lead, "cse", kinds=["criminal"], subject_estimated_age=15,
                 subject_date_of_birth=None)  # fmt: skip
    case = cse.walk("refer_to_mash", "refer_into_nrm")
    assert case["state"] == "referred_to_mash"
    assert "refer_into_nrm" not in cse.offered(case)
