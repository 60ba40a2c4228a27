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

from workflows.definitions import Workflow
from workflows.prevent import intake as intake_module
from workflows.prevent.checks import subject_age, subject_is_adult, subject_is_child
from workflows.prevent.clocks import (
    DEADLINE_RULES,
    GATEWAY_MET_BY,
    POST_EXIT_SOURCE,
    TASK_FOLLOW_UP,
    _reassessment,
    _support_plan_review,
)
from workflows.prevent.intake import INTAKE_FIELDS, check_intake
from workflows.prevent.states import (
    ADULT_AGE,
    AWARENESS,
    CHANNEL_REFERRERS,
    CLOSING_NOTE,
    CONSENT_PARTIES,
    EXIT_REASONS,
    GATEWAY_DATE,
    GATEWAY_SOURCES,
    ONWARD_REFERRALS,
    PARENTAL_RELATIONSHIPS,
    REASSESS_ON,
    State,
)
from workflows.prevent.steps import SUPPORT_PLAN_FIELDS, PreventCase
from workflows.registry import register

WORKFLOW = register(
    Workflow(
        case_type="prevent",
        label="Prevent",
        description=(
            "A Prevent referral to the police, their assessment, the Channel panel, support "
            "the person agrees to, and reviews after they leave it. These cases are "
            "need-to-know: only leads cleared for Prevent work on them; record only what "
            "is needed and the police reference."
        ),
        choose_when=(
            "Someone may be being drawn into terrorism or extremist views, for example "
            "sharing extremist material or talking about travelling to fight."
        ),
        model=PreventCase,
        states=State,
        initial_state=State.CONCERN_RAISED,
        terminal_states=(State.CLOSED,),
        intake_fields=INTAKE_FIELDS,
        urgency_field="immediate_risk",
        intake_check=check_intake,
        pages=intake_module.PAGES,
        required_one_of=(intake_module.DATE_OF_BIRTH_OR_AGE,),
        deadline_rules=DEADLINE_RULES,
    )
)


__all__ = [
    "ADULT_AGE",
    "AWARENESS",
    "CHANNEL_REFERRERS",
    "CLOSING_NOTE",
    "CONSENT_PARTIES",
    "DEADLINE_RULES",
    "EXIT_REASONS",
    "GATEWAY_DATE",
    "GATEWAY_MET_BY",
    "GATEWAY_SOURCES",
    "INTAKE_FIELDS",
    "ONWARD_REFERRALS",
    "PARENTAL_RELATIONSHIPS",
    "POST_EXIT_SOURCE",
    "PreventCase",
    "REASSESS_ON",
    "SUPPORT_PLAN_FIELDS",
    "State",
    "TASK_FOLLOW_UP",
    "WORKFLOW",
    "_reassessment",
    "_support_plan_review",
    "check_intake",
    "subject_age",
    "subject_is_adult",
    "subject_is_child",
]
