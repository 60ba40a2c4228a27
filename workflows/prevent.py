"""Prevent and Channel (Counter-Terrorism and Security Act 2015; RULES.md §4).

A concern that someone may be drawn into terrorism is shared with the police through the
national Prevent referral form (RULES.md §4.2). Counter-terrorism policing runs a gateway
assessment and closes it (no further action, signposted to other services, or police-led
management) or refers the person to the council's Channel panel (CTSA 2015 s36). The
panel gathers information from its partners (s38), then adopts the case or, not adopting
it, must consider referring the person to health or social care providers (s36(6)).
Channel is voluntary: support under a plan starts only once the necessary consent is
given, which for a person under 18 is their parent's or guardian's (s36(4)-(5),
Explanatory Notes; RULES.md §4.1). Consent can be refused or withdrawn; the panel then
reassesses (s36(4)(e)) or the case closes. After support ends the case is reviewed at 6
and 12 months (RULES.md §4.3).

No timescale here is statutory: the police assessment's "up to 5 days" is descriptive,
monthly panels and the post-exit reviews are local practice, so every clock is a local
default a deployment can override. Prevent data is need-to-know (RULES.md §4.5): only a
Prevent-cleared lead acts on these cases (``casework.permissions.is_cleared_for``), and the
council keeps the minimum and the police reference rather than copying restricted data.
"""

from __future__ import annotations

from typing import Any

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
    REFERRAL_SUBMITTED = "referral_submitted", "Prevent referral submitted to the police"
    GATEWAY_ASSESSMENT = "gateway_assessment", "Police gateway assessment"
    CHANNEL_INFO_GATHERING = "channel_info_gathering", "Channel information gathering"
    CHANNEL_PANEL = "channel_panel", "Awaiting Channel panel discussion"
    ADOPTED = "adopted", "Adopted by the Channel panel"
    CONSENT_REQUESTED = "consent_requested", "Consent to support requested"
    CONSENT_REFUSED = "consent_refused", "Consent refused"
    SUPPORT_ACTIVE = "support_active", "Channel support in progress"
    CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn"
    EXITED = "exited", "Exited Channel"
    POST_EXIT_REVIEW_6M = "post_exit_review_6m", "Six-month post-exit review held"
    POST_EXIT_REVIEW_12M = "post_exit_review_12m", "Twelve-month post-exit review held"
    CLOSED = "closed", "Closed"


AWARENESS = (
    ("yes", "Yes"),
    ("no", "No"),
    ("not_known", "Not known"),
)
CONSENT_PARTIES = (
    ("the_person", "The person"),
    ("parent_guardian", "Their parent or guardian"),
)
PARENTAL_RELATIONSHIPS = (
    ("parent", "Parent"),
    ("guardian", "Guardian"),
    ("other_parental_responsibility", "Other person with parental responsibility"),
)
ONWARD_REFERRALS = (
    ("health", "Health services"),
    ("adult_social_care", "Adult social care"),
    ("childrens_social_care", "Children's social care"),
    ("other", "Other provider"),
    ("none", "Considered; no onward referral"),
)
CHANNEL_REFERRERS = (
    ("police", "The police (s36(2))"),
    ("local_authority", "The local authority"),
)
EXIT_REASONS = (
    ("risk_reduced", "Support no longer needed: risk reduced"),
    ("support_withdrawn", "The panel withdrew support"),
)

ADULT_AGE = 18


def subject_age(case: Case) -> int | None:
    """The person's age today: from the date of birth, or the intake estimate plus the
    whole years since the concern was raised (Channel can run for many months, and the
    age that matters for consent is the age when consent is given)."""
    link = case.case_people.filter(role=CasePersonRole.SUBJECT).select_related("person").first()
    if link is None:
        return None
    person, today = link.person, timezone.localdate()
    if person.date_of_birth:
        return age_at({"subject_date_of_birth": person.date_of_birth}, "subject", today)
    if person.estimated_age is None:
        return None
    raised_on = timezone.localtime(case.raised_at).date()
    return person.estimated_age + age_at({"subject_date_of_birth": raised_on}, "subject", today)


def subject_is_child(case: Case) -> bool:
    """Under 18: consent is the parent's or guardian's (CTSA 2015 s36, Explanatory Notes;
    RULES.md §4.1). An unknown age is treated as a child's, the cautious choice [U]."""
    age = subject_age(case)
    return age is None or age < ADULT_AGE


def subject_is_adult(case: Case) -> bool:
    return not subject_is_child(case)


SUPPORT_PLAN_FIELDS = [
    Field("support_provider", FieldType.STRING, "Who provides the support (s36(5)(c))"),
    Field("support_nature", FieldType.TEXT, "Nature of the support (s36(5)(b))"),
    Field("support_start_on", FieldType.DATE, "Date the support starts"),
]
GATEWAY_DATE = Field("gateway_outcome_on", FieldType.DATE, "Date of the gateway outcome")
GATEWAY_SOURCES = [State.REFERRAL_SUBMITTED, State.GATEWAY_ASSESSMENT]
REASSESS_ON = Field(
    "reassess_on",
    FieldType.DATE,
    "Date the panel intends to reassess (s36(4)(e))",
    required=False,
)
CLOSING_NOTE = Field("closing_note", FieldType.TEXT, "Closing note", required=False)


class PreventCase(WorkflowCaseMixin, Case):
    """A Prevent case; transitions follow RULES.md §4.2."""

    class Meta:
        proxy = True
        app_label = "workflows"

    @step(
        event_field="referral_submitted_on",
        source=State.CONCERN_RAISED,
        target=State.REFERRAL_SUBMITTED,
        label="Submit the Prevent referral to the police",
        fields=[
            Field("referral_submitted_on", FieldType.DATE, "Date the referral was submitted"),
            Field("submitted_to", FieldType.STRING, "Police counter-terrorism Prevent team"),
            Field(
                "mash_informed",
                FieldType.BOOLEAN,
                "For a person under 18: also sent to the MASH or children's social care?",
            ),
        ],
    )
    def submit_referral(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.CONCERN_RAISED,
        target=State.CLOSED,
        label="Close: not referred to Prevent",
        outcome="NOT_REFERRED",
        fields=[Field("rationale", FieldType.TEXT, "Why the concern is not a Prevent matter")],
    )
    def close_not_referred(self, *, actor: Any, data: dict) -> None:
        """The lead's "check" found no radicalisation concern; local code [U]."""
        self.record(data)

    @step(
        event_field="gateway_started_on",
        source=State.REFERRAL_SUBMITTED,
        target=State.GATEWAY_ASSESSMENT,
        label="Record that the police gateway assessment has started",
        fields=[
            Field("gateway_started_on", FieldType.DATE, "Date the police started it"),
            Field(
                "police_reference",
                FieldType.STRING,
                "Police reference",
                required=False,
                help_text="Link to the police record rather than copying it (RULES.md §4.5).",
            ),
        ],
    )
    def start_gateway_assessment(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="gateway_outcome_on",
        source=GATEWAY_SOURCES,
        target=State.CLOSED,
        label="Close: no further action at the gateway",
        outcome="NFA_AT_GATEWAY",
        fields=[GATEWAY_DATE, Field("rationale", FieldType.TEXT, "Reason the police gave")],
    )
    def close_nfa_at_gateway(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "gateway_outcome": "nfa"})

    @step(
        event_field="gateway_outcome_on",
        source=GATEWAY_SOURCES,
        target=State.CLOSED,
        label="Close: signposted to other services",
        outcome="SIGNPOSTED",
        fields=[
            GATEWAY_DATE,
            Field("signposted_to", FieldType.TEXT, "Services the person was signposted to"),
        ],
    )
    def close_signposted(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "gateway_outcome": "signposted"})

    @step(
        event_field="gateway_outcome_on",
        source=GATEWAY_SOURCES,
        target=State.CLOSED,
        label="Close: police-led partnership management",
        outcome="POLICE_LED",
        fields=[GATEWAY_DATE, CLOSING_NOTE],
    )
    def close_police_led(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "gateway_outcome": "police_led"})

    @step(
        event_field="gateway_outcome_on",
        source=GATEWAY_SOURCES,
        target=State.CHANNEL_INFO_GATHERING,
        label="Record a referral to the Channel panel",
        fields=[
            GATEWAY_DATE,
            Field(
                "channel_referred_by", FieldType.CHOICE, "Referred by", choices=CHANNEL_REFERRERS
            ),
        ],
    )
    def refer_to_channel(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "gateway_outcome": "referred_to_channel"})

    @step(
        source=State.CHANNEL_INFO_GATHERING,
        target=State.CHANNEL_PANEL,
        label="Information gathered: list for the Channel panel",
        fields=[
            Field(
                "partners_asked",
                FieldType.TEXT,
                "Partners asked for information (s38)",
                required=False,
            ),
            Field("panel_listed_for", FieldType.DATE, "Date of the panel it is listed for"),
        ],
    )
    def list_for_panel(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="panel_date",
        source=State.CHANNEL_PANEL,
        target=State.ADOPTED,
        label="Record the panel's decision: adopted",
        fields=[
            Field("panel_date", FieldType.DATE, "Date of the panel"),
            *SUPPORT_PLAN_FIELDS[:2],
            Field(
                "consent_request_plan",
                FieldType.TEXT,
                "How, when and by whom consent is to be requested (s36(5)(a))",
            ),
        ],
    )
    def adopt(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "panel_decision": "adopted", "consent_status": "not_asked"})

    @step(
        event_field="panel_date",
        source=State.CHANNEL_PANEL,
        target=State.CLOSED,
        label="Close: not adopted by the panel",
        outcome="NOT_ADOPTED",
        fields=[
            Field("panel_date", FieldType.DATE, "Date of the panel"),
            Field("rationale", FieldType.TEXT, "Why the panel did not adopt the case"),
            Field(
                "onward_referral",
                FieldType.CHOICE,
                "Onward referral considered (s36(6))",
                choices=ONWARD_REFERRALS,
            ),
            Field(
                "onward_referral_detail",
                FieldType.STRING,
                "Who it was referred to",
                required=False,
            ),
        ],
    )
    def not_adopt(self, *, actor: Any, data: dict) -> None:
        """s36(6): a panel that will not provide support must consider referring the
        person to health or social care providers, so the decision records it."""
        self.record({**data, "panel_decision": "not_adopted"})

    @step(
        event_field="consent_requested_on",
        source=State.ADOPTED,
        target=State.CONSENT_REQUESTED,
        label="Record that consent has been requested",
        fields=[
            Field("consent_requested_on", FieldType.DATE, "Date consent was requested"),
            Field("consent_requested_by", FieldType.STRING, "Requested by (role or agency)"),
        ],
    )
    def request_consent(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "consent_status": "requested"})

    @step(
        event_field="consent_given_on",
        source=State.CONSENT_REQUESTED,
        target=State.SUPPORT_ACTIVE,
        label="Record the person's consent and start support",
        conditions=[subject_is_adult],
        guard_message=("The person is under 18, so consent must be given by a parent or guardian."),
        fields=[
            Field("consent_given_on", FieldType.DATE, "Date consent was given"),
            *SUPPORT_PLAN_FIELDS,
        ],
    )
    def record_consent(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "consent_status": "given", "consent_given_by": "the_person"})

    @step(
        event_field="consent_given_on",
        source=State.CONSENT_REQUESTED,
        target=State.SUPPORT_ACTIVE,
        label="Record a parent's or guardian's consent and start support",
        conditions=[subject_is_child],
        guard_message="The person is 18 or over and gives consent for themselves.",
        fields=[
            Field("consent_given_on", FieldType.DATE, "Date consent was given"),
            Field("consent_given_by_name", FieldType.STRING, "Name of the parent or guardian"),
            Field(
                "consent_given_by_relationship",
                FieldType.CHOICE,
                "Their relationship to the person",
                choices=PARENTAL_RELATIONSHIPS,
            ),
            *SUPPORT_PLAN_FIELDS,
        ],
    )
    def record_parental_consent(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "consent_status": "given", "consent_given_by": "parent_guardian"})

    @step(
        event_field="consent_refused_on",
        source=State.CONSENT_REQUESTED,
        target=State.CONSENT_REFUSED,
        label="Record that consent was refused",
        fields=[
            Field("consent_refused_on", FieldType.DATE, "Date consent was refused"),
            Field("consent_refused_by", FieldType.CHOICE, "Refused by", choices=CONSENT_PARTIES),
            REASSESS_ON,
        ],
    )
    def refuse_consent(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "consent_status": "refused"})

    @step(
        event_field="reviewed_on",
        source=State.SUPPORT_ACTIVE,
        target=None,
        label="Record a review of the support plan",
        fields=[
            Field("reviewed_on", FieldType.DATE, "Date of the panel review"),
            Field("progress", FieldType.TEXT, "Progress against the plan"),
            Field("plan_changes", FieldType.TEXT, "Changes to the plan", required=False),
        ],
    )
    def review_support_plan(self, *, actor: Any, data: dict) -> None:
        """s36(4)(c)-(d): the panel keeps the plan under review and may revise it."""
        self.record({"support_plan_reviews": [*self.details.get("support_plan_reviews", []), data]})

    @step(
        event_field="consent_withdrawn_on",
        source=State.SUPPORT_ACTIVE,
        target=State.CONSENT_WITHDRAWN,
        label="Record that consent was withdrawn",
        fields=[
            Field("consent_withdrawn_on", FieldType.DATE, "Date consent was withdrawn"),
            Field(
                "consent_withdrawn_by", FieldType.CHOICE, "Withdrawn by", choices=CONSENT_PARTIES
            ),
            REASSESS_ON,
        ],
    )
    def withdraw_consent(self, *, actor: Any, data: dict) -> None:
        """s36(4): support continues only while consent does."""
        self.record({**data, "consent_status": "withdrawn"})

    @step(
        event_field="reassessment_started_on",
        source=[State.CONSENT_REFUSED, State.CONSENT_WITHDRAWN],
        target=State.CHANNEL_INFO_GATHERING,
        label="Reassess: gather information for the panel again",
        fields=[
            Field("reassessment_started_on", FieldType.DATE, "Date the reassessment started"),
            Field("reassessment_reason", FieldType.TEXT, "Why the person is reassessed"),
        ],
    )
    def reassess(self, *, actor: Any, data: dict) -> None:
        """s36(4)(e): reassess after refused or withdrawn consent."""
        self.record(data)

    @step(
        source=State.CONSENT_REFUSED,
        target=State.CLOSED,
        label="Close: consent refused",
        outcome="CONSENT_REFUSED",
        fields=[
            Field("other_routes", FieldType.TEXT, "Other safeguarding routes used", required=False),
            CLOSING_NOTE,
        ],
    )
    def close_consent_refused(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.CONSENT_WITHDRAWN,
        target=State.CLOSED,
        label="Close: consent withdrawn",
        outcome="CONSENT_WITHDRAWN",
        fields=[
            Field("other_routes", FieldType.TEXT, "Other safeguarding routes used", required=False),
            CLOSING_NOTE,
        ],
    )
    def close_consent_withdrawn(self, *, actor: Any, data: dict) -> None:
        """RULES.md §4.2 lists withdrawn consent as a state but proposes no outcome code;
        CONSENT_WITHDRAWN keeps it apart from a refusal [U]."""
        self.record(data)

    @step(
        source=[State.CONSENT_REFUSED, State.CONSENT_WITHDRAWN],
        target=State.CLOSED,
        label="Close: returned to police-led management",
        outcome="POLICE_LED",
        fields=[Field("rationale", FieldType.TEXT, "Why the case returns to the police")],
    )
    def close_returned_to_police(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="exited_on",
        source=State.SUPPORT_ACTIVE,
        target=State.EXITED,
        label="Record the person's exit from Channel",
        fields=[
            Field("exited_on", FieldType.DATE, "Date support ended"),
            Field("exit_reason", FieldType.CHOICE, "Why support ended", choices=EXIT_REASONS),
            Field("exit_note", FieldType.TEXT, "Panel's assessment at exit", required=False),
        ],
    )
    def exit_support(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="review_6m_on",
        source=State.EXITED,
        target=State.POST_EXIT_REVIEW_6M,
        label="Record the six-month post-exit review",
        fields=[
            Field("review_6m_on", FieldType.DATE, "Date of the review"),
            Field("review_6m_findings", FieldType.TEXT, "Findings"),
        ],
    )
    def record_6m_review(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="review_12m_on",
        source=State.POST_EXIT_REVIEW_6M,
        target=State.POST_EXIT_REVIEW_12M,
        label="Record the twelve-month post-exit review",
        fields=[
            Field("review_12m_on", FieldType.DATE, "Date of the review"),
            Field("review_12m_findings", FieldType.TEXT, "Findings"),
        ],
    )
    def record_12m_review(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.POST_EXIT_REVIEW_12M,
        target=State.CLOSED,
        label="Close: exited with no further concerns",
        outcome="EXIT_NO_FURTHER_CONCERNS",
        fields=[CLOSING_NOTE],
    )
    def close_no_further_concerns(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=[State.EXITED, State.POST_EXIT_REVIEW_6M, State.POST_EXIT_REVIEW_12M],
        target=State.CLOSED,
        label="Close: concerns remain, returned to the police",
        outcome="EXIT_CONCERNS_REMAIN_RETURNED_TO_POLICE",
        fields=[Field("rationale", FieldType.TEXT, "The concerns that remain")],
    )
    def close_exit_concerns_remain(self, *, actor: Any, data: dict) -> None:
        self.record(data)


def check_intake(values: dict[str, Any]) -> None:
    """Whose consent Channel needs depends on the person's age (RULES.md §4.1), so a date
    of birth or an estimate is needed."""
    if not values.get("subject_date_of_birth") and values.get("subject_estimated_age") is None:
        raise ValidationError(
            {
                "subject_date_of_birth": [
                    "Enter the date of birth or, if not known, the age or best estimate."
                ]
            }
        )


# The minimum the council needs: the national referral form itself is held by the police
# (RULES.md §4.4-4.5), so this is not a copy of it.
INTAKE_FIELDS = [
    *person_fields("subject", label="The person"),
    Field(
        "nationality",
        FieldType.STRING,
        "Nationality",
        help_text="Enter 'Not known' if you do not know.",
    ),
    Field(
        "concerns",
        FieldType.TEXT,
        "Describe the concerns",
        help_text=(
            "What was said or done, when, and how it came to light; any interest in "
            "extremist ideology, groups or causes; worrying online activity; threats to "
            "cause harm."
        ),
    ),
    Field(
        "complex_needs",
        FieldType.TEXT,
        "Complex needs or vulnerabilities",
        required=False,
        help_text="For example special educational needs, disability or mental health.",
    ),
    Field(
        "aware_of_referral",
        FieldType.CHOICE,
        "Does the person know about this referral?",
        choices=AWARENESS,
    ),
    Field(
        "other_agencies",
        FieldType.TEXT,
        "Other agencies or professionals involved",
        required=False,
    ),
    Field(
        "immediate_risk",
        FieldType.BOOLEAN,
        "Is there an immediate risk of harm, a crime or travel to a conflict zone?",
        help_text="If so, call 999 now (RULES.md §4.2).",
    ),
]

GATEWAY_MET_BY = (
    "close_nfa_at_gateway",
    "close_signposted",
    "close_police_led",
    "refer_to_channel",
)
POST_EXIT_SOURCE = (
    "RULES.md §4.3: post-exit reviews 6 and 12 months after exit, Coventry procedure [S104]; "
    "Channel duty guidance wording [U]; local default"
)

TASK_FOLLOW_UP = (
    "Something the Prevent lead must see done or chase by then: reminded, escalated and "
    "overdue when late"
)


def _support_plan_review(name: str, starts_on: str, **kwargs: Any) -> DeadlineRule:
    return DeadlineRule(
        name=name,
        label="Support plan review at the Channel panel",
        starts_on=starts_on,
        duration=1,
        unit=Unit.MONTHS,
        met_by=("review_support_plan",),
        cancelled_by=("exit_support", "withdraw_consent"),
        statutory=False,
        source=(
            "RULES.md §4.3: the panel reviews the support plan at each panel or regularly "
            "(s36(4)(c)-(d)) [S97]; panels typically meet monthly [S100]; 'each panel' [U]; "
            "local default of 1 month, overridable"
        ),
        kind=ClockKind.TASK,
        kind_reason="The panel must review the plan it put in place; the lead brings it back",
        **kwargs,
    )


def _reassessment(name: str, starts_on: str) -> DeadlineRule:
    return DeadlineRule(
        name=name,
        label="Panel reassessment after consent was refused or withdrawn",
        starts_on=starts_on,
        duration=3,
        unit=Unit.MONTHS,
        met_by=("reassess",),
        due_at_field="reassess_on",
        statutory=False,
        source=(
            "RULES.md §4.2: CTSA 2015 s36(4)(e), the panel reassesses after consent is "
            "refused or withdrawn, by the date it sets; no national timescale found [U], so "
            "a local default of 3 months when the panel sets no date"
        ),
        kind=ClockKind.TASK,
        kind_reason="The panel decided to look again by a date; the lead must bring it back",
    )


DEADLINE_RULES = [
    DeadlineRule(
        name="gateway_assessment",
        label="Police gateway assessment (typical, not a target)",
        starts_on="submit_referral",
        duration=5,
        unit=Unit.WORKING_DAYS,
        met_by=GATEWAY_MET_BY,
        statutory=False,
        source=(
            "RULES.md §4.3: the police initial assessment 'on average takes up to "
            "5 days', descriptive, not a target [S102]; local default"
        ),
        kind=ClockKind.TASK,
        kind_reason="The police assess, but the lead follows up a referral left unanswered",
    ),
    DeadlineRule(
        name="channel_panel",
        label="Channel panel discussion",
        starts_on="list_for_panel",
        duration=1,
        unit=Unit.MONTHS,
        met_by=("adopt", "not_adopt"),
        statutory=False,
        source="RULES.md §4.3: panels typically meet monthly [S100]; local default",
        kind=ClockKind.TASK,
        kind_reason=TASK_FOLLOW_UP,
    ),
    _support_plan_review(
        "support_plan_review_first", "record_consent", starts_at_field="support_start_on"
    ),
    _support_plan_review(
        "support_plan_review_first_parental",
        "record_parental_consent",
        starts_at_field="support_start_on",
    ),
    _support_plan_review("support_plan_review", "review_support_plan", repeatable=True),
    _reassessment("reassessment_after_refusal", "refuse_consent"),
    _reassessment("reassessment_after_withdrawal", "withdraw_consent"),
    DeadlineRule(
        name="post_exit_review_6m",
        label="Six-month post-exit review",
        starts_on="exit_support",
        duration=6,
        unit=Unit.MONTHS,
        met_by=("record_6m_review",),
        statutory=False,
        source=POST_EXIT_SOURCE,
        kind=ClockKind.TASK,
        kind_reason=TASK_FOLLOW_UP,
    ),
    DeadlineRule(
        name="post_exit_review_12m",
        label="Twelve-month post-exit review",
        starts_on="exit_support",
        duration=12,
        unit=Unit.MONTHS,
        met_by=("record_12m_review",),
        statutory=False,
        source=POST_EXIT_SOURCE,
        kind=ClockKind.TASK,
        kind_reason=TASK_FOLLOW_UP,
    ),
]

WORKFLOW = register(
    Workflow(
        case_type="prevent",
        label="Prevent",
        description=(
            "CTSA 2015 Prevent referral to the police, gateway assessment, Channel panel "
            "(s36), consent-based support and post-exit reviews. Need-to-know (RULES.md "
            "§4.5): only Prevent-cleared leads act on these cases; keep the minimum and "
            "the police reference."
        ),
        model=PreventCase,
        states=State,
        initial_state=State.CONCERN_RAISED,
        terminal_states=(State.CLOSED,),
        intake_fields=INTAKE_FIELDS,
        intake_check=check_intake,
        deadline_rules=DEADLINE_RULES,
    )
)
