"""A clock's and a referral's copy of their case's team and type.

A lead's dashboard shows the clocks and referrals of their teams' cases: at county scale
(500,000 cases) joining each panel to the 22,000 cases of a team cost 2-17 ms a query,
most of the dashboard's SQL (docs/performance.md). So ``Deadline`` and ``Referral`` carry
``team`` and ``case_type``, the two columns ``casework.selectors.team_case_condition``
filters on, and their partial indexes answer a panel by an index range.

They are kept by PostgreSQL, not by the application (migration
``workflows/0019_case_facts_triggers``): a row inserted, or updated with any of the three
columns, takes its case's team and type whatever it was given; a case whose team or type
changes (a general concern given its type, ``workflows.unclassified``) passes them on in
the same transaction. So every way of writing a clock or referral (the services, a test's
``objects.create``, the admin) leaves them true, and nothing in Python writes or reads
them from an instance (an instance just saved still holds what it was given).

``fill`` is the one bulk write that bypasses the triggers: the benchmark's seeder writes
with ``COPY`` and the triggers off, then calls it.
"""

from __future__ import annotations

from typing import Any

from django.db import models

FILL_SQL = (
    "UPDATE workflows_deadline d SET team_id = c.team_id, case_type = c.case_type "
    "FROM casework_case c WHERE c.id = d.case_id "
    "AND (d.team_id IS DISTINCT FROM c.team_id OR d.case_type IS DISTINCT FROM c.case_type)",
    "UPDATE referrals_referral r SET team_id = c.team_id, case_type = c.case_type "
    "FROM casework_case c WHERE c.id = r.case_id "
    "AND (r.team_id IS DISTINCT FROM c.team_id OR r.case_type IS DISTINCT FROM c.case_type)",
)


def fill(cursor: Any) -> None:
    """Copy every case's team and type to its clocks and referrals (a DB-API cursor)."""
    for sql in FILL_SQL:
        cursor.execute(sql)


class CaseFacts(models.Model):
    """The two copied columns, for ``Deadline`` and ``Referral``: never written or read
    by the application (the module docstring)."""

    team = models.ForeignKey(
        "casework.Team",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    case_type = models.CharField(
        max_length=30, blank=True, default="", db_default="", editable=False
    )

    class Meta:
        abstract = True
