"""Prevent (RULES.md §4): the deadline rules (docs/clocks.md is generated from them)."""

from __future__ import annotations

from typing import Any

from workflows.definitions import (
    ClockKind,
    DeadlineRule,
    Unit,
)

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
