"""County lines cuckooing: a vulnerable adult's home taken over (RULES.md §2).

A concern is submitted to adult social care with the police told, and the children's
MASH too when children live at or visit the property (§2.3, §2.7). Triage applies the
Care Act 2014 s42(1) three-part test (§2.1): only when the adult has care and support
needs, is experiencing or at risk of abuse or neglect, and because of those needs cannot
protect themselves does the duty to make a s42 enquiry arise; otherwise a non-statutory
enquiry or no further action. s42 has no statutory timescale; the concern decision clock
is local practice (§2.5). A multi-agency risk meeting agrees a safety plan. The ASB Act
2014 closure powers (§2.4, all statutory) run beside this route, a sub-process the police
or council may start from any open state (``closure_order``): a closure notice of 24
hours, or 48 hours when a superintendent or the council's chief executive authorises it, a 24-hour
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

from workflows.cuckooing import intake as intake_module
from workflows.cuckooing.checks import (
    _refuse,
    check_closure,
    check_concern_submission,
    s42_test_met,
    s42_test_not_met,
)
from workflows.cuckooing.clocks import (
    DEADLINE_RULES,
    TRIAGE_OUTCOMES,
    _appeal_window,
    _hearing_task,
    _notice_period,
)
from workflows.cuckooing.closure_powers import (
    APPEAL_CLOCKS,
    APPEAL_SOURCE,
    APPELLANTS,
    APPLICANTS,
    CLOSURE_POWERS,
    DECIDED,
    HEARD,
    HEARING_SOURCE,
    ISSUERS,
    MAX_ADJOURNMENT_DAYS,
    MAX_ORDER_MONTHS,
    MAX_TOTAL_ORDER_MONTHS,
    NOTICE_EFFECT,
    NOTICE_SOURCE,
    ORDER_CLOCKS,
    ORDER_EFFECT,
    RUNNING,
    SENIOR_ISSUERS,
    TASK_COURT,
    _local_date,
    _restart_clock,
    _running,
    _start_of,
    appeal_decided,
    appeal_recorded,
    appeal_window_open,
    hearing_adjourned,
    notice_extendable,
    notice_extended,
    notice_fields,
    notice_issued,
    order_expiry,
    order_extendable,
    order_extended,
    order_made,
    order_refused,
)
from workflows.cuckooing.intake import INTAKE_FIELDS, check_intake
from workflows.cuckooing.states import (
    AGENCIES,
    INDICATORS,
    NFA_OUTCOME,
    OUTCOME_CODES,
    POSTCODE,
    REVIEW_OUTCOMES,
    RISK_LEVELS,
    S42_TEST,
    SAFETY_PLAN_ACTIONS,
    TENURES,
    VULNERABILITIES,
    State,
)
from workflows.cuckooing.steps import ENQUIRY_FIELDS, VIEWS_FIELD, CuckooingCase
from workflows.definitions import Workflow
from workflows.registry import register

WORKFLOW = register(
    Workflow(
        case_type="cuckooing",
        label="County lines cuckooing",
        description=(
            "A vulnerable adult's home taken over by others: adult safeguarding under the "
            "Care Act 2014, a multi-agency safety plan, and a closure notice and order for "
            "the property where needed."
        ),
        choose_when=(
            "A vulnerable adult's home may have been taken over by others, for example to "
            "deal drugs, with many visitors or new people staying."
        ),
        model=CuckooingCase,
        states=State,
        initial_state=State.CONCERN_RAISED,
        terminal_states=(State.CLOSED,),
        intake_fields=INTAKE_FIELDS,
        urgency_field="immediate_risk",
        intake_check=check_intake,
        pages=intake_module.PAGES,
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
            "record_appeal_outcome": appeal_decided,
            "close_case": check_closure,
        },
        deadline_rules=DEADLINE_RULES,
        sub_processes=(CLOSURE_POWERS,),
    )
)


__all__ = [
    "AGENCIES",
    "APPEAL_CLOCKS",
    "APPEAL_SOURCE",
    "APPELLANTS",
    "APPLICANTS",
    "CLOSURE_POWERS",
    "CuckooingCase",
    "DEADLINE_RULES",
    "DECIDED",
    "ENQUIRY_FIELDS",
    "HEARD",
    "HEARING_SOURCE",
    "INDICATORS",
    "INTAKE_FIELDS",
    "ISSUERS",
    "MAX_ADJOURNMENT_DAYS",
    "MAX_ORDER_MONTHS",
    "MAX_TOTAL_ORDER_MONTHS",
    "NFA_OUTCOME",
    "NOTICE_EFFECT",
    "NOTICE_SOURCE",
    "ORDER_CLOCKS",
    "ORDER_EFFECT",
    "OUTCOME_CODES",
    "POSTCODE",
    "REVIEW_OUTCOMES",
    "RISK_LEVELS",
    "RUNNING",
    "S42_TEST",
    "SAFETY_PLAN_ACTIONS",
    "SENIOR_ISSUERS",
    "State",
    "TASK_COURT",
    "TENURES",
    "TRIAGE_OUTCOMES",
    "VIEWS_FIELD",
    "VULNERABILITIES",
    "WORKFLOW",
    "_appeal_window",
    "_hearing_task",
    "_local_date",
    "_notice_period",
    "_refuse",
    "_restart_clock",
    "_running",
    "_start_of",
    "appeal_recorded",
    "appeal_window_open",
    "check_closure",
    "check_concern_submission",
    "check_intake",
    "hearing_adjourned",
    "notice_extendable",
    "notice_extended",
    "notice_fields",
    "notice_issued",
    "order_expiry",
    "order_extendable",
    "order_extended",
    "order_made",
    "order_refused",
    "s42_test_met",
    "s42_test_not_met",
]
