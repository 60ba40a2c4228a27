"""``{% case_referrals case %}``: the case page's Referrals section.

A template tag rather than a context entry in ``workflows.case_views`` so that workflows
does not import referrals (DESIGN.md: dependencies point one way).
"""

from __future__ import annotations

from typing import Any

from django import template

from casework.models import Case
from casework.permissions import lead_may
from referrals.models import ReferralState
from referrals.selectors import case_referrals_for_user, case_referrals_shown_for_user
from referrals.types import REFERRAL_TYPES, types_for_case_type

register = template.Library()


@register.inclusion_tag("referrals/_case_referrals.html", takes_context=True)
def case_referrals(context: dict[str, Any], case: Case) -> dict[str, Any]:
    user = context["request"].user
    # The access the case page decided for this case, if it did (casework.selectors).
    access = context.get("case_access")
    if access is None:
        referrals = list(case_referrals_for_user(user, case))
    else:
        referrals = case_referrals_shown_for_user(user, case, access)
    rows = [
        {
            "referral": referral,
            "label": REFERRAL_TYPES[referral.referral_type].label,
            "state_label": ReferralState(referral.state).label,
            "terminal": not referral.is_open,
        }
        for referral in referrals
    ]
    may_refer = (
        not case.is_closed and bool(types_for_case_type(case.case_type)) and lead_may(case, user)
    )
    return {"case": case, "referrals": rows, "may_refer": may_refer}
