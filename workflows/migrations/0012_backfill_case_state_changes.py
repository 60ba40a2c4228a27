"""Fill the state history (``CaseStateChange``) of the cases that exist, from the audit
log (issue 21): each ``case.raised`` event gives the first state, each
``case.transitioned`` event that changed the state the next one, at the time it was
recorded (the step's event date was not kept apart before). A case with no such event
(loaded in bulk, e.g. by the benchmark seed) gets one row from when it was raised in a
state not known (empty) and, if it is closed, its current state from when it closed.
Set-based SQL, so it runs in one statement per part at county scale; a case that already
has a history is left alone, so it can run again (``bench/seed_scale.py`` runs it after
loading cases in bulk)."""

from django.db import migrations

FROM_AUDIT = """
INSERT INTO workflows_casestatechange
    (case_id, case_type, from_state, to_state, transition, closed, at, until, recorded_at, by_id)
SELECT ev.case_id, ev.case_type, ev.from_state, ev.to_state, ev.transition,
       ev.to_state = ANY(COALESCE(t.terminal, ARRAY[]::text[])),
       ev.at, LEAD(ev.at) OVER (PARTITION BY ev.case_id ORDER BY ev.at, ev.id),
       ev.at, ev.actor_id
FROM (
    SELECT e.id, e.case_id, c.case_type, e.at, e.actor_id,
           CASE WHEN e.verb = 'case.raised' THEN '' ELSE e.data->>'from' END AS from_state,
           CASE WHEN e.verb = 'case.raised' THEN e.data->>'state' ELSE e.data->>'to' END
               AS to_state,
           CASE WHEN e.verb = 'case.raised' THEN 'raise' ELSE e.data->>'transition' END
               AS transition
    FROM casework_auditevent e JOIN casework_case c ON c.id = e.case_id
    WHERE (e.verb = 'case.raised'
           OR (e.verb = 'case.transitioned' AND e.data->>'from' IS DISTINCT FROM e.data->>'to'))
      AND NOT EXISTS (SELECT 1 FROM workflows_casestatechange s WHERE s.case_id = e.case_id)
) ev
LEFT JOIN (SELECT unnest(%s::text[]) AS case_type, string_to_array(unnest(%s::text[]), ',')
           AS terminal) t ON t.case_type = ev.case_type
WHERE ev.to_state IS NOT NULL
"""

WITHOUT_AUDIT = """
INSERT INTO workflows_casestatechange
    (case_id, case_type, from_state, to_state, transition, closed, at, until, recorded_at, by_id)
SELECT c.id, c.case_type, '', CASE WHEN c.closed_at IS NULL THEN c.state ELSE '' END,
       'backfill', FALSE, c.raised_at, c.closed_at, c.raised_at, NULL
FROM casework_case c
WHERE NOT EXISTS (SELECT 1 FROM workflows_casestatechange s WHERE s.case_id = c.id)
"""

CLOSED_WITHOUT_AUDIT = """
INSERT INTO workflows_casestatechange
    (case_id, case_type, from_state, to_state, transition, closed, at, until, recorded_at, by_id)
SELECT c.id, c.case_type, '', c.state, 'backfill', TRUE,
       GREATEST(c.closed_at, c.raised_at), NULL, c.closed_at, NULL
FROM casework_case c JOIN workflows_casestatechange s ON s.case_id = c.id
WHERE c.closed_at IS NOT NULL AND s.transition = 'backfill' AND s.until IS NOT NULL
"""


def backfill(apps, schema_editor):
    from workflows.registry import WORKFLOWS

    types = sorted(WORKFLOWS)
    terminal = [",".join(WORKFLOWS[t].terminal_states) for t in types]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FROM_AUDIT, [types, terminal])
        cursor.execute(WITHOUT_AUDIT)
        cursor.execute(CLOSED_WITHOUT_AUDIT)


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0011_case_state_change"),
        ("casework", "0018_case_type_labels"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
