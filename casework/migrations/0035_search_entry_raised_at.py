"""When each case was raised, on its search index entry (``CaseSearchEntry.raised_at``).

A search then reads its matches' ids newest first from the index's own rows and reads
only the page's cases (``workflows.case_search``), where it read and sorted every match
(docs/performance.md).

Forward, each entry is given its case's ``raised_at`` in a copy of the table joined to
the cases and loaded back into it, the GIN index dropped first and built again after, as
in migrations 0030 and 0034: updated in place, every entry would leave a dead version
behind and be inserted into the index again. Backward, the column is dropped.
"""

from django.db import migrations, models

INDEX = "case_search_document"
# As the model declares it (migration 0029: no pending list).
CREATE = (
    f"CREATE INDEX {INDEX} ON casework_casesearchentry USING gin (document) WITH (fastupdate = off)"
)
LOAD_BACK = """
INSERT INTO casework_casesearchentry (case_id, document, updated_at, raised_at)
SELECT case_id, document, updated_at, raised_at FROM search_entry_rewrite
"""


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {INDEX}")
        cursor.execute(
            "CREATE TEMPORARY TABLE search_entry_rewrite ON COMMIT DROP AS"
            " SELECT entry.case_id, entry.document, entry.updated_at, c.raised_at"
            " FROM casework_casesearchentry AS entry"
            " JOIN casework_case AS c ON c.id = entry.case_id"
        )
        cursor.execute("TRUNCATE casework_casesearchentry")
        cursor.execute(LOAD_BACK)
        # The rows' deferred foreign-key checks must run before an index is built.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(CREATE)
        cursor.execute("DROP TABLE search_entry_rewrite")


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0034_search_word_beginnings"),
    ]

    operations = [
        migrations.AddField(
            model_name="casesearchentry",
            name="raised_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="casesearchentry",
            name="raised_at",
            field=models.DateTimeField(),
        ),
    ]
