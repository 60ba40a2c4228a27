"""Modern slavery (RULES.md §1): the deadline rules (docs/clocks.md is generated from them)."""

from __future__ import annotations

from workflows.definitions import (
    ClockKind,
    DeadlineRule,
    Unit,
)

RG_MET_BY = ("record_rg_positive", "record_rg_negative")


CG_MET_BY = ("record_cg_positive", "record_cg_negative")


DEADLINE_RULES = [
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
]
