"""Trigram indexes (pg_trgm) for the case search on references, summaries and people's
names, and a raised-date index for the case list, newest first (workflows.case_search).

pg_trgm ships in PostgreSQL's contrib, which every packaged server has (Debian's, the
postgres image of docker/compose.yml) but the embedded pgserver of ``make run`` /
``make test`` lacks. Without it the trigram indexes are left out of the database, not
out of the model state: the search (a case-insensitive regular expression) gives the same
answers, only without an index to serve it, which a demo database never needs. Once the
extension is installed, ``manage.py migrate casework 0006`` then ``migrate`` builds them.
"""

import sys

import django.contrib.postgres.indexes
from django.conf import settings
from django.db import migrations, models


TRIGRAM_INDEXES = [
    ("case", django.contrib.postgres.indexes.GinIndex(fields=["reference"], name="case_reference_trgm", opclasses=["gin_trgm_ops"])),
    ("case", django.contrib.postgres.indexes.GinIndex(fields=["summary"], name="case_summary_trgm", opclasses=["gin_trgm_ops"])),
    ("person", django.contrib.postgres.indexes.GinIndex(fields=["given_names"], name="person_given_names_trgm", opclasses=["gin_trgm_ops"])),
    ("person", django.contrib.postgres.indexes.GinIndex(fields=["family_name"], name="person_family_name_trgm", opclasses=["gin_trgm_ops"])),
    ("person", django.contrib.postgres.indexes.GinIndex(fields=["aliases"], name="person_aliases_trgm", opclasses=["gin_trgm_ops"])),
]


def _trigram_available(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        return cursor.fetchone() is not None


def add_trigram_indexes(apps, schema_editor):
    if not _trigram_available(schema_editor):
        sys.stderr.write(
            "  casework.0007: pg_trgm is not installed on this PostgreSQL server; "
            "the case search works without its trigram indexes\n"
        )
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for model_name, index in TRIGRAM_INDEXES:
        schema_editor.add_index(apps.get_model("casework", model_name), index)


def remove_trigram_indexes(apps, schema_editor):
    for _model_name, index in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index.name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0006_case_notes_and_attachments"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["raised_at", "id"], name="case_raised_at_id"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(model_name=model_name, index=index)
                for model_name, index in TRIGRAM_INDEXES
            ],
            database_operations=[
                migrations.RunPython(add_trigram_indexes, remove_trigram_indexes),
            ],
        ),
    ]
