"""Domestic Homicide Reviews, becoming Domestic Abuse Related Death Reviews (RULES.md §6).

The Community Safety Partnership commissions these reviews itself (Domestic Violence,
Crime and Victims Act 2004 s9, in force 13 April 2011): the police notify it in writing
of a death of a person aged 16 or over that has, or appears to have, resulted from
violence, abuse or neglect by a relative, a (former) intimate partner or a member of the
same household. The Home Office's 2024 response extends the scope to deaths resulting
from domestic abuse as defined by the Domestic Abuse Act 2021 (suicide, coercive control
and economic abuse included) and renames the reviews; commencement is [U]. The review's
``review_type`` records which scope a case falls under.

Process (RULES.md §6): death notified -> scoping, with information requests to agencies
(each with its response clock) -> the partnership chair decides whether to hold a review
(a decision not to is recorded with reasons) -> the Home Office is notified of the
decision -> independent chair appointed and terms of reference agreed -> individual
management reviews and chronologies, with family involvement recorded -> overview report
drafted -> partnership sign-off -> Home Office quality assurance panel (which may ask for
revisions, a loop) -> publication of the anonymised executive summary and overview
report -> action plan monitoring -> closed.

Clocks: a decision within one month of the death coming to the partnership's attention
and the review completed within six months of the decision are widely cited from the
2016 statutory guidance (Section 5), but the wording was not retrieved [U], so both are
local defaults a deployment may override; no national timescale for agencies' answers to
information requests was found, so theirs is local too. Criminal proceedings (guidance
Section 9) pause the review's clock: the pause step stops it with what is left and the
reason (``workflows.services.deadline_pause``), the resume step restarts it with that
(``deadline_resume``). RULES.md suggested a ``paused_for_criminal_proceedings`` state;
a flag plus the engine's pause keeps the review where it was (panels may carry on with
care) and makes the return to that place exact, where a state would need one way back
per state. Publication waits for the proceedings to end.

Sensitivity: a named compartment (``SAFECASE_NAMED_CASE_TYPES``; casework.permissions):
only the people named to the review (the lead who records the death is the first; a
named lead names others on the case's access page) and auditors given the review
clearance see it; Prevent clearance and team membership open nothing here. What is
published must be anonymised: ``publish`` refuses a text that contains a name the case
records (the people linked to it and the family members recorded as involved).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

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
    age_at,
    msgs,
    person_fields,
)
from workflows.registry import register
from workflows.steps import step


class State(models.TextChoices):
    DEATH_NOTIFIED = "death_notified", "Death notified to the partnership"
    SCOPING = "scoping", "Scoping: information requested from agencies"
    REVIEW_DECIDED = "review_decided", "Review to be held: Home Office to be told"
    NO_REVIEW_DECIDED = "no_review_decided", "No review: Home Office to be told"
    HOME_OFFICE_NOTIFIED = "home_office_notified", "Home Office notified of the review"
    PANEL_ESTABLISHED = "panel_established", "Independent chair appointed, terms agreed"
    IMRS_CHRONOLOGIES = "imrs_chronologies", "Management reviews and chronologies"
    OVERVIEW_REPORT_DRAFTED = "overview_report_drafted", "Overview report drafted"
    CSP_SIGNED_OFF = "csp_signed_off", "Signed off by the partnership"
    HOME_OFFICE_QA = "home_office_qa", "With the Home Office quality assurance panel"
    REVISIONS_REQUESTED = "revisions_requested", "Revisions requested by the panel"
    QA_APPROVED = "qa_approved", "Approved for publication"
    PUBLISHED = "published", "Published (anonymised)"
    ACTION_PLAN_MONITORING = "action_plan_monitoring", "Monitoring the action plan"
    CLOSED = "closed", "Closed"


MINIMUM_AGE = 16  # DVCVA 2004 s9(1)

# DVCVA 2004 s9 as enacted, and the Domestic Abuse Act 2021 scope (RULES.md §6).
REVIEW_TYPES = (
    ("homicide", "Homicide: violence, abuse or neglect by a relative, partner or household member"),
    ("suicide", "Suicide or suspected suicide following domestic abuse"),
    (
        "other_domestic_abuse_death",
        "Other death resulting from domestic abuse (the Domestic Abuse Act 2021, section 1)",
    ),
)
# Domestic Abuse Act 2021 s1(3).
ABUSE_TYPES = (
    ("physical_or_sexual", "Physical or sexual abuse"),
    ("violent_or_threatening", "Violent or threatening behaviour"),
    ("controlling_or_coercive", "Controlling or coercive behaviour"),
    ("economic", "Economic abuse"),
    ("psychological_emotional_other", "Psychological, emotional or other abuse"),
)
# Domestic Abuse Act 2021 s2 ("personally connected"), with the household of s9 DVCVA.
RELATIONSHIPS = (
    ("intimate_partner", "Intimate partner"),
    ("former_partner", "Former intimate partner"),
    ("relative", "Relative"),
    ("household_member", "Member of the same household"),
    ("other_personally_connected", "Otherwise personally connected"),
    ("not_known", "Not known"),
)
FAMILY_INVOLVEMENT = (
    ("met_panel", "Met the chair or panel"),
    ("written", "Contributed in writing"),
    ("declined", "Declined to take part"),
    ("not_contactable", "Could not be contacted"),
)
ACTION_STATUSES = (
    ("on_track", "On track"),
    ("complete", "Complete"),
    ("overdue", "Overdue"),
    ("not_started", "Not started"),
)

REVIEW_CLOCK = "review_completion"


def proceedings_ongoing(case: Case) -> bool:
    return case.details.get("criminal_proceedings") == "ongoing"


def proceedings_not_ongoing(case: Case) -> bool:
    return not proceedings_ongoing(case)


# States from the decision to hold a review until it is completed (sent to the Home
# Office's panel), where the review clock runs and proceedings can pause it.
REVIEW_RUNNING = [
    State.REVIEW_DECIDED,
    State.HOME_OFFICE_NOTIFIED,
    State.PANEL_ESTABLISHED,
    State.IMRS_CHRONOLOGIES,
    State.OVERVIEW_REPORT_DRAFTED,
    State.CSP_SIGNED_OFF,
]
REVIEW_BEFORE_PUBLICATION = [
    *REVIEW_RUNNING,
    State.HOME_OFFICE_QA,
    State.REVISIONS_REQUESTED,
    State.QA_APPROVED,
]
# Agencies answer information requests whenever they do (but not after closure).
AFTER_NOTIFICATION = [s for s in State.values if s not in (State.DEATH_NOTIFIED, State.CLOSED)]
REQUESTING = [State.SCOPING, State.PANEL_ESTABLISHED, State.IMRS_CHRONOLOGIES]

_SPLIT = re.compile(r"[\s,;/]+")


def recorded_names(case: Case) -> set[str]:
    """Every name the case records: the given names, family names and other names of the
    people linked to it (the victim, the suspected perpetrator, anyone else), and the
    family members recorded as involved. Each word of two letters or more counts."""
    texts: list[str] = []
    for link in case.case_people.select_related("person"):
        person = link.person
        texts += [person.given_names, person.family_name, person.aliases]
    for member in case.details.get("family_involvement", []):
        texts.append(str(member.get("name", "")))
    return {word for text in texts for word in _SPLIT.split(text or "") if len(word) >= 2}


def names_in(text: str, names: set[str]) -> list[str]:
    """The recorded names found in ``text`` as whole words, ignoring case, in order."""
    found = []
    for name in sorted(names, key=str.lower):
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE):
            found.append(name)
    return found


PUBLISHED_TEXTS = ("executive_summary", "overview_report")


def check_anonymised(case: Case, data: dict[str, Any]) -> None:
    """Refuse a publication whose texts name anyone the case records (RULES.md §6:
    anonymised executive summary and overview report). Raises ValidationError by field."""
    names = recorded_names(case)
    errors: dict[str, list[str]] = {}
    labels = {"executive_summary": "The executive summary", "overview_report": "The report"}
    for field in PUBLISHED_TEXTS:
        found = names_in(str(data.get(field, "")), names)
        if found:
            listed = ", ".join(f"“{n}”" for n in found)
            errors[field] = [
                f"{labels[field]} contains a name recorded in this review ({listed}). "
                "Replace it with the pseudonym or description agreed with the family."
            ]
    pseudonym = str(data.get("victim_pseudonym", ""))
    if names_in(pseudonym, names):
        errors["victim_pseudonym"] = ["The pseudonym must not be a name recorded in this review."]
    if errors:
        raise ValidationError(errors)


DECISION_FIELDS = [
    Field("decided_on", FieldType.DATE, "Date the partnership chair decided"),
    Field("decided_by", FieldType.STRING, "Who decided (the partnership chair)"),
]
REQUEST_FIELDS = [
    Field("agency", FieldType.STRING, "Agency asked for information"),
    Field("requested_on", FieldType.DATE, "Date the request was sent"),
    Field(
        "response_due_on",
        FieldType.DATE,
        "Date the agency was asked to respond by",
        required=False,
        help_text="Leave blank to use the local default.",
    ),
    Field("information_requested", FieldType.TEXT, "Information requested"),
]


class DhrCase(WorkflowCaseMixin, Case):
    """A Domestic Homicide Review; transitions follow RULES.md §6."""

    class Meta:
        proxy = True
        app_label = "workflows"

    @step(
        event_field="scoping_started_on",
        source=State.DEATH_NOTIFIED,
        target=State.SCOPING,
        label="Start scoping",
        fields=[
            Field("scoping_started_on", FieldType.DATE, "Date scoping started"),
            Field("agencies_to_ask", FieldType.TEXT, "Agencies to be asked for information"),
        ],
    )
    def start_scoping(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="requested_on",
        source=REQUESTING,
        target=None,
        label="Send an information request to an agency",
        fields=REQUEST_FIELDS,
    )
    def request_information(self, *, actor: Any, data: dict) -> None:
        self.record({"information_requests": [*self.details.get("information_requests", []), data]})

    @step(
        event_field="responded_on",
        source=AFTER_NOTIFICATION,
        target=None,
        label="Record an agency's response to an information request",
        fields=[
            Field("agency", FieldType.STRING, "Agency that responded"),
            Field("responded_on", FieldType.DATE, "Date of the response"),
            Field("response_summary", FieldType.TEXT, "What the agency said it holds"),
        ],
    )
    def record_agency_response(self, *, actor: Any, data: dict) -> None:
        """Meets the oldest running response clock (workflows.clocks.deadlines_meet)."""
        self.record({"agency_responses": [*self.details.get("agency_responses", []), data]})

    @step(
        event_field="decided_on",
        source=State.SCOPING,
        target=State.REVIEW_DECIDED,
        label="Record the decision to hold a review",
        fields=[
            *DECISION_FIELDS,
            Field("rationale", FieldType.TEXT, "Why the criteria for a review are met"),
        ],
    )
    def decide_to_review(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "decision": "review"})

    @step(
        event_field="decided_on",
        source=State.SCOPING,
        target=State.NO_REVIEW_DECIDED,
        label="Record the decision not to hold a review",
        fields=[
            *DECISION_FIELDS,
            Field("rationale", FieldType.TEXT, "Reasons for not holding a review"),
        ],
    )
    def decide_not_to_review(self, *, actor: Any, data: dict) -> None:
        """A decision not to review is recorded with its reasons (RULES.md §6)."""
        self.record({**data, "decision": "no_review"})

    @step(
        event_field="home_office_notified_on",
        source=State.REVIEW_DECIDED,
        target=State.HOME_OFFICE_NOTIFIED,
        label="Record that the Home Office was told of the review",
        fields=[Field("home_office_notified_on", FieldType.DATE, "Date the Home Office was told")],
    )
    def notify_home_office(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="home_office_notified_on",
        source=State.NO_REVIEW_DECIDED,
        target=State.CLOSED,
        label="Close: Home Office told of the decision not to review",
        outcome="NO_REVIEW",
        outcome_words="No review (the Home Office was told of the decision)",
        fields=[Field("home_office_notified_on", FieldType.DATE, "Date the Home Office was told")],
    )
    def close_no_review(self, *, actor: Any, data: dict) -> None:
        """The Home Office is told of a decision not to review too [U] (RULES.md §6)."""
        self.record(data)

    @step(
        event_field="chair_appointed_on",
        source=State.HOME_OFFICE_NOTIFIED,
        target=State.PANEL_ESTABLISHED,
        label="Record the independent chair and the terms of reference",
        fields=[
            Field("chair_appointed_on", FieldType.DATE, "Date the chair was appointed"),
            Field("independent_chair", FieldType.STRING, "Independent chair"),
            Field("terms_of_reference", FieldType.TEXT, "Terms of reference as agreed"),
        ],
    )
    def establish_panel(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="imrs_requested_on",
        source=State.PANEL_ESTABLISHED,
        target=State.IMRS_CHRONOLOGIES,
        label="Ask agencies for management reviews and chronologies",
        fields=[
            Field("imrs_requested_on", FieldType.DATE, "Date they were asked for"),
            Field("imr_agencies", FieldType.TEXT, "Agencies asked for a management review"),
        ],
    )
    def request_imrs(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=[State.PANEL_ESTABLISHED, State.IMRS_CHRONOLOGIES, State.OVERVIEW_REPORT_DRAFTED],
        target=None,
        label="Record the family's involvement",
        fields=[
            Field(
                "family_involvement",
                FieldType.RECORDS,
                "Family members and friends",
                fields=[
                    Field("name", FieldType.STRING, "Name"),
                    Field("relationship", FieldType.STRING, "Relationship to the person"),
                    Field(
                        "involvement",
                        FieldType.CHOICE,
                        "Involvement in the review",
                        choices=FAMILY_INVOLVEMENT,
                    ),
                    Field(
                        "advocate_offered",
                        FieldType.BOOLEAN,
                        "Specialist advocacy offered?",
                        required=False,
                    ),
                ],
            ),
        ],
    )
    def record_family_involvement(self, *, actor: Any, data: dict) -> None:
        """Their names join those the published texts must not contain."""
        self.record(
            {"family_involvement": [*self.details.get("family_involvement", []),
                                    *data["family_involvement"]]}
        )  # fmt: skip

    @step(
        event_field="drafted_on",
        source=State.IMRS_CHRONOLOGIES,
        target=State.OVERVIEW_REPORT_DRAFTED,
        label="Record that the chair drafted the overview report",
        fields=[Field("drafted_on", FieldType.DATE, "Date of the draft")],
    )
    def draft_overview_report(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="signed_off_on",
        source=State.OVERVIEW_REPORT_DRAFTED,
        target=State.CSP_SIGNED_OFF,
        label="Record the partnership's sign-off",
        fields=[Field("signed_off_on", FieldType.DATE, "Date the partnership signed it off")],
    )
    def sign_off(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="submitted_on",
        source=State.CSP_SIGNED_OFF,
        target=State.HOME_OFFICE_QA,
        label="Send the completed review to the Home Office quality assurance panel",
        fields=[Field("submitted_on", FieldType.DATE, "Date it was sent")],
    )
    def submit_for_quality_assurance(self, *, actor: Any, data: dict) -> None:
        """The review is complete when it goes to the panel; this meets its clock [U]."""
        self.record(data)

    @step(
        event_field="panel_met_on",
        source=State.HOME_OFFICE_QA,
        target=State.REVISIONS_REQUESTED,
        label="Record the panel's request for revisions",
        fields=[
            Field("panel_met_on", FieldType.DATE, "Date of the panel's letter"),
            Field("revisions", FieldType.TEXT, "Revisions asked for"),
        ],
    )
    def request_revisions(self, *, actor: Any, data: dict) -> None:
        self.record({"qa_feedback": [*self.details.get("qa_feedback", []), data]})

    @step(
        event_field="resubmitted_on",
        source=State.REVISIONS_REQUESTED,
        target=State.HOME_OFFICE_QA,
        label="Send the revised report back to the panel",
        fields=[Field("resubmitted_on", FieldType.DATE, "Date it was sent")],
    )
    def resubmit(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="approved_on",
        source=State.HOME_OFFICE_QA,
        target=State.QA_APPROVED,
        label="Record the panel's approval for publication",
        fields=[Field("approved_on", FieldType.DATE, "Date of the panel's approval")],
    )
    def approve_for_publication(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="published_on",
        source=State.QA_APPROVED,
        target=State.PUBLISHED,
        label="Publish the anonymised executive summary and overview report",
        conditions=[proceedings_not_ongoing],
        guard_message="Criminal proceedings are ongoing: publish only once they have ended.",
        fields=[
            Field("published_on", FieldType.DATE, "Date of publication"),
            Field("victim_pseudonym", FieldType.STRING, "Pseudonym agreed with the family"),
            Field("executive_summary", FieldType.TEXT, "Executive summary as published"),
            Field("overview_report", FieldType.TEXT, "Overview report as published"),
            Field("published_at_address", FieldType.STRING, "Where it is published"),
        ],
    )
    def publish(self, *, actor: Any, data: dict) -> None:
        """Only anonymised text is published (RULES.md §6): ``check_anonymised``."""
        check_anonymised(self, data)
        self.record(data)

    @step(
        event_field="plan_agreed_on",
        source=State.PUBLISHED,
        target=State.ACTION_PLAN_MONITORING,
        label="Record the action plan",
        fields=[
            Field("plan_agreed_on", FieldType.DATE, "Date the action plan was agreed"),
            Field(
                "actions",
                FieldType.RECORDS,
                "Actions",
                fields=[
                    Field("action", FieldType.TEXT, "Action"),
                    Field("owner", FieldType.STRING, "Owner (agency or role)"),
                    Field("due_on", FieldType.DATE, "Due date"),
                ],
            ),
        ],
    )
    def start_action_plan(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="progress_on",
        source=State.ACTION_PLAN_MONITORING,
        target=None,
        label="Record progress on an action",
        fields=[
            Field("progress_on", FieldType.DATE, "Date of the update"),
            Field("action", FieldType.STRING, "Action"),
            Field("status", FieldType.CHOICE, "Status", choices=ACTION_STATUSES),
            Field("note", FieldType.TEXT, "Progress", required=False),
        ],
    )
    def record_action_progress(self, *, actor: Any, data: dict) -> None:
        self.record({"action_progress": [*self.details.get("action_progress", []), data]})

    @step(
        source=State.ACTION_PLAN_MONITORING,
        target=State.CLOSED,
        label="Close: action plan complete",
        outcome="ACTION_PLAN_COMPLETE",
        outcome_words="Action plan complete",
        fields=[Field("closing_note", FieldType.TEXT, "Closing note", required=False)],
    )
    def close_action_plan_complete(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=REVIEW_RUNNING,
        target=None,
        label="Pause the review for criminal proceedings",
        conditions=[proceedings_not_ongoing],
        guard_message="The review is already paused for criminal proceedings.",
        fields=[
            Field("proceedings", FieldType.TEXT, "The criminal proceedings (court, charge)"),
            Field("pause_reason", FieldType.TEXT, "Why the review's clock is paused"),
        ],
    )
    def pause_for_criminal_proceedings(self, *, actor: Any, data: dict) -> None:
        """Guidance Section 9; the clock itself is paused by ``_pause_review_clock``."""
        self.record({"criminal_proceedings": "ongoing", "proceedings": data["proceedings"]})

    @step(
        source=REVIEW_BEFORE_PUBLICATION,
        target=None,
        label="Resume the review: criminal proceedings ended",
        conditions=[proceedings_ongoing],
        guard_message="The review is not paused for criminal proceedings.",
        fields=[
            Field("proceedings_outcome", FieldType.TEXT, "How the proceedings ended"),
        ],
    )
    def resume_after_criminal_proceedings(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "criminal_proceedings": "ended"})


def _review_clock(case: Case, status: str) -> Any:
    from workflows.models import Deadline

    return Deadline.objects.filter(case=case, rule=REVIEW_CLOCK, status=status).first()


def _pause_review_clock(*, case: Case, actor: Any, data: dict, at: Any) -> None:
    """Pause the running review clock with the reason (audited by ``deadline_pause``).
    A clock already missed stays missed: the six months ran out before the pause."""
    from workflows.models import DeadlineStatus
    from workflows.services import deadline_pause

    deadline = _review_clock(case, DeadlineStatus.OPEN)
    if deadline is not None:
        reason = f"Criminal proceedings: {data['proceedings']}. {data['pause_reason']}"
        deadline_pause(deadline=deadline, actor=actor, reason=reason)


def _resume_review_clock(*, case: Case, actor: Any, data: dict, at: Any) -> None:
    """Resume the paused review clock with what it had left (``deadline_resume``)."""
    from workflows.models import DeadlineStatus
    from workflows.services import deadline_resume

    deadline = _review_clock(case, DeadlineStatus.PAUSED)
    if deadline is not None:
        reason = f"Criminal proceedings ended: {data['proceedings_outcome']}"
        deadline_resume(deadline=deadline, actor=actor, reason=reason)


def check_intake(values: dict[str, Any]) -> None:
    """s9 reviews are of deaths of people aged 16 or over; the death precedes its
    notification."""
    errors: dict[str, list[str]] = {}
    died = values.get("date_of_death")
    died = date.fromisoformat(died) if isinstance(died, str) else died
    notified = values.get("notified_on")
    notified = date.fromisoformat(notified) if isinstance(notified, str) else notified
    if died and notified and died > notified:
        errors["date_of_death"] = ["The date of death must be on or before the notification."]
    if died:
        age = age_at(values, "subject", died)
        if age is not None and age < MINIMUM_AGE:
            errors["subject_date_of_birth"] = [
                "A review is of the death of a person aged 16 or over (the Domestic Violence, "
                "Crime and Victims Act 2004, section 9). For a "
                "child, the safeguarding children partnership holds a practice review."
            ]
    if errors:
        raise ValidationError(errors)


INTAKE_FIELDS = [
    *person_fields(
        "subject",
        label="The person who died",
        whose="the person who died's",
        contact=False,
        names_required=True,
    ),
    *person_fields(
        "alleged_perpetrator",
        label="The suspected perpetrator",
        whose="the suspected perpetrator's",
        contact=False,
    ),
    Field(
        "date_of_death",
        FieldType.DATE,
        "Date of death",
        not_future=True,
        errors=msgs(
            required="Enter the date of death",
            date="Date of death",
            past="Date of death must be today or in the past",
        ),
    ),
    Field(
        "notified_on",
        FieldType.DATE,
        "Date the police notified the partnership in writing",
        help_text="The death came to the partnership's attention then: the clocks run from it.",
        errors=msgs(
            required="Enter the date the police notified the partnership",
            date="The date the police notified the partnership",
        ),
    ),
    Field(
        "notifying_force",
        FieldType.STRING,
        "Police force that notified the partnership",
        errors=msgs(
            required="Enter the police force that notified the partnership",
            max_length="The police force must be 500 characters or fewer",
        ),
    ),
    Field(
        "police_reference",
        FieldType.STRING,
        "Police reference",
        required=False,
        errors=msgs(
            required="Enter the police reference",
            max_length="The police reference must be 500 characters or fewer",
        ),
    ),
    Field(
        "relationship",
        FieldType.CHOICE,
        "The suspected perpetrator's relationship to the person",
        choices=RELATIONSHIPS,
        errors=msgs(
            required="Select the suspected perpetrator's relationship to the person who died",
            invalid_choice="Select the relationship from the list",
        ),
    ),
    Field(
        "review_type",
        FieldType.CHOICE,
        "Type of review",
        choices=REVIEW_TYPES,
        help_text=(
            "Domestic Abuse Related Death Reviews cover deaths resulting from domestic "
            "abuse as the Domestic Abuse Act 2021 defines it, suicide included."
        ),
        errors=msgs(
            required="Select the type of review",
            invalid_choice="Select the type of review from the list",
        ),
    ),
    Field(
        "abuse_types",
        FieldType.MULTICHOICE,
        "Domestic abuse known or suspected",
        required=False,
        choices=ABUSE_TYPES,
        errors=msgs(
            required="Select the domestic abuse known or suspected",
            invalid_choice="Select the domestic abuse from the list",
        ),
    ),
    Field(
        "circumstances",
        FieldType.TEXT,
        "Circumstances of the death as notified",
        errors=msgs(
            required="Enter the circumstances of the death as notified",
            max_length="The circumstances must be 20000 characters or fewer",
        ),
    ),
]

LOCAL_TASK = "The partnership must do this by then: reminded, escalated and overdue when late"
DEADLINE_RULES = [
    DeadlineRule(
        name="decision_whether_to_review",
        label="Decision whether to hold a review",
        starts_on=RAISE,
        duration=1,
        unit=Unit.MONTHS,
        met_by=("decide_to_review", "decide_not_to_review"),
        statutory=False,
        source=(
            "RULES.md §6: within one month of the death coming to the partnership's "
            "attention, DHR statutory guidance 2016 Section 5; wording not retrieved [U]; "
            "local default"
        ),
        kind=ClockKind.TASK,
        kind_reason=LOCAL_TASK,
    ),
    DeadlineRule(
        name=REVIEW_CLOCK,
        label="Review completed",
        starts_on="decide_to_review",
        duration=6,
        unit=Unit.MONTHS,
        met_by=("submit_for_quality_assurance",),
        statutory=False,
        source=(
            "RULES.md §6: completed within six months of the decision to hold it, DHR "
            "statutory guidance 2016 Section 5; wording not retrieved [U]; local default. "
            "Paused while criminal proceedings run (Section 9)"
        ),
        kind=ClockKind.TASK,
        kind_reason=LOCAL_TASK,
    ),
    DeadlineRule(
        name="agency_information_response",
        label="Agency's response to an information request",
        starts_on="request_information",
        duration=15,
        unit=Unit.WORKING_DAYS,
        met_by=("record_agency_response",),
        statutory=False,
        repeatable=True,
        due_at_field="response_due_on",
        source=(
            "RULES.md §6: scoping asks agencies for information; no national timescale "
            "found [U]; local default of 15 working days or the date the request set"
        ),
        kind=ClockKind.TASK,
        kind_reason="The partnership chases an agency that has not answered",
    ),
]

WORKFLOW = register(
    Workflow(
        case_type="dhr",
        label="Domestic Homicide Review",
        description=(
            "A Domestic Homicide Review (now called a Domestic Abuse Related Death Review) "
            "under the Domestic Violence, Crime and Victims Act 2004: notification, scoping, "
            "the decision, the review, Home Office quality assurance, anonymised "
            "publication and the action plan. Only the people named to the review and "
            "cleared auditors see it."
        ),
        choose_when=(
            "Someone has died and domestic abuse may have played a part: a lead records "
            "the death so the partnership can decide whether to hold a review."
        ),
        model=DhrCase,
        states=State,
        initial_state=State.DEATH_NOTIFIED,
        terminal_states=(State.CLOSED,),
        intake_fields=INTAKE_FIELDS,
        intake_check=check_intake,
        deadline_rules=DEADLINE_RULES,
        intake_event_field="notified_on",
        effects={
            "pause_for_criminal_proceedings": _pause_review_clock,
            "resume_after_criminal_proceedings": _resume_review_clock,
        },
    )
)
