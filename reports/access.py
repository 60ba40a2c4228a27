"""Who may see which figures (issue 21): DESIGN.md "Access" for the indicator pages and
the committee pack, on ``reports.figures``'s rules.

- Partnership analysts see every figure and no case content (``Role.ANALYST``).
- Leads see their teams' figures only: an indicator counted by team shows their teams,
  and the partnership-wide sections of the pack (reviews, footage) are not theirs.
- Auditors see every figure.
- Administrators and partnership analysts define indicators and enter values;
  administrators see no figures (they are counts of cases).
- Frontline staff see none of it.

On screen, small counts are exact for those allowed to see the cases behind them
(``figures.shows_exact``: leads, auditors), suppressed otherwise (analysts); published
outputs (PDF, XLSX, CSV) always show counts from 1 to 4 as "fewer than 5".
"""

from __future__ import annotations

from typing import Any

from casework.models import Team
from casework.permissions import team_ids_of
from casework.roles import Role, role_of
from reports.figures import figures_scope, may_see_figures, shows_exact

__all__ = ["figures_scope", "may_see_figures", "shows_exact", "team_scope"]

LEAD_ROLES = {Role.LEAD, Role.PREVENT_LEAD}


def team_scope(user: Any) -> set[str] | None:
    """The slugs of the teams whose figures a lead sees; None: every team's."""
    if role_of(user) in LEAD_ROLES:
        return set(Team.objects.filter(pk__in=team_ids_of(user)).values_list("slug", flat=True))
    return None
