"""Cuckooing (RULES.md §2): the closure powers (ASBCPA 2014 ss76-84), notice, order, appeal."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import models
from django.utils import timezone

from casework.dates import datetime_words
from casework.models import Case
from workflows import calendar, clocks
from workflows.cuckooing.checks import _refuse
from workflows.cuckooing.states import OPEN_STATES, ClosureState
from workflows.definitions import (
    Effect,
    Field,
    FieldType,
    SubProcess,
)
from workflows.models import Deadline, DeadlineStatus
from workflows.registry import get_workflow

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


MAX_ORDER_MONTHS, MAX_TOTAL_ORDER_MONTHS, MAX_ADJOURNMENT_DAYS = 3, 6, 14


RUNNING = (DeadlineStatus.OPEN, DeadlineStatus.PAUSED)


ORDER_CLOCKS = ("closure_order", "closure_order_extended")


NOTICE_CLOCKS = ("closure_notice_24h", "closure_notice_48h", "closure_notice_extended")


CLOSURE_POWERS = SubProcess(
    name="closure_powers",
    label="Closure powers",
    field="closure_state",
    states=ClosureState,
    initial_state=ClosureState.NONE,
    runs_in=OPEN_STATES,
    description=(
        "The Anti-social Behaviour, Crime and Policing Act 2014 closure notice and order, used by "
        "the police or the council beside the safeguarding route, from any open state: a "
        "notice served at the first visit starts its clocks at once."
    ),
)


APPEAL_CLOCKS = ("appeal_against_order", "appeal_against_refusal")


def _running(case: Case, *rules: str) -> models.QuerySet[Deadline]:
    return Deadline.objects.filter(case=case, rule__in=rules, status__in=RUNNING)


def _notice_24h(case: Case) -> Deadline | None:
    """The 24-hour notice's clock, running or run out, unless it was extended (which
    cancels it), cancelled, or met by the court's decision."""
    return (
        Deadline.objects.filter(
            case=case,
            rule="closure_notice_24h",
            status__in=(*RUNNING, DeadlineStatus.ENDED),
        )
        .order_by("-started_at")
        .first()
    )


def notice_extendable(case: Case) -> bool:
    """s77: only a 24-hour notice, once (RULES.md §2.4): a 48-hour notice has no 24-hour
    clock, and extending cancels it. The extension must be made before the notice
    expires, but may be recorded after (issue 15): ``notice_extended`` checks the time
    it was made."""
    return _notice_24h(case) is not None


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
            "interest in the premises?",
        ),
        Field("consulted", FieldType.TEXT, "Who was consulted", required=False),
    ]


def _restart_clock(
    case: Case, name: str, *, start: datetime, now: datetime, actor: Any, duration: int = 0
) -> None:
    """Open clock ``name`` from ``start`` (replacing a running one); ``duration`` may shorten
    it, e.g. to the months the court ordered, since the rule's duration is the maximum."""
    workflow = get_workflow(case.case_type)
    rule = workflow.rule(name)
    if duration:
        rule = dataclasses.replace(rule, duration=duration)
    clocks.deadlines_cancel(case=case, at=now, rule_names=[name])
    clocks.deadline_open(case=case, workflow=workflow, rule=rule, at=start, actor=actor)


def notice_issued(notice_clock: str, hearing_clock: str) -> Effect:
    """The effect of issuing a notice: its expiry runs from issue, the hearing clock from
    service (s77, s80(3)); it must have been issued and served already, after s76(6)."""

    def effect(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
        # Neither may be in the future: the transition service checks every event date
        # (``workflows.services.check_event_dates``) before the step is taken.
        issued = clocks.event_time(data["issued_at"])
        served = clocks.event_time(data["served_at"])
        errors = {}
        if not data.get("occupiers_informed"):
            errors["occupiers_informed"] = [
                "Reasonable efforts to inform residents and those with an interest must be "
                "made before a notice is issued."
            ]
        if served < issued:
            errors["served_at"] = ["A notice cannot be served before it is issued."]
        _refuse(errors)
        _restart_clock(case, notice_clock, start=issued, now=at, actor=actor)
        _restart_clock(case, hearing_clock, start=served, now=at, actor=actor)

    return effect


def notice_extended(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """s77: the extended notice expires 48 hours (less Christmas Day) after its issue.
    It counts from the time the extension was made, which must be before the 24 hours
    ran out; it may be recorded later (issue 15)."""
    notice = _notice_24h(case)
    extended = clocks.event_time(data["extended_at"])  # not in the future: checked already
    if extended < notice.started_at:
        _refuse({"extended_at": ["Enter when the notice was extended, after its issue."]})
    if extended > notice.due_at:
        _refuse(
            {
                "extended_at": [
                    f"The notice expired on {datetime_words(notice.due_at)}. It can be "
                    "extended only before it expires (the Anti-social Behaviour, Crime and "
                    "Policing Act 2014, section 77)."
                ]
            }
        )
    _restart_clock(case, "closure_notice_extended", start=notice.started_at, now=at, actor=actor)


def hearing_adjourned(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """s81(3): an adjournment of not more than 14 days; each adjournment restarts the clock."""
    adjourned_on = date.fromisoformat(data["adjourned_on"])
    adjourned_to = date.fromisoformat(data["adjourned_to"])
    errors = notice_continuation_problems(data, "adjourned_on")
    if not adjourned_on <= adjourned_to <= adjourned_on + timedelta(days=MAX_ADJOURNMENT_DAYS):
        errors["adjourned_to"] = ["A hearing can be adjourned for at most 14 days."]
    _refuse(errors)
    start = _start_of(adjourned_on)
    _restart_clock(case, "hearing_adjournment", start=start, now=at, actor=actor)


def order_made(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """s80(6), s84: the order runs for the months ordered; the appeal window opens."""
    start = _start_of(date.fromisoformat(data["order_made_on"]))
    months = data["order_months"]
    _restart_clock(case, "closure_order", start=start, now=at, actor=actor, duration=months)
    _restart_clock(case, "appeal_against_order", start=start, now=at, actor=actor)


def order_refused(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """s84: the police or the council may appeal a refusal within 21 days; s81(2): the
    court may continue the notice for up to 48 hours."""
    _refuse(notice_continuation_problems(data, "order_refused_on"))
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
    if ordered_on > _local_date(current.due_at):  # the future: checked already
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
    if not in_time:  # a date in the future is refused before (check_event_dates)
        _refuse({"appeal_lodged_on": ["Enter a date within the 21 days of the decision."]})


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
    "The premises are closed by the notice; the court must hear the application "
    "for a closure order before the notice ends, or it lapses"
)


ORDER_EFFECT = (
    "The premises are closed by the order; before it ends the council may apply to extend "
    "it, to at most 6 months in all"
)


TASK_COURT = "The council must have the application heard in time, or the closure lapses"


# --- The order's lifecycle beside the case's reviews (issue 15) ----------------------

APPEAL_OUTCOMES = (
    ("upheld", "Decision upheld (appeal dismissed)"),
    ("varied", "Order varied"),
)
DISCHARGE_APPLICANTS = APPELLANTS  # s83(1): the same people as may appeal


def order_in_force(case: Case) -> bool:
    """A closure order (or its extension) has not yet run out."""
    return _running(case, *ORDER_CLOCKS).filter(due_at__gt=timezone.now()).exists()


def notice_in_force(case: Case) -> bool:
    """A closure notice still closes the premises: its period has not run out, an
    application for an order is before the court (s80), or the court continued the
    notice (s81(2)) to a time still to come."""
    stage = CLOSURE_POWERS.state_of(case)
    now = timezone.now()
    if stage == ClosureState.ORDER_HEARING:
        return True
    if stage == ClosureState.NOTICE_ISSUED:
        return _running(case, *NOTICE_CLOCKS).filter(due_at__gt=now).exists()
    continued = case.details.get("notice_continued_until")
    return bool(continued) and clocks.event_time(continued) > now


def closure_in_force(case: Case) -> bool:
    """A closure notice or order is in force on the case's premises."""
    return notice_in_force(case) or (
        CLOSURE_POWERS.state_of(case) == ClosureState.ORDER_IN_FORCE and order_in_force(case)
    )


def may_issue_notice(case: Case) -> bool:
    return not closure_in_force(case)


may_issue_notice.guard_message = (  # type: ignore[attr-defined]
    "A closure notice or order is already in force on these premises: record how it "
    "ended before issuing another notice (the Anti-social Behaviour, Crime and Policing Act "
    "2014, sections 76 to 84)."
)


def may_close_case(case: Case) -> bool:
    """Closing the case needs no closure notice or order in force (issue 15)."""
    return not closure_in_force(case)


may_close_case.guard_message = (  # type: ignore[attr-defined]
    "A closure notice or order is in force on these premises: the case cannot be closed "
    "until it ends (cancelled, refused, discharged, quashed or run out; the Anti-social "
    "Behaviour, Crime and Policing Act 2014, sections 76 to 84)."
)


def appeal_awaiting_outcome(case: Case) -> bool:
    """An appeal was recorded and its outcome has not been (s84)."""
    lodged = case.details.get("appeal_lodged_on")
    return bool(lodged) and case.details.get("appeal_outcome_of") != lodged


def appeal_decided(*, case: Case, actor: Any, data: dict, at: datetime) -> None:
    """The Crown Court varied the order: its new length, if changed, runs from the order
    (at most 6 months in total, s82, s84)."""
    months = data.get("order_months_after_appeal")
    if data["appeal_outcome"] == "varied" and months:
        if not case.details.get("order_made_on"):
            _refuse({"order_months_after_appeal": ["There is no order whose length changes."]})
        start = _start_of(date.fromisoformat(case.details["order_made_on"]))
        _restart_clock(case, "closure_order", start=start, now=at, actor=actor, duration=months)
        clocks.deadlines_cancel(case=case, at=at, rule_names=["closure_order_extended"])


def notice_continuation_problems(data: dict, day_field: str) -> dict[str, list[str]]:
    """s81(2): the court may continue the notice for at most 48 hours more."""
    until = data.get("notice_continued_until")
    if not until:
        return {}
    heard = datetime.fromisoformat(data["hearing_at"]) if data.get("hearing_at") else None
    base = heard or _start_of(date.fromisoformat(data[day_field]))
    if not base <= datetime.fromisoformat(until) <= base + timedelta(hours=48):
        return {
            "notice_continued_until": ["The court can continue the notice for at most 48 hours."]
        }
    return {}
