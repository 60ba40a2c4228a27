"""Community Trigger: the ASB case review (ASBCPA 2014 s104, Sched. 4; RULES.md §5).

Someone who has complained about anti-social behaviour, or someone acting for them with
their consent, applies for a case review; an anonymous application is not accepted
(RULES.md §5.2, §5.5). The council acknowledges it, passes it to the other relevant
bodies (s104(3)(b)) and gathers their complaint histories, then the relevant bodies
decide the threshold. s104(4) makes the threshold met *automatically* when at least
three qualifying complaints (or the lower number the local procedure sets) were made;
otherwise it is discretionary, on persistence, harm and the adequacy of the response
(s104(5)). If met, a review meeting agrees recommendations, the outcome goes to the
applicant and the action plan is monitored; a not-met decision or the outcome can be
escalated (appealed) under the local procedure, which Sched. 4 para 3 requires.

Every timescale here is local practice, since no national one was found (RULES.md §5.4),
so each deadline rule is ``statutory=False`` with RULES.md's suggested default and can be
overridden per deployment. The annual figures (RULES.md §5.6) come from the outcome codes
and the ``threshold_met`` and ``review_held`` flags kept in the case's details.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils import timezone

from casework.models import Case
from workflows.definitions import (
    RAISE,
    ClockKind,
    DeadlineRule,
    Field,
    FieldType,
    Unit,
    Workflow,
    WorkflowCaseMixin,
    person_fields,
)
from workflows.registry import register
from workflows.steps import WORKER, step


class State(models.TextChoices):
    APPLICATION_RECEIVED = "application_received", "Application received"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    INFORMATION_GATHERING = "information_gathering", "Gathering information from relevant bodies"
    THRESHOLD_DECISION = "threshold_decision", "Deciding whether the threshold is met"
    THRESHOLD_MET = "threshold_met", "Threshold met"
    THRESHOLD_NOT_MET = "threshold_not_met", "Threshold not met"
    REVIEW_MEETING_SCHEDULED = "review_meeting_scheduled", "Review meeting scheduled"
    REVIEW_MEETING_HELD = "review_meeting_held", "Review meeting held"
    OUTCOME_COMMUNICATED = "outcome_communicated", "Outcome sent to the applicant"
    ACTION_PLAN_MONITORING = "action_plan_monitoring", "Monitoring the action plan"
    ESCALATION_REQUESTED = "escalation_requested", "Escalation requested"
    ESCALATION_DECIDED = "escalation_decided", "Escalation decided"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CLOSED = "closed", "Closed"


class Outcome:
    """Outcome codes; the first three are the statutory annual figures (RULES.md §5.1)."""

    THRESHOLD_NOT_MET = "CLOSED_THRESHOLD_NOT_MET"
    REVIEWED_NO_RECOMMENDATIONS = "CLOSED_REVIEWED_NO_RECOMMENDATIONS"
    REVIEWED_WITH_RECOMMENDATIONS = "CLOSED_REVIEWED_WITH_RECOMMENDATIONS"
    WITHDRAWN = "WITHDRAWN"
    INVALID_NO_CONSENT = "INVALID_NO_CONSENT"


# RULES.md §5.5 (a)-(d). (b) and (d) are applications on someone else's behalf, which
# need the consent of the person or people affected (RULES.md §5.2).
SELF = "affected_person"
FOR_AFFECTED_PERSON = "for_affected_person"
ONE_OF_FIVE = "one_of_five_or_more"
FOR_FIVE = "for_five_or_more"
APPLICATION_BASES = (
    (SELF, "I am the person affected"),
    (FOR_AFFECTED_PERSON, "I am acting on behalf of the person affected"),
    (ONE_OF_FIVE, "I am one of five or more people affected"),
    (FOR_FIVE, "I am acting on behalf of five or more people affected"),
)
ON_BEHALF_BASES = {FOR_AFFECTED_PERSON, FOR_FIVE}

RELEVANT_BODIES = (
    ("council", "The council"),
    ("police", "Police"),
    ("icb", "Integrated care board"),
    ("housing_provider", "Social housing provider (co-opted)"),
    ("other", "Other"),
)
TENURES = (
    ("private_tenant", "Private tenant"),
    ("owner_occupier", "Owner occupier"),
    ("housing_association", "Housing association tenant"),
    ("council_tenant", "Council tenant"),
    ("other", "Other"),
)
CONTACT_METHODS = (
    ("phone", "Phone"),
    ("email", "Email"),
    ("post", "Post"),
    ("in_person", "In person"),
)
DISCRETIONARY_GROUNDS = (
    ("persistence", "The persistence of the behaviour (s104(5)(a))"),
    ("harm", "The harm or potential harm caused (s104(5)(b))"),
    ("adequacy", "The adequacy of the response to it (s104(5)(c))"),
)
ESCALATION_ROUTES = (
    ("pcc", "Police and crime commissioner (OPCC)"),
    ("independent_reviewer", "Independent reviewer"),
    ("lead_agency", "A senior officer of the lead agency"),
    ("other", "Other, under the local procedure"),
)
ESCALATION_REQUESTERS = (
    ("applicant", "The applicant"),
    ("lead_agency", "The lead agency, for the applicant"),
)
RE_REVIEW = "re_review"
NOT_UPHELD = "not_upheld"
ESCALATION_DECISIONS = (
    (RE_REVIEW, "Upheld: the case is to be reviewed"),
    (NOT_UPHELD, "Not upheld"),
)


# --- The threshold (s104(4), s104(11); RULES.md §5.1) ----------------------------------

DEFAULT_THRESHOLD = 3


def threshold_number() -> int:
    """How many qualifying complaints meet the threshold automatically.

    s104(4): three, or a lower number if the local procedure says so; a deployment sets
    ``SAFECASE_COMMUNITY_TRIGGER_THRESHOLD``. More than three would break s104(4).
    """
    number = getattr(settings, "SAFECASE_COMMUNITY_TRIGGER_THRESHOLD", DEFAULT_THRESHOLD)
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 3:
        raise ImproperlyConfigured(
            "SAFECASE_COMMUNITY_TRIGGER_THRESHOLD must be a whole number from 1 to 3 "
            f"(ASBCPA 2014 s104(4) allows only a lower number than three), not {number!r}."
        )
    return number


def add_calendar_months(day: date, months: int) -> date:
    """The same date ``months`` calendar months on, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def period_end(start: date, months: int) -> date:
    """The last day of the period of ``months`` calendar months *beginning with* ``start``.

    "Beginning with" counts ``start`` itself, so the period ends the day before the
    corresponding date: the month beginning with 10 March ends on 9 April. Where that
    month has no corresponding date (the month beginning with 31 January), the period
    runs to the end of the month (28 or 29 February), the reading that favours the
    applicant. [U: RULES.md §0.3 notes the semantics vary by provision.]
    """
    corresponding = add_calendar_months(start, months)
    if corresponding.day != start.day:
        return corresponding
    return corresponding - timedelta(days=1)


def _as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def is_qualifying_complaint(incident: dict[str, Any], application_date: date) -> bool:
    """s104(11) (per the Explanatory Notes, RULES.md §5.1): a complaint qualifies when it
    was made within one month beginning with the date of the behaviour, and the
    application is made within six months beginning with the date of the complaint (so
    not before it). Both periods include their first day (see ``period_end``)."""
    behaviour = _as_date(incident.get("incident_date"))
    complaint = _as_date(incident.get("reported_on"))
    if behaviour is None or complaint is None:
        return False
    made_in_time = behaviour <= complaint <= period_end(behaviour, 1)
    applied_in_time = complaint <= application_date <= period_end(complaint, 6)
    return made_in_time and applied_in_time


def qualifying_complaints(
    incidents: Iterable[dict[str, Any]], application_date: date
) -> list[dict[str, Any]]:
    """The incidents that are qualifying complaints for an application on that date.

    Each incident record is one complaint (a report to one agency or officer); the same
    behaviour reported to two bodies is two complaints, as s104(4) counts complaints.
    """
    return [i for i in incidents if is_qualifying_complaint(i, application_date)]


def application_date(case: Case) -> date:
    """The date the application was received: as recorded at intake, else the day the
    case was raised (local time)."""
    recorded = _as_date(case.details.get("application_received_on"))
    return recorded or timezone.localtime(case.raised_at).date()


def threshold_met_automatically(case: Case) -> bool:
    """s104(4): the threshold *must* be treated as met when the case's complaints include
    at least ``threshold_number()`` qualifying complaints."""
    incidents = case.details.get("incidents", [])
    return len(qualifying_complaints(incidents, application_date(case))) >= threshold_number()


def threshold_not_met_automatically(case: Case) -> bool:
    return not threshold_met_automatically(case)


# --- Guards -----------------------------------------------------------------------------


def applies_on_behalf(case: Case) -> bool:
    return case.details.get("application_basis") in ON_BEHALF_BASES


def consent_in_place(case: Case) -> bool:
    """RULES.md §5.2: someone applying for another needs that person's consent."""
    return not applies_on_behalf(case) or bool(case.details.get("victim_consent"))


def consent_missing(case: Case) -> bool:
    return not consent_in_place(case)


def escalation_upheld(case: Case) -> bool:
    return case.details.get("escalation_decision") == RE_REVIEW


def not_upheld_after_review(case: Case) -> bool:
    """Not upheld, and a review was held: its action plan stands."""
    return case.details.get("escalation_decision") == NOT_UPHELD and bool(
        case.details.get("review_held")
    )


def not_upheld_without_review(case: Case) -> bool:
    """Not upheld, and no review was ever held: the not-met decision stands."""
    return case.details.get("escalation_decision") == NOT_UPHELD and not case.details.get(
        "review_held"
    )


def recommendations_made(case: Case) -> bool:
    return bool(case.details.get("recommendations_made"))


def no_recommendations_made(case: Case) -> bool:
    return not recommendations_made(case)


INCIDENT_FIELDS = (
    Field("incident_date", FieldType.DATE, "Date of the behaviour"),
    Field("description", FieldType.TEXT, "What happened"),
    Field("reported_to", FieldType.STRING, "Reported to (agency or officer)"),
    Field("reported_on", FieldType.DATE, "Date reported"),
    Field("reference", FieldType.STRING, "Reference or crime number", required=False),
)
CLOSING_FIELDS = (
    Field("closing_note", FieldType.TEXT, "Why the case is closed"),
    Field(
        "applicant_told_on",
        FieldType.DATE,
        "Date the applicant was told the case is closed, and why",
    ),
)


WAIVER = Field(
    "applicant_waived_escalation",
    FieldType.BOOLEAN,
    "Has the applicant said in writing that they will not ask for an escalation?",
    required=False,
    help_text="Needed only to close the case while the applicant's escalation window is open.",
)
CLOSING_WITH_WINDOW = (*CLOSING_FIELDS, WAIVER)


def escalation_window_open(case: Case, data: dict) -> None:
    """The applicant's right to ask for an escalation survives closure (RULES.md §5.3):
    while their window (a period) is open, the case closes only if they have said they
    will not escalate. Raises ValidationError on the waiver field; writes nothing."""
    from workflows.models import Deadline, DeadlineStatus

    window = (
        Deadline.objects.filter(
            case=case,
            rule__in=APPEAL_WINDOW_RULES,
            status=DeadlineStatus.OPEN,
            due_at__gt=timezone.now(),
        )
        .order_by("-due_at")
        .first()
    )
    if window is not None and not data.get("applicant_waived_escalation"):
        until = timezone.localtime(window.due_at)
        raise ValidationError(
            {
                "applicant_waived_escalation": [
                    f"The applicant may ask for an escalation until {until:%-d %B %Y}: close "
                    "the case after that, or record that they have said they will not."
                ]
            }
        )


class CommunityTriggerCase(WorkflowCaseMixin, Case):
    """A Community Trigger (ASB case review) application; transitions follow RULES.md §5.3."""

    class Meta:
        proxy = True
        app_label = "workflows"

    @step(
        event_field="consent_given_on",
        source=State.APPLICATION_RECEIVED,
        target=None,
        label="Record the affected person's consent",
        conditions=[applies_on_behalf],
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
                "Relevant bodies sent the application (s104(3)(b))",
                choices=RELEVANT_BODIES,
            ),
            Field("information_requested_on", FieldType.DATE, "Date requested"),
        ],
    )
    def request_information(self, *, actor: Any, data: dict) -> None:
        self.record(data)

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
        label="Record that the threshold is met automatically (s104(4))",
        conditions=[threshold_met_automatically],
        guard_message=(
            "There are fewer qualifying complaints than the local threshold, so the "
            "threshold is not met automatically: decide it on the discretionary grounds."
        ),
        fields=[
            Field("threshold_decided_on", FieldType.DATE, "Date decided"),
            Field("applicant_informed_on", FieldType.DATE, "Date the applicant was told (s104(6))"),
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
        label="Decide the threshold is met on discretionary grounds (s104(5))",
        conditions=[threshold_not_met_automatically],
        guard_message=(
            "The threshold is met automatically (s104(4)): record it as met automatically."
        ),
        fields=[
            Field(
                "discretionary_grounds",
                FieldType.MULTICHOICE,
                "Grounds",
                choices=DISCRETIONARY_GROUNDS,
            ),
            Field("rationale", FieldType.TEXT, "Why the grounds are met"),
            Field("threshold_decided_on", FieldType.DATE, "Date decided"),
            Field("applicant_informed_on", FieldType.DATE, "Date the applicant was told (s104(6))"),
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
            "The threshold must be treated as met: there are enough qualifying "
            "complaints (s104(4))."
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
            Field("applicant_informed_on", FieldType.DATE, "Date the applicant was told (s104(6))"),
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
        conditions=[no_recommendations_made],
        guard_message="The review made recommendations: close it as such.",
        fields=list(CLOSING_WITH_WINDOW),
    )
    def close_no_recommendations(self, *, actor: Any, data: dict) -> None:
        escalation_window_open(self, data)
        self.record(data)

    @step(
        event_field="escalation_requested_on",
        source=[
            State.THRESHOLD_NOT_MET,
            State.OUTCOME_COMMUNICATED,
            State.ACTION_PLAN_MONITORING,
        ],
        target=State.ESCALATION_REQUESTED,
        label="Record a request for escalation (appeal)",
        fields=[
            Field("escalation_requested_on", FieldType.DATE, "Date requested"),
            Field(
                "escalation_requested_by",
                FieldType.CHOICE,
                "Requested by",
                choices=ESCALATION_REQUESTERS,
            ),
            Field("escalated_to", FieldType.CHOICE, "Escalated to", choices=ESCALATION_ROUTES),
            Field("escalation_grounds", FieldType.TEXT, "Why the applicant is dissatisfied"),
        ],
    )
    def request_escalation(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "escalated_from": self.state})

    @step(
        event_field="escalation_decided_on",
        source=State.ESCALATION_REQUESTED,
        target=State.ESCALATION_DECIDED,
        label="Record the escalation decision",
        fields=[
            Field(
                "escalation_decision",
                FieldType.CHOICE,
                "Decision",
                choices=ESCALATION_DECISIONS,
            ),
            Field(
                "escalation_decided_by", FieldType.CHOICE, "Decided by", choices=ESCALATION_ROUTES
            ),
            Field("escalation_decided_on", FieldType.DATE, "Date decided"),
            Field("escalation_reasons", FieldType.TEXT, "Reasons"),
        ],
    )
    def decide_escalation(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.ESCALATION_DECIDED,
        target=State.REVIEW_MEETING_SCHEDULED,
        label="Schedule the (further) review meeting the escalation ordered",
        conditions=[escalation_upheld],
        guard_message="The escalation was not upheld, so there is no further review.",
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
    def order_re_review(self, *, actor: Any, data: dict) -> None:
        basis = self.details.get("threshold_basis") if self.details.get("threshold_met") else None
        self.record({**data, "threshold_met": True, "threshold_basis": basis or "escalation"})

    @step(
        source=State.ESCALATION_DECIDED,
        target=State.ACTION_PLAN_MONITORING,
        label="Return to monitoring the action plan",
        conditions=[not_upheld_after_review],
        guard_message=(
            "Only when an escalation of a review's outcome was not upheld does the "
            "action plan stand."
        ),
        fields=[Field("plan_review_on", FieldType.DATE, "Next check of the plan", required=False)],
    )
    def resume_monitoring(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="applicant_told_on",
        source=State.ESCALATION_DECIDED,
        target=State.CLOSED,
        label="Close: escalation not upheld, threshold not met",
        outcome=Outcome.THRESHOLD_NOT_MET,
        conditions=[not_upheld_without_review],
        guard_message=(
            "Close this way only when an escalation of a not-met decision was not upheld."
        ),
        fields=list(CLOSING_FIELDS),
    )
    def close_escalation_not_upheld(self, *, actor: Any, data: dict) -> None:
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
        fields=[
            Field("withdrawn_on", FieldType.DATE, "Date withdrawn"),
            Field("reason", FieldType.TEXT, "Why"),
        ],
    )
    def withdraw(self, *, actor: Any, data: dict) -> None:
        self.record(data)


# --- Intake (RULES.md §5.5) ---------------------------------------------------------------


def _incident_errors(incidents: list[dict[str, Any]], today: date) -> list[str]:
    errors = []
    for number, incident in enumerate(incidents, start=1):
        behaviour = _as_date(incident.get("incident_date"))
        reported = _as_date(incident.get("reported_on"))
        if behaviour and behaviour > today:
            errors.append(f"Incident {number}: the date of the behaviour is in the future.")
        if reported and reported > today:
            errors.append(f"Incident {number}: the date it was reported is in the future.")
        if behaviour and reported and reported < behaviour:
            errors.append(
                f"Incident {number}: it was reported before the behaviour happened; "
                "check both dates."
            )
    return errors


def check_intake(values: dict[str, Any]) -> None:
    """Dates that cannot be right, and an application for someone with no name for them.

    At least one incident is required by the field itself; an anonymous applicant is
    refused by the required applicant names (RULES.md §5.5).
    """
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    received = _as_date(values.get("application_received_on"))
    if received and received > today:
        errors["application_received_on"] = ["The application cannot be received in the future."]
    incident_errors = _incident_errors(values.get("incidents", []), today)
    if incident_errors:
        errors["incidents"] = incident_errors
    named = values.get("subject_given_names") or values.get("subject_family_name")
    if values.get("application_basis") == FOR_AFFECTED_PERSON and not named:
        errors["subject_family_name"] = ["Give the name of the person you are applying for."]
    if errors:
        raise ValidationError(errors)


INTAKE_FIELDS = [
    *person_fields("applicant", label="The applicant", names_required=True),
    Field(
        "preferred_contact",
        FieldType.CHOICE,
        "The applicant's preferred way to be contacted",
        required=False,
        choices=CONTACT_METHODS,
    ),
    Field(
        "application_basis", FieldType.CHOICE, "Basis of the application", choices=APPLICATION_BASES
    ),
    Field(
        "relationship_to_victim",
        FieldType.STRING,
        "The applicant's relationship to the person affected",
        required=False,
    ),
    Field(
        "victim_consent",
        FieldType.BOOLEAN,
        "If applying for someone else: have they (each of them) consented?",
    ),
    *person_fields("subject", label="The person affected, if you apply on their behalf"),
    Field("hate_incident", FieldType.BOOLEAN, "Is it a hate incident or hate crime?"),
    Field("asb_description", FieldType.TEXT, "Describe the anti-social behaviour"),
    Field(
        "incidents",
        FieldType.RECORDS,
        "Incidents and the complaints made about them",
        fields=INCIDENT_FIELDS,
        help_text="Add each time the behaviour was reported, to whom and when.",
    ),
    Field("impact", FieldType.TEXT, "Its effect on you or your household", required=False),
    Field("tenure", FieldType.CHOICE, "Tenure of the home", required=False, choices=TENURES),
    Field("desired_outcome", FieldType.TEXT, "What the applicant hopes for", required=False),
    Field(
        "application_received_on",
        FieldType.DATE,
        "Date the application was received, if not today",
        required=False,
    ),
]


# --- Clocks (RULES.md §5.4: all local practice) ------------------------------------------

THRESHOLD_DECISIONS = (
    "record_threshold_met_automatically",
    "decide_threshold_met_discretionary",
    "decide_threshold_not_met",
)
LOCAL = "local practice, no national timescale found; overridable per deployment"


OWED = "A step of the review the council owes the applicant"


def _local_rule(name: str, label: str, starts_on: str, duration: int, met_by: tuple[str, ...],
                source: str, **kwargs: Any) -> DeadlineRule:  # fmt: skip
    """A task for the council with a local default timescale (RULES.md §5.4)."""
    return DeadlineRule(
        name=name,
        label=label,
        starts_on=starts_on,
        duration=duration,
        unit=Unit.WORKING_DAYS,
        met_by=met_by,
        statutory=False,
        source=f"RULES.md §5.4: {source}; {LOCAL}",
        kind=kwargs.pop("kind", ClockKind.TASK),
        kind_reason=kwargs.pop("kind_reason", OWED),
        **kwargs,
    )


# DeadlineRule.starts_on names one transition, so a clock that several transitions
# start is declared once per starting transition, with the same label and duration.
REVIEW_MEETING_STARTS = {
    "review_meeting_after_automatic_threshold": "record_threshold_met_automatically",
    "review_meeting_after_discretionary_threshold": "decide_threshold_met_discretionary",
    "review_meeting_after_escalation": "order_re_review",
}
APPEAL_WINDOW_STARTS = {
    "appeal_window_after_outcome": ("communicate_outcome", "outcome_sent_on"),
    "appeal_window_after_threshold_not_met": ("decide_threshold_not_met", "applicant_informed_on"),
}
APPEAL_WINDOW_RULES = tuple(APPEAL_WINDOW_STARTS)
ESCALATION_EFFECT = (
    "The applicant may ask for the decision to be reviewed (escalation); the case cannot "
    "be closed while the window is open unless the applicant says they will not escalate"
)

DEADLINE_RULES = [
    _local_rule(
        "acknowledgement", "Acknowledge the application", RAISE, 5, ("acknowledge",),
        "suggested default 5 working days from receipt (North Wales Police, Bedfordshire)",
    ),
    _local_rule(
        "threshold_decision", "Decide whether the threshold is met", "acknowledge", 15,
        THRESHOLD_DECISIONS,
        "suggested default 15 working days after acknowledgement (Gosport, North Wales)",
    ),
    *(
        _local_rule(
            name, "Hold the review meeting", starts_on, 20, ("hold_review_meeting",),
            "suggested default 20 working days after the threshold is met (Gosport)",
        )
        for name, starts_on in REVIEW_MEETING_STARTS.items()
    ),
    _local_rule(
        "outcome_letter", "Send the outcome to the applicant", "hold_review_meeting", 5,
        ("communicate_outcome",),
        "suggested default 5 working days after the meeting (North Wales, Cheltenham)",
    ),
    *(
        _local_rule(
            name, "The applicant may ask for an escalation", starts_on, 20,
            ("request_escalation",),
            "suggested default appeal window of 20 working days (Birmingham)",
            starts_at_field=field,
            kind=ClockKind.PERIOD,
            kind_reason="A right the applicant holds; the council has nothing to do by then",
            period_effect=ESCALATION_EFFECT,
        )
        for name, (starts_on, field) in APPEAL_WINDOW_STARTS.items()
    ),
]  # fmt: skip

WORKFLOW = register(
    Workflow(
        case_type="community_trigger",
        label="Community Trigger (ASB case review)",
        description=(
            "ASBCPA 2014 s104: application, threshold decision (automatic at the local "
            "number of qualifying complaints), review meeting, outcome, action plan and "
            "escalation."
        ),
        model=CommunityTriggerCase,
        states=State,
        initial_state=State.APPLICATION_RECEIVED,
        terminal_states=(State.CLOSED, State.WITHDRAWN),
        intake_fields=INTAKE_FIELDS,
        intake_check=check_intake,
        deadline_rules=DEADLINE_RULES,
        intake_event_field="application_received_on",
    )
)
