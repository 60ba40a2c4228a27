"""Immediate risk (issue 19): what the raiser is told to do now, and the case page's banner.

``Case.immediate_risk`` is set by ``workflows.services.case_raise`` when the raiser
answers the type's own urgency question (``Workflow.urgency_field``) "Yes"; the same
service tells the team's leads at once. These are the reads the pages need.
"""

from __future__ import annotations

import re
from typing import Any

from casework.models import Case
from casework.selectors import case_leads


def urgent_context(case: Case) -> dict[str, Any]:
    """The urgent confirmation page's facts: the team (its duty lead's name and phone),
    the phone number as a ``tel:`` link, and whether any lead was sent the alert."""
    team = case.team
    return {
        "team": team,
        "duty_phone_link": re.sub(r"[^0-9+]", "", team.duty_phone),
        "leads_told": case_leads(case).exists(),
    }
