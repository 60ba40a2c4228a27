"""The search index (``casework.search_index``): one ``tsvector`` a case under a GIN index,
holding what staff search by and who may see the case; core PostgreSQL only, so the
embedded server of ``make run`` has it too. The backfill writes every existing case's
entry in batches (``manage.py search_index_rebuild`` does the same at any time)."""

import django.contrib.postgres.indexes
import django.db.models.deletion
from django.db import migrations, models

import casework.models


def backfill(apps, schema_editor):
    # The current code builds the entries: it is the one definition of a document, and
    # the table is derived data that a later release can always rebuild.
    from casework.search_index import search_index_rebuild

    search_index_rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0010_case_team_type_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseSearchEntry",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_entry",
                        serialize=False,
                        to="casework.case",
                    ),
                ),
                ("document", casework.models.TsVectorField()),
                ("updated_at", models.DateTimeField()),
            ],
            options={
                "verbose_name_plural": "case search entries",
                "indexes": [
                    django.contrib.postgres.indexes.GinIndex(
                        fields=["document"], name="case_search_document"
                    )
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
