"""Trigram indexes (pg_trgm) for the case search on references, summaries and people's
names, and a raised-date index for the case list, newest first (workflows.case_search)."""

import django.contrib.postgres.indexes
from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0006_case_notes_and_attachments"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # pg_trgm ships with PostgreSQL (contrib); CREATE EXTENSION IF NOT EXISTS.
        TrigramExtension(),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["raised_at", "id"], name="case_raised_at_id"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["reference"], name="case_reference_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["summary"], name="case_summary_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["given_names"], name="person_given_names_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["family_name"], name="person_family_name_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["aliases"], name="person_aliases_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
