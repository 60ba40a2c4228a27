"""County lines cuckooing: a vulnerable adult's home taken over (RULES.md §2).

A concern is submitted to adult social care with the police told, and the children's
MASH too when children live at or visit the property (§2.3, §2.7). Triage applies the
Care Act 2014 s42(1) three-part test (§2.1): only when the adult has care and support
needs, is experiencing or at risk of abuse or neglect, and because of those needs cannot
protect themselves does the duty to make a s42 enquiry arise; otherwise a non-statutory
enquiry or no further action. s42 has no statutory timescale; the concern decision clock
is local practice (§2.5). A multi-agency risk meeting agrees a safety plan, which may use
the ASB Act 2014 closure powers (§2.4, all statutory): a closure notice of 24 hours, or
48 hours when a superintendent or the council's chief executive authorises it, a 24-hour
notice extendable once to 48 hours; the magistrates hear the order application within 48
hours of service; an order lasts up to 3 months and may be extended to at most 6 in
total; either side may appeal within 21 days of the decision. The hour clocks disregard
Christmas Day (s77, s80).

The closure-power clocks run from the legal event as recorded (the notice's issue or
service time, the court's decision date), not from when it was entered in Safecase, and
an order's clock from the months the court ordered; the effects below open them, so the
service finds them already running. They also refuse inputs the law rules out (a notice
served before it was issued, an extension beyond 6 months in total), rolling the
transition back.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from casework.models import Case
from workflows import calendar, clocks
from workflows.definitions import (
    ClockKind,
    DeadlineRule,
    Effect,
    Field,
    FieldType,
    Unit,
    Workflow,
    WorkflowCaseMixin,
    person_fields,
)
from workflows.models import Deadline, DeadlineStatus
from workflows.registry import register
from workflows.steps import step


class State(models.TextChoices):
    CONCERN_RAISED = "concern_raised", "Concern raised"
    IMMEDIATE_RISK_ACTION = "immediate_risk_action", "Immediate risk action taken"
    SAFEGUARDING_CONCERN_SUBMITTED = (
        "safeguarding_concern_submitted",
        "Safeguarding concern submitted to adult social care",
    )
    S42_TRIAGE = "s42_triage", "Section 42 triage (information gathering)"
    S42_ENQUIRY = "s42_enquiry", "Section 42 enquiry"
    NON_STATUTORY_ENQUIRY = "non_statutory_enquiry", "Non-statutory enquiry"
    MULTI_AGENCY_RISK_MEETING = "multi_agency_risk_meeting", "Multi-agency risk meeting"
    SAFETY_PLAN_ACTIVE = "safety_plan_active", "Safety plan active"
    CLOSURE_NOTICE_ISSUED = "closure_notice_issued", "Closure notice issued"
    CLOSURE_ORDER_HEARING = "closure_order_hearing", "Closure order applied for"
    CLOSURE_ORDER_IN_FORCE = "closure_order_in_force", "Closure order in force"
    REVIEW = "review", "Review"
    CLOSED = "closed", "Closed"


# RULES.md §2.3 proposed outcome codes. CRITERIA_NOT_MET_NFA closes at triage; the others
# are chosen at the closing review.
OUTCOME_CODES = (
    ("RISK_REMOVED", "Risk removed"),
    ("RISK_REDUCED", "Risk reduced"),
    ("RISK_REMAINS_ADULT_DECLINED", "Risk remains: the adult, with capacity, declined help"),
    ("ADULT_MOVED", "The adult moved away"),
    ("TRANSFERRED_OTHER_PROCESS", "Transferred to another process (MARAC, MAPPA, NRM)"),
    ("CRITERIA_NOT_MET_NFA", "Criteria not met: no further action"),
)
NFA_OUTCOME = "CRITERIA_NOT_MET_NFA"
REVIEW_OUTCOMES = tuple(c for c in OUTCOME_CODES if c[0] != NFA_OUTCOME)

VULNERABILITIES = (
    ("learning_disability", "Learning disability"),
    ("mental_health", "Mental health"),
    ("substance_misuse", "Substance misuse"),
    ("physical_disability", "Physical disability"),
    ("older_age", "Older age"),
    ("other", "Other"),
)
INDICATORS = (
    ("increased_visitors", "Increased visitors or vehicles"),
    ("asb_at_property", "Anti-social behaviour at the property"),
    ("new_unknown_associates", "New, unknown associates"),
    ("debts_paid_in_cash", "Debts suddenly paid in cash"),
    ("withdrawal_from_services", "Withdrawal from services"),
    ("unexplained_injuries", "Unexplained injuries"),
    ("drugs_or_weapons_seen", "Drugs or weapons seen"),
)
TENURES = (
    ("council", "Council tenancy"),
    ("housing_association", "Housing association tenancy"),
    ("private_rented", "Private rented"),
    ("owner_occupied", "Owner occupied"),
    ("supported_housing", "Supported housing"),
    ("temporary_accommodation", "Temporary accommodation"),
    ("other", "Other or not known"),
)
AGENCIES = (
    ("police", "Police"),
    ("adult_social_care", "Adult social care"),
    ("housing", "Housing provider or landlord"),
    ("community_safety", "Community safety / ASB team"),
    ("substance_misuse", "Substance misuse services"),
    ("health", "Health"),
)
SAFETY_PLAN_ACTIONS = (
    ("capacity_assessment", "Mental capacity assessment (noting coercion)"),
    ("advocacy", "Advocacy"),
    ("rehousing", "Temporary or emergency rehousing"),
    ("police_disruption", "Police disruption"),
    ("closure_powers", "Closure powers (ASB Act 2014)"),
    ("community_marac", "Referral to Community MARAC or high-risk panel"),
    ("nrm_dtn", "NRM referral or Duty to Notify"),
)
RISK_LEVELS = (("high", "High"), ("medium", "Medium"), ("low", "Low"))
# Who may issue (s76(1)) or authorise a 48-hour notice or an extension (s77).
ISSUERS = (
    ("inspector", "Police inspector or above"),
    ("superintendent", "Police superintendent or above"),
    ("local_authority", "Local authority"),
    ("la_chief_executive", "Local authority chief executive or designate"),
)
SENIOR_ISSUERS = tuple(c for c in ISSUERS if c[0] in ("superintendent", "la_chief_executive"))
APPLICANTS = (("police", "A constable (police notice)"), ("local_authority", "The council"))
APPELLANTS = (
    ("person_served", "A person served with the notice"),
    ("interested_person", "Another person with an interest in the premises"),
    ("police", "Police"),
    ("local_authority", "The council"),
)

S42_TEST = ("s42_care_and_support_needs", "s42_abuse_or_neglect", "s42_unable_to_protect")
MAX_ORDER_MONTHS, MAX_TOTAL_ORDER_MONTHS, MAX_ADJOURNMENT_DAYS = 3, 6, 14
RUNNING = (DeadlineStatus.OPEN, DeadlineStatus.PAUSED)
ORDER_CLOCKS = ("closure_order", "closure_order_extended")
APPEAL_CLOCKS = ("appeal_against_order", "appeal_against_refusal")
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", re.IGNORECASE)


# --- Guards --------------------------------------------------------------------------


def s42_test_met(case: Case) -> bool:
    """Care Act s42(1): all three parts of the test recorded as met (RULES.md §2.1)."""
    return case.details.get("s42_criteria_met") is True


def s42_test_not_met(case: Case) -> bool:
    """The test was recorded and at least one part is not met."""
    return case.details.get("s42_criteria_met") is False


def _running(case: Case, *rules: str) -> models.QuerySet[Deadline]:
    return Deadline.objects.filter(case=case, rule__in=rules, status__in=RUNNING)


def notice_extendable(case: Case) -> bool:
    """s77: only a 24-hour notice, once, before it expires (RULES.md §2.4). Its 24-hour
    clock is running exactly then: a 48-hour notice has none, and extending cancels it."""
    return _running(case, "closure_notice_24h").filter(due_at__gt=timezone.now()).exists()


def order_extendable(case: Case) -> bool:
    """s82: an order still in force with less than 6 months ordered in total (§2.4)."""
    return (
        case.details.get("order_total_months", MAX_TOTAL_ORDER_MONTHS) < MAX_TOTAL_ORDER_MONTHS
        and _running(case, *ORDER_CLOCKS).filter(due_at__gt=timezone.now()).exists()
    )


def appeal_window_open(case: Case) -> bool:
    """s84: an order decision's 21-day appeal window is running (RULES.md §2.4)."""
    return _running(case, *APPEAL_CLOCKS).exists()


# --- Dates ---------------------------------------------------------------------------


def _start_of(day: date) -> datetime:
    """Local midnight at the start of ``day``: where a date-based clock starts."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def order_expiry(made_on: str, months: int) -> date:
    """The last day of an order of ``months`` calendar months made on ``made_on``."""
    return _local_date(calendar.add_months(_start_of(date.fromisoformat(made_on)), months))


# Making Safeguarding Personal: the adult's views are recorded throughout (RULES.md §2.3).
VIEWS_FIELD = Field(
    "occupier_views",
    FieldType.TEXT,
    "The adult's views, wishes and desired outcomes",
    required=False,
)
ENQUIRY_FIELDS = [
    Field("enquiry_started_on", FieldType.DATE, "Date the enquiry started"),
    Field("enquiry_lead_agency", FieldType.CHOICE, "Lead agency", choices=AGENCIES),
]


def notice_fields(issuers: tuple[tuple[str, str], ...]) -> list[Field]:
    """The closure-power record of a notice (RULES.md §2.6); s76(6) efforts are required."""
    return [
        Field("notice_reference", FieldType.STRING, "Notice reference"),
        Field("issued_at", FieldType.DATETIME, "Issued at"),
        Field("authorised_by_rank", FieldType.CHOICE, "Issued or authorised by", choices=issuers),
        Field("served_at", FieldType.DATETIME, "Served at"),
        Field(
            "occupiers_informed",
            FieldType.BOOLEAN,
            "Reasonable efforts made to inform the people who live there and anyone with an "
            "interest in the premises (s76(6))?",
        ),
        Field("consulted", FieldType.TEXT, "Who was consulted (s76(7))", required=False),
    ]


class CuckooingCase(WorkflowCaseMixin, Case):
    """A cuckooing case; transitions follow RULES.md §2.3 and, for closure powers, §2.4."""

    class Meta:
        proxy = True
        app_label = "workflows"

    @step(
        source=State.CONCERN_RAISED,
        target=State.IMMEDIATE_RISK_ACTION,
        label="Record immediate action (999 / police)",
        fields=[
            Field("emergency_services_called", FieldType.BOOLEAN, "999 or the police called?"),
            Field("immediate_action_taken", FieldType.TEXT, "What was done"),
            Field("police_reference", FieldType.STRING, "Police reference", required=False),
        ],
    )
    def take_immediate_action(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="submitted_on",
        source=[State.CONCERN_RAISED, State.IMMEDIATE_RISK_ACTION],
        target=State.SAFEGUARDING_CONCERN_SUBMITTED,
        label="Submit the safeguarding concern to adult social care",
        fields=[
            Field("submitted_on", FieldType.DATE, "Date submitted to adult social care"),
            Field("police_informed", FieldType.BOOLEAN, "Police informed?"),
            Field("police_reference", FieldType.STRING, "Police reference", required=False),
            Field(
                "mash_notified",
                FieldType.BOOLEAN,
                "Children's MASH notified? (needed when children live there or visit)",
            ),
        ],
    )
    def submit_concern(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="triage_started_on",
        source=State.SAFEGUARDING_CONCERN_SUBMITTED,
        target=State.S42_TRIAGE,
        label="Start s42 triage",
        fields=[
            Field("triage_started_on", FieldType.DATE, "Date triage started"),
            Field("occupier_aware", FieldType.BOOLEAN, "Is the adult aware of the concern?"),
            Field("occupier_consents", FieldType.BOOLEAN, "Does the adult consent to it?"),
            VIEWS_FIELD,
        ],
    )
    def start_triage(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.S42_TRIAGE,
        target=None,
        label="Record the s42 three-part test",
        fields=[
            Field(
                "s42_care_and_support_needs",
                FieldType.BOOLEAN,
                "(a) The adult has needs for care and support",
            ),
            Field(
                "s42_abuse_or_neglect",
                FieldType.BOOLEAN,
                "(b) The adult is experiencing, or is at risk of, abuse or neglect",
            ),
            Field(
                "s42_unable_to_protect",
                FieldType.BOOLEAN,
                "(c) Because of those needs, the adult cannot protect themselves",
            ),
            Field("s42_rationale", FieldType.TEXT, "Reasons for the decision"),
        ],
    )
    def record_s42_test(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "s42_criteria_met": all(data[name] for name in S42_TEST)})

    @step(
        event_field="enquiry_started_on",
        source=State.S42_TRIAGE,
        target=State.S42_ENQUIRY,
        label="Start a s42 enquiry",
        conditions=[s42_test_met],
        guard_message=(
            "A s42 enquiry needs all three parts of the s42 test recorded as met "
            "(Care Act 2014 s42(1))."
        ),
        fields=ENQUIRY_FIELDS,
    )
    def start_s42_enquiry(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "enquiry_type": "s42"})

    @step(
        event_field="enquiry_started_on",
        source=State.S42_TRIAGE,
        target=State.NON_STATUTORY_ENQUIRY,
        label="Start a non-statutory enquiry",
        conditions=[s42_test_not_met],
        guard_message=(
            "Record the s42 test first; a non-statutory enquiry is only for a concern that "
            "does not meet it (when it is met the council must make a s42 enquiry)."
        ),
        fields=ENQUIRY_FIELDS,
    )
    def start_non_statutory_enquiry(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "enquiry_type": "non_statutory"})

    @step(
        source=State.S42_TRIAGE,
        target=State.CLOSED,
        label="Close: criteria not met, no further action",
        outcome=NFA_OUTCOME,
        conditions=[s42_test_not_met],
        guard_message=(
            "Record the s42 test first; no further action is only for a concern that does "
            "not meet it."
        ),
        fields=[
            Field("rationale", FieldType.TEXT, "Why no further action is needed"),
            Field("signposted_to", FieldType.TEXT, "Signposted to", required=False),
        ],
    )
    def close_no_further_action(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=[State.S42_ENQUIRY, State.NON_STATUTORY_ENQUIRY],
        target=State.MULTI_AGENCY_RISK_MEETING,
        label="Convene a multi-agency risk meeting",
        fields=[
            Field("meeting_on", FieldType.DATE, "Date of the meeting"),
            Field("lead_agency", FieldType.CHOICE, "Lead agency", choices=AGENCIES),
            Field("agencies_invited", FieldType.MULTICHOICE, "Agencies invited", choices=AGENCIES),
            Field("risk_level", FieldType.CHOICE, "Risk level", choices=RISK_LEVELS),
        ],
    )
    def convene_risk_meeting(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.MULTI_AGENCY_RISK_MEETING,
        target=State.SAFETY_PLAN_ACTIVE,
        label="Agree the safety plan",
        fields=[
            Field(
                "safety_plan_actions",
                FieldType.MULTICHOICE,
                "Actions in the plan",
                choices=SAFETY_PLAN_ACTIONS,
            ),
            Field("safety_plan_summary", FieldType.TEXT, "The plan"),
            VIEWS_FIELD,
        ],
    )
    def agree_safety_plan(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="issued_at",
        source=State.SAFETY_PLAN_ACTIVE,
        target=State.CLOSURE_NOTICE_ISSUED,
        label="Issue a closure notice (24 hours)",
        fields=notice_fields(ISSUERS),
    )
    def issue_closure_notice(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "notice_duration_hours": 24, "notice_extended": False})

    @step(
        event_field="issued_at",
        source=State.SAFETY_PLAN_ACTIVE,
        target=State.CLOSURE_NOTICE_ISSUED,
        label="Issue a 48-hour closure notice (superintendent or chief executive)",
        fields=notice_fields(SENIOR_ISSUERS),
    )
    def issue_closure_notice_48h(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "notice_duration_hours": 48, "notice_extended": False})

    @step(
        event_field="extended_at",
        source=[State.CLOSURE_NOTICE_ISSUED, State.CLOSURE_ORDER_HEARING],
        target=None,
        label="Extend the closure notice to 48 hours",
        conditions=[notice_extendable],
        guard_message=(
            "Only a 24-hour closure notice can be extended, once, to 48 hours, and only "
            "before it expires (ASBCPA 2014 s77)."
        ),
        fields=[
            Field("extension_reference", FieldType.STRING, "Extension notice reference"),
            Field("extended_at", FieldType.DATETIME, "Extended at"),
            Field(
                "extension_authorised_by_rank",
                FieldType.CHOICE,
                "Extension authorised by",
                choices=SENIOR_ISSUERS,
            ),
        ],
    )
    def extend_closure_notice(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "notice_duration_hours": 48, "notice_extended": True})

    @step(
        event_field="notice_cancelled_at",
        source=[State.CLOSURE_NOTICE_ISSUED, State.CLOSURE_ORDER_HEARING],
        target=State.SAFETY_PLAN_ACTIVE,
        label="Cancel the closure notice (s78)",
        fields=[
            Field("notice_cancelled_at", FieldType.DATETIME, "Cancelled at"),
            Field("notice_cancelled_reason", FieldType.TEXT, "Why it was cancelled"),
        ],
    )
    def cancel_closure_notice(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="application_made_on",
        source=State.CLOSURE_NOTICE_ISSUED,
        target=State.CLOSURE_ORDER_HEARING,
        label="Apply to the magistrates for a closure order",
        fields=[
            Field("application_made_on", FieldType.DATE, "Date of the application"),
            Field("applicant", FieldType.CHOICE, "Applicant (s80(1)-(2))", choices=APPLICANTS),
            Field("court", FieldType.STRING, "Magistrates' court"),
            Field("hearing_listed_at", FieldType.DATETIME, "Hearing listed for"),
        ],
    )
    def apply_for_closure_order(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="adjourned_on",
        source=State.CLOSURE_ORDER_HEARING,
        target=None,
        label="Record an adjournment of the hearing (s81(3))",
        fields=[
            Field("adjourned_on", FieldType.DATE, "Date of the hearing that adjourned"),
            Field("adjourned_to", FieldType.DATE, "Adjourned to"),
            Field(
                "notice_continued",
                FieldType.BOOLEAN,
                "Did the court continue the closure notice meanwhile?",
            ),
        ],
    )
    def adjourn_hearing(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="hearing_at",
        source=State.CLOSURE_ORDER_HEARING,
        target=State.CLOSURE_ORDER_IN_FORCE,
        label="Record the closure order made",
        fields=[
            Field("hearing_at", FieldType.DATETIME, "Heard at"),
            Field("order_made_on", FieldType.DATE, "Date the order was made"),
            Field(
                "order_months",
                FieldType.INTEGER,
                "Months ordered (at most 3)",
                min_value=1,
                max_value=MAX_ORDER_MONTHS,
            ),
            Field(
                "order_covers_residents",
                FieldType.BOOLEAN,
                "Does the order also exclude people who live there?",
            ),
            Field("order_reference", FieldType.STRING, "Court reference", required=False),
        ],
    )
    def record_order_made(self, *, actor: Any, data: dict) -> None:
        months = data["order_months"]
        self.record(
            {
                **data,
                "order_total_months": months,
                "order_expiry": order_expiry(data["order_made_on"], months).isoformat(),
            }
        )

    @step(
        event_field="hearing_at",
        source=State.CLOSURE_ORDER_HEARING,
        target=State.SAFETY_PLAN_ACTIVE,
        label="Record that the court refused the closure order",
        fields=[
            Field("hearing_at", FieldType.DATETIME, "Heard at"),
            Field("order_refused_on", FieldType.DATE, "Date of the decision"),
            Field("order_refused_reasons", FieldType.TEXT, "The court's reasons"),
        ],
    )
    def record_order_refused(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="extension_ordered_on",
        source=State.CLOSURE_ORDER_IN_FORCE,
        target=None,
        label="Record an extension of the closure order (s82)",
        conditions=[order_extendable],
        guard_message=(
            "A closure order can be extended only while it is in force, and to at most "
            "6 months in total (ASBCPA 2014 s82)."
        ),
        fields=[
            Field("extension_ordered_on", FieldType.DATE, "Date the court extended it"),
            Field(
                "extension_months",
                FieldType.INTEGER,
                "Further months ordered (at most 3)",
                min_value=1,
                max_value=MAX_ORDER_MONTHS,
            ),
        ],
    )
    def extend_closure_order(self, *, actor: Any, data: dict) -> None:
        total = self.details["order_total_months"] + data["extension_months"]
        made_on = self.details["order_made_on"]
        self.record(
            {
                **data,
                "order_total_months": total,
                "order_expiry": order_expiry(made_on, total).isoformat(),
            }
        )

    @step(
        event_field="appeal_lodged_on",
        source=[State.CLOSURE_ORDER_IN_FORCE, State.SAFETY_PLAN_ACTIVE],
        target=None,
        label="Record an appeal to the Crown Court (s84)",
        conditions=[appeal_window_open],
        guard_message=(
            "An appeal can be recorded only within 21 days of a closure order decision "
            "(ASBCPA 2014 s84)."
        ),
        fields=[
            Field("appellant", FieldType.CHOICE, "Appellant", choices=APPELLANTS),
            Field("appeal_lodged_on", FieldType.DATE, "Date the appeal was lodged"),
            Field("appeal_grounds", FieldType.TEXT, "Grounds", required=False),
        ],
    )
    def record_appeal(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="review_on",
        source=[State.SAFETY_PLAN_ACTIVE, State.CLOSURE_ORDER_IN_FORCE],
        target=State.REVIEW,
        label="Review the case",
        fields=[
            Field("review_on", FieldType.DATE, "Date of the review"),
            Field("review_notes", FieldType.TEXT, "What the review found"),
            VIEWS_FIELD,
        ],
    )
    def start_review(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.REVIEW,
        target=State.SAFETY_PLAN_ACTIVE,
        label="Continue the safety plan",
        fields=[Field("safety_plan_changes", FieldType.TEXT, "Changes to the plan")],
    )
    def continue_safety_plan(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.REVIEW,
        target=State.CLOSED,
        label="Close the case (manager sign-off)",
        fields=[
            Field("outcome_code", FieldType.CHOICE, "Outcome", choices=REVIEW_OUTCOMES),
            Field("closing_summary", FieldType.TEXT, "Closing summary"),
            Field("signed_off_by", FieldType.STRING, "Manager who signed off"),
            Field(
                "adult_has_capacity",
                FieldType.BOOLEAN,
                "Has the adult capacity to decline help (MCA 2005)?",
            ),
            Field(
                "transferred_to",
                FieldType.STRING,
                "Process transferred to (MARAC, MAPPA, NRM)",
                required=False,
            ),
        ],
    )
    def close_case(self, *, actor: Any, data: dict) -> None:
        self.record(data)


# --- Effects: checks against the case, and the closure-power clocks ----------------------


def _refuse(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _restart_clock(
    case: Case, name: str, *, start: datetime, now: datetime, actor: Any, duration: int = 0
) -> None:
    """Open clock ``name`` from ``start`` (replacing a running one); ``duration`` may shorten
    it, e.g. to the months the court ordered, since the rule's duration is the maximum."""
    rule = WORKFLOW.rule(name)
    if duration:
        rule = dataclasses.replace(rule, duration=duration)
    clocks.deadlines_cancel(case=case, at=now, rule_names=[name])
    clocks.deadline_open(case=case, workflow=WORKFLOW, rule=rule, at=start, actor=actor)


def check_concern_submission(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """Police on every concern; the children's MASH when children are present (§2.3, §2.7)."""
    errors = {}
    if not case.details.get("police_informed"):
        errors["police_informed"] = ["The police must be informed of every cuckooing concern."]
    if case.details.get("children_present") and not data.get("mash_notified"):
        errors["mash_notified"] = ["Children live at or visit the property: notify the MASH."]
    _refuse(errors)


def notice_issued(notice_clock: str, hearing_clock: str) -> Effect:
    """The effect of issuing a notice: its expiry runs from issue, the hearing clock from
    service (s77, s80(3)); it must have been issued and served already, after s76(6)."""

    def effect(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
        issued = datetime.fromisoformat(data["issued_at"])
        served = datetime.fromisoformat(data["served_at"])
        errors = {}
        if not data.get("occupiers_informed"):
            errors["occupiers_informed"] = [
                "Reasonable efforts to inform residents and those with an interest must be "
                "made before a notice is issued (s76(6))."
            ]
        if issued > at:
            errors["issued_at"] = ["Record a notice once it has been issued."]
        if served < issued:
            errors["served_at"] = ["A notice cannot be served before it is issued."]
        elif served > at:
            errors["served_at"] = ["Record the service once it has happened."]
        _refuse(errors)
        _restart_clock(case, notice_clock, start=issued, now=at, actor=actor)
        _restart_clock(case, hearing_clock, start=served, now=at, actor=actor)

    return effect


def notice_extended(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """s77: the extended notice expires 48 hours (less Christmas Day) after its issue."""
    notice = _running(case, "closure_notice_24h").get()
    extended = datetime.fromisoformat(data["extended_at"])
    if not notice.started_at <= extended <= at:
        _refuse({"extended_at": ["Enter when the notice was extended, after its issue."]})
    _restart_clock(case, "closure_notice_extended", start=notice.started_at, now=at, actor=actor)


def hearing_adjourned(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """s81(3): an adjournment of not more than 14 days; each adjournment restarts the clock."""
    adjourned_on = date.fromisoformat(data["adjourned_on"])
    adjourned_to = date.fromisoformat(data["adjourned_to"])
    errors = {}
    if adjourned_on > _local_date(at):
        errors["adjourned_on"] = ["Record the adjournment once it has happened."]
    if not adjourned_on <= adjourned_to <= adjourned_on + timedelta(days=MAX_ADJOURNMENT_DAYS):
        errors["adjourned_to"] = ["A hearing can be adjourned for at most 14 days (s81(3))."]
    _refuse(errors)
    start = _start_of(adjourned_on)
    _restart_clock(case, "hearing_adjournment", start=start, now=at, actor=actor)


def _check_decision(data: dict, day_field: str, at: datetime) -> None:
    errors = {}
    if datetime.fromisoformat(data["hearing_at"]) > at:
        errors["hearing_at"] = ["Record the hearing once it has happened."]
    if date.fromisoformat(data[day_field]) > _local_date(at):
        errors[day_field] = ["Record the decision once it has been made."]
    _refuse(errors)


def order_made(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """s80(6), s84: the order runs for the months ordered; the appeal window opens."""
    _check_decision(data, "order_made_on", at)
    start = _start_of(date.fromisoformat(data["order_made_on"]))
    months = data["order_months"]
    _restart_clock(case, "closure_order", start=start, now=at, actor=actor, duration=months)
    _restart_clock(case, "appeal_against_order", start=start, now=at, actor=actor)


def order_refused(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """s84: the police or the council may appeal a refusal within 21 days."""
    _check_decision(data, "order_refused_on", at)
    start = _start_of(date.fromisoformat(data["order_refused_on"]))
    _restart_clock(case, "appeal_against_refusal", start=start, now=at, actor=actor)


def order_extended(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """s82: extended before expiry, to at most 6 months from the order's making."""
    current = _running(case, *ORDER_CLOCKS).get()
    total = case.details["order_total_months"]
    ordered_on = date.fromisoformat(data["extension_ordered_on"])
    errors = {}
    if total > MAX_TOTAL_ORDER_MONTHS:
        left = MAX_TOTAL_ORDER_MONTHS - (total - data["extension_months"])
        errors["extension_months"] = [
            f"An order may last at most 6 months in total; at most {left} more can be added."
        ]
    if ordered_on > min(_local_date(at), _local_date(current.due_at)):
        errors["extension_ordered_on"] = ["Enter a past date, not after the order expired."]
    _refuse(errors)
    start = _start_of(date.fromisoformat(case.details["order_made_on"]))
    _restart_clock(case, "closure_order_extended", start=start, now=at, actor=actor, duration=total)


def appeal_recorded(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """s84: an appeal is lodged within 21 days beginning with the date of the decision."""
    lodged = date.fromisoformat(data["appeal_lodged_on"])
    in_time = any(
        _local_date(w.started_at) <= lodged <= _local_date(w.due_at)
        for w in _running(case, *APPEAL_CLOCKS)
    )
    if not in_time or lodged > _local_date(at):
        _refuse({"appeal_lodged_on": ["Enter a date within the 21 days of the decision."]})


def check_closure(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """A refusal of help closes the case only when the adult has capacity (§2.3)."""
    errors = {}
    outcome = data["outcome_code"]
    if outcome == "RISK_REMAINS_ADULT_DECLINED" and not data.get("adult_has_capacity"):
        errors["adult_has_capacity"] = [
            "An adult who lacks capacity cannot decline help; record the capacity decision."
        ]
    if outcome == "TRANSFERRED_OTHER_PROCESS" and not data.get("transferred_to"):
        errors["transferred_to"] = ["Say which process the case was transferred to."]
    _refuse(errors)


# --- Intake ------------------------------------------------------------------------------


def check_intake(values: dict[str, Any]) -> None:
    """The premises' postcode must be a UK postcode the Premises record can hold."""
    postcode = values.get("premises_postcode", "").strip()
    if postcode and not POSTCODE.match(postcode):
        raise ValidationError({"premises_postcode": ["Enter a UK postcode, like NT1 4AB."]})
    if len(values.get("premises_landlord", "")) > 200:
        raise ValidationError({"premises_landlord": ["Use at most 200 characters."]})


INTAKE_FIELDS = [
    Field("premises_address", FieldType.TEXT, "Address of the property", premises="address"),
    Field("premises_postcode", FieldType.STRING, "Postcode", required=False, premises="postcode"),
    Field(
        "premises_tenure",
        FieldType.CHOICE,
        "Tenure",
        required=False,
        choices=TENURES,
        premises="tenure",
    ),
    Field(
        "premises_landlord",
        FieldType.STRING,
        "Landlord or housing provider",
        required=False,
        premises="landlord",
    ),
    *person_fields("occupier", label="The occupier"),
    Field(
        "occupier_vulnerabilities",
        FieldType.MULTICHOICE,
        "The occupier's vulnerabilities",
        choices=VULNERABILITIES,
    ),
    Field("what_was_seen", FieldType.TEXT, "What was seen or told (with dates and times)"),
    Field("indicators", FieldType.MULTICHOICE, "Indicators of cuckooing", choices=INDICATORS),
    Field("children_present", FieldType.BOOLEAN, "Do children live at or visit the property?"),
    Field(
        "suspected_exploiters",
        FieldType.TEXT,
        "Suspected exploiters (names, nicknames, vehicles)",
        required=False,
    ),
    Field("police_informed", FieldType.BOOLEAN, "Have the police been told?"),
    Field("police_reference", FieldType.STRING, "Police reference", required=False),
]

# --- Clocks ------------------------------------------------------------------------------

TRIAGE_OUTCOMES = ("start_s42_enquiry", "start_non_statutory_enquiry", "close_no_further_action")
HEARD = ("record_order_made", "record_order_refused", "adjourn_hearing")
DECIDED = ("record_order_made", "record_order_refused")
NOTICE_SOURCE = (
    "RULES.md §2.4/§2.5: ASBCPA 2014 s77, Christmas Day disregarded [P]; runs from the "
    "recorded issue time [U: s77 speaks of the period specified in the notice]"
)
HEARING_SOURCE = (
    "RULES.md §2.4/§2.5: ASBCPA 2014 s80(3)-(4), heard not later than 48 hours after "
    "service, Christmas Day disregarded [P]; runs from the recorded service time"
)
APPEAL_SOURCE = (
    "RULES.md §2.4/§2.5: ASBCPA 2014 s84, 21 days beginning with the date of the decision "
    "[P]; the decision day is day 1, so the last day is 20 days after it"
)


NOTICE_EFFECT = (
    "The premises are closed by the notice (s76); the court must hear the application "
    "for a closure order before the notice ends, or it lapses"
)
ORDER_EFFECT = (
    "The premises are closed by the order; before it ends the council may apply to extend "
    "it (s82), to at most 6 months in all"
)
TASK_COURT = "The council must have the application heard in time, or the closure lapses"


def _notice_period(name: str, label: str, starts_on: str, hours: int, source: str,
                   **kwargs: Any) -> DeadlineRule:  # fmt: skip
    """How long a closure notice lasts: a period (it closes the premises), ended by the
    court's decision or the notice's cancellation."""
    return DeadlineRule(
        name=name,
        label=label,
        starts_on=starts_on,
        duration=hours,
        unit=Unit.HOURS,
        met_by=HEARD,
        statutory=True,
        source=source,
        cancelled_by=kwargs.pop("cancelled_by", ("cancel_closure_notice",)),
        disregard_christmas_day=True,
        kind=ClockKind.PERIOD,
        kind_reason="The notice's own duration, a closure in force rather than a task",
        period_effect=NOTICE_EFFECT,
        **kwargs,
    )


def _hearing_task(name: str, starts_on: str) -> DeadlineRule:
    """The court hears the application within 48 hours of service (s80(3)-(4))."""
    return DeadlineRule(
        name=name,
        label="Court hears the closure order application",
        starts_on=starts_on,
        duration=48,
        unit=Unit.HOURS,
        met_by=HEARD,
        statutory=True,
        source=HEARING_SOURCE,
        cancelled_by=("cancel_closure_notice",),
        disregard_christmas_day=True,
        starts_at_field="served_at",
        kind=ClockKind.TASK,
        kind_reason=TASK_COURT,
    )


def _appeal_window(name: str, label: str, starts_on: str, starts_at_field: str,
                   effect: str) -> DeadlineRule:  # fmt: skip
    return DeadlineRule(
        name=name,
        label=label,
        starts_on=starts_on,
        duration=20,
        unit=Unit.CALENDAR_DAYS,
        met_by=("record_appeal",),
        statutory=True,
        source=APPEAL_SOURCE,
        starts_at_field=starts_at_field,
        kind=ClockKind.PERIOD,
        kind_reason="A right of appeal that others hold; nothing for the council to do by then",
        period_effect=effect,
    )


DEADLINE_RULES = [
    DeadlineRule(
        name="concern_decision",
        label="Decision on the safeguarding concern (local target)",
        starts_on="submit_concern",
        duration=1,
        unit=Unit.WORKING_DAYS,
        met_by=TRIAGE_OUTCOMES,
        statutory=False,
        source=(
            "RULES.md §2.5: local practice, e.g. same working day or within 24 hours in one "
            "LA, 2-5 working days in others [S37]; s42 sets no timescale (§2.1). Local "
            "default of 1 working day, overridable per deployment"
        ),
        kind=ClockKind.TASK,
        kind_reason="Adult social care must decide on the concern; the lead chases it",
    ),
    _notice_period(
        "closure_notice_24h",
        "Closure notice in force (24 hours)",
        "issue_closure_notice",
        24,
        f"{NOTICE_SOURCE}; 24 hours at most",
        cancelled_by=("cancel_closure_notice", "extend_closure_notice"),
    ),
    _notice_period(
        "closure_notice_48h",
        "Closure notice in force (48 hours)",
        "issue_closure_notice_48h",
        48,
        f"{NOTICE_SOURCE}; 48 hours when issued by a superintendent or signed by the LA "
        "chief executive (§2.4 Duration)",
    ),
    _notice_period(
        "closure_notice_extended",
        "Extended closure notice in force (48 hours from issue)",
        "extend_closure_notice",
        48,
        f"{NOTICE_SOURCE}; a 24-hour notice extended to 48 hours, counted from its issue",
        starts_at_field="issued_at",
    ),
    _hearing_task("closure_hearing", "issue_closure_notice"),
    _hearing_task("closure_hearing_48h_notice", "issue_closure_notice_48h"),
    DeadlineRule(
        name="hearing_adjournment",
        label="Adjourned closure order hearing resumes",
        starts_on="adjourn_hearing",
        duration=MAX_ADJOURNMENT_DAYS,
        unit=Unit.CALENDAR_DAYS,
        met_by=DECIDED,
        statutory=True,
        source="RULES.md §2.4/§2.5: ASBCPA 2014 s81(3), adjournment of at most 14 days [P]",
        cancelled_by=("cancel_closure_notice",),
        kind=ClockKind.TASK,
        kind_reason=(
            "The council must be ready for the resumed hearing and record the court's "
            "decision; an adjournment past 14 days needs the lead's attention"
        ),
    ),
    DeadlineRule(
        name="closure_order",
        label="Closure order in force (at most 3 months)",
        starts_on="record_order_made",
        duration=MAX_ORDER_MONTHS,
        unit=Unit.MONTHS,
        met_by=("start_review",),
        statutory=True,
        source=(
            "RULES.md §2.4/§2.5: ASBCPA 2014 s80(5)-(6), at most 3 months from the order [P]; "
            "each clock runs for the months the court ordered"
        ),
        cancelled_by=("extend_closure_order",),
        starts_at_field="order_made_on",
        kind=ClockKind.PERIOD,
        kind_reason="The order's length: a closure in force, not a task",
        period_effect=ORDER_EFFECT,
    ),
    DeadlineRule(
        name="closure_order_extended",
        label="Extended closure order in force (at most 6 months in total)",
        starts_on="extend_closure_order",
        duration=MAX_TOTAL_ORDER_MONTHS,
        unit=Unit.MONTHS,
        met_by=("start_review",),
        statutory=True,
        source=(
            "RULES.md §2.4/§2.5: ASBCPA 2014 s82, further periods of at most 3 months, 6 months "
            "in total from the order [S]; runs from the order for the months ordered in total"
        ),
        starts_at_field="order_made_on",
        kind=ClockKind.PERIOD,
        kind_reason="The extended order's length: a closure in force, not a task",
        period_effect="The premises stay closed by the extended order; no further extension",
    ),
    _appeal_window(
        "appeal_against_order",
        "Appeal against the closure order (21 days)",
        "record_order_made",
        "order_made_on",
        "The occupier or anyone with an interest may appeal to the Crown Court (s84)",
    ),
    _appeal_window(
        "appeal_against_refusal",
        "Appeal against the refusal of a closure order (21 days)",
        "record_order_refused",
        "order_refused_on",
        "The police or council may appeal the refusal to the Crown Court (s84)",
    ),
]

WORKFLOW = register(
    Workflow(
        case_type="cuckooing",
        label="County lines cuckooing",
        description=(
            "A vulnerable adult's home taken over: Care Act s42 safeguarding, a multi-agency "
            "safety plan and the ASB Act 2014 closure notice and order."
        ),
        model=CuckooingCase,
        states=State,
        initial_state=State.CONCERN_RAISED,
        terminal_states=(State.CLOSED,),
        intake_fields=INTAKE_FIELDS,
        intake_check=check_intake,
        effects={
            "submit_concern": check_concern_submission,
            "issue_closure_notice": notice_issued("closure_notice_24h", "closure_hearing"),
            "issue_closure_notice_48h": notice_issued(
                "closure_notice_48h", "closure_hearing_48h_notice"
            ),
            "extend_closure_notice": notice_extended,
            "adjourn_hearing": hearing_adjourned,
            "record_order_made": order_made,
            "record_order_refused": order_refused,
            "extend_closure_order": order_extended,
            "record_appeal": appeal_recorded,
            "close_case": check_closure,
        },
        deadline_rules=DEADLINE_RULES,
    )
)
