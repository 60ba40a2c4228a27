"""Child exploitation: referral to children's social care through the MASH (RULES.md §3).

A concern that a child under 18 is being sexually exploited (DfE 2017 definition,
RULES.md §3.1) and/or criminally exploited (county lines, drug running: the kind is
recorded at intake, ``kinds``; the type's API id stays ``cse``, shared/API.md) is
referred to children's social care (CSC) through the Multi-Agency Safeguarding Hub,
after emergency action (999, police protection) where the child is in immediate danger
(§3.2). Within one working day CSC decides the response: no further action or advice,
early help, a child and family assessment under Children Act 1989 s17, or a strategy
discussion where significant harm is suspected. A strategy discussion can start a s47
enquiry, which can lead to an initial child protection conference (ICPC) within 15
working days, a child protection plan and review conferences (first within 3 months,
then at most 6 months apart) until the plan ends (Working Together to Safeguard Children
2023, statutory guidance; RULES.md §3.3).

CSC is the statutory lead. The council's community safety team refers and contributes,
so every CSC stage here is a partner milestone the council records and is reminded
about, not an action Safecase carries out (RULES.md §3.2 note); the labels say "Record
...".

Whenever the child returns from a missing episode, an independent return home interview
must be offered within 72 hours (statutory guidance on children who run away or go
missing, RULES.md §3.1, §3.3). Each return opens its own clock; each interview recorded
meets the oldest one still waiting.

A child who may have been trafficked (moved or harboured for exploitation, criminal
exploitation included) is referred into the National Referral Mechanism; a child needs
no consent (MSA 2015 s52, RULES.md §1.3): ``refer_into_nrm``.

Parents' consent to the referral is recorded with the reason when it was not sought
(§3.5: sharing without consent where seeking it would increase the risk to the child,
prejudice an investigation or cause undue delay).

Timescales: the MASH decision is a local default (Working Together as quoted by
partnerships, RULES.md §3.3); the assessment, conference, review and return home
interview timescales are national maxima from statutory guidance, so statutory here.
"""

from __future__ import annotations

from workflows.cse import intake as intake_module
from workflows.cse.checks import (
    assessment_in_progress,
    episodes_with_interview,
    episodes_with_return,
    not_in_immediate_danger,
    return_awaiting_interview,
    subject_age_now,
    subject_is_18_or_over,
    subject_person,
)
from workflows.cse.clocks import DEADLINE_RULES, ICPC_HELD, REVIEW_HELD, REVIEW_SOURCE
from workflows.cse.intake import (
    INTAKE_FIELDS,
    _age_errors,
    _name_errors,
    check_intake,
)
from workflows.cse.states import (
    AFTER_REFERRAL,
    CHILD_AGE,
    CP_CATEGORIES,
    EMERGENCY_ACTIONS,
    INDICATORS,
    INTERVIEW_OUTCOMES,
    MASH_DECISIONS,
    OPEN_STATES,
    OUTCOMES,
    PARENTAL_CONSENT,
    REFERRAL_METHODS,
    RISK_LEVELS,
    State,
)
from workflows.cse.steps import CLOSING_NOTE, CSECase, outcome_field
from workflows.definitions import Workflow
from workflows.registry import register

WORKFLOW = register(
    Workflow(
        case_type="cse",
        label="Child exploitation",
        description=(
            "Sexual or criminal exploitation of a child: the referral to children's social "
            "care through the multi-agency safeguarding hub (MASH), its decision, child "
            "protection enquiries, conferences and plans, return "
            "home interviews after the child goes missing, and a referral to the National "
            "Referral Mechanism (NRM) for a trafficked child."
        ),
        choose_when=(
            "A child (under 18) may be being sexually or criminally exploited, for example "
            "groomed, given gifts by older people or made to carry drugs."
        ),
        model=CSECase,
        states=State,
        initial_state=State.CONCERN_RAISED,
        terminal_states=(State.CLOSED,),
        intake_fields=INTAKE_FIELDS,
        urgency_field="immediate_danger",
        intake_check=check_intake,
        pages=intake_module.PAGES,
        required_one_of=(intake_module.DATE_OF_BIRTH_OR_AGE,),
        deadline_rules=DEADLINE_RULES,
    )
)


__all__ = [
    "AFTER_REFERRAL",
    "CHILD_AGE",
    "CLOSING_NOTE",
    "CP_CATEGORIES",
    "CSECase",
    "DEADLINE_RULES",
    "EMERGENCY_ACTIONS",
    "ICPC_HELD",
    "INDICATORS",
    "INTAKE_FIELDS",
    "INTERVIEW_OUTCOMES",
    "MASH_DECISIONS",
    "OPEN_STATES",
    "OUTCOMES",
    "PARENTAL_CONSENT",
    "REFERRAL_METHODS",
    "REVIEW_HELD",
    "REVIEW_SOURCE",
    "RISK_LEVELS",
    "State",
    "WORKFLOW",
    "_age_errors",
    "_name_errors",
    "assessment_in_progress",
    "check_intake",
    "episodes_with_interview",
    "episodes_with_return",
    "not_in_immediate_danger",
    "outcome_field",
    "return_awaiting_interview",
    "subject_age_now",
    "subject_is_18_or_over",
    "subject_person",
]
