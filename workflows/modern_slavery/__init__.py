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

from workflows.definitions import Workflow
from workflows.modern_slavery import intake as intake_module
from workflows.modern_slavery.checks import (
    AGE_BAND_RANGES,
    age_band_problem,
    best_interests_decided,
    may_refer_into_nrm,
    subject_age,
    subject_is_adult,
    subject_is_child,
)
from workflows.modern_slavery.clocks import CG_MET_BY, DEADLINE_RULES, RG_MET_BY
from workflows.modern_slavery.intake import INTAKE_FIELDS, check_intake
from workflows.modern_slavery.notification import DutyToNotifyNotification, create_dtn_notification
from workflows.modern_slavery.states import (
    AGE_BANDS,
    CAPACITY_DECIDERS,
    CHILD_AGE,
    COMPETENT_AUTHORITIES,
    CONSENT_STATUSES,
    EXPLOITATION_PERIODS,
    EXPLOITATION_TYPES,
    NATIONALITIES,
    NO_NOTIFICATION_REASONS,
    UK_REGIONS,
    State,
)
from workflows.modern_slavery.steps import ModernSlaveryCase
from workflows.registry import register

WORKFLOW = register(
    Workflow(
        case_type="modern_slavery",
        label="Modern slavery",
        description=(
            "Modern slavery or human trafficking of an adult: telling the Home Office (the "
            "duty to notify), a referral to the National Referral Mechanism (NRM) with the "
            "adult's consent, and the Home Office's decisions."
        ),
        choose_when=(
            "An adult may be forced to work, held against their will, not paid or moved "
            "somewhere to be exploited."
        ),
        model=ModernSlaveryCase,
        states=State,
        initial_state=State.CONCERN_RAISED,
        terminal_states=(State.CLOSED, State.WITHDRAWN),
        intake_fields=INTAKE_FIELDS,
        urgency_field="immediate_risk",
        intake_check=check_intake,
        pages=intake_module.PAGES,
        required_one_of=(intake_module.DATE_OF_BIRTH_OR_AGE,),
        effects={"submit_duty_to_notify": create_dtn_notification},
        deadline_rules=DEADLINE_RULES,
    )
)


__all__ = [
    "EXPLOITATION_PERIODS",
    "NATIONALITIES",
    "AGE_BAND_RANGES",
    "CAPACITY_DECIDERS",
    "NO_NOTIFICATION_REASONS",
    "age_band_problem",
    "best_interests_decided",
    "may_refer_into_nrm",
    "AGE_BANDS",
    "CG_MET_BY",
    "CHILD_AGE",
    "COMPETENT_AUTHORITIES",
    "CONSENT_STATUSES",
    "DEADLINE_RULES",
    "DutyToNotifyNotification",
    "EXPLOITATION_TYPES",
    "INTAKE_FIELDS",
    "ModernSlaveryCase",
    "RG_MET_BY",
    "State",
    "UK_REGIONS",
    "WORKFLOW",
    "check_intake",
    "create_dtn_notification",
    "subject_age",
    "subject_is_adult",
    "subject_is_child",
]
