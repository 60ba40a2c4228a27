"""Child sexual exploitation (RULES.md §3): the deadline rules (docs/clocks.md shows them)."""

from __future__ import annotations

from workflows.cse.states import MASH_DECISIONS
from workflows.definitions import (
    RAISE,
    ClockKind,
    DeadlineRule,
    Unit,
)

ICPC_HELD = ("hold_icpc_cp_plan", "hold_icpc_cin_plan", "hold_icpc_no_plan")


REVIEW_HELD = ("hold_review_conference", "end_cp_plan")


REVIEW_SOURCE = (
    "RULES.md §3.2-3.3: Working Together 2023 (statutory guidance) as set out in child "
    "protection procedures [S78][S79]"
)


DEADLINE_RULES = [
    DeadlineRule(
        name="refer_same_day",
        label="Refer to children's social care and tell the police (same working day)",
        starts_on=RAISE,
        duration=0,
        unit=Unit.WORKING_DAYS,
        met_by=("refer_to_mash", "close_without_referral"),
        statutory=False,
        source=(
            "RULES.md §3.1-3.2: a child at risk of exploitation is referred to "
            "children's social care and the police immediately [S70][S85]; local "
            "default of the same working day (the referral step records whether "
            "the police were told)"
        ),
        kind=ClockKind.TASK,
        kind_reason="The person who raised the concern must make the referral",
    ),
    DeadlineRule(
        name="exploitation_risk_assessment",
        label="Exploitation risk assessment",
        starts_on=RAISE,
        duration=10,
        unit=Unit.WORKING_DAYS,
        met_by=("record_exploitation_risk",),
        statutory=False,
        source=(
            "RULES.md §3.3: exploitation risk assessment within 10 working days of "
            "screening (North Yorkshire) [S72][S84]; local default, overridable"
        ),
        kind=ClockKind.TASK,
        kind_reason="The lead must complete or obtain the assessment",
    ),
    DeadlineRule(
        name="mash_decision",
        label="MASH decision on the referral, acknowledged to the referrer",
        starts_on="refer_to_mash",
        duration=1,
        unit=Unit.WORKING_DAYS,
        met_by=MASH_DECISIONS,
        statutory=True,
        source=(
            "RULES.md §3.2-3.3: a decision within 1 working day of the referral, "
            "Working Together 2023 (statutory guidance) as quoted by partnerships [S71]"
        ),
        kind=ClockKind.TASK,
        kind_reason=(
            "Children's social care decides, and the referrer chases a decision not "
            "received within the working day"
        ),
    ),
    DeadlineRule(
        name="cf_assessment",
        label="Child and family assessment",
        starts_on="refer_to_mash",
        duration=45,
        unit=Unit.WORKING_DAYS,
        met_by=("start_cin_plan", "close_after_assessment", "record_assessment_completed"),
        cancelled_by=("decide_early_help",),
        statutory=True,
        source=(
            "RULES.md §3.3: at most 45 working days from the point of referral, "
            "Working Together 2023 (statutory guidance) via procedures [S82][S83]"
        ),
        kind=ClockKind.TASK,
        kind_reason="A statutory timescale for the assessment the lead follows",
    ),
    DeadlineRule(
        name="icpc",
        label="Initial child protection conference",
        starts_on="start_s47_enquiry",
        duration=15,
        unit=Unit.WORKING_DAYS,
        met_by=ICPC_HELD,
        cancelled_by=("conclude_s47_cin_plan",),
        statutory=True,
        source=(
            "RULES.md §3.2-3.3: within 15 working days of the strategy discussion at "
            "which the s47 enquiry was initiated [S75][S76][S77]"
        ),
        kind=ClockKind.TASK,
        kind_reason="The conference must be held in time",
    ),
    DeadlineRule(
        name="first_cp_review",
        label="First child protection review conference",
        starts_on="hold_icpc_cp_plan",
        duration=3,
        unit=Unit.MONTHS,
        met_by=REVIEW_HELD,
        statutory=True,
        source=f"{REVIEW_SOURCE}: within 3 months of the ICPC",
        kind=ClockKind.TASK,
        kind_reason="The review conference must be held in time",
    ),
    DeadlineRule(
        name="cp_review",
        label="Child protection review conference",
        starts_on="hold_review_conference",
        duration=6,
        unit=Unit.MONTHS,
        met_by=REVIEW_HELD,
        repeatable=True,
        statutory=True,
        source=f"{REVIEW_SOURCE}: then at intervals of not more than 6 months",
        kind=ClockKind.TASK,
        kind_reason="Each review conference must be held in time",
    ),
    DeadlineRule(
        name="return_home_interview",
        label="Return home interview offered",
        starts_on="record_return_from_missing",
        duration=72,
        unit=Unit.HOURS,
        met_by=("record_return_interview",),
        repeatable=True,
        starts_at_field="returned_at",
        statutory=True,
        source=(
            "RULES.md §3.1, §3.3: statutory guidance on children who run away or go "
            "missing from home or care, an independent return home interview offered "
            "within 72 hours of each return [S68][S69]; the hours run through "
            "weekends, bank holidays and Christmas Day"
        ),
        kind=ClockKind.TASK,
        kind_reason="The interview must be offered to the child in time",
    ),
]
