"""The search index's access keys: one lexeme a holder and the case's type apart.

Each entry held one key per holder and case type (``#a:r7.prevent``, ``#a:t2.cse``);
it now holds one per holder (``#a:r7``, ``#a:t2``) and one for the type
(``#k:prevent``), and a search's condition excludes the compartments by type
(``casework/search_index.py``). The owner's key (``#a:o7``) was already one a holder.

Rewritten in SQL, each entry from its own lexemes and its case's type, so the
migration needs no Python per case (500,000 entries are rewritten in one statement,
docs/performance.md) and goes back the same way; ``manage.py search_index_rebuild``
writes the same documents from the database.
"""

from django.db import migrations

FORWARD = r"""
UPDATE casework_casesearchentry AS entry
SET document = array_to_tsvector(ARRAY(
    SELECT regexp_replace(lexeme, '^(#a:[rtug][0-9]+)[.].*$', '\1')
    FROM unnest(tsvector_to_array(entry.document)) AS lexeme
    UNION
    SELECT '#k:' || kase.case_type
))
FROM casework_case AS kase
WHERE kase.id = entry.case_id
"""

BACKWARD = r"""
UPDATE casework_casesearchentry AS entry
SET document = array_to_tsvector(ARRAY(
    SELECT DISTINCT CASE
        WHEN lexeme ~ '^#a:[rtug][0-9]+$' THEN lexeme || '.' || kase.case_type
        ELSE lexeme
    END
    FROM unnest(tsvector_to_array(entry.document)) AS lexeme
    WHERE left(lexeme, 3) <> '#k:'
))
FROM casework_case AS kase
WHERE kase.id = entry.case_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0029_search_index_without_pending_list"),
    ]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=BACKWARD)]
