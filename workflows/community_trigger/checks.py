"""Community Trigger (RULES.md §5): guards of its steps and effects run after them."""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone

from casework.models import Case
from workflows.community_trigger.clocks import APPEAL_WINDOW_RULES
from workflows.community_trigger.states import (
    DEFAULT_THRESHOLD,
    NOT_UPHELD,
    ON_BEHALF_BASES,
    RE_REVIEW,
    Outcome,
)


def threshold_number() -> int:
    """How many qualifying complaints meet the threshold automatically.

    s104(4): three, or a lower number if the local procedure says so; a deployment sets
    ``SAFECASE_COMMUNITY_TRIGGER_THRESHOLD``. More than three would break s104(4).
    """
    number = getattr(settings, "SAFECASE_COMMUNITY_TRIGGER_THRESHOLD", DEFAULT_THRESHOLD)
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 3:
        raise ImproperlyConfigured(
            "SAFECASE_COMMUNITY_TRIGGER_THRESHOLD must be a whole number from 1 to 3 "
            f"(the Anti-social Behaviour, Crime and Policing Act 2014, section 104(4) allows "
            f"only a lower number than three), not {number!r}."
        )
    return number


def add_calendar_months(day: date, months: int) -> date:
    """The same date ``months`` calendar months on, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def period_end(start: date, months: int) -> date:
    """The last day of the period of ``months`` calendar months *beginning with* ``start``.

    "Beginning with" counts ``start`` itself, so the period ends the day before the
    corresponding date: the month beginning with 10 March ends on 9 April. Where that
    month has no corresponding date (the month beginning with 31 January), the period
    runs to the end of the month (28 or 29 February), the reading that favours the
    applicant. [U: RULES.md §0.3 notes the semantics vary by provision.]
    """
    corresponding = add_calendar_months(start, months)
    if corresponding.day != start.day:
        return corresponding
    return corresponding - timedelta(days=1)


def _as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def is_qualifying_complaint(incident: dict[str, Any], application_date: date) -> bool:
    """s104(11) (per the Explanatory Notes, RULES.md §5.1): a complaint qualifies when it
    was made within one month beginning with the date of the behaviour, and the
    application is made within six months beginning with the date of the complaint (so
    not before it). Both periods include their first day (see ``period_end``)."""
    behaviour = _as_date(incident.get("incident_date"))
    complaint = _as_date(incident.get("reported_on"))
    if behaviour is None or complaint is None:
        return False
    made_in_time = behaviour <= complaint <= period_end(behaviour, 1)
    applied_in_time = complaint <= application_date <= period_end(complaint, 6)
    return made_in_time and applied_in_time


def qualifying_complaints(
    incidents: Iterable[dict[str, Any]], application_date: date
) -> list[dict[str, Any]]:
    """The incidents that are qualifying complaints for an application on that date.

    Each incident record is one complaint (a report to one agency or officer); the same
    behaviour reported to two bodies is two complaints, as s104(4) counts complaints.
    """
    return [i for i in incidents if is_qualifying_complaint(i, application_date)]


def application_date(case: Case) -> date:
    """The date the application was received: as recorded at intake, else the day the
    case was raised (local time)."""
    return application_date_from(case.details, case.raised_at)


def application_date_from(details: dict[str, Any], raised_at: Any) -> date:
    """``application_date`` from a case's details and the time it was raised (for code
    that holds the values, not the case: the figures' facts)."""
    recorded = _as_date(details.get("application_received_on"))
    return recorded or timezone.localtime(raised_at).date()


def threshold_met_automatically(case: Case) -> bool:
    """s104(4): the threshold *must* be treated as met when the case's complaints include
    at least ``threshold_number()`` qualifying complaints."""
    incidents = case.details.get("incidents", [])
    return len(qualifying_complaints(incidents, application_date(case))) >= threshold_number()


def threshold_not_met_automatically(case: Case) -> bool:
    return not threshold_met_automatically(case)


# --- Guards -----------------------------------------------------------------------------


def applies_on_behalf(case: Case) -> bool:
    return case.details.get("application_basis") in ON_BEHALF_BASES


def consent_in_place(case: Case) -> bool:
    """RULES.md §5.2: someone applying for another needs that person's consent."""
    return not applies_on_behalf(case) or bool(case.details.get("victim_consent"))


def consent_missing(case: Case) -> bool:
    return not consent_in_place(case)


# Closures after which the applicant may still ask for an escalation (RULES.md §5.3).
ESCALATABLE_OUTCOMES = (
    Outcome.THRESHOLD_NOT_MET,
    Outcome.REVIEWED_NO_RECOMMENDATIONS,
    Outcome.REVIEWED_WITH_RECOMMENDATIONS,
)


def closed_with_an_escalatable_outcome(case: Case) -> bool:
    """The case closed on a threshold decision or a review, which the applicant may ask
    to have escalated, and not on a withdrawal or an invalid application."""
    return case.outcome_code in ESCALATABLE_OUTCOMES


def escalation_upheld(case: Case) -> bool:
    return case.details.get("escalation_decision") == RE_REVIEW


def not_upheld_after_review(case: Case) -> bool:
    """Not upheld, and a review was held: its action plan stands."""
    return case.details.get("escalation_decision") == NOT_UPHELD and bool(
        case.details.get("review_held")
    )


def not_upheld_without_review(case: Case) -> bool:
    """Not upheld, and no review was ever held: the not-met decision stands."""
    return case.details.get("escalation_decision") == NOT_UPHELD and not case.details.get(
        "review_held"
    )


def recommendations_made(case: Case) -> bool:
    return bool(case.details.get("recommendations_made"))


def no_recommendations_made(case: Case) -> bool:
    return not recommendations_made(case)


def escalation_window_open(case: Case, data: dict) -> None:
    """The applicant's right to ask for an escalation survives closure (RULES.md §5.3):
    while their window (a period) is open, the case closes only if they have said they
    will not escalate. Raises ValidationError on the waiver field; writes nothing."""
    from workflows.models import Deadline, DeadlineStatus

    window = (
        Deadline.objects.filter(
            case=case,
            rule__in=APPEAL_WINDOW_RULES,
            status=DeadlineStatus.OPEN,
            due_at__gt=timezone.now(),
        )
        .order_by("-due_at")
        .first()
    )
    if window is not None and not data.get("applicant_waived_escalation"):
        until = timezone.localtime(window.due_at)
        raise ValidationError(
            {
                "applicant_waived_escalation": [
                    f"The applicant may ask for an escalation until {until:%-d %B %Y}: close "
                    "the case after that, or record that they have said they will not."
                ]
            }
        )
