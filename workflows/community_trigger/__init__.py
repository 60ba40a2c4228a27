"""Community Trigger: the ASB case review (ASBCPA 2014 s104, Sched. 4; RULES.md §5).

Someone who has complained about anti-social behaviour, or someone acting for them with
their consent, applies for a case review; an anonymous application is not accepted
(RULES.md §5.2, §5.5). The council acknowledges it, passes it to the other relevant
bodies (s104(3)(b)) and gathers their complaint histories, then the relevant bodies
decide the threshold. s104(4) makes the threshold met *automatically* when at least
three qualifying complaints (or the lower number the local procedure sets) were made;
otherwise it is discretionary, on persistence, harm and the adequacy of the response
(s104(5)). If met, a review meeting agrees recommendations, the outcome goes to the
applicant and the action plan is monitored; a not-met decision or the outcome can be
escalated (appealed) under the local procedure, which Sched. 4 para 3 requires.

Every timescale here is local practice, since no national one was found (RULES.md §5.4),
so each deadline rule is ``statutory=False`` with RULES.md's suggested default and can be
overridden per deployment. The annual figures (RULES.md §5.6) come from the outcome codes
and the ``threshold_met`` and ``review_held`` flags kept in the case's details.
"""

from __future__ import annotations

from workflows.community_trigger import intake as intake_module
from workflows.community_trigger.checks import (
    _as_date,
    add_calendar_months,
    application_date,
    applies_on_behalf,
    consent_in_place,
    consent_missing,
    escalation_upheld,
    escalation_window_open,
    is_qualifying_complaint,
    no_recommendations_made,
    not_upheld_after_review,
    not_upheld_without_review,
    period_end,
    qualifying_complaints,
    recommendations_made,
    threshold_met_automatically,
    threshold_not_met_automatically,
    threshold_number,
)
from workflows.community_trigger.clocks import (
    APPEAL_WINDOW_RULES,
    APPEAL_WINDOW_STARTS,
    DEADLINE_RULES,
    ESCALATION_EFFECT,
    LOCAL,
    OWED,
    REVIEW_MEETING_STARTS,
    THRESHOLD_DECISIONS,
    _local_rule,
)
from workflows.community_trigger.intake import INTAKE_FIELDS, _incident_errors, check_intake
from workflows.community_trigger.states import (
    APPLICATION_BASES,
    CLOSING_FIELDS,
    CLOSING_WITH_WINDOW,
    CONTACT_METHODS,
    DEFAULT_THRESHOLD,
    DISCRETIONARY_GROUNDS,
    ESCALATION_DECISIONS,
    ESCALATION_REQUESTERS,
    ESCALATION_ROUTES,
    FOR_AFFECTED_PERSON,
    FOR_FIVE,
    INCIDENT_FIELDS,
    NOT_UPHELD,
    ON_BEHALF_BASES,
    ONE_OF_FIVE,
    RE_REVIEW,
    RELEVANT_BODIES,
    SELF,
    TENURES,
    WAIVER,
    Outcome,
    State,
)
from workflows.community_trigger.steps import CommunityTriggerCase
from workflows.definitions import Workflow
from workflows.registry import register

WORKFLOW = register(
    Workflow(
        case_type="community_trigger",
        label="Community Trigger (ASB case review)",
        description=(
            "A request for a case review of repeated anti-social behaviour, under the "
            "Anti-social Behaviour, Crime and Policing Act 2014: the application, the "
            "decision whether the threshold is met, the review meeting, the outcome, the "
            "action plan and any escalation."
        ),
        choose_when=(
            "Someone has asked for a case review (the Community Trigger) because reports "
            "of anti-social behaviour have not been dealt with."
        ),
        model=CommunityTriggerCase,
        states=State,
        initial_state=State.APPLICATION_RECEIVED,
        terminal_states=(State.CLOSED, State.WITHDRAWN),
        intake_fields=INTAKE_FIELDS,
        intake_check=check_intake,
        pages=intake_module.PAGES,
        reopened_by=("reopen_for_escalation",),
        deadline_rules=DEADLINE_RULES,
        intake_event_field="application_received_on",
    )
)


__all__ = [
    "APPEAL_WINDOW_RULES",
    "APPEAL_WINDOW_STARTS",
    "APPLICATION_BASES",
    "CLOSING_FIELDS",
    "CLOSING_WITH_WINDOW",
    "CONTACT_METHODS",
    "CommunityTriggerCase",
    "DEADLINE_RULES",
    "DEFAULT_THRESHOLD",
    "DISCRETIONARY_GROUNDS",
    "ESCALATION_DECISIONS",
    "ESCALATION_EFFECT",
    "ESCALATION_REQUESTERS",
    "ESCALATION_ROUTES",
    "FOR_AFFECTED_PERSON",
    "FOR_FIVE",
    "INCIDENT_FIELDS",
    "INTAKE_FIELDS",
    "LOCAL",
    "NOT_UPHELD",
    "ONE_OF_FIVE",
    "ON_BEHALF_BASES",
    "OWED",
    "Outcome",
    "RELEVANT_BODIES",
    "REVIEW_MEETING_STARTS",
    "RE_REVIEW",
    "SELF",
    "State",
    "TENURES",
    "THRESHOLD_DECISIONS",
    "WAIVER",
    "WORKFLOW",
    "_as_date",
    "_incident_errors",
    "_local_rule",
    "add_calendar_months",
    "application_date",
    "applies_on_behalf",
    "check_intake",
    "consent_in_place",
    "consent_missing",
    "escalation_upheld",
    "escalation_window_open",
    "is_qualifying_complaint",
    "no_recommendations_made",
    "not_upheld_after_review",
    "not_upheld_without_review",
    "period_end",
    "qualifying_complaints",
    "recommendations_made",
    "threshold_met_automatically",
    "threshold_not_met_automatically",
    "threshold_number",
]
