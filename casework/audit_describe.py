"""Every audit event in words, for the auditor's workspace, its CSV and the chronology.

An event is described as a list of ``Line``s, each a label and a value a reviewer can
read: people, teams and partners by name (the name kept in the event when it was
recorded, else today's), states, steps, clocks, gateways and fields by their labels,
dates and times in the GOV.UK style ("3 December 2026 at 11:59pm"), and a step's
inputs as a labelled list. A field, status or code this release does not know (one a
newer workflow added) is still shown in words, never as its code.

casework knows no case type or referral (DESIGN.md: dependencies point one way), so
labels come from the labellers registered with ``casework.audit`` and field
declarations from the field finders registered here (``audit_fields_register``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.utils.dateparse import parse_date, parse_datetime

from casework.audit import (
    NAME_KEYS,
    AuditVerb,
    audit_label,
    audit_names_lookup,
    user_display_name,
    verb_label,
)
from casework.dates import datetime_words, day_words
from casework.links import case_timeline_url
from casework.models import AuditEvent, CasePersonRole, Gender, Person, Premises, Team

MAX_VALUE_LENGTH = 300
BLANK = "Not given"
User = get_user_model()

# A field declaration as the workflows and referrals apps give it: anything with a
# ``label``, a ``type`` ("boolean", "date", "choice", ...), ``choices`` and, for
# records, sub-``fields``. ``FieldFinder(case_type, step, name)`` finds one.
FieldFinder = Callable[[str, str, str], Any]
_FIELD_FINDERS: list[FieldFinder] = []


def audit_fields_register(finder: FieldFinder) -> FieldFinder:
    """Add a field finder (idempotent)."""
    if finder not in _FIELD_FINDERS:
        _FIELD_FINDERS.append(finder)
    return finder


def field_for(case_type: str, step: str, name: str) -> Any:
    """The declaration of input ``name`` of ``step`` ("raise" for intake), or None."""
    for finder in _FIELD_FINDERS:
        try:
            found = finder(case_type, step, name)
        except (KeyError, LookupError, ValueError):
            found = None
        if found is not None:
            return found
    return None


@dataclasses.dataclass(frozen=True)
class Line:
    label: str
    value: str

    def __str__(self) -> str:
        return f"{self.label}: {self.value}" if self.label else self.value


# Words ------------------------------------------------------------------------------------

_CODE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def humanise(code: str) -> str:
    """A code in words: "concern_raised" -> "Concern raised"."""
    text = re.sub(r"[_.]+", " ", str(code)).strip()
    return text[:1].upper() + text[1:]


def _clip(text: str) -> str:
    return text if len(text) <= MAX_VALUE_LENGTH else text[: MAX_VALUE_LENGTH - 1] + "…"


def words(value: Any, field: Any = None) -> str:
    """Any recorded value in words, using its field's type and choices where known."""
    if value in (None, "", [], {}):
        return BLANK
    kind = str(getattr(field, "type", "") or "")
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if kind in ("choice", "multichoice"):
        labels = dict(getattr(field, "choices", ()) or ())
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(str(labels.get(v) or words(v)) for v in chosen)
    if kind == "records" and isinstance(value, list):
        subfields = {f.name: f for f in getattr(field, "fields", ())}
        return "; ".join(_record_words(item, subfields) for item in value)
    if isinstance(value, datetime):
        return datetime_words(value)
    if isinstance(value, date):
        return day_words(value)
    if isinstance(value, dict):
        return _record_words(value, {})
    if isinstance(value, list | tuple):
        return ", ".join(words(v) for v in value)
    if isinstance(value, str):
        return _clip(_string_words(value))
    return str(value)


def _string_words(text: str) -> str:
    if _ISO_DATETIME.match(text):
        parsed = parse_datetime(text)
        if parsed is not None:
            return datetime_words(parsed)
    if _ISO_DATE.match(text):
        parsed_date = parse_date(text)
        if parsed_date is not None:
            return day_words(parsed_date)
    if _CODE.match(text):
        return humanise(text)
    return text


def _record_words(item: Any, subfields: Mapping[str, Any]) -> str:
    if not isinstance(item, dict):
        return words(item)
    parts = []
    for key, value in item.items():
        field = subfields.get(key)
        label = getattr(field, "label", None) or humanise(key)
        parts.append(f"{label}: {words(value, field)}")
    return ", ".join(parts)


# Names: recorded with the event (issue 20), else looked up now ------------------------------


class NameBook:
    """Names of the users, teams and people events refer to, looked up in one query per
    kind for a page of events; a name kept in the event wins (it is how they were named
    at the time), so only the ids an event does not name are looked up."""

    def __init__(self, events: Iterable[AuditEvent]):
        wanted: dict[str, set[int]] = {}
        for event in events:
            data = event.data if isinstance(event.data, dict) else {}
            parts = [data]
            if isinstance(data.get("inputs"), dict):
                parts.append(data["inputs"])
            for part in parts:
                for key, value in part.items():
                    kind = NAME_KEYS.get(key)
                    if kind:
                        recorded = (event.names or {}).get(kind) or {}
                        unnamed = {pk for pk in _ids(value) if str(pk) not in recorded}
                        wanted.setdefault(kind, set()).update(unnamed)
        self._known: dict[str, dict[int, str]] = {
            kind: _lookup(kind, ids) for kind, ids in wanted.items() if ids
        }

    def name(self, event: AuditEvent, kind: str, value: Any) -> str:
        recorded = (event.names or {}).get(kind) or {}
        names = []
        for pk in _ids(value):
            found = recorded.get(str(pk)) or self._known.get(kind, {}).get(pk)
            names.append(found or f"a {_KIND_WORDS.get(kind, 'record')} no longer held")
        return ", ".join(names) if names else BLANK


_KIND_WORDS = {"users": "user", "teams": "team", "people": "person", "partners": "partner"}


def _ids(value: Any) -> list[int]:
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, str) and value.isdigit():
        return [int(value)]
    if isinstance(value, list | tuple):
        return [i for v in value for i in _ids(v)]
    return []


def _lookup(kind: str, ids: set[int]) -> dict[int, str]:
    return audit_names_lookup(kind, ids)


def actor_name(event: AuditEvent) -> str:
    """Who did it, named as they were when it was recorded; "Safecase" for the system."""
    recorded = ((event.names or {}).get("users") or {}).get(str(event.actor_id))
    if recorded:
        return recorded
    if event.actor_id:
        return user_display_name(event.actor)
    return "No one signed in" if event.verb == AuditVerb.USER_SIGN_IN_FAILED else "Safecase"


# Describing one event -----------------------------------------------------------------------

KEY_LABELS = {
    "from_owner": "From",
    "to_owner": "To",
    "user": "Member of staff",
    "authorised_by": "Authorised by",
    "requested_by": "Asked for by",
    "approved": "Approved",
    "recipients": "Sent to",
    "team": "Team",
    "teams": "Teams",
    "person": "Person",
    "partner": "Partner",
    "reason": "Reason",
    "due_at": "Due",
    "previous_due_at": "Was due",
    "scheduled_for": "Scheduled for",
    "gateway": "Lawful gateway",
    "consent_given": "Consent given",
    "referral_type": "Referral",
    "state": "State",
    "decision": "Decision",
    "accepted": "Accepted",
    "outcome_on": "Outcome date",
    "format": "Format",
    "username": "Username tried",
    "count": "Results",
    "page": "Page",
    "reference": "Reference asked for",
    "route": "Asked for through",
    "exists": "Case exists",
    "role": "Role",
    "clearance": "Prevent clearance",
    "active": "Active",
    "email": "Email",
    "name": "Name",
    "area": "Area",
    "duty_lead_contact": "Duty lead contact",
    "duty_lead_name": "Duty lead's name",
    "duty_phone": "Duty phone number",
    "secure_email": "Secure mailbox",
    "contact_email": "Contact email",
    "duration": "Duration",
    # Issue 19: how a referral was sent, a partner's address, what a raiser added.
    "sent_by_email": "Emailed to the partner",
    "sent_to": "Sent to",
    "message_id": "Email message ID",
    "address": "Address",
    "notes": "How it takes referrals",
    "by_raiser": "Added by the person who raised it",
}
# Keys that are machinery, not what happened (hashes and ids of the event's own object).
_QUIET_KEYS = {"names", "sha256", "note", "attachment", "deadline", "inputs", "case_type"}


@dataclasses.dataclass
class Context:
    event: AuditEvent
    data: dict[str, Any]
    names: NameBook

    @property
    def case_type(self) -> str:
        if self.event.case_id is not None and self.event.case is not None:
            return self.event.case.case_type
        return str(self.data.get("case_type") or "")

    def label(self, kind: str, name: Any) -> str:
        return audit_label(self.case_type, kind, str(name or "")) if name else BLANK

    def name(self, kind: str, key: str) -> str:
        return self.names.name(self.event, kind, self.data.get(key))


# Values shown exactly as recorded: what someone typed or an address, never a code.
_VERBATIM_KEYS = {
    "username", "email", "name", "title", "reference", "path", "area", "duty_lead_contact",
    "duty_lead_name", "duty_phone", "secure_email", "contact_email", "phone", "source",
    "sent_to", "message_id", "address", "notes",
}  # fmt: skip
_FILTER_LABELS = {"reference": "Case reference", "user": "User", "action": "Action"}


def _key_line(ctx: Context, key: str, value: Any) -> Line:
    kind = NAME_KEYS.get(key) if _ids(value) else None
    label = KEY_LABELS.get(key) or humanise(key)
    if key in _VERBATIM_KEYS and isinstance(value, str):
        return Line(label, _clip(value) or BLANK)
    if key == "kind":
        return Line("Kind", ctx.label("partner_kind", value))
    if kind:
        return Line(label, ctx.names.name(ctx.event, kind, value))
    if key == "gateway":
        return Line(label, ctx.label("gateway", value))
    if key == "referral_type":
        return Line(label, ctx.label("referral_type", value))
    if key in ("state", "from", "to"):
        return Line(label, ctx.label("state", value))
    return Line(label, words(value))


def inputs_lines(ctx: Context, step: str, inputs: Any) -> list[Line]:
    """A step's inputs as a labelled list, in the order they were given."""
    if not isinstance(inputs, dict):
        return []
    lines = []
    case_type = ctx.case_type
    for name, value in inputs.items():
        field = field_for(case_type, step, name)
        label = getattr(field, "label", None) or KEY_LABELS.get(name) or humanise(name)
        kind = NAME_KEYS.get(name) if _ids(value) else None  # a typed-in "team" is text
        shown = ctx.names.name(ctx.event, kind, value) if kind else words(value, field)
        lines.append(Line(str(label), shown))
    return lines


def _generic(ctx: Context) -> list[Line]:
    return [_key_line(ctx, k, v) for k, v in ctx.data.items() if k not in _QUIET_KEYS]


def _raised(ctx: Context) -> list[Line]:
    lines = [
        Line("Type of concern", ctx.label("case_type", ctx.data.get("case_type"))),
        Line("State", ctx.label("state", ctx.data.get("state"))),
    ]
    return lines + inputs_lines(ctx, "raise", ctx.data.get("inputs"))


def _transitioned(ctx: Context) -> list[Line]:
    step = str(ctx.data.get("transition") or "")
    lines = [Line("Step", ctx.label("transition", step))]
    before, after = ctx.data.get("from"), ctx.data.get("to")
    if before != after:
        lines.append(Line("State", f"{ctx.label('state', before)} → {ctx.label('state', after)}"))
    return lines + inputs_lines(ctx, step, ctx.data.get("inputs"))


def _allocated(ctx: Context) -> list[Line]:
    before = ctx.name("users", "from_owner") if ctx.data.get("from_owner") else "no one"
    return [Line("", f"From {before} to {ctx.name('users', 'to_owner')}")]


def _access(ctx: Context) -> list[Line]:
    permission = {"view_case": "read the case"}.get(ctx.data.get("permission"), None)
    return [
        Line("Member of staff", ctx.name("users", "user")),
        Line("Permission", permission or words(ctx.data.get("permission"))),
    ]


def _clock(ctx: Context) -> list[Line]:
    lines = [Line("Clock", ctx.label("rule", ctx.data.get("rule")))]
    if ctx.data.get("stage"):
        lines.append(Line("Stage", ctx.label("reminder_stage", ctx.data["stage"])))
    for key in ("reason", "previous_due_at", "due_at", "scheduled_for"):
        if ctx.data.get(key):
            lines.append(_key_line(ctx, key, ctx.data[key]))
    if ctx.data.get("recipients"):
        lines.append(Line("Sent to", ctx.name("users", "recipients")))
    if ctx.data.get("remaining") is not None:
        lines.append(Line("Time left when paused", _remaining(ctx)))
    return lines


def _remaining(ctx: Context) -> str:
    """What was left of a paused clock: working or calendar days, else a duration."""
    remaining = float(ctx.data.get("remaining") or 0)
    unit = audit_label(ctx.case_type, "deadline_unit", ctx.event.object_id or "")
    if unit in ("working_days", "Working days"):
        days = int(remaining)
        return f"{days} working day{'s' if days != 1 else ''}"
    hours = remaining / 3600
    if hours >= 48:
        days = round(hours / 24, 1)
        return f"{days:g} days"
    return f"{round(hours, 1):g} hours"


def _filters(ctx: Context) -> list[Line]:
    filters = ctx.data.get("filters") or {}
    shown = "; ".join(
        f"{_FILTER_LABELS.get(k) or humanise(k)}: {_filter_words(k, v)}" for k, v in filters.items()
    )
    lines = [Line("Filters", shown or "none")]
    if ctx.data.get("count", 0) is not None:
        lines.append(Line("Results", str(ctx.data.get("count", 0))))
    return lines


def _filter_words(key: str, value: Any) -> str:
    if key == "action":
        return verb_label(str(value))
    if key in ("reference", "user", "q") and isinstance(value, str):
        return value
    return words(value)


def _viewed(ctx: Context) -> list[Line]:
    seen = "only that it was received" if ctx.data.get("limited") else "in full"
    via = {
        "page": "the case page",
        "history": "the case's full history",
        "form": "a form of the case",
        "referral": "a referral of the case",
        "audit": "the audit timeline",
        "api": "the API",
        "api-history": "the API (history)",
        "api-deadlines": "the API (deadlines)",
        "api-referral": "the API (referral)",
    }
    channel = via.get(ctx.data.get("via", "page")) or words(ctx.data.get("via"))
    lines = [Line("", f"Seen {seen}, on {channel}")]
    repeat = view_repeat_of(ctx.event)
    if repeat is not None and repeat.repeats:
        times = repeat.repeats + 1
        lines.append(Line("Viewed", f"{times} times, the last on {datetime_words(repeat.last_at)}"))
    return lines


def view_repeat_of(event: AuditEvent) -> Any:
    """The count of further looks kept on a view (None when there were none); loaded
    with the event where the page selected it."""
    try:
        return event.view_repeat
    except ObjectDoesNotExist:
        return None


def view_count(event: AuditEvent) -> int:
    """How many looks a view event stands for."""
    repeat = view_repeat_of(event)
    return 1 + (repeat.repeats if repeat is not None else 0)


_PERSON_FIELDS = {f.attname: f for f in Person._meta.concrete_fields}
_PREMISES_FIELDS = {f.attname: f for f in Premises._meta.concrete_fields}


def _model_field_words(fields: Mapping[str, Any], name: str, value: Any) -> str:
    field = fields.get(name)
    choices = dict(getattr(field, "choices", None) or ())
    if value in choices:
        return str(choices[value])
    return words(value)


def _edited(ctx: Context) -> list[Line]:
    before, after = ctx.data.get("before") or {}, ctx.data.get("after") or {}
    fields = _PERSON_FIELDS if ctx.event.verb == AuditVerb.PERSON_UPDATED else _PREMISES_FIELDS
    lines = []
    for key in after:
        field = fields.get(key)
        label = str(getattr(field, "verbose_name", "") or humanise(key))
        label = label[:1].upper() + label[1:]
        old = _model_field_words(fields, key, before.get(key))
        new = _model_field_words(fields, key, after.get(key))
        lines.append(Line(label, f"{old} → {new}"))
    if ctx.data.get("cases"):
        lines.append(Line("Cases", ", ".join(ctx.data["cases"])))
    return lines


def _person_linked(ctx: Context) -> list[Line]:
    role = ctx.data.get("role")
    role_words = dict(CasePersonRole.choices).get(role) or words(role)
    return [Line("Person", ctx.name("people", "person")), Line("As", str(role_words))]


def _referral(ctx: Context) -> list[Line]:
    referral_type = ctx.data.get("referral_type")
    lines = [Line("Referral", ctx.label("referral_type", referral_type))]
    if ctx.data.get("state"):
        lines.append(Line("Referral state", ctx.label("referral_state", ctx.data["state"])))
    if "partner" in ctx.data:
        lines.append(Line("Partner", ctx.name("partners", "partner")))
    if ctx.data.get("decision"):
        decision = f"{referral_type}.{ctx.data['decision']}"
        lines.append(Line("Decision", ctx.label("referral_decision", decision)))
    if ctx.data.get("case_transition"):
        lines.append(Line("Case step", ctx.label("transition", ctx.data["case_transition"])))
    if ctx.data.get("case_from") and ctx.data.get("case_from") != ctx.data.get("case_to"):
        states = f"{ctx.label('state', ctx.data['case_from'])} → "
        lines.append(Line("Case state", states + ctx.label("state", ctx.data.get("case_to"))))
    return lines + _referral_details(ctx, referral_type)


SPECIAL_CATEGORY_LINES = (
    ("special_category_shared", "Special-category data shared"),
    ("special_category_condition", "Special-category condition (UK GDPR Art 9)"),
    ("criminal_offence_data_shared", "Criminal offence data shared"),
    ("criminal_offence_condition", "Criminal offence data condition (UK GDPR Art 10)"),
)


def _referral_details(ctx: Context, referral_type: Any) -> list[Line]:
    lines = []
    if ctx.data.get("fields") is not None:
        changed = [
            str(
                getattr(field_for(ctx.case_type, f"referral:{referral_type}", f), "label", "")
                or humanise(f)
            )
            for f in ctx.data["fields"]
        ]
        lines.append(Line("Fields", "; ".join(changed) or "none"))
    if "consent_given" in ctx.data:
        lines.append(Line("Consent given", words(bool(ctx.data["consent_given"]))))
    if ctx.data.get("gateway"):
        lines.append(Line("Lawful gateway", ctx.label("gateway", ctx.data["gateway"])))
    for key, label in SPECIAL_CATEGORY_LINES:  # apart from the Art 6 basis (issue 15)
        if ctx.data.get(key):
            lines.append(Line(label, ctx.label(key, ctx.data[key])))
    if ctx.data.get("authorised_by"):
        lines.append(Line("Authorised by", ctx.name("users", "authorised_by")))
    if ctx.data.get("format"):
        formats = {"pdf": "PDF download", "print": "Printed", "html": "Printed"}
        lines.append(Line("Format", formats.get(ctx.data["format"]) or words(ctx.data["format"])))
    for key in ("due_at", "outcome_on", "lawful_basis_changed"):
        if ctx.data.get(key) not in (None, ""):
            label = "Lawful basis changed" if key == "lawful_basis_changed" else None
            line = _key_line(ctx, key, ctx.data[key])
            lines.append(Line(label or line.label, line.value))
    step = f"referral:{referral_type}"
    return lines + inputs_lines(ctx, step, ctx.data.get("inputs"))


def _note(ctx: Context) -> list[Line]:
    length = int(ctx.data.get("length") or 0)
    return [
        Line("Length", f"{length:,} character{'s' if length != 1 else ''}"),
        Line("Fingerprint (SHA-256)", str(ctx.data.get("sha256", ""))),
    ]


def _attachment(ctx: Context) -> list[Line]:
    lines = [Line("File", str(ctx.data.get("name") or BLANK))]
    if ctx.data.get("content_type"):
        lines.append(Line("Type", str(ctx.data["content_type"])))
    if ctx.data.get("size"):
        lines.append(Line("Size", _size_words(int(ctx.data["size"]))))
    lines.append(Line("Fingerprint (SHA-256)", str(ctx.data.get("sha256", ""))))
    return lines


def _size_words(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def _denied(ctx: Context) -> list[Line]:
    routes = {
        "page": "the case page",
        "api": "the API",
        "history": "the case history",
        "referral": "a referral",
        "attachment": "an attachment",
        "audit": "the audit timeline",
    }
    route = ctx.data.get("route")
    return [
        Line("Reference asked for", str(ctx.data.get("reference") or BLANK)),
        Line("Asked for through", routes.get(route) or words(route)),
        Line("Address", str(ctx.data.get("path") or BLANK)),
        Line("Such a record exists", words(bool(ctx.data.get("exists")))),
    ]


def _chronology(ctx: Context) -> list[Line]:
    lines = [Line("Of", str(ctx.data.get("subject") or BLANK))]
    lines.append(Line("Format", str(ctx.data.get("format") or "").upper() or "Screen"))
    if ctx.data.get("cases"):
        lines.append(Line("Cases", ", ".join(ctx.data["cases"])))
    lines.append(Line("Entries", str(ctx.data.get("count", 0))))
    return lines


def _staff(ctx: Context) -> list[Line]:
    lines = [Line("Member of staff", ctx.name("users", "user"))]
    for key in ("role", "clearance", "teams", "active", "email", "name", "approved"):
        if key not in ctx.data:
            continue
        value = ctx.data[key]
        if isinstance(value, dict) and {"before", "after"} <= set(value):
            lines.append(
                Line(
                    KEY_LABELS[key],
                    f"{_staff_words(ctx, key, value['before'])} → "
                    f"{_staff_words(ctx, key, value['after'])}",
                )
            )
        else:
            lines.append(Line(KEY_LABELS[key], _staff_words(ctx, key, value)))
    if ctx.data.get("requested_by"):
        lines.append(Line("Asked for by", ctx.name("users", "requested_by")))
    if ctx.data.get("reason"):
        lines.append(Line("Reason", str(ctx.data["reason"])))
    return lines


def _sign_in_security(ctx: Context) -> list[Line]:
    """API tokens and two-factor sign-in (issue 17): whose, which token, why."""
    lines = [Line("Member of staff", ctx.name("users", "user"))] if "user" in ctx.data else []
    if ctx.data.get("name"):
        lines.append(Line("Token", f"{ctx.data['name']} ({ctx.data.get('prefix', '')}…)"))
    if ctx.data.get("username"):
        lines.append(Line("Username tried", str(ctx.data["username"])))
    if ctx.data.get("recovery_codes_left") is not None:
        lines.append(Line("Recovery codes left", words(ctx.data["recovery_codes_left"])))
    if ctx.data.get("reason"):
        lines.append(Line("Reason", str(ctx.data["reason"])))
    return lines


def _staff_words(ctx: Context, key: str, value: Any) -> str:
    if key == "teams":
        return ctx.names.name(ctx.event, "teams", value) if value else "none"
    if key == "role":
        return ctx.label("role", value) if value else "none"
    return words(value)


_FLAG_LABELS = {"superuser": "Superuser", "staff": "Staff (Django admin)", "active": "Active"}


def _role_change(ctx: Context) -> list[Line]:
    """A change of groups, permissions, flags or password by any path (casework.role_audit)."""
    lines = []
    if "group" in ctx.data:
        lines.append(Line("Group", str(ctx.data["group"])))
    else:
        lines.append(Line("Member of staff", ctx.name("users", "user")))
    for key, label in (("added", "Given"), ("removed", "Taken away")):
        if ctx.data.get(key):
            lines.append(Line(label, ", ".join(str(v) for v in ctx.data[key])))
    for flag, label in _FLAG_LABELS.items():
        value = ctx.data.get(flag)
        if isinstance(value, dict):
            lines.append(Line(label, f"{words(value.get('before'))} → {words(value.get('after'))}"))
    if "usable" in ctx.data:
        lines.append(Line("Can sign in with it", words(bool(ctx.data["usable"]))))
    if ctx.data.get("via"):
        lines.append(Line("Changed through", str(ctx.data["via"])))
    return lines


def _reference_data(ctx: Context) -> list[Line]:
    lines = []
    for key, value in ctx.data.items():
        if key in _QUIET_KEYS:
            continue
        if isinstance(value, dict) and {"before", "after"} <= set(value):
            before, after = words(value["before"]), words(value["after"])
            lines.append(Line(KEY_LABELS.get(key) or humanise(key), f"{before} → {after}"))
        elif key == "rule":
            lines.append(Line("Timescale", ctx.label("rule", value)))
        elif key == "case_type":
            lines.append(Line("Type of case", ctx.label("case_type", value)))
        elif key == "unit":
            lines.append(Line("Unit", ctx.label("unit", value)))
        else:
            lines.append(_key_line(ctx, key, value))
    return lines


_DESCRIBERS: dict[str, Callable[[Context], list[Line]]] = {
    AuditVerb.CASE_RAISED: _raised,
    AuditVerb.CASE_TRANSITIONED: _transitioned,
    AuditVerb.CASE_ALLOCATED: _allocated,
    AuditVerb.ACCESS_GRANTED: _access,
    AuditVerb.ACCESS_REVOKED: _access,
    AuditVerb.DEADLINE_PAUSED: _clock,
    AuditVerb.DEADLINE_RESUMED: _clock,
    AuditVerb.DEADLINE_REMINDED: _clock,
    AuditVerb.DEADLINE_ESCALATED: _clock,
    AuditVerb.CASES_LISTED: _filters,
    AuditVerb.AUDIT_SEARCHED: _filters,
    AuditVerb.AUDIT_EXPORTED: _filters,
    AuditVerb.CASE_VIEWED: _viewed,
    AuditVerb.PERSON_LINKED: _person_linked,
    AuditVerb.PERSON_UPDATED: _edited,
    AuditVerb.PREMISES_UPDATED: _edited,
    AuditVerb.NOTE_ADDED: _note,
    AuditVerb.ATTACHMENT_ADDED: _attachment,
    AuditVerb.ATTACHMENT_DOWNLOADED: _attachment,
    AuditVerb.ACCESS_DENIED: _denied,
    AuditVerb.CHRONOLOGY_PRODUCED: _chronology,
    AuditVerb.USER_SIGNED_IN: lambda ctx: [],
    AuditVerb.USER_SIGN_IN_FAILED: lambda ctx: [
        _key_line(ctx, "username", ctx.data.get("username"))
    ],
    AuditVerb.USER_SIGNED_OUT: lambda ctx: [],
    AuditVerb.PERSON_VIEWED: lambda ctx: [],
    **{
        verb: _staff
        for verb in (
            AuditVerb.STAFF_ADDED,
            AuditVerb.STAFF_CHANGED,
            AuditVerb.STAFF_DEACTIVATED,
            AuditVerb.STAFF_REACTIVATED,
            AuditVerb.STAFF_RESET_LINK_SENT,
            AuditVerb.STAFF_RESET_LINK_USED,
            AuditVerb.STAFF_UNLOCKED,
            AuditVerb.STAFF_APPROVAL_REQUESTED,
            AuditVerb.STAFF_APPROVAL_DECIDED,
        )
    },
    **{
        verb: _reference_data
        for verb in (
            AuditVerb.TEAM_SAVED,
            AuditVerb.PARTNER_SAVED,
            AuditVerb.BANK_HOLIDAY_ADDED,
            AuditVerb.BANK_HOLIDAY_REMOVED,
            AuditVerb.TIMESCALE_SET,
        )
    },
    **{verb: _referral for verb in AuditVerb if verb.value.startswith("referral.")},
    **{
        verb: _sign_in_security
        for verb in AuditVerb
        if verb.value.startswith(("api_token.", "two_factor."))
    },
    **{
        verb: _role_change
        for verb in (
            AuditVerb.USER_GROUPS_CHANGED,
            AuditVerb.USER_PERMISSIONS_CHANGED,
            AuditVerb.GROUP_PERMISSIONS_CHANGED,
            AuditVerb.USER_FLAGS_CHANGED,
            AuditVerb.USER_PASSWORD_CHANGED,
        )
    },
}


def _case_updated(ctx: Context) -> list[Line]:
    before, after = ctx.data.get("before") or {}, ctx.data.get("after") or {}
    return [Line(humanise(k), f"{words(before.get(k))} → {words(after.get(k))}") for k in after]


_DESCRIBERS[AuditVerb.CASE_UPDATED] = _case_updated


def describe(event: AuditEvent, names: NameBook | None = None) -> list[Line]:
    """What happened, in labelled lines; for a verb this release does not know (one a
    newer app added), its data in words."""
    data = event.data if isinstance(event.data, dict) else {"value": event.data}
    ctx = Context(event=event, data=data, names=names or NameBook([event]))
    describer = _DESCRIBERS.get(event.verb)
    if describer is not None:
        return describer(ctx)
    if isinstance(data.get("before"), dict) and isinstance(data.get("after"), dict):
        return _case_updated(ctx)
    return _generic(ctx) + inputs_lines(ctx, str(data.get("transition", "")), data.get("inputs"))


def describe_text(lines: Iterable[Line]) -> str:
    """The lines as one cell of text (the CSV's description column)."""
    return "\n".join(str(line) for line in lines)


@dataclasses.dataclass
class DescribedEvent:
    event: AuditEvent
    label: str
    actor: str
    lines: list[Line]
    when: str

    @property
    def timeline_url(self) -> str:
        """The timeline of the event's case, or "" (``casework.links``: not reversed per row)."""
        return case_timeline_url(self.event.case.reference) if self.event.case_id else ""


def describe_events(events: Iterable[AuditEvent]) -> list[DescribedEvent]:
    """Events in words, with names looked up once for all of them."""
    events = list(events)
    names = NameBook(events)
    return [
        DescribedEvent(
            event=event,
            label=verb_label(event.verb),
            actor=actor_name(event),
            lines=describe(event, names),
            when=datetime_words(event.at),
        )
        for event in events
    ]


# Row history (pghistory): columns in words ------------------------------------------------------


def column_label(model: Any, column: str) -> str:
    """A column's label: its field's verbose name ("owner_id" -> "Owner")."""
    for field in model._meta.concrete_fields:
        if field.attname == column:
            text = str(field.verbose_name)
            return text[:1].upper() + text[1:]
    return humanise(column)


def column_words(model: Any, column: str, value: Any, *, case_type: str = "") -> str:
    """A row-history value in words: names for people and teams, labels for states and
    choices, GOV.UK dates."""
    if value in (None, "", [], {}):
        return BLANK
    if column in ("owner_id", "raised_by_id", "author_id", "uploaded_by_id", "created_by_id"):
        user = User.objects.filter(pk=value).first()
        return user_display_name(user) if user else "a user no longer held"
    if column == "team_id":
        name = Team.objects.filter(pk=value).values_list("name", flat=True).first()
        return name or "a team no longer held"
    if column == "state":
        return audit_label(case_type, "state", str(value))
    if column == "case_type":
        return audit_label(case_type, "case_type", str(value))
    if column == "premises_id":
        return "the case's premises"
    if column == "gender":
        return str(dict(Gender.choices).get(value) or words(value))
    return words(value)
