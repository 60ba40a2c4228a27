"""The year each case was raised, in UTC, as a lexeme of its search index entry (``#y:``).

A search of every team's cases (an auditor's) then reads its newest matches a year at a
time, this year's and last year's before the rest, and reads no more when those are
enough (``casework.search_index.search_case_ids_newest_first``, docs/performance.md).

Forward, each entry's lexeme is made from its own ``raised_at`` (migration 0035), as
``casework.search_index.year_lexeme`` makes it, in a copy of the table loaded back into it,
the GIN index dropped first and built again after, as in migrations 0030, 0034 and 0035:
updated in place, every entry would leave a dead version behind and be inserted into the
index again. Backward, the ``#y:`` lexemes are taken out the same way.
"""

from django.db import migrations

INDEX = "case_search_document"
# As the model declares it (migration 0029: no pending list).
CREATE = (
    f"CREATE INDEX {INDEX} ON casework_casesearchentry USING gin (document) WITH (fastupdate = off)"
)
COPY = (
    "CREATE TEMPORARY TABLE search_entry_rewrite ON COMMIT DROP AS"
    " SELECT case_id, {document} AS document, updated_at, raised_at"
    " FROM casework_casesearchentry"
)
ADD = COPY.format(
    document="document || array_to_tsvector("
    "ARRAY['#y:' || extract(year FROM raised_at AT TIME ZONE 'UTC')::int::text])"
)
REMOVE = COPY.format(
    document="array_to_tsvector(ARRAY(SELECT lexeme"
    " FROM unnest(tsvector_to_array(document)) AS lexeme WHERE left(lexeme, 3) <> '#y:'))"
)


def _rewritten(schema_editor, copy: str) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {INDEX}")
        cursor.execute(copy)
        cursor.execute("TRUNCATE casework_casesearchentry")
        cursor.execute(
            "INSERT INTO casework_casesearchentry (case_id, document, updated_at, raised_at)"
            " SELECT case_id, document, updated_at, raised_at FROM search_entry_rewrite"
        )
        # The rows' deferred foreign-key checks must run before an index is built.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(CREATE)
        cursor.execute("DROP TABLE search_entry_rewrite")


def forward(apps, schema_editor):
    _rewritten(schema_editor, ADD)


def backward(apps, schema_editor):
    _rewritten(schema_editor, REMOVE)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0035_search_entry_raised_at"),
    ]

    operations = [migrations.RunPython(forward, backward)]
