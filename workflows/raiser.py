"""The raiser's view of a case (issue 17, finding 5; DESIGN.md "Access": frontline staff
see the cases they raised as "status and their own contributions").

Someone who sees a case only because they raised it (``case_is_raiser_only``: not
allocated to it, not a lead of its team, not granted it, not an auditor) gets its status
in plain words, what they raised (their answers as they gave them, from the
``case.raised`` event), and the notes and files they added themselves, and may add more.
Nothing else: not the lead's notes or files, the clocks, the steps taken, the referrals
or the history. The raiser of a Prevent case knows even less: only that it was received
(``case_is_limited``, RULES.md §4.5).
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, JSONField, OuterRef, Subquery
from django.db.models.expressions import Expression

from casework.audit import AuditVerb
from casework.conditions import case_subquery
from casework.models import AuditEvent, Case
from casework.notes import case_attachment_list_for_user, case_note_list_for_user
from workflows.definitions import Workflow

TRIAGE = "With the safeguarding lead for triage"
OPEN = "Being looked into by the safeguarding team"
CLOSED = "Closed"
RECEIVED = "Received"  # a Prevent case's raiser knows only this (need-to-know)

# A partner as the raiser reads it in "Referred to ...": the kind of agency, not its name.
REFERRED_TO = {
    "home_office_sca": "the Home Office",
    "home_office_ieca": "the Home Office",
    "police": "the police",
    "childrens_social_care_mash": "children's social care",
    "adult_social_care": "adult social care",
    "channel_panel": "the Channel panel",
    "housing_provider": "a housing provider",
    "victim_care_provider": "a victim care support service",
    "magistrates_court": "the magistrates' court",
    "other": "a partner agency",
}
# A referral that has left Safecase (sent, whatever the partner made of it since).
_SENT_STATES = (
    "sent", "acknowledged", "accepted", "declined", "no_response", "outcome_recorded", "closed",
)  # fmt: skip
_NOT_ANNOTATED = object()


def referred_to_kind() -> Expression:
    """The kind of partner of the case's latest sent referral, for annotating a list of
    cases (``raiser_referred_to``) so that their statuses take no query per row; compiled
    once (``casework.conditions.case_subquery``)."""
    return case_subquery("raiser_referred_to", _referred_to_kind, output_field=CharField())


def _referred_to_kind(now: Any = None) -> Subquery:
    from referrals.models import Referral

    sent = Referral.objects.filter(case=OuterRef("pk"), state__in=_SENT_STATES)
    return Subquery(sent.order_by("-sent_at", "-pk").values("partner__kind")[:1])


def _referred_kind(case: Case) -> str | None:
    found = getattr(case, "raiser_referred_to", _NOT_ANNOTATED)
    if found is not _NOT_ANNOTATED:
        return found
    sent = case.referrals.filter(state__in=_SENT_STATES).order_by("-sent_at", "-pk")
    return sent.values_list("partner__kind", flat=True).first()


def _outcome_words(case: Case, workflow: Workflow) -> str:
    """Why a closed case closed, in words: the label of its outcome where a closing step
    recorded one, else its final state's label (e.g. "Withdrawn")."""
    if case.outcome_code:
        return workflow.outcome_words(case.outcome_code)
    label = workflow.state_label(case.state)
    return "" if label.lower() == CLOSED.lower() else label


def raiser_status(case: Case, workflow: Workflow) -> str:
    """The case's status in plain words for the person who raised it, without the step it
    has reached: "With the safeguarding lead for triage", "Referred to children's social
    care", "Closed: <why>", or that the safeguarding team is looking into it."""
    if case.closed_at is not None or case.state in workflow.terminal_states:
        why = _outcome_words(case, workflow)
        return f"{CLOSED}: {why[:1].lower()}{why[1:]}" if why else CLOSED
    kind = _referred_kind(case)
    if kind:
        return f"Referred to {REFERRED_TO.get(kind, REFERRED_TO['other'])}"
    if case.state == workflow.initial_state:
        return TRIAGE
    return OPEN


def who_picks_it_up(case: Case) -> str:
    """Who will pick a new concern up, by team: its team's safeguarding leads (for Prevent,
    those of them cleared for Prevent)."""
    from casework.permissions import named_case_types, restricted_case_types

    team = case.team.name
    if case.case_type in restricted_case_types() - named_case_types():
        return f"the Prevent-cleared safeguarding leads of {team}"
    return f"the safeguarding leads of {team}"


def raised_answers(case: Case) -> dict[str, Any]:
    """What the raiser gave when they raised the case (the ``case.raised`` event's
    inputs): later corrections by the lead are the lead's, not theirs."""
    event = case.audit_events.filter(verb=AuditVerb.CASE_RAISED).order_by("pk").first()
    data = event.data if event is not None and isinstance(event.data, dict) else {}
    inputs = data.get("inputs")
    return inputs if isinstance(inputs, dict) else {}


def raised_summary() -> Expression:
    """The summary as the raiser gave it, for annotating a list of cases (``summary``
    of the ``case.raised`` event's inputs): no query per row; compiled once
    (``casework.conditions.case_subquery``)."""
    return case_subquery("raised_summary", _raised_summary, output_field=JSONField())


def _raised_summary(now: Any = None) -> Subquery:
    events = AuditEvent.objects.filter(case=OuterRef("pk"), verb=AuditVerb.CASE_RAISED)
    return Subquery(events.order_by("pk").values("data__inputs__summary")[:1])


def raiser_context(user: Any, case: Case, workflow: Workflow) -> dict[str, Any]:
    """Everything the raiser's page shows: their own notes and files only (the note and
    attachment selectors keep a raiser to what they added)."""
    return {
        "case": case,
        "workflow": workflow,
        "status": raiser_status(case, workflow),
        "who": who_picks_it_up(case),
        "closed": case.closed_at is not None,
        "answers": raised_answers(case),
        "notes": list(case_note_list_for_user(user, case)[:50]),
        "attachments": list(case_attachment_list_for_user(user, case)[:50]),
    }
