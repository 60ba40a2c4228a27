"""The search index without GIN's pending list (``fastupdate = off``).

Altered in place rather than dropped and built again (which would lock the cases'
search entries while 500,000 of them were indexed afresh): ``ALTER INDEX`` stops new
entries going to the pending list, and ``gin_clean_pending_list`` moves those already
there into the index (PostgreSQL does not, by itself, until the next vacuum).
"""

import django.contrib.postgres.indexes
from django.db import migrations

INDEX = "case_search_document"


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0028_case_open_by_team_covers_panels"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"ALTER INDEX {INDEX} SET (fastupdate = off)",
                    reverse_sql=f"ALTER INDEX {INDEX} RESET (fastupdate)",
                ),
                migrations.RunSQL(
                    f"SELECT gin_clean_pending_list('{INDEX}'::regclass)",
                    reverse_sql=migrations.RunSQL.noop,
                ),
            ],
            state_operations=[
                migrations.RemoveIndex(model_name="casesearchentry", name=INDEX),
                migrations.AddIndex(
                    model_name="casesearchentry",
                    index=django.contrib.postgres.indexes.GinIndex(
                        fastupdate=False, fields=["document"], name=INDEX
                    ),
                ),
            ],
        ),
    ]
