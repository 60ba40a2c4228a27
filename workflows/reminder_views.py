"""Reminders with nobody to tell (/reminders/nobody-told/): for administrators.

A reminder or escalation the deadline sweep acted on but that reached nobody (an empty
"Service managers" group, a team with no lead who can open the case, a manager not
cleared for Prevent) is recorded, never dropped silently (docs/reminders.md). The people
who can fix that are administrators (group membership, roles, teams), who see no case
content (DESIGN.md "Access"): the page names the case reference, the clock's rule label
and the stage, nothing else of the case. For a case in a need-to-know compartment
(Prevent, RULES.md §4.5) not even the label, which would tell where its process stands:
only that the case is restricted, so that clearance is what to look at.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from casework.permissions import restricted_case_types
from casework.roles import Role, roles_of
from workflows.models import ReminderStage
from workflows.reminders import reminders_unheard

PAGE_SIZE = 50
NOT_AN_ADMINISTRATOR = "Only administrators can see the reminders that reached nobody."
RESTRICTED_LABEL = "Not shown: a restricted case (only cleared staff may be told)"
# Who each stage was meant for, in words, so an administrator knows what to fix.
MEANT_FOR = {
    ReminderStage.REMIND_BEFORE: "The allocated worker, or the team’s leads",
    ReminderStage.REMIND_DUE_DAY: "The allocated worker, or the team’s leads",
    ReminderStage.PERIOD_ENDED: "The allocated worker, or the team’s leads",
    ReminderStage.ESCALATE_LEAD: "The team’s leads",
    ReminderStage.ESCALATE_MANAGER: f"The group “{settings.SAFECASE_SERVICE_MANAGER_GROUP}”",
}


@dataclasses.dataclass
class UnheardRow:
    reference: str
    label: str
    stage: str
    meant_for: str
    acted_at: datetime


@login_required
@require_GET
def reminders_unheard_list(request: HttpRequest) -> HttpResponse:
    """Newest first, 50 a page: the case reference, the clock's label, the stage and who
    it was meant for. Administrators only (others 403)."""
    if Role.ADMINISTRATOR not in roles_of(request.user):
        context = {"message": NOT_AN_ADMINISTRATOR}
        return render(request, "workflows/forbidden.html", context, status=403)
    unheard = reminders_unheard().select_related("deadline__case").order_by("-acted_at", "-pk")
    page = Paginator(unheard, PAGE_SIZE).get_page(request.GET.get("page"))
    restricted = restricted_case_types()
    rows = [
        UnheardRow(
            reference=r.deadline.case.reference,
            label=(
                RESTRICTED_LABEL if r.deadline.case.case_type in restricted else r.deadline.label
            ),
            stage=ReminderStage(r.stage).label,
            meant_for=MEANT_FOR.get(ReminderStage(r.stage), ""),
            acted_at=r.acted_at,
        )
        for r in page.object_list
    ]
    context = {
        "rows": rows,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1),
        "group_name": settings.SAFECASE_SERVICE_MANAGER_GROUP,
    }
    return render(request, "workflows/reminders_unheard.html", context)
