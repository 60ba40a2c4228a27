"""Opening a new case related to one a lead manages (issue 15).

From a case page a lead of its team may open a new concern of another type that is
related to it: the occupier's NRM or Duty to Notify case from a cuckooing safety plan,
a child's NRM case from a child exploitation case with trafficking indicators, a
Community Trigger about a cuckooed flat. The lead chooses the type and says why the
cases are related; the intake is the usual one, and the link is recorded on both cases
(``casework.services.case_link``) in the same transaction as the raise. The link then
shows on each case's page only to those who may see both (``case_links_for_user``).

The choice is kept in the lead's session until the concern is raised (keyed by type),
so the intake pages and their drafts are unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from casework.models import Case, Team
from casework.permissions import lead_may, may_raise_type, named_case_types, restricted_case_types
from casework.roles import Role, roles_of
from casework.selectors import case_content_list_for_user
from casework.services import case_link
from workflows.definitions import Field, FieldType, Workflow
from workflows.drafts import concern_raise
from workflows.registry import WORKFLOWS

SESSION_KEY = "safecase_related_to"
ORIGIN_GONE = "The case this concern was to be linked to can no longer be linked by you."


def related_types(user: Any) -> list[Workflow]:
    """The types of case ``user`` may open as a related case: those they may raise and
    then see in full, so that the link can be made (a Prevent case only by a Prevent
    lead; a named compartment's raiser is named to it)."""
    found = []
    for case_type, workflow in WORKFLOWS.items():
        if not may_raise_type(user, case_type):
            continue
        needs_clearance = case_type in restricted_case_types() - named_case_types()
        if needs_clearance and Role.PREVENT_LEAD not in roles_of(user):
            continue
        found.append(workflow)
    return found


def related_fields(user: Any) -> list[Field]:
    choices = [(w.case_type, w.label) for w in related_types(user)]
    return [
        Field("case_type", FieldType.CHOICE, "Type of the related case", choices=choices),
        Field("reason", FieldType.TEXT, "Why the cases are related"),
    ]


def related_start(*, actor: Any, case: Case, data: Mapping[str, Any]) -> dict[str, str]:
    """Check a lead's choice of a related case to open from ``case``; returns what the
    session keeps until the concern is raised. Writes nothing."""
    if not lead_may(case, actor):
        raise PermissionDenied("Only a safeguarding lead of the case's team can do this.")
    if case.is_closed:
        raise ValidationError({"case_type": ["This case is closed."]})
    errors: dict[str, list[str]] = {}
    allowed = {w.case_type for w in related_types(actor)}
    case_type = str(data.get("case_type") or "")
    reason = str(data.get("reason") or "").strip()
    if case_type not in allowed:
        errors["case_type"] = ["Select the type of the related case"]
    if not reason:
        errors["reason"] = ["Say why the cases are related."]
    elif len(reason) > 2000:
        errors["reason"] = ["Say why in 2,000 characters or fewer."]
    if errors:
        raise ValidationError(errors)
    return {"case_type": case_type, "reference": case.reference, "reason": reason}


def pending_related(session: Any, case_type: str) -> dict[str, str] | None:
    return (session.get(SESSION_KEY) or {}).get(case_type)


def pending_related_set(session: Any, choice: dict[str, str]) -> None:
    pending = dict(session.get(SESSION_KEY) or {})
    pending[choice["case_type"]] = {"reference": choice["reference"], "reason": choice["reason"]}
    session[SESSION_KEY] = pending


def pending_related_clear(session: Any, case_type: str) -> None:
    pending = dict(session.get(SESSION_KEY) or {})
    if pending.pop(case_type, None) is not None:
        session[SESSION_KEY] = pending


@transaction.atomic
def related_concern_raise(
    *,
    actor: Any,
    case_type: str,
    data: Mapping[str, Any],
    related_to: Mapping[str, str],
    team: Team | None = None,
    **links: Any,
) -> Case:
    """Raise the concern (``concern_raise``) and link it to the case it was opened from,
    both or neither: a lead who can no longer link that case raises nothing."""
    origin = case_content_list_for_user(actor).filter(reference=related_to["reference"]).first()
    if origin is None or not lead_may(origin, actor):
        raise ValidationError(ORIGIN_GONE)
    case = concern_raise(actor=actor, case_type=case_type, data=data, team=team, **links)
    case_link(case=origin, actor=actor, other_reference=case.reference, reason=related_to["reason"])
    return case
