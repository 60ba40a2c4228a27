"""A referral in words, for its page, its print view and its PDF: one place decides what a
referral shows, so the three agree (and the anonymous Duty to Notify shows, in all three,
only its declared, non-identifying fields).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from casework import dates
from casework.models import Case
from referrals.checks import LAWFUL_BASIS_FIELDS, SPECIAL_CATEGORY_FIELDS
from referrals.models import Gateway, Referral
from referrals.types import ReferralTypeSpec, decision_fields
from workflows.clocks import paused_words
from workflows.definitions import Field, FieldType
from workflows.intake import answer_lines, field_message
from workflows.models import Deadline, DeadlineStatus

PARTNER = Field("partner", FieldType.CHOICE, "Partner agency")
_PERSON_ATTRS = (
    "given_names",
    "family_name",
    "aliases",
    "date_of_birth",
    "estimated_age",
    "gender",
    "address",
    "phone",
    "email",
)


@dataclasses.dataclass
class Row:
    label: str
    lines: list[str]
    key: str = ""


def user_name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def date_words(moment: date | datetime | None) -> str:
    return dates.date_words(moment)  # one format everywhere (casework.dates)


def datetime_words(moment: datetime | None) -> str:
    return dates.datetime_words(moment)


def partner_contact_rows(partner: Any) -> list[Row]:
    """Where a referral to ``partner`` goes, as held in the partner directory: its secure
    mailbox, or else its address, phone, contact email and how it takes referrals, for a
    lead who sends it by hand (issue 19)."""
    rows = []
    if partner.secure_email:
        rows.append(Row("Secure mailbox", [partner.secure_email], "secure_email"))
    if partner.address:
        rows.append(Row("Address", partner.address.splitlines(), "address"))
    if partner.phone:
        rows.append(Row("Phone", [partner.phone], "phone"))
    if partner.contact_email:
        rows.append(Row("Contact email", [partner.contact_email], "contact_email"))
    if partner.notes:
        rows.append(Row("How it takes referrals", partner.notes.splitlines(), "notes"))
    return rows


def sent_lines(referral: Referral) -> list[str]:
    """How and when the referral left, in words; nothing while it is a draft."""
    if referral.sent_at is None:
        return []
    when = datetime_words(referral.sent_at)
    who = user_name(referral.sent_by)
    by = f" by {who}" if who else ""
    if referral.sent_by_email:
        return [f"Emailed to {referral.sent_to} on {when}{by}"]
    return [f"Recorded as sent on {when}{by}"]


def value_lines(spec: Field, value: Any) -> list[str]:
    if value in (None, "", []):
        return ["Not given"]
    try:
        lines = answer_lines(spec, value)
    except (TypeError, ValueError, KeyError):
        return [str(value)]
    return [", ".join(lines)] if spec.type is FieldType.MULTICHOICE else lines


def field_rows(fields: Iterable[Field], values: Mapping[str, Any]) -> list[Row]:
    """One row per declared field, whether given or not: only declared fields are shown."""
    return [Row(f.label, value_lines(f, values.get(f.name)), f.name) for f in fields]


def content_rows(spec: ReferralTypeSpec, referral: Referral) -> list[Row]:
    return field_rows(spec.fields, referral.content)


def _special_category_rows(referral: Referral) -> list[Row]:
    """The Art 9 and Art 10 answers and conditions, in words (issue 15)."""
    rows = []
    for field in SPECIAL_CATEGORY_FIELDS:
        value = getattr(referral, field.name)
        if field.name.endswith("_condition") and not value:
            continue  # no data of that kind shared, or not answered
        words = dict(field.choices).get(value, "Not answered")
        rows.append(Row(field.label, [words]))
    return rows


def lawful_basis_rows(referral: Referral) -> list[Row]:
    gateway = Gateway(referral.gateway).label if referral.gateway else "None recorded"
    recorded = referral.consent_given or referral.gateway
    return [
        Row(LAWFUL_BASIS_FIELDS[0].label, ["Yes" if referral.consent_given else "No"]),
        Row(LAWFUL_BASIS_FIELDS[1].label, [gateway]),
        Row(LAWFUL_BASIS_FIELDS[2].label, [referral.lawful_basis_notes or "Not given"]),
        *_special_category_rows(referral),
        Row(
            "Authorised by",
            [
                f"{user_name(referral.authorised_by)}, {datetime_words(referral.authorised_at)}"
                if recorded and referral.authorised_by
                else "Not yet authorised"
            ],
        ),
    ]


def decision_rows(spec: ReferralTypeSpec, referral: Referral) -> list[Row]:
    if not referral.decision:
        return []
    try:
        decision = spec.decision(referral.decision)
    except KeyError:
        return [Row("Decision", [referral.decision])]
    rows = [Row("Decision", [decision.label])]
    details = referral.decision_details or {}
    rows += [
        Row(f.label, value_lines(f, details.get(f.name)))
        for f in decision_fields(spec, decision)
        if f.name in details
    ]
    return rows


def problem_links(
    fields: Sequence[Field], problems: Mapping[str, list[str]], url: str = ""
) -> list[tuple[str, str]]:
    """(link, message) for each problem, in the words of the page; links go to the field."""
    by_name = {f.name: f for f in (*fields, *LAWFUL_BASIS_FIELDS, PARTNER)}
    links = []
    for name, messages in problems.items():
        spec = by_name.get(name)
        for message in messages:
            text = field_message(spec, message) if spec else message
            if spec and text == message:
                text = f"{spec.label}: {message}"
            links.append((f"{url}#{name}", text))
    return links


@dataclasses.dataclass
class Clock:
    deadline: Deadline
    due: str
    status: str
    left: str
    overdue: bool
    basis: str = ""


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def clock(deadline: Deadline | None, now: datetime | None = None) -> Clock | None:
    """The partner's response clock: when it is due, its status and time left."""
    if deadline is None:
        return None
    now = now or timezone.now()
    hours = deadline.unit == "hours"
    due = datetime_words(deadline.due_at) if hours else date_words(deadline.due_at)
    # Overdue until answered or cancelled, whether or not the sweep marked it missed
    # (``Deadline.is_overdue``, the twin of ``overdue_q``).
    left, overdue = "", deadline.is_overdue(now)
    status = deadline.get_status_display()
    if overdue:
        left = "Overdue: the partner has not answered"
    elif deadline.status == DeadlineStatus.OPEN:
        if hours:
            remaining = math.ceil((deadline.due_at - now).total_seconds() / 3600)
            left = f"{_plural(remaining, 'hour')} left" if remaining > 0 else ""
        else:
            days = (timezone.localtime(deadline.due_at).date() - timezone.localdate(now)).days
            left = f"{_plural(days, 'day')} left" if days > 0 else "Due today" if days == 0 else ""
    elif deadline.met_at and deadline.met_late_by:
        status = "Answered late"
        left = f"Answered on {date_words(deadline.met_at)}, after it was due"
    elif deadline.met_at:
        left = f"Answered on {date_words(deadline.met_at)}"
    if overdue:
        status = "Overdue"
    if deadline.status == DeadlineStatus.PAUSED:  # no due date until it is resumed
        due = paused_words(deadline)
    unit = "hour" if hours else "working day"
    basis = f"{_plural(deadline.duration, unit)}: {deadline.source}"
    return Clock(deadline=deadline, due=due, status=status, left=left, overdue=overdue, basis=basis)


def prefill(case: Case, spec: ReferralTypeSpec, actor: Any) -> dict[str, Any]:
    """A new referral's content from what the case already holds, by field name: the
    intake's details, the linked people (``<role>_<attribute>``), the premises, and the
    lead as referrer. Only declared fields are filled, so an anonymous type gets nothing
    that identifies the person."""
    names = {f.name for f in spec.fields}
    draft: dict[str, Any] = {k: v for k, v in (case.details or {}).items() if k in names}
    for link in case.case_people.select_related("person").order_by("pk"):
        for attr in _PERSON_ATTRS:
            key, value = f"{link.role}_{attr}", getattr(link.person, attr)
            if key in names and value not in (None, "") and key not in draft:
                draft[key] = value.isoformat() if isinstance(value, date) else value
    if case.premises is not None:
        for attr in ("address", "postcode", "landlord"):
            key, value = f"premises_{attr}", getattr(case.premises, attr)
            if key in names and value:
                draft.setdefault(key, value)
    referrer = {
        "referrer_name": user_name(actor),
        "referrer_email": getattr(actor, "email", ""),
        "referrer_role": "Safeguarding lead",
    }
    draft.update({k: v for k, v in referrer.items() if k in names and v and k not in draft})
    return draft
