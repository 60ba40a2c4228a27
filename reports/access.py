"""Who may see which figures (issue 21): DESIGN.md "Access" for the report pages.

- Partnership analysts see every figure and no case content (``Role.ANALYST``).
- Leads see their teams' figures only: an indicator counted by team shows their teams.
- Auditors see every figure.
- Administrators define indicators and enter values (with analysts) but see no
  figures: the values are counts of cases.
- Frontline staff see none of it.

On screen, figures are exact for those allowed to see the cases behind them (leads,
auditors); published outputs (PDF, XLSX, CSV) show small counts as "fewer than 5"
whoever downloads them (RULES.md §5.6's published return, issue 21 part 6).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from casework.models import Case, Team
from casework.permissions import team_ids_of
from casework.roles import Role, role_of, roles_of
from casework.selectors import team_case_list_for_user

FIGURE_ROLES = {Role.ANALYST, Role.LEAD, Role.PREVENT_LEAD, Role.AUDITOR}
LEAD_ROLES = {Role.LEAD, Role.PREVENT_LEAD}
EXACT_ROLES = {Role.LEAD, Role.PREVENT_LEAD, Role.AUDITOR}


def may_see_figures(user: Any) -> bool:
    return bool(roles_of(user) & FIGURE_ROLES)


def case_scope(user: Any) -> QuerySet[Case]:
    """The cases a user's figures count: every case for an analyst or auditor (as counts
    only), their teams' cases as they may see them for a lead."""
    if role_of(user) in LEAD_ROLES:
        return team_case_list_for_user(user)
    return Case.objects.all()


def team_scope(user: Any) -> set[str] | None:
    """The slugs of the teams whose figures a lead sees; None: every team's."""
    if role_of(user) in LEAD_ROLES:
        return set(Team.objects.filter(pk__in=team_ids_of(user)).values_list("slug", flat=True))
    return None


def exact_on_screen(user: Any) -> bool:
    """Whether the user sees small counts exactly on screen (they may see the cases)."""
    return role_of(user) in EXACT_ROLES
