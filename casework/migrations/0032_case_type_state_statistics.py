"""Extended statistics on a case's type and state together.

A state belongs to one case type, so the two columns are not independent: PostgreSQL,
multiplying their separate frequencies, expected 516 cases of child exploitation in
"s47 enquiry" where there were 1,980 (500,000 cases). The case list filtered by type and
state then read all of them county-wide from the (case_type, state) index and kept a
team's 118, instead of combining the user's own indexed branches of visibility (their
team's cases in that state, their own, their grants): 4.6 ms of execution a filtered
page, 2.8 with these statistics, and the same again for its count (docs/performance.md).
``CREATE STATISTICS`` is core PostgreSQL (10 and later), so the embedded server of
``make run`` has it too; the ANALYZE fills it at once rather than at autovacuum's next
visit.
"""

from django.db import migrations

CREATE = """
CREATE STATISTICS IF NOT EXISTS case_type_state (mcv, dependencies)
    ON case_type, state FROM casework_case;
ANALYZE casework_case;
"""

DROP = "DROP STATISTICS IF EXISTS case_type_state"


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0031_audit_chain_head_function"),
    ]

    operations = [migrations.RunSQL(CREATE, reverse_sql=DROP)]
