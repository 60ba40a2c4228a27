"""Modern slavery: the s52 Duty to Notify and the National Referral Mechanism (RULES.md §1).

A council is always under the Duty to Notify (MSA 2015 s52). After triage a child goes
to children's social care first (child welfare form) and then into the NRM without
consent; an adult is asked for consent and either enters the NRM or, refusing, is
notified anonymously: s52(3) forbids anything that identifies an adult who has not
consented, so ``DutyToNotifyNotification`` has no column that could hold it. The
Home Office's reasonable grounds (RG) decision is aimed at 5 working days (guidance
target, RULES.md §1.4); a positive RG opens a recovery period of at least 30 calendar
days (NABA 2022 s61 / MSA s50A), then the conclusive grounds (CG) decision.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from casework.models import Case, CasePersonRole
from workflows.definitions import (
    ClockKind,
    DeadlineRule,
    Field,
    FieldType,
    Unit,
    Workflow,
    WorkflowCaseMixin,
    age_at,
    person_fields,
)
from workflows.registry import register
from workflows.steps import step


class State(models.TextChoices):
    CONCERN_RAISED = "concern_raised", "Concern raised"
    TRIAGE = "triage", "Safeguarding triage"
    CHILD_WELFARE_NOTIFIED = "child_welfare_notified", "Child welfare services notified"
    ADULT_CONSENT_SOUGHT = "adult_consent_sought", "Adult's consent sought"
    CONSENT_GIVEN = "consent_given", "Adult consented to an NRM referral"
    DTN_SUBMITTED = "dtn_submitted", "Anonymous Duty to Notify submitted"
    AWAITING_RG = "awaiting_rg", "Awaiting reasonable grounds decision"
    RECOVERY_PERIOD = "recovery_period", "Recovery period (positive reasonable grounds)"
    RG_NEGATIVE = "rg_negative", "Negative reasonable grounds decision"
    CG_POSITIVE = "cg_positive", "Positive conclusive grounds decision"
    CG_NEGATIVE = "cg_negative", "Negative conclusive grounds decision"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CLOSED = "closed", "Closed"


EXPLOITATION_TYPES = (
    ("sexual", "Sexual exploitation"),
    ("labour", "Labour exploitation"),
    ("domestic_servitude", "Domestic servitude"),
    ("criminal", "Criminal exploitation"),
    ("organ_harvesting", "Organ harvesting"),
    ("other", "Other"),
)
CONSENT_STATUSES = (
    ("not_asked", "Not yet asked"),
    ("given", "Consent given"),
    ("refused", "Consent refused"),
    ("not_required_child", "Not required (child)"),
    ("lacks_capacity", "Lacks capacity to consent"),
)
COMPETENT_AUTHORITIES = (
    ("sca", "Single Competent Authority (Home Office)"),
    ("ieca", "Immigration Enforcement Competent Authority"),
    ("local_pilot", "Devolved child decision-making panel"),
)
AGE_BANDS = (
    ("18_24", "18 to 24"),
    ("25_34", "25 to 34"),
    ("35_44", "35 to 44"),
    ("45_54", "45 to 54"),
    ("55_plus", "55 or over"),
    ("unknown", "Not known"),
)
UK_REGIONS = (
    ("north_east", "North East"),
    ("north_west", "North West"),
    ("yorkshire_humber", "Yorkshire and the Humber"),
    ("east_midlands", "East Midlands"),
    ("west_midlands", "West Midlands"),
    ("east", "East of England"),
    ("london", "London"),
    ("south_east", "South East"),
    ("south_west", "South West"),
    ("wales", "Wales"),
    ("outside_uk", "Outside the UK"),
    ("multiple", "More than one area"),
    ("unknown", "Not known"),
)

CHILD_AGE = 18


def subject_age(case: Case) -> int | None:
    """The subject's age when the concern was raised (date of birth, else the estimate)."""
    link = case.case_people.filter(role=CasePersonRole.SUBJECT).select_related("person").first()
    if link is None:
        return None
    person = link.person
    values = {
        "subject_date_of_birth": person.date_of_birth,
        "subject_estimated_age": person.estimated_age,
    }
    return age_at(values, "subject", timezone.localtime(case.raised_at).date())


def subject_is_child(case: Case) -> bool:
    """Under 18 when raised. Where age is unknown the child route applies (presumption of
    age; RULES.md §1.3 treats children separately) [U]."""
    age = subject_age(case)
    return age is None or age < CHILD_AGE


def subject_is_adult(case: Case) -> bool:
    return not subject_is_child(case)


class ModernSlaveryCase(WorkflowCaseMixin, Case):
    """A modern slavery case; transitions follow RULES.md §1.3."""

    class Meta:
        proxy = True
        app_label = "workflows"

    @step(
        source=State.CONCERN_RAISED,
        target=State.TRIAGE,
        label="Start triage",
        fields=[
            Field("immediate_risk", FieldType.BOOLEAN, "Is anyone at immediate risk?"),
            Field("police_informed", FieldType.BOOLEAN, "Have the police been told?"),
        ],
    )
    def start_triage(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.TRIAGE,
        target=State.CLOSED,
        label="Close: no reasonable grounds",
        outcome="NO_NOTIFICATION_REQUIRED",
        fields=[Field("rationale", FieldType.TEXT, "Why there are no reasonable grounds")],
    )
    def close_no_grounds(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="child_welfare_form_sent_on",
        source=State.TRIAGE,
        target=State.CHILD_WELFARE_NOTIFIED,
        label="Send the child welfare form",
        conditions=[subject_is_child],
        guard_message="The child route is only for a subject under 18.",
        fields=[
            Field("local_authority", FieldType.STRING, "Local authority sent to"),
            Field("child_welfare_form_sent_on", FieldType.DATE, "Date sent"),
            Field(
                "ictg_referred",
                FieldType.BOOLEAN,
                "Referred to an Independent Child Trafficking Guardian?",
            ),
        ],
    )
    def notify_child_welfare(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "consent_status": "not_required_child"})

    @step(
        event_field="consent_explained_on",
        source=State.TRIAGE,
        target=State.ADULT_CONSENT_SOUGHT,
        label="Seek the adult's consent",
        conditions=[subject_is_adult],
        guard_message="Consent is sought only from an adult; a child needs none.",
        fields=[
            Field(
                "consent_explained_on",
                FieldType.DATE,
                "Date the NRM and its support were explained",
            )
        ],
    )
    def seek_consent(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="consent_given_on",
        source=State.ADULT_CONSENT_SOUGHT,
        target=State.CONSENT_GIVEN,
        label="Record consent to an NRM referral",
        fields=[Field("consent_given_on", FieldType.DATE, "Date consent was given")],
    )
    def record_consent(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "consent_status": "given"})

    @step(
        event_field="nrm_submitted_on",
        source=[State.CHILD_WELFARE_NOTIFIED, State.CONSENT_GIVEN],
        target=State.AWAITING_RG,
        label="Submit the NRM referral",
        fields=[
            Field(
                "competent_authority",
                FieldType.CHOICE,
                "Competent authority",
                choices=COMPETENT_AUTHORITIES,
            ),
            Field("nrm_submitted_on", FieldType.DATE, "Date submitted"),
            Field("nrm_reference", FieldType.STRING, "NRM reference", required=False),
        ],
    )
    def submit_nrm_referral(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "notification_route": "nrm"})

    @step(
        event_field="dtn_submitted_on",
        source=State.ADULT_CONSENT_SOUGHT,
        target=State.DTN_SUBMITTED,
        label="Submit the anonymous Duty to Notify",
        fields=[
            Field(
                "gender",
                FieldType.CHOICE,
                "Gender",
                choices=(
                    ("female", "Female"),
                    ("male", "Male"),
                    ("other", "Other"),
                    ("unknown", "Not known"),
                ),
            ),
            Field("age_band", FieldType.CHOICE, "Age band", choices=AGE_BANDS),
            Field("nationality", FieldType.STRING, "Nationality"),
            Field(
                "exploitation_types",
                FieldType.MULTICHOICE,
                "Types of exploitation",
                choices=EXPLOITATION_TYPES,
            ),
            Field(
                "exploitation_region",
                FieldType.CHOICE,
                "Where the exploitation happened",
                choices=UK_REGIONS,
            ),
            Field("exploitation_period", FieldType.STRING, "When it happened (e.g. 'spring 2026')"),
            Field("police_informed", FieldType.BOOLEAN, "Police informed?"),
            Field("dtn_submitted_on", FieldType.DATE, "Date submitted"),
        ],
    )
    def submit_duty_to_notify(self, *, actor: Any, data: dict) -> None:
        self.record(
            {
                "consent_status": "refused",
                "notification_route": "dtn_anonymous",
                "dtn_submitted_on": data["dtn_submitted_on"],
            }
        )

    @step(
        event_field="consent_explained_on",
        source=State.DTN_SUBMITTED,
        target=State.ADULT_CONSENT_SOUGHT,
        label="The adult now wishes to consider consent",
        fields=[Field("consent_explained_on", FieldType.DATE, "Date explained again")],
    )
    def seek_consent_again(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.DTN_SUBMITTED,
        target=State.CLOSED,
        label="Close: Duty to Notify only",
        outcome="DTN_ONLY",
        fields=[Field("closing_note", FieldType.TEXT, "Closing note", required=False)],
    )
    def close_dtn_only(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="rg_decision_on",
        source=State.AWAITING_RG,
        target=State.RECOVERY_PERIOD,
        label="Record a positive reasonable grounds decision",
        fields=[Field("rg_decision_on", FieldType.DATE, "Date of the decision")],
    )
    def record_rg_positive(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "rg_decision": "positive"})

    @step(
        event_field="rg_decision_on",
        source=State.AWAITING_RG,
        target=State.RG_NEGATIVE,
        label="Record a negative reasonable grounds decision",
        fields=[Field("rg_decision_on", FieldType.DATE, "Date of the decision")],
    )
    def record_rg_negative(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "rg_decision": "negative"})

    @step(
        event_field="reconsideration_requested_on",
        source=State.RG_NEGATIVE,
        target=State.AWAITING_RG,
        label="Request reconsideration of the RG decision",
        fields=[Field("reconsideration_requested_on", FieldType.DATE, "Date requested")],
    )
    def request_rg_reconsideration(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "rg_decision": "pending"})

    @step(
        source=State.RG_NEGATIVE,
        target=State.CLOSED,
        label="Close: negative reasonable grounds",
        outcome="NRM_RG_NEGATIVE",
        fields=[Field("closing_note", FieldType.TEXT, "Closing note", required=False)],
    )
    def close_rg_negative(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="cg_decision_on",
        source=State.RECOVERY_PERIOD,
        target=State.CG_POSITIVE,
        label="Record a positive conclusive grounds decision",
        fields=[Field("cg_decision_on", FieldType.DATE, "Date of the decision")],
    )
    def record_cg_positive(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "cg_decision": "positive"})

    @step(
        event_field="cg_decision_on",
        source=State.RECOVERY_PERIOD,
        target=State.CG_NEGATIVE,
        label="Record a negative conclusive grounds decision",
        fields=[Field("cg_decision_on", FieldType.DATE, "Date of the decision")],
    )
    def record_cg_negative(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "cg_decision": "negative"})

    @step(
        event_field="reconsideration_requested_on",
        source=State.CG_NEGATIVE,
        target=State.RECOVERY_PERIOD,
        label="Request reconsideration of the CG decision",
        fields=[Field("reconsideration_requested_on", FieldType.DATE, "Date requested")],
    )
    def request_cg_reconsideration(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "cg_decision": "pending"})

    @step(
        source=State.CG_POSITIVE,
        target=State.CLOSED,
        label="Close: positive conclusive grounds",
        outcome="NRM_CG_POSITIVE",
        fields=[Field("closing_note", FieldType.TEXT, "Closing note", required=False)],
    )
    def close_cg_positive(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.CG_NEGATIVE,
        target=State.CLOSED,
        label="Close: negative conclusive grounds",
        outcome="NRM_CG_NEGATIVE",
        fields=[Field("closing_note", FieldType.TEXT, "Closing note", required=False)],
    )
    def close_cg_negative(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=[State.AWAITING_RG, State.RECOVERY_PERIOD],
        target=State.CLOSED,
        label="Close: disqualified (NABA 2022 s63)",
        outcome="NRM_DISQUALIFIED",
        fields=[Field("rationale", FieldType.TEXT, "Grounds given for disqualification")],
    )
    def record_disqualification(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=[
            State.ADULT_CONSENT_SOUGHT,
            State.CONSENT_GIVEN,
            State.AWAITING_RG,
            State.RECOVERY_PERIOD,
            State.RG_NEGATIVE,
            State.CG_NEGATIVE,
        ],
        target=State.WITHDRAWN,
        label="Withdraw (the adult withdrew or disengaged)",
        outcome="NRM_WITHDRAWN",
        fields=[Field("reason", FieldType.TEXT, "Why the case is withdrawn")],
    )
    def withdraw(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "consent_status": "withdrawn"})


class DutyToNotifyNotification(models.Model):
    """The anonymous s52 notification for an adult who did not consent (RULES.md §1.5).

    MSA 2015 s52(3): it may hold nothing that identifies the adult, alone or in
    combination. So it has no name, date of birth, address or contact column, by design,
    and the fields it has are bands and regions rather than exact values.
    ``tests/workflows/test_modern_slavery.py`` fails if an identifying column is added.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="dtn_notifications")
    submitted_on = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    gender = models.CharField(max_length=20)
    age_band = models.CharField(max_length=20, choices=AGE_BANDS)
    nationality = models.CharField(max_length=100)
    exploitation_types = models.JSONField(default=list)
    exploitation_region = models.CharField(max_length=30, choices=UK_REGIONS)
    exploitation_period = models.CharField(max_length=100)
    police_informed = models.BooleanField(default=False)

    class Meta:
        app_label = "workflows"

    def __str__(self) -> str:
        return f"Anonymous Duty to Notify for {self.case.reference}"


def create_dtn_notification(*, case: Case, actor: Any, data: dict, at: Any) -> None:
    """Effect of ``submit_duty_to_notify``: store only the non-identifying fields."""
    DutyToNotifyNotification.objects.create(
        case=case,
        submitted_on=data["dtn_submitted_on"],
        recorded_by=actor,
        gender=data["gender"],
        age_band=data["age_band"],
        nationality=data["nationality"],
        exploitation_types=data["exploitation_types"],
        exploitation_region=data["exploitation_region"],
        exploitation_period=data["exploitation_period"],
        police_informed=data.get("police_informed", False),
    )


def check_intake(values: dict[str, Any]) -> None:
    """The subject's age decides the route, so a date of birth or an estimate is needed."""
    if not values.get("subject_date_of_birth") and values.get("subject_estimated_age") is None:
        raise ValidationError(
            {
                "subject_date_of_birth": [
                    "Enter the date of birth or, if not known, the age or best estimate."
                ]
            }
        )


INTAKE_FIELDS = [
    *person_fields("subject", label="The person"),
    Field("nationality", FieldType.STRING, "Nationality", required=False),
    Field(
        "exploitation_types",
        FieldType.MULTICHOICE,
        "Types of exploitation suspected",
        choices=EXPLOITATION_TYPES,
    ),
    Field("exploitation_location", FieldType.TEXT, "Where the exploitation happened"),
    Field("exploitation_period", FieldType.STRING, "When it happened"),
    Field("indicators", FieldType.TEXT, "Indicators seen or told"),
    Field("consent_status", FieldType.CHOICE, "Consent status", choices=CONSENT_STATUSES),
    Field("immediate_risk", FieldType.BOOLEAN, "Is anyone at immediate risk?"),
]

RG_MET_BY = ("record_rg_positive", "record_rg_negative")
CG_MET_BY = ("record_cg_positive", "record_cg_negative")

WORKFLOW = register(
    Workflow(
        case_type="modern_slavery",
        label="Modern slavery",
        description="MSA 2015 s52 Duty to Notify, the NRM and the Home Office's decisions.",
        model=ModernSlaveryCase,
        states=State,
        initial_state=State.CONCERN_RAISED,
        terminal_states=(State.CLOSED, State.WITHDRAWN),
        intake_fields=INTAKE_FIELDS,
        intake_check=check_intake,
        effects={"submit_duty_to_notify": create_dtn_notification},
        deadline_rules=[
            DeadlineRule(
                name="rg_decision",
                label="Reasonable grounds decision (target)",
                starts_on="submit_nrm_referral",
                duration=5,
                unit=Unit.WORKING_DAYS,
                met_by=RG_MET_BY,
                statutory=False,
                source="RULES.md §1.4: Home Office guidance target of 5 working days [S22][S9]",
                kind=ClockKind.TASK,
                kind_reason=(
                    "The competent authority decides, but the lead chases it when the target "
                    "passes (the victim's support depends on it); the NRM referral's partner "
                    "response clock is this same clock, not a second one"
                ),
            ),
            DeadlineRule(
                name="rg_reconsideration",
                label="Reconsidered reasonable grounds decision",
                starts_on="request_rg_reconsideration",
                duration=5,
                unit=Unit.WORKING_DAYS,
                met_by=RG_MET_BY,
                statutory=False,
                source=(
                    "RULES.md §1.4: no timescale for a reconsideration was found [U]; a local "
                    "default of 5 working days, as for the first decision, overridable"
                ),
                kind=ClockKind.TASK,
                kind_reason="The lead chases the competent authority for the reconsidered decision",
            ),
            DeadlineRule(
                name="recovery_period",
                label="Minimum recovery period",
                starts_on="record_rg_positive",
                duration=30,
                unit=Unit.CALENDAR_DAYS,
                met_by=CG_MET_BY,
                statutory=True,
                source=(
                    "RULES.md §1.4: NABA 2022 s61 / MSA 2015 s50A, at least 30 days from the "
                    "positive reasonable grounds decision [P]; the exact start-day wording [U]"
                ),
                kind=ClockKind.PERIOD,
                kind_reason=(
                    "A protection the victim holds while the Home Office decides, not "
                    "something the council must do: it is never overdue or missed"
                ),
                period_effect=(
                    "The person may not be removed from the UK and is entitled to support "
                    "and assistance; it lasts at least 30 days, or until the conclusive "
                    "grounds decision if that is later"
                ),
            ),
        ],
    )
)
