"""Community Trigger (RULES.md §5): the proxy model whose transitions are the process."""

from __future__ import annotations

from typing import Any

from casework.models import Case
from workflows.community_trigger.checks import (
    application_date,
    applies_on_behalf,
    consent_in_place,
    consent_missing,
    escalation_window_open,
    no_recommendations_made,
    qualifying_complaints,
    recommendations_made,
    threshold_met_automatically,
    threshold_not_met_automatically,
    threshold_number,
)
from workflows.community_trigger.escalation import EscalationSteps
from workflows.community_trigger.states import (
    CLOSING_FIELDS,
    CLOSING_WITH_WINDOW,
    DISCRETIONARY_GROUNDS,
    INCIDENT_FIELDS,
    RELEVANT_BODIES,
    Outcome,
    State,
)
from workflows.definitions import (
    Field,
    FieldType,
    WorkflowCaseMixin,
)
from workflows.disclosure import DisclosingCaseMixin, disclosure_fields
from workflows.steps import WORKER, refusing, step


@refusing(
    "The person affected's consent is already recorded (given on the application or "
    "recorded since), so it is not asked again."
)
def consent_not_yet_recorded(case: Case) -> bool:
    """Consent the application already gave is not asked for a second time."""
    return not case.details.get("victim_consent")


class CommunityTriggerCase(EscalationSteps, DisclosingCaseMixin, WorkflowCaseMixin, Case):
    """A Community Trigger (ASB case review) application; transitions follow RULES.md §5.3."""

    class Meta:
        proxy = True
        app_label = "workflows"

    @step(
        event_field="consent_given_on",
        source=State.APPLICATION_RECEIVED,
        target=None,
        label="Record the affected person's consent",
        conditions=[applies_on_behalf, consent_not_yet_recorded],
        guard_message="Consent is recorded only for an application made on someone's behalf.",
        fields=[
            Field("consent_given_on", FieldType.DATE, "Date consent was given"),
            Field("consent_note", FieldType.TEXT, "How consent was given", required=False),
        ],
    )
    def record_victim_consent(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "victim_consent": True})

    @step(
        event_field="applicant_told_on",
        source=State.APPLICATION_RECEIVED,
        target=State.CLOSED,
        label="Close: no consent from the person affected",
        outcome=Outcome.INVALID_NO_CONSENT,
        outcome_words="No consent from the person affected",
        conditions=[consent_missing],
        guard_message="The application is valid: it is the applicant's own, or has consent.",
        fields=list(CLOSING_FIELDS),
    )
    def close_invalid_no_consent(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="acknowledged_on",
        source=State.APPLICATION_RECEIVED,
        target=State.ACKNOWLEDGED,
        label="Acknowledge the application",
        conditions=[consent_in_place],
        guard_message=(
            "The application is made on someone else's behalf without their consent: "
            "record their consent first."
        ),
        fields=[
            Field("acknowledged_on", FieldType.DATE, "Date acknowledged"),
            Field(
                "single_point_of_contact",
                FieldType.STRING,
                "The applicant's single point of contact",
            ),
            Field(
                "victim_support_offered",
                FieldType.BOOLEAN,
                "Was a referral to victim support offered?",
            ),
        ],
    )
    def acknowledge(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="information_requested_on",
        source=State.ACKNOWLEDGED,
        target=State.INFORMATION_GATHERING,
        label="Pass the application to the relevant bodies and ask for their records",
        fields=[
            Field(
                "bodies_asked",
                FieldType.MULTICHOICE,
                "Relevant bodies sent the application",
                choices=RELEVANT_BODIES,
            ),
            Field("information_requested_on", FieldType.DATE, "Date requested"),
            *disclosure_fields(shared_with="the relevant bodies and who at each"),
        ],
    )
    def request_information(self, *, actor: Any, data: dict) -> None:
        self.record_disclosure("request_information", data, actor)

    @step(
        event_field="responded_on",
        source=State.INFORMATION_GATHERING,
        target=None,
        label="Record a relevant body's response",
        permission=WORKER,
        fields=[
            Field("responding_body", FieldType.CHOICE, "Relevant body", choices=RELEVANT_BODIES),
            Field("responded_on", FieldType.DATE, "Date of the response"),
            Field("response_summary", FieldType.TEXT, "What it holds and what it has done"),
            Field(
                "complaints",
                FieldType.RECORDS,
                "Complaints in its records not already listed",
                required=False,
                fields=INCIDENT_FIELDS,
            ),
        ],
    )
    def record_agency_response(self, *, actor: Any, data: dict) -> None:
        found = [{**c, "found_by": data["responding_body"]} for c in data.get("complaints", [])]
        response = {k: v for k, v in data.items() if k != "complaints"}
        self.record(
            {
                "incidents": [*self.details.get("incidents", []), *found],
                "agency_responses": [*self.details.get("agency_responses", []), response],
            }
        )

    @step(
        source=State.INFORMATION_GATHERING,
        target=State.THRESHOLD_DECISION,
        label="Put the application to the threshold decision",
        fields=[
            Field("information_note", FieldType.TEXT, "Information still awaited", required=False)
        ],
    )
    def start_threshold_decision(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="threshold_decided_on",
        source=State.THRESHOLD_DECISION,
        target=State.THRESHOLD_MET,
        label="Record that the threshold is met automatically",
        conditions=[threshold_met_automatically],
        guard_message=(
            "There are fewer qualifying complaints than the local threshold, so the "
            "threshold is not met automatically: decide it on the discretionary grounds."
        ),
        fields=[
            Field("threshold_decided_on", FieldType.DATE, "Date decided"),
            Field("applicant_informed_on", FieldType.DATE, "Date the applicant was told"),
        ],
    )
    def record_threshold_met_automatically(self, *, actor: Any, data: dict) -> None:
        qualifying = qualifying_complaints(
            self.details.get("incidents", []), application_date(self)
        )
        self.record(
            {
                **data,
                "threshold_met": True,
                "threshold_basis": "automatic",
                "qualifying_complaints": len(qualifying),
                "threshold_number": threshold_number(),
            }
        )

    @step(
        event_field="threshold_decided_on",
        source=State.THRESHOLD_DECISION,
        target=State.THRESHOLD_MET,
        label="Decide the threshold is met on discretionary grounds",
        conditions=[threshold_not_met_automatically],
        guard_message=("The threshold is met automatically: record it as met automatically."),
        fields=[
            Field(
                "discretionary_grounds",
                FieldType.MULTICHOICE,
                "Grounds",
                choices=DISCRETIONARY_GROUNDS,
            ),
            Field("rationale", FieldType.TEXT, "Why the grounds are met"),
            Field("threshold_decided_on", FieldType.DATE, "Date decided"),
            Field("applicant_informed_on", FieldType.DATE, "Date the applicant was told"),
        ],
    )
    def decide_threshold_met_discretionary(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "threshold_met": True, "threshold_basis": "discretionary"})

    @step(
        event_field="threshold_decided_on",
        source=State.THRESHOLD_DECISION,
        target=State.THRESHOLD_NOT_MET,
        label="Decide the threshold is not met",
        conditions=[threshold_not_met_automatically],
        guard_message=(
            "The threshold must be treated as met: there are enough qualifying complaints."
        ),
        fields=[
            Field("reasons", FieldType.TEXT, "Reasons given to the applicant"),
            Field("signposting", FieldType.TEXT, "Other help the applicant was pointed to"),
            Field(
                "right_to_escalate_explained",
                FieldType.BOOLEAN,
                "Was the right to ask for an escalation explained?",
            ),
            Field("threshold_decided_on", FieldType.DATE, "Date decided"),
            Field("applicant_informed_on", FieldType.DATE, "Date the applicant was told"),
        ],
    )
    def decide_threshold_not_met(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "threshold_met": False})

    @step(
        event_field="applicant_told_on",
        source=State.THRESHOLD_NOT_MET,
        target=State.CLOSED,
        label="Close: threshold not met",
        outcome=Outcome.THRESHOLD_NOT_MET,
        outcome_words="Threshold not met",
        fields=list(CLOSING_WITH_WINDOW),
    )
    def close_threshold_not_met(self, *, actor: Any, data: dict) -> None:
        escalation_window_open(self, data)
        self.record(data)

    @step(
        source=State.THRESHOLD_MET,
        target=State.REVIEW_MEETING_SCHEDULED,
        label="Schedule the review meeting",
        fields=[
            Field("meeting_on", FieldType.DATE, "Date of the meeting"),
            Field(
                "bodies_invited",
                FieldType.MULTICHOICE,
                "Relevant bodies invited",
                choices=RELEVANT_BODIES,
            ),
            Field("victim_invited", FieldType.BOOLEAN, "Was the person affected invited?"),
            Field("independent_chair", FieldType.BOOLEAN, "Is the chair independent?"),
        ],
    )
    def schedule_review_meeting(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.REVIEW_MEETING_SCHEDULED,
        target=None,
        label="Move the review meeting",
        fields=[
            Field("meeting_on", FieldType.DATE, "New date of the meeting"),
            Field("reason", FieldType.TEXT, "Why it moved"),
        ],
    )
    def reschedule_review_meeting(self, *, actor: Any, data: dict) -> None:
        self.record({"meeting_on": data["meeting_on"], "meeting_moved_reason": data["reason"]})

    @step(
        event_field="meeting_held_on",
        source=State.REVIEW_MEETING_SCHEDULED,
        target=State.REVIEW_MEETING_HELD,
        label="Record the review meeting",
        fields=[
            Field("meeting_held_on", FieldType.DATE, "Date held"),
            Field("victim_attended", FieldType.BOOLEAN, "Did the person affected take part?"),
            Field(
                "victim_consulted_on_plan",
                FieldType.BOOLEAN,
                "Was the person affected consulted on the action plan before it was final?",
            ),
            Field("meeting_summary", FieldType.TEXT, "What the panel found"),
            Field(
                "recommendations",
                FieldType.RECORDS,
                "Recommendations (leave empty if none)",
                required=False,
                fields=(
                    Field("recommendation", FieldType.TEXT, "Recommendation"),
                    Field(
                        "responsible_body",
                        FieldType.CHOICE,
                        "Who will act on it",
                        choices=RELEVANT_BODIES,
                    ),
                    Field("due_on", FieldType.DATE, "By when", required=False),
                ),
            ),
        ],
    )
    def hold_review_meeting(self, *, actor: Any, data: dict) -> None:
        recommendations = data.get("recommendations", [])
        self.record(
            {
                **data,
                "recommendations": recommendations,
                "recommendations_made": bool(recommendations),
                "review_held": True,
            }
        )

    @step(
        event_field="outcome_sent_on",
        source=State.REVIEW_MEETING_HELD,
        target=State.OUTCOME_COMMUNICATED,
        label="Send the outcome to the applicant and the relevant bodies",
        fields=[
            Field("outcome_sent_on", FieldType.DATE, "Date sent"),
            Field("outcome_summary", FieldType.TEXT, "Summary of the outcome letter"),
            Field(
                "right_to_escalate_explained",
                FieldType.BOOLEAN,
                "Was the right to ask for an escalation explained?",
            ),
        ],
    )
    def communicate_outcome(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.OUTCOME_COMMUNICATED,
        target=State.ACTION_PLAN_MONITORING,
        label="Start monitoring the action plan",
        fields=[
            Field("lead_agency", FieldType.CHOICE, "Lead agency", choices=RELEVANT_BODIES),
            Field("plan_review_on", FieldType.DATE, "Next check of the plan", required=False),
        ],
    )
    def start_monitoring(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="progress_on",
        source=State.ACTION_PLAN_MONITORING,
        target=None,
        label="Record progress on the action plan",
        permission=WORKER,
        fields=[
            Field("progress_on", FieldType.DATE, "Date"),
            Field("progress_note", FieldType.TEXT, "Progress"),
        ],
    )
    def record_progress(self, *, actor: Any, data: dict) -> None:
        self.record({"plan_progress": [*self.details.get("plan_progress", []), data]})

    @step(
        event_field="applicant_told_on",
        source=State.ACTION_PLAN_MONITORING,
        target=State.CLOSED,
        label="Close: reviewed, recommendations made",
        outcome=Outcome.REVIEWED_WITH_RECOMMENDATIONS,
        outcome_words="Reviewed, recommendations made",
        conditions=[recommendations_made],
        guard_message="The review made no recommendations: close it as such.",
        fields=list(CLOSING_WITH_WINDOW),
    )
    def close_with_recommendations(self, *, actor: Any, data: dict) -> None:
        escalation_window_open(self, data)
        self.record(data)

    @step(
        event_field="applicant_told_on",
        source=State.ACTION_PLAN_MONITORING,
        target=State.CLOSED,
        label="Close: reviewed, no recommendations",
        outcome=Outcome.REVIEWED_NO_RECOMMENDATIONS,
        outcome_words="Reviewed, no recommendations made",
        conditions=[no_recommendations_made],
        guard_message="The review made recommendations: close it as such.",
        fields=list(CLOSING_WITH_WINDOW),
    )
    def close_no_recommendations(self, *, actor: Any, data: dict) -> None:
        escalation_window_open(self, data)
        self.record(data)

    @step(
        event_field="withdrawn_on",
        source=[
            State.APPLICATION_RECEIVED,
            State.ACKNOWLEDGED,
            State.INFORMATION_GATHERING,
            State.THRESHOLD_DECISION,
            State.THRESHOLD_MET,
            State.THRESHOLD_NOT_MET,
            State.REVIEW_MEETING_SCHEDULED,
            State.REVIEW_MEETING_HELD,
            State.OUTCOME_COMMUNICATED,
            State.ACTION_PLAN_MONITORING,
            State.ESCALATION_REQUESTED,
            State.ESCALATION_DECIDED,
        ],
        target=State.WITHDRAWN,
        label="Withdraw (the applicant withdrew the application)",
        outcome=Outcome.WITHDRAWN,
        outcome_words="Withdrawn",
        fields=[
            Field("withdrawn_on", FieldType.DATE, "Date withdrawn"),
            Field("reason", FieldType.TEXT, "Why"),
        ],
    )
    def withdraw(self, *, actor: Any, data: dict) -> None:
        self.record(data)
