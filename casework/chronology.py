"""A case chronology for a review (issue 20): safeguarding adult reviews, child safeguarding
practice reviews and domestic homicide reviews ask for what happened, in date order.

For one case, or for a person across the cases the reader may see: what was done (the
concern raised, each step with its inputs, allocations, edits, referrals and the
partners' answers), the notes as written, attachments, and how each clock ended. Reads
(views, searches, exports) are left out: they are in the audit log. casework knows no
clock (DESIGN.md: dependencies point one way), so other apps add their entries through
``chronology_source_register``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from casework.audit import READ_VERBS, AuditVerb, audit_case_condition
from casework.audit_describe import Line, describe_events
from casework.dates import datetime_words
from casework.models import AuditEvent, Case, CaseNote, Person
from casework.selectors import person_cases_for_user


@dataclasses.dataclass
class Entry:
    at: datetime
    case: str
    kind: str
    title: str
    by: str
    lines: list[Line]

    @property
    def when(self) -> str:
        return datetime_words(self.at)

    @property
    def details(self) -> str:
        return "\n".join(str(line) for line in self.lines)


Source = Callable[[Sequence[Case]], list[Entry]]
_SOURCES: list[Source] = []


def chronology_source_register(source: Source) -> Source:
    """Add a source of entries (idempotent): ``fn(cases) -> [Entry]``."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


_KINDS = {
    AuditVerb.CASE_RAISED: "Concern",
    AuditVerb.CASE_TRANSITIONED: "Step",
    AuditVerb.NOTE_ADDED: "Note",
    AuditVerb.ATTACHMENT_ADDED: "Attachment",
}
_LEFT_OUT = {*READ_VERBS, AuditVerb.CHRONOLOGY_PRODUCED}


def _kind(verb: str) -> str:
    if verb in _KINDS:
        return _KINDS[AuditVerb(verb)]
    if verb.startswith("referral."):
        return "Referral"
    if verb.startswith("deadline."):
        return "Clock"
    return "Case"


def _audit_entries(cases: Sequence[Case]) -> list[Entry]:
    events = (
        AuditEvent.objects.filter(
            audit_case_condition(Case.objects.filter(pk__in=[c.pk for c in cases]))
        )
        .exclude(verb__in=_LEFT_OUT)
        .select_related("actor", "case")
        .order_by("id")
    )
    described = describe_events(events)
    note_ids = [int(d.event.object_id) for d in described if d.event.verb == AuditVerb.NOTE_ADDED]
    notes = CaseNote.objects.in_bulk(note_ids)
    entries = []
    for row in described:
        lines = row.lines
        if row.event.verb == AuditVerb.NOTE_ADDED and row.event.object_id:
            note = notes.get(int(row.event.object_id))
            lines = [Line("", note.text)] if note is not None else lines
        entries.append(
            Entry(
                at=row.event.at,
                case=row.event.case.reference if row.event.case_id else "",
                kind=_kind(row.event.verb),
                title=row.label,
                by=row.actor,
                lines=lines,
            )
        )
    return entries


def chronology_entries(cases: Sequence[Case]) -> list[Entry]:
    """The entries of these cases from every source, in date order (stable, so events
    recorded together keep the order they were recorded in)."""
    cases = list(cases)
    entries = _audit_entries(cases)
    for source in _SOURCES:
        entries.extend(source(cases))
    return sorted(entries, key=lambda e: e.at)


def chronology_for_case(case: Case) -> list[Entry]:
    """One case's chronology; the caller found the case with ``case_get_for_user``."""
    return chronology_entries([case])


def chronology_for_person(user: Any, person: Person) -> tuple[list[Case], list[Entry]]:
    """A person's chronology across the cases ``user`` may see, and those cases."""
    cases = list(
        Case.objects.filter(pk__in=person_cases_for_user(user, person).values("case_id")).order_by(
            "raised_at"
        )
    )
    return cases, chronology_entries(cases)
