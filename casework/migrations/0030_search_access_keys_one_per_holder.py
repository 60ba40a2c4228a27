"""The search index's access keys: one lexeme a holder and the case's type apart.

Each entry held one key per holder and case type (``#a:r7.prevent``, ``#a:t2.cse``);
it now holds one per holder (``#a:r7``, ``#a:t2``) and one for the type
(``#k:prevent``), and a search's condition excludes the compartments by type
(``casework/search_index.py``). The owner's key (``#a:o7``) was already one a holder.

Rewritten in SQL, each entry from its own lexemes and its case's type, so the
migration needs no Python per case and goes back the same way; ``manage.py
search_index_rebuild`` writes the same documents from the database. The GIN index is
dropped first and built again after: at 500,000 entries that takes 50 s (15 s the
rewrite, 35 s the index), where rewriting under the index took 80 s and left it a third
larger (319 MB, not 237), its searches slower until a vacuum (docs/performance.md).
Searches and raises wait for the migration meanwhile, as for any deployment's.
"""

from django.db import migrations

INDEX = "case_search_document"
DROP = f"DROP INDEX {INDEX}"
# As the model declares it (migration 0029: no pending list).
CREATE = (
    f"CREATE INDEX {INDEX} ON casework_casesearchentry USING gin (document) WITH (fastupdate = off)"
)

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

    operations = [migrations.RunSQL([DROP, FORWARD, CREATE], reverse_sql=[DROP, BACKWARD, CREATE])]
